import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { testRangeNhsNumber } from '@carebridge/domain';
import { testDatabaseKinds } from '../support/databases.js';
import { json } from '../support/test-app.js';
import {
  HOLD_FOR_RELEASE,
  dischargeSummary,
  submission,
  value,
  type ParameterLike,
  type ParametersLike,
  useExchangeWorld,
} from './support.js';

/**
 * A backlog release started from the web: `$release-backlog` with `background` plans it in the
 * request and answers 202, its batches run afterwards, and `$backlog-release-status` reads the
 * progress the batches commit, so any browser sees the same figures. Starting twice releases once;
 * a release that stopped is reported as stalled, never as finished, and starting it again resumes it.
 */

const NHS = (n: number) => testRangeNhsNumber(400 + n);

for (const kind of testDatabaseKinds()) {
  describe(`backlog release progress (${kind})`, () => {
    const world = useExchangeWorld(kind, {
      patients: [
        { id: 'r1', nhs: NHS(1), practice: 'practice-a' },
        { id: 'r2', nhs: NHS(2), practice: 'practice-a' },
        { id: 'r3', nhs: NHS(3), practice: 'practice-b' },
      ],
      at: '2026-03-20T10:00:00Z',
    });
    const { call } = world;

    const hold = async (documentId: string, patient: number, discharge: string) => {
      const bundle = dischargeSummary({
        documentId,
        nhsNumber: NHS(patient),
        discharge,
        diagnosisText: documentId,
      });
      const response = await call(
        'POST',
        '/fhir/$submit-document',
        'consultant',
        submission(bundle, [HOLD_FOR_RELEASE]),
      );
      assert.equal(response.statusCode, 201, response.body);
    };
    const start = (parameter: ParameterLike[], who = 'ops') =>
      call('POST', '/fhir/$release-backlog', who, { resourceType: 'Parameters', parameter });
    const status = async (release?: string) => {
      const response = await call(
        'GET',
        `/fhir/$backlog-release-status${release === undefined ? '' : `?release=${release}`}`,
        'ops',
      );
      assert.equal(response.statusCode, 200, response.body);
      return json<ParametersLike>(response).parameter;
    };
    const finished = async (release: string) => {
      for (let attempt = 0; attempt < 400; attempt++) {
        const progress = await status(release);
        if (value(progress, 'status') === 'complete' && value(progress, 'running') === false) return progress;
        await sleep(25);
      }
      assert.fail(`release ${release} did not finish`);
    };
    /** Starts `release` again in the background and waits until it has delivered `delivered` letters in all. */
    const resumeToTheEnd = async (release: string, delivered: number) => {
      const resumed = await start([{ name: 'release', valueString: release }, background]);
      assert.equal(resumed.statusCode, 202, resumed.body);
      const done = await finished(release);
      assert.equal(value(done, 'delivered'), delivered);
      assert.equal(value(done, 'remaining'), 0);
      assert.equal(value(done, 'stalled'), false);
      return done;
    };
    const deliveredTwice = async () => {
      const { rows } = await world.t.database.db.query<{ n: number }>(
        `select count(*)::int as n from (select row_id from delivery_event where to_state = 'delivered'
           group by row_id having count(*) > 1) twice`,
      );
      return rows[0]?.n;
    };
    const background = { name: 'background', valueBoolean: true };
    const oneAtATime = { name: 'batchSize', valueInteger: 1 };

    it('starts in the background (202), and two starts at once release every letter exactly once', async () => {
      await hold('pr-1', 1, '2026-03-02T12:00:00Z');
      await hold('pr-2', 1, '2026-03-03T12:00:00Z');
      await hold('pr-3', 2, '2026-03-04T12:00:00Z');
      await hold('pr-4', 3, '2026-03-05T12:00:00Z');
      const before = await status();
      assert.equal(value(before, 'awaitingRelease'), 4);
      const answers = await Promise.all([start([background, oneAtATime]), start([background, oneAtATime])]);
      const [first, second] = answers.map((answer) => {
        assert.equal(answer.statusCode, 202, answer.body);
        return json<ParametersLike>(answer).parameter;
      });
      const releaseId = String(value(first, 'release'));
      // The second start joins the running release, or (when the first had already finished, as a
      // single-connection PGlite can order it) plans an empty one: never a second delivery.
      const joined = second;
      if (value(joined, 'release') !== releaseId) assert.equal(value(joined, 'total'), 0);
      assert.equal(value(first, 'total'), 4);
      // Each practice is named by the server, so the page looks no organisation up itself.
      const practices = (first ?? []).filter((part) => part.name === 'practice').map((part) => part.part);
      assert.deepEqual(
        practices.map((practice) => [
          value(practice, 'ods'),
          value(practice, 'name'),
          value(practice, 'total'),
        ]),
        [
          ['Y99901', 'Quayside', 3],
          ['Y99902', 'Lowbridge', 1],
        ],
      );

      const done = await finished(releaseId);
      assert.equal(value(done, 'total'), 4);
      assert.equal(value(done, 'delivered'), 4);
      assert.equal(value(done, 'remaining'), 0);
      assert.equal(value(done, 'duplicatesRecorded'), 0);
      assert.equal(value(done, 'stalled'), false);
      assert.equal(value(done, 'awaitingRelease'), 0);
      assert.equal(value(done, 'started'), '2026-03-20T10:00:00.000Z');
      assert.equal(value(done, 'lastBatch'), '2026-03-20T10:00:00.000Z');
      assert.equal(value(done, 'completed'), '2026-03-20T10:00:00.000Z');
      assert.equal(await deliveredTwice(), 0);
      // Durable: the latest release is what a reload (or another browser) sees, without its id.
      assert.equal(value(await status(), 'release'), releaseId);
      const { rows } = await world.t.database.db.query<{ delivered: number }>(
        'select count(*)::int as delivered from delivery_row where release_id = $1 and state = $2',
        [releaseId, 'delivered'],
      );
      assert.equal(rows[0]?.delivered, 4);
    });

    it('reports a release that stopped as stalled, not finished, and resumes it when started again', async () => {
      await hold('pr-5', 1, '2026-03-06T12:00:00Z');
      await hold('pr-6', 2, '2026-03-07T12:00:00Z');
      await hold('pr-7', 3, '2026-03-08T12:00:00Z');
      // A release that ran one batch and stopped (the server was shut down or crashed).
      const partial = await start([oneAtATime, { name: 'maxBatches', valueInteger: 1 }]);
      assert.equal(partial.statusCode, 200, partial.body);
      const releaseId = String(value(json<ParametersLike>(partial).parameter, 'release'));
      let progress = await status(releaseId);
      assert.equal(value(progress, 'status'), 'running');
      assert.equal(value(progress, 'remaining'), 2);
      assert.equal(value(progress, 'stalled'), false, 'a batch committed just now');
      assert.equal(value(progress, 'completed'), undefined);
      world.t.clock.set('2026-03-20T10:02:00Z');
      progress = await status();
      assert.equal(value(progress, 'release'), releaseId, 'the unfinished release is the one shown');
      assert.equal(value(progress, 'stalled'), true);

      const done = await resumeToTheEnd(releaseId, 3);
      assert.equal(value(done, 'completed'), '2026-03-20T10:02:00.000Z');
      assert.equal(await deliveredTwice(), 0);
    });

    it('keeps why a background batch failed, reports the release stalled at once, and a second start finishes it', async () => {
      const documents = ['pf-1', 'pf-2', 'pf-3'];
      await hold('pf-1', 1, '2026-03-10T12:00:00Z');
      await hold('pf-2', 2, '2026-03-11T12:00:00Z');
      await hold('pf-3', 3, '2026-03-12T12:00:00Z');
      // The database refuses to complete pf-2's item (as a full disk or a broken connection would):
      // the second batch fails after the first has committed.
      await world.t.database.db.exec(`
        create function fail_release_of_pf2() returns trigger language plpgsql as $$
        begin
          if new.document_id = 'pf-2' and new.outcome is not null then
            raise exception 'injected failure releasing pf-2';
          end if;
          return new;
        end $$;
        create trigger fail_release_of_pf2 before update on backlog_release_item
          for each row execute function fail_release_of_pf2();`);
      let releaseId = '';
      try {
        const started = await start([
          background,
          oneAtATime,
          ...documents.map((document) => ({ name: 'document', valueString: document })),
        ]);
        assert.equal(started.statusCode, 202, started.body);
        releaseId = String(value(json<ParametersLike>(started).parameter, 'release'));
        let progress = await status(releaseId);
        for (let attempt = 0; attempt < 400; attempt++) {
          if (value(progress, 'running') === false && value(progress, 'lastError') !== undefined) break;
          await sleep(25);
          progress = await status(releaseId);
        }
        const failedAt = world.t.clock.now().toISOString();
        assert.equal(value(progress, 'status'), 'running', 'never reported as finished');
        assert.equal(value(progress, 'stalled'), true, 'at once: no waiting for a minute without batches');
        assert.equal(value(progress, 'running'), false);
        assert.match(String(value(progress, 'lastError')), /injected failure releasing pf-2/);
        assert.equal(value(progress, 'lastErrorAt'), failedAt);
        assert.equal(value(progress, 'delivered'), 1, 'the first batch committed');
        assert.equal(value(progress, 'remaining'), 2);
        const { rows } = await world.t.database.db.query<{ lastError: string; lastErrorAt: Date }>(
          'select last_error as "lastError", last_error_at as "lastErrorAt" from backlog_release where id = $1',
          [releaseId],
        );
        assert.match(rows[0]?.lastError ?? '', /injected failure releasing pf-2/);
        assert.equal(new Date(rows[0]?.lastErrorAt ?? 0).toISOString(), failedAt);
      } finally {
        await world.t.database.db.exec(`drop trigger if exists fail_release_of_pf2 on backlog_release_item;
          drop function if exists fail_release_of_pf2();`);
      }

      // Resume: the same release finishes, the error is cleared, and no letter arrives twice.
      const done = await resumeToTheEnd(releaseId, 3);
      assert.equal(value(done, 'lastError'), undefined);
      assert.equal(value(done, 'lastErrorAt'), undefined);
      assert.equal(await deliveredTwice(), 0);
      const { rows } = await world.t.database.db.query<{ documentId: string; delivered: number }>(
        `select e.document_id as "documentId", count(v.*)::int as delivered
           from exchange_document e join delivery_row d on d.document_row = e.id
           left join delivery_event v on v.row_id = d.id and v.to_state = 'delivered'
          where e.document_id = any($1::text[])
          group by e.document_id order by e.document_id`,
        [documents],
      );
      assert.deepEqual(
        rows.map((row) => [row.documentId, row.delivered]),
        documents.map((document) => [document, 1]),
      );
    });

    it('is for operations only, and refuses a background dry run, a background batch limit and unknown parameters', async () => {
      assert.equal((await start([background], 'gpA')).statusCode, 403);
      assert.equal((await call('GET', '/fhir/$backlog-release-status', 'gpA')).statusCode, 403);
      const dry = await start([background, { name: 'dryRun', valueBoolean: true }]);
      assert.equal(dry.statusCode, 400, dry.body);
      await hold('pr-limit', 1, '2026-03-09T12:00:00Z');
      const releases = async () =>
        (await world.t.database.db.query<{ n: number }>('select count(*)::int as n from backlog_release'))
          .rows[0]?.n;
      const planned = await releases();
      // A background release runs every batch: a limit it would not obey is refused, not ignored.
      const limited = await start([background, { name: 'maxBatches', valueInteger: 1 }]);
      assert.equal(limited.statusCode, 400, limited.body);
      assert.deepEqual(json<{ issue: Array<{ expression?: string[] }> }>(limited).issue[0]?.expression, [
        "Parameters.parameter('maxBatches')",
      ]);
      assert.equal(await releases(), planned, 'nothing was planned');
      assert.equal(value(await status(), 'awaitingRelease'), 1);
      assert.equal((await call('GET', '/fhir/$backlog-release-status?sender=RZZ', 'ops')).statusCode, 400);
      assert.equal((await call('GET', '/fhir/$backlog-release-status?release=nope', 'ops')).statusCode, 400);
    });
  });
}
