// Scenario 3: the same write sent in parallel under one X-Request-ID (50 ids × 8 concurrent copies),
// then once more in sequence, then a different body under a used id. Exactly one effect per id,
// identical answers (status, resource id and version) for every copy, 409 for a different request.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AttemptCounts, type HttpAnswer } from './support/client.js';
import { setUp } from './support/scenario.js';
import { LONG, reportFigures, requestedDatabases } from './support/settings.js';
import { check, patientCreates, type Effect } from './support/workload.js';

const IDS = LONG ? 500 : 50;
const COPIES = 8;
/**
 * Ids in flight at once: all 50 × 8 = 400 requests together by default, far past the server's pool of
 * 20 connections, so copies queue for connections as well as for the X-Request-ID row lock.
 */
const IDS_AT_ONCE = Number(process.env.CAREBRIDGE_FAULTS_DUP_PARALLEL ?? (LONG ? 50 : IDS));

describe('duplicate submissions under one X-Request-ID', () => {
  for (const kind of requestedDatabases()) {
    it(
      `have exactly one effect and one answer on ${kind}`,
      { timeout: LONG ? 600_000 : 120_000 },
      async (t) => {
        const startedAt = performance.now();
        const workload = patientCreates(`dup-${kind}-${Date.now().toString(36)}`);
        const setup = await setUp(t, 'duplicate-requests', kind, workload);
        if (!setup) return;
        const { client } = setup;
        try {
          const counts = new AttemptCounts();
          const sentKeys: string[] = [];
          const acknowledged = new Map<string, Effect>();
          let differingAnswers = 0;
          let firstAnswers = 0;
          const problems: string[] = [];
          const signature = (answer: HttpAnswer) => {
            const effect = workload.acknowledged(answer);
            return `${answer.status} ${effect.id}/${effect.version ?? '?'}`;
          };

          const sendCopies = async (index: number) => {
            const { key, write } = workload.operation(index);
            sentKeys.push(key);
            const answers = await Promise.all(
              Array.from({ length: COPIES }, () =>
                client.sendUntilAcknowledged(`${key}-rq`, write, counts, 60_000),
              ),
            );
            const signatures = new Set(answers.map(signature));
            firstAnswers += answers.filter((a) => a.headers.get('x-replayed') !== 'true').length;
            if (signatures.size !== 1) {
              differingAnswers++;
              if (problems.length < 5) problems.push(`${key}: ${[...signatures].join(' | ')}`);
            }
            // And once more, in sequence, long after: the same stored answer.
            const again = await client.sendUntilAcknowledged(`${key}-rq`, write, counts);
            if (!signatures.has(signature(again)) || again.headers.get('x-replayed') !== 'true') {
              differingAnswers++;
              if (problems.length < 5) problems.push(`${key} sequential replay: ${signature(again)}`);
            }
            const answer = answers[0];
            if (answer) acknowledged.set(key, workload.acknowledged(answer));
          };
          for (let first = 0; first < IDS; first += IDS_AT_ONCE) {
            await Promise.all(
              Array.from({ length: Math.min(IDS_AT_ONCE, IDS - first) }, (_, i) => sendCopies(first + i)),
            );
          }

          // A different request under a used X-Request-ID is refused, and has no effect.
          const used = workload.operation(0);
          const other = workload.operation(IDS + 1);
          const conflict = await client.request(other.write.method, other.write.path, other.write.body, {
            'x-request-id': `${used.key}-rq`,
          });

          const census = await workload.census(client);
          const result = check(sentKeys, acknowledged, census);
          const conflictHadEffect = census.has(other.key);
          reportFigures(`duplicate-requests db=${kind}`, {
            ids: IDS,
            copies: COPIES,
            sent: IDS * (COPIES + 1),
            acknowledged: result.acknowledged,
            effects: [...census.values()].reduce((n, effects) => n + effects.length, 0),
            lost: result.lost,
            duplicated: result.duplicated,
            first_answers: firstAnswers,
            differing_answers: differingAnswers,
            reused_id_status: conflict.status,
            reused_id_effects: conflictHadEffect ? 1 : 0,
            answers: counts.statusSummary(),
            seconds: Math.round((performance.now() - startedAt) / 1000),
          });
          assert.equal(result.lost, 0, result.problems.join('\n'));
          assert.equal(result.duplicated, 0, result.problems.join('\n'));
          assert.equal(result.mismatched, 0, result.problems.join('\n'));
          assert.equal(differingAnswers, 0, `every copy got the same answer:\n${problems.join('\n')}`);
          assert.equal(
            firstAnswers,
            IDS,
            'exactly one copy per id was answered first-hand, the rest replayed',
          );
          assert.equal(counts.errorsOtherThan([]), 0, `no error answers (${counts.statusSummary()})`);
          assert.equal(
            conflict.status,
            409,
            `a different request under a used id: ${conflict.text.slice(0, 300)}`,
          );
          assert.equal(conflictHadEffect, false, 'the refused request had no effect');
        } finally {
          await setup.teardown();
        }
      },
    );
  }
});
