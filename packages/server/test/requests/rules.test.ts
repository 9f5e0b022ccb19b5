import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DEFAULT_GP_MINUTES, NATIONAL_RESPONSIBILITY_RULES } from '@carebridge/domain';
import { testDatabaseKinds } from '../support/databases.js';
import { json, outcomeCodes } from '../support/test-app.js';
import {
  action,
  all,
  createRequest,
  groups,
  p,
  part,
  requestsWorld,
  value,
  type NewRequest,
  type ParametersLike,
  type RequestsWorld,
} from './support.js';

/** Each national rule, a request it decides, and whether the request is flagged as the hospital's own. */
const CASES: Array<[string, NewRequest, boolean, string]> = [
  [
    'no-re-referral-after-missed-appointment',
    { category: 're-refer', circumstances: ['after-missed-appointment'] },
    true,
    'NHS Standard Contract SC6',
  ],
  [
    'onward-referral-by-hospital',
    { category: 're-refer', circumstances: ['urgent'] },
    true,
    'NHS Standard Contract SC8.4',
  ],
  [
    'unrelated-onward-referral-needs-gp-agreement',
    { category: 're-refer' },
    false,
    'NHS Standard Contract SC8.4',
  ],
  ['tests-owned-by-requester', { category: 'arrange-test' }, true, 'Interface guidance: results'],
  ['results-communicated-by-requester', { category: 'chase-result' }, true, 'Interface guidance: results'],
  ['fit-notes-by-provider', { category: 'fit-note' }, true, 'NHS Standard Contract SC11.11'],
  [
    'shared-care-needs-gp-agreement',
    { category: 'prescribe-medication', circumstances: ['shared-care'] },
    false,
    'NHS Standard Contract SC11.3–11.4',
  ],
  [
    'discharge-medication-by-hospital',
    { category: 'prescribe-medication', careContext: 'inpatient' },
    true,
    'NHS Standard Contract SC11.9',
  ],
  [
    'outpatient-medication-by-hospital',
    { category: 'prescribe-medication', careContext: 'outpatient' },
    true,
    'NHS Standard Contract SC11.10',
  ],
  [
    'follow-up-by-provider',
    { category: 'follow-up-appointment' },
    true,
    'Interface guidance: patient queries and follow-up',
  ],
];

for (const kind of testDatabaseKinds()) {
  describe(`requests: responsibility rules and decline with the clause (${kind})`, () => {
    let world: RequestsWorld;

    before(async () => {
      world = await requestsWorld(kind);
    });
    after(() => world.t.close());

    const respond = (who: string, body: ParametersLike) =>
      world.call('POST', '/fhir/$respond-to-request', who, body);

    it('covers every national rule in these cases', () => {
      assert.deepEqual(
        CASES.map(([rule]) => rule).sort(),
        NATIONAL_RESPONSIBILITY_RULES.map((rule) => rule.id).sort(),
      );
    });

    for (const [rule, request, flagged, clause] of CASES) {
      it(`applies ${rule}: ${flagged ? 'flagged to both sides' : 'the practice decides'} (${clause})`, async () => {
        const { id, body } = await createRequest(world, 'consultant', request);
        assert.equal(value(body.parameter, 'outcome'), flagged ? 'created-flagged' : 'created');
        const assessment = part(body.parameter, 'responsibility');
        assert.equal(value(assessment, 'rule'), rule);
        assert.equal(value(assessment, 'placesOnRequester'), flagged);
        assert.equal(value(assessment, 'clause'), clause);
        // The practice sees the same flag on its worklist.
        const worklist = groups(
          json<ParametersLike>(await world.call('GET', '/fhir/$request-worklist', 'gpA')),
          'entry',
        );
        const entry = worklist.find((e) => value(e, 'request') === id);
        assert.equal(value(entry, 'flagged'), flagged);
        assert.equal(value(part(entry, 'responsibility'), 'rule'), rule);
      });
    }

    it('applies no rule to a practice asking a hospital to chase a result it ordered', async () => {
      const { body } = await createRequest(world, 'gpA', { category: 'chase-result', owner: 'trust' });
      assert.equal(value(part(body.parameter, 'responsibility'), 'placesOnRequester'), false);
      assert.equal(value(part(body.parameter, 'responsibility'), 'rule'), undefined);
      // GP minutes count only what is asked of practices.
      assert.equal(value(groups(body, 'request')[0], 'estimatedMinutes'), 0);
    });

    it('lets the GP decline a flagged request in one step citing the clause, and tells the hospital at once', async () => {
      const { id } = await createRequest(world, 'consultant', {
        category: 'fit-note',
        reason: 'Fit note for 6 weeks',
      });
      world.t.clock.set('2026-03-02T14:00:00Z');
      const declined = await respond('gpA', action(id, 'decline', p.bool('cite-rule', true)));
      assert.equal(declined.statusCode, 200, declined.body);
      const answer = json<ParametersLike>(declined);
      assert.equal(value(answer.parameter, 'outcome'), 'declined');
      const request = groups(answer, 'request')[0];
      assert.equal(value(request, 'declineRule'), 'fit-notes-by-provider');
      assert.equal(value(request, 'declineClause'), 'NHS Standard Contract SC11.11');
      assert.match(String(value(request, 'declineReason')), /issues fit notes/);

      // The hospital's tracker shows the decline, with the clause, as it happened.
      const tracker = groups(
        json<ParametersLike>(await world.call('GET', '/fhir/$request-tracker', 'consultant')),
        'entry',
      );
      const tracked = tracker.find((e) => value(e, 'request') === id);
      assert.equal(value(tracked, 'status'), 'declined');
      const last = all(tracked, 'event').at(-1);
      assert.equal(value(last, 'to'), 'declined');
      assert.equal(value(last, 'clause'), 'NHS Standard Contract SC11.11');
      assert.equal(value(last, 'who'), 'Dr Sam Patel');
      assert.deepEqual(
        tracked?.filter((e) => e.name === 'allowedAction').map((e) => e.valueCode),
        ['acknowledge-decline'],
      );

      // And a Communication addressed to the hospital, readable by it.
      const communication = String(value(answer.parameter, 'communication'));
      const message = json<{
        recipient: Array<{ reference: string }>;
        sender: { reference: string };
        payload: Array<{ contentString: string }>;
        reasonCode?: Array<{ text: string }>;
        about: Array<{ reference: string }>;
      }>(await world.call('GET', `/fhir/${communication}`, 'consultant'));
      assert.equal(message.recipient[0]?.reference, 'Organization/trust');
      assert.equal(message.sender.reference, 'Organization/practice-a');
      assert.equal(message.about[0]?.reference, `Task/${id}`);
      assert.equal(message.reasonCode?.[0]?.text, 'NHS Standard Contract SC11.11');
      assert.match(message.payload[0]?.contentString ?? '', /The work remains with Kingsmere Hospitals/);

      const task = json<{ statusReason?: { coding?: Array<{ code: string; display?: string }> } }>(
        await world.call('GET', `/fhir/Task/${id}`, 'gpA'),
      );
      assert.deepEqual(task.statusReason?.coding?.[0], {
        system: 'https://carebridge.dev/fhir/CodeSystem/responsibility-rule',
        code: 'fit-notes-by-provider',
        display: 'NHS Standard Contract SC11.11',
      });

      // The hospital takes the work back.
      const taken = await world.call(
        'POST',
        '/fhir/$update-request',
        'consultant',
        action(id, 'acknowledge-decline'),
      );
      assert.equal(taken.statusCode, 200, taken.body);
      assert.equal(
        value(groups(json<ParametersLike>(taken), 'request')[0], 'declineAcknowledged'),
        '2026-03-02T14:00:00.000Z',
      );
    });

    it('refuses to cite a rule for a request no rule placed on the requester', async () => {
      const { id } = await createRequest(world, 'consultant', { category: 'other' });
      const refused = await respond('gpA', action(id, 'decline', p.bool('cite-rule', true)));
      assert.equal(refused.statusCode, 422);
      assert.deepEqual(outcomeCodes(refused), ['request-rule-not-applicable']);
      const withReason = await respond(
        'gpA',
        action(id, 'decline', p.str('reason', 'Not clinically indicated')),
      );
      assert.equal(withReason.statusCode, 200);
    });
  });

  describe(`requests: a commissioner's local agreements (${kind})`, () => {
    let world: RequestsWorld;

    before(async () => {
      const national = NATIONAL_RESPONSIBILITY_RULES.find((rule) => rule.id === 'tests-owned-by-requester');
      assert.ok(national);
      world = await requestsWorld(kind, {
        localAgreements: {
          QZZ: [
            {
              kind: 'replace',
              ruleId: 'tests-owned-by-requester',
              name: 'QZZ phlebotomy service',
              rule: {
                ...national,
                id: 'qzz-phlebotomy',
                responsible: 'owner',
                clause: 'Local agreement: QZZ phlebotomy service 2026',
                summary:
                  'Practices take blood for hospital-requested tests; the hospital still owns the result.',
              },
            },
          ],
        },
        minutes: { ...DEFAULT_GP_MINUTES, 'arrange-test': 12 },
      });
    });
    after(() => world.t.close());

    it('applies the agreement to its own practices, and the national rule to others', async () => {
      const local = await createRequest(world, 'consultant', { category: 'arrange-test' });
      const assessment = part(local.body.parameter, 'responsibility');
      assert.equal(value(assessment, 'placesOnRequester'), false);
      assert.equal(value(assessment, 'rule'), 'qzz-phlebotomy');
      assert.equal(value(assessment, 'clause'), 'Local agreement: QZZ phlebotomy service 2026');
      assert.equal(value(local.request, 'estimatedMinutes'), 12);

      const elsewhere = await createRequest(world, 'consultant', {
        category: 'arrange-test',
        patient: 'p2',
        owner: 'practice-b',
      });
      assert.equal(
        value(part(elsewhere.body.parameter, 'responsibility'), 'rule'),
        'tests-owned-by-requester',
      );
      assert.equal(value(part(elsewhere.body.parameter, 'responsibility'), 'placesOnRequester'), true);
    });
  });
}
