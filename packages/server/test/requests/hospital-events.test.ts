import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { testDatabaseKinds } from '../support/databases.js';
import { json, outcomeCodes } from '../support/test-app.js';
import {
  groups,
  p,
  parametersOf,
  part,
  requestsWorld,
  value,
  type ParametersLike,
  type RequestsWorld,
} from './support.js';

interface Message {
  recipient: Array<{ reference: string }>;
  sender: { reference: string };
  payload: Array<{ contentString: string }>;
  reasonCode?: Array<{ text: string }>;
}

for (const kind of testDatabaseKinds()) {
  describe(`requests: missed appointments and onward referrals (${kind})`, () => {
    let world: RequestsWorld;

    before(async () => {
      world = await requestsWorld(kind);
    });
    after(() => world.t.close());

    const missed = (who: string, ...extra: ReturnType<typeof p.str>[]) =>
      world.call(
        'POST',
        '/fhir/$missed-appointment',
        who,
        parametersOf(
          p.ref('patient', 'Patient/p1'),
          p.str('specialty', 'Cardiology'),
          p.dateTime('appointment-start', '2026-03-02T09:00:00Z'),
          p.dateTime('appointment-end', '2026-03-02T09:20:00Z'),
          ...extra,
        ),
      );
    const requestsToPractice = async () =>
      groups(
        json<ParametersLike>(
          await world.call('GET', '/fhir/$request-worklist?status=requested,received', 'gpA'),
        ),
        'entry',
      );
    const message = async (reference: unknown, who: string) =>
      json<Message>(await world.call('GET', `/fhir/${String(reference)}`, who));

    it('rebooks by default: a new appointment, nothing for the GP', async () => {
      const before = (await requestsToPractice()).length;
      const response = await missed('secretary');
      assert.equal(response.statusCode, 201, response.body);
      const body = json<ParametersLike>(response);
      assert.equal(value(body.parameter, 'outcome'), 'rebooked');
      assert.equal(value(body.parameter, 'communication'), undefined);
      const noShow = json<{ status: string }>(
        await world.call('GET', `/fhir/${String(value(body.parameter, 'appointment'))}`, 'consultant'),
      );
      assert.equal(noShow.status, 'noshow');
      const rebooked = json<{ status: string }>(
        await world.call('GET', `/fhir/${String(value(body.parameter, 'rebooked'))}`, 'consultant'),
      );
      assert.equal(rebooked.status, 'proposed');
      assert.equal((await requestsToPractice()).length, before);
    });

    it('discharges only with a consultant’s clinical decision, stated in a letter that asks nothing', async () => {
      const secretary = await missed(
        'secretary',
        p.code('outcome', 'discharge'),
        p.str('clinical-decision', 'x'),
      );
      assert.equal(secretary.statusCode, 403);
      const undecided = await missed('consultant', p.code('outcome', 'discharge'));
      assert.equal(undecided.statusCode, 400);
      assert.deepEqual(outcomeCodes(undecided), ['missing-required-element']);

      const before = (await requestsToPractice()).length;
      const discharged = await missed(
        'consultant',
        p.code('outcome', 'discharge'),
        p.str('clinical-decision', 'Echo normal; no cardiology follow-up is clinically needed'),
      );
      assert.equal(discharged.statusCode, 201, discharged.body);
      const body = json<ParametersLike>(discharged);
      assert.equal(value(body.parameter, 'outcome'), 'discharged');
      assert.equal(value(body.parameter, 'practice'), 'Organization/practice-a');
      const letter = await message(value(body.parameter, 'communication'), 'gpA');
      assert.equal(letter.recipient[0]?.reference, 'Organization/practice-a');
      assert.match(
        letter.payload[0]?.contentString ?? '',
        /Clinical decision: Echo normal; no cardiology follow-up is clinically needed\./,
      );
      assert.match(letter.payload[0]?.contentString ?? '', /not a request to re-refer/);
      assert.equal(letter.reasonCode?.[0]?.text, 'NHS Standard Contract SC6');
      assert.equal((await requestsToPractice()).length, before, 'no request reaches the GP');
    });

    it('refuses to hand a missed appointment back to the GP for re-referral (SC6)', async () => {
      for (const outcome of ['re-refer', 'discharge-to-gp']) {
        const refused = await missed('consultant', p.code('outcome', outcome));
        assert.equal(refused.statusCode, 422, outcome);
        assert.deepEqual(outcomeCodes(refused), ['re-referral-refused']);
      }
    });

    it('marks a named appointment as missed, and refuses one that is not the patient’s', async () => {
      const created = await world.t.fhir('POST', '/fhir/Appointment', {
        resourceType: 'Appointment',
        status: 'booked',
        start: '2026-03-05T09:00:00Z',
        end: '2026-03-05T09:20:00Z',
        participant: [{ actor: { reference: 'Patient/p1' }, status: 'accepted' }],
      });
      const id = json<{ id: string }>(created).id;
      const response = await world.call(
        'POST',
        '/fhir/$missed-appointment',
        'secretary',
        parametersOf(p.ref('patient', 'Patient/p1'), p.ref('appointment', `Appointment/${id}`)),
      );
      assert.equal(response.statusCode, 201, response.body);
      assert.equal(
        json<{ status: string }>(await world.call('GET', `/fhir/Appointment/${id}`, 'consultant')).status,
        'noshow',
      );
      const wrong = await world.call(
        'POST',
        '/fhir/$missed-appointment',
        'secretary',
        parametersOf(p.ref('patient', 'Patient/p2'), p.ref('appointment', `Appointment/${id}`)),
      );
      assert.equal(wrong.statusCode, 404);
    });

    it('refers onward directly when related or urgent, informing the GP without asking anything (SC8.4)', async () => {
      const before = (await requestsToPractice()).length;
      for (const flag of ['related-to-original-condition', 'urgent']) {
        const response = await world.call(
          'POST',
          '/fhir/$onward-referral',
          'consultant',
          parametersOf(
            p.ref('patient', 'Patient/p1'),
            p.str('specialty', 'Cardiothoracic surgery'),
            p.str('reason', 'Severe aortic stenosis for valve assessment'),
            p.bool(flag, true),
          ),
        );
        assert.equal(response.statusCode, 201, response.body);
        const body = json<ParametersLike>(response);
        assert.equal(value(body.parameter, 'outcome'), 'referred');
        assert.equal(groups(body, 'request').length, 0);
        const referral = json<{ status: string; requester: { reference: string } }>(
          await world.call('GET', `/fhir/${String(value(body.parameter, 'serviceRequest'))}`, 'consultant'),
        );
        assert.equal(referral.status, 'active');
        assert.equal(referral.requester.reference, 'Organization/trust');
        const note = await message(value(body.parameter, 'communication'), 'gpA');
        assert.match(
          note.payload[0]?.contentString ?? '',
          /^For information: .*No action is needed from the practice\.$/,
        );
      }
      assert.equal((await requestsToPractice()).length, before);
    });

    it('asks the GP’s agreement for an unrelated, non-urgent referral, as a request the GP may decline', async () => {
      const response = await world.call(
        'POST',
        '/fhir/$onward-referral',
        'consultant',
        parametersOf(
          p.ref('patient', 'Patient/p1'),
          p.str('specialty', 'Dermatology'),
          p.str('reason', 'Incidental benign-looking naevus'),
        ),
      );
      assert.equal(response.statusCode, 201, response.body);
      const body = json<ParametersLike>(response);
      assert.equal(value(body.parameter, 'outcome'), 'gp-agreement-requested');
      const assessment = part(body.parameter, 'responsibility');
      assert.equal(value(assessment, 'responsible'), 'owner-by-agreement');
      assert.equal(value(assessment, 'placesOnRequester'), false);
      const request = groups(body, 'request')[0];
      assert.equal(value(request, 'focus'), value(body.parameter, 'serviceRequest'));
      const referral = json<{ status: string }>(
        await world.call('GET', `/fhir/${String(value(body.parameter, 'serviceRequest'))}`, 'consultant'),
      );
      assert.equal(referral.status, 'draft');
      const worklist = await requestsToPractice();
      assert.ok(worklist.some((entry) => value(entry, 'request') === value(request, 'request')));
    });

    it('leaves onward referrals and missed appointments to hospitals', async () => {
      const gp = await world.call(
        'POST',
        '/fhir/$onward-referral',
        'gpA',
        parametersOf(p.ref('patient', 'Patient/p1'), p.str('reason', 'x')),
      );
      assert.equal(gp.statusCode, 403);
      const admin = await world.call(
        'POST',
        '/fhir/$missed-appointment',
        'adminA',
        parametersOf(p.ref('patient', 'Patient/p1')),
      );
      assert.equal(admin.statusCode, 403);
    });
  });
}
