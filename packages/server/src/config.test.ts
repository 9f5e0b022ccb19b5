import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import {
  createRequest,
  part,
  useRequestsWorld,
  value,
  type NewRequest,
  type RequestsWorld,
} from '../test/requests/support.js';
import { testDatabaseKinds } from '../test/support/databases.js';
import { DEFAULT_RATE_LIMITS, loadConfig } from './config.js';

describe('loadConfig: hardening and transport settings', () => {
  it('defaults to per-person and per-system limits, same-origin only, and the outbox worker on', () => {
    const config = loadConfig({});
    assert.deepEqual(config.http.rateLimits, DEFAULT_RATE_LIMITS);
    assert.deepEqual(config.http.corsOrigins, []);
    assert.equal(config.transport.worker, true);
  });

  it('reads per-client limits, exact CORS origins and webhook secrets', () => {
    const config = loadConfig({
      RATE_LIMIT_CLIENTS: '{"trust-epr": 120000, "noisy": 0}',
      CORS_ORIGINS: 'https://a.example.nhs.uk, http://localhost:5173',
      WEBHOOK_SECRETS: '{"gp-hook": "s3cret"}',
      OUTBOX_WORKER: 'off',
    });
    assert.deepEqual(config.http.rateLimits.perClient, { 'trust-epr': 120000, noisy: 0 });
    assert.deepEqual(config.http.corsOrigins, ['https://a.example.nhs.uk', 'http://localhost:5173']);
    assert.deepEqual(config.transport.webhookSecrets, { 'gp-hook': 's3cret' });
    assert.equal(config.transport.worker, false);
  });

  it('refuses settings that would weaken the policy or be misread, naming the setting', () => {
    assert.throws(() => loadConfig({ CORS_ORIGINS: '*' }), /CORS_ORIGINS/);
    assert.throws(() => loadConfig({ CORS_ORIGINS: 'https://a.example.nhs.uk/path' }), /CORS_ORIGINS/);
    assert.throws(() => loadConfig({ RATE_LIMIT_CLIENTS: '{"x": -1}' }), /RATE_LIMIT_CLIENTS/);
    assert.throws(() => loadConfig({ RATE_LIMIT_CLIENTS: '[1]' }), /RATE_LIMIT_CLIENTS/);
    assert.throws(() => loadConfig({ WEBHOOK_SECRETS: '{"hook": ""}' }), /WEBHOOK_SECRETS/);
    assert.throws(() => loadConfig({ WEBHOOK_SECRETS: 'not json' }), /WEBHOOK_SECRETS/);
    assert.throws(() => loadConfig({ RATE_LIMIT_USER_PER_MINUTE: 'lots' }), /RATE_LIMIT_USER_PER_MINUTE/);
  });
});

/** QZZ (Quayside's ICB in the requests test world) commissions phlebotomy from its practices. */
const PHLEBOTOMY = {
  QZZ: [
    {
      kind: 'replace',
      name: 'QZZ phlebotomy service',
      ruleId: 'tests-owned-by-requester',
      rule: {
        id: 'qzz-phlebotomy',
        category: 'arrange-test',
        requester: 'hospital',
        owner: 'practice',
        responsible: 'owner',
        clause: 'Local agreement: QZZ phlebotomy service 2026',
        summary: 'Practices take blood for hospital-requested tests; the hospital still owns the result.',
        source: 'https://example.nhs.uk/qzz/phlebotomy',
      },
    },
  ],
};

const directory = mkdtempSync(join(tmpdir(), 'carebridge-agreements-'));
after(() => rmSync(directory, { recursive: true, force: true }));

/** Writes an agreements file and answers its path. */
function agreementsFile(name: string, content: unknown): string {
  const path = join(directory, name);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

/** The message loadConfig refuses the environment with. */
function refusal(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (error) {
    return (error as Error).message;
  }
  assert.fail('the setting was accepted');
}

describe('loadConfig: commissioners’ local agreements', () => {
  it('reads them from a file or from the setting itself, and has none when neither is set', () => {
    const file = agreementsFile('valid.json', PHLEBOTOMY);
    const fromFile = loadConfig({ REQUEST_LOCAL_AGREEMENTS_FILE: file }).requests?.localAgreements;
    assert.equal(fromFile?.QZZ?.[0]?.kind, 'replace');
    assert.deepEqual(loadConfig({ REQUEST_LOCAL_AGREEMENTS: JSON.stringify(PHLEBOTOMY) }).requests, {
      localAgreements: fromFile,
    });
    assert.deepEqual(loadConfig({}).requests, { localAgreements: {} });
  });

  it('refuses to start on a file it cannot read or parse, naming the setting and the file', () => {
    const missing = join(directory, 'missing.json');
    assert.match(
      refusal({ REQUEST_LOCAL_AGREEMENTS_FILE: missing }),
      /REQUEST_LOCAL_AGREEMENTS_FILE.*missing\.json.*cannot be read/,
    );
    const malformed = agreementsFile('malformed.json', '{"QZZ": [ {"kind": "disable",');
    assert.match(
      refusal({ REQUEST_LOCAL_AGREEMENTS_FILE: malformed }),
      /malformed\.json\) is not well-formed JSON/,
    );
    assert.match(
      refusal({ REQUEST_LOCAL_AGREEMENTS: 'QZZ: disable' }),
      /^REQUEST_LOCAL_AGREEMENTS is not well-formed JSON/,
    );
    assert.match(
      refusal({
        REQUEST_LOCAL_AGREEMENTS_FILE: agreementsFile('both.json', {}),
        REQUEST_LOCAL_AGREEMENTS: '{}',
      }),
      /not both/,
    );
  });

  it('refuses an unknown category, party, commissioner or rule, naming the path of the fault', () => {
    const rule = PHLEBOTOMY.QZZ[0]?.rule;
    const withRule = (change: Record<string, unknown>) => ({
      QZZ: [{ ...PHLEBOTOMY.QZZ[0], rule: { ...rule, ...change } }],
    });
    const cases: Array<[string, unknown, RegExp]> = [
      [
        'category.json',
        withRule({ category: 'bloods' }),
        /at QZZ\[0\]\.rule\.category: must be one of arrange-test, .*not "bloods"/,
      ],
      [
        'party.json',
        withRule({ responsible: 'commissioner' }),
        /at QZZ\[0\]\.rule\.responsible: must be one of requester, owner-by-agreement, owner/,
      ],
      ['setting.json', withRule({ owner: 'pharmacy' }), /at QZZ\[0\]\.rule\.owner:/],
      [
        'commissioner.json',
        { Y99901: PHLEBOTOMY.QZZ },
        /at Y99901: 'Y99901' is the ODS code of a gp practice, not of a commissioner/,
      ],
      ['not-ods.json', { 'Quayside ICB': PHLEBOTOMY.QZZ }, /at Quayside ICB: .* is not an ODS code/],
      [
        'rule.json',
        { QZZ: [{ kind: 'disable', name: 'x', ruleId: 'no-such-rule' }] },
        /at QZZ\[0\]\.ruleId: names no rule in force 'no-such-rule'/,
      ],
    ];
    for (const [name, content, message] of cases) {
      const file = agreementsFile(name, content);
      const text = refusal({ REQUEST_LOCAL_AGREEMENTS_FILE: file });
      assert.ok(text.startsWith(`REQUEST_LOCAL_AGREEMENTS_FILE (${file}) at `), text);
      assert.match(text, message);
    }
  });
});

for (const kind of testDatabaseKinds()) {
  describe(`loadConfig: local agreements from the environment apply to requests (${kind})`, () => {
    const configured = loadConfig({
      REQUEST_LOCAL_AGREEMENTS_FILE: agreementsFile('applied.json', PHLEBOTOMY),
    });
    const world = useRequestsWorld(kind, undefined, { requests: configured.requests });
    const overridden = useRequestsWorld(kind, { localAgreements: {} }, { requests: configured.requests });

    const assessed = async (target: RequestsWorld, request: NewRequest) => {
      const { body } = await createRequest(target, 'consultant', request);
      const responsibility = part(body.parameter, 'responsibility');
      return [value(responsibility, 'rule'), value(responsibility, 'placesOnRequester')];
    };

    it('does not flag a test request to a practice of the commissioner that agreed to take blood', async () => {
      assert.deepEqual(await assessed(world, { category: 'arrange-test' }), ['qzz-phlebotomy', false]);
    });

    it('still flags it to a practice of another commissioner, under the national rule', async () => {
      assert.deepEqual(
        await assessed(world, { category: 'arrange-test', patient: 'p2', owner: 'practice-b' }),
        ['tests-owned-by-requester', true],
      );
    });

    it('gives way to agreements passed to buildApp explicitly', async () => {
      assert.deepEqual(await assessed(overridden, { category: 'arrange-test' }), [
        'tests-owned-by-requester',
        true,
      ]);
    });
  });
}
