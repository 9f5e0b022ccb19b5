import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseBacklogArguments, summaryLines } from '../../src/cli/backlog-command.js';
import { progressLine, render } from '../../src/cli/progress.js';

/** `npm run cli -- backlog release`: its arguments, its progress line and its summary. */
describe('backlog release command line', () => {
  it('reads a selection, a release to resume and the options, in both --flag value and --flag=value forms', () => {
    const parsed = parseBacklogArguments([
      '--sender',
      'RZZ',
      '--since=2026-03-01',
      '--until',
      '2026-03-08T00:00:00Z',
      '--document',
      'a',
      '--document=b',
      '--batch-size',
      '250',
      '--dry-run',
      '--log-every-batch',
    ]);
    assert.deepEqual(parsed.selection, {
      senderOds: 'RZZ',
      since: new Date('2026-03-01T00:00:00Z'),
      until: new Date('2026-03-08T00:00:00Z'),
      documentIds: ['a', 'b'],
    });
    assert.equal(parsed.batchSize, 250);
    assert.equal(parsed.dryRun, true);
    assert.equal(parsed.everyBatch, true);
    assert.equal(parseBacklogArguments(['--release', 'x']).releaseId, 'x');
  });

  it('refuses what it does not understand rather than releasing something else', () => {
    assert.throws(() => parseBacklogArguments(['--sendr', 'RZZ']), /Unknown option --sendr/);
    assert.throws(() => parseBacklogArguments(['--since', 'yesterday']), /--since must be a date/);
    assert.throws(() => parseBacklogArguments(['--batch-size', '0']), /--batch-size/);
    assert.throws(() => parseBacklogArguments(['--sender']), /--sender needs a value/);
  });

  it('draws a bar with the count, the rate and the time left', () => {
    assert.equal(
      render(16_310, 32_619, 'delivered 16310', 20, 10),
      '[#####-----]  50% 16,310/32,619  816/s  ETA 20s  delivered 16310',
    );
    assert.equal(render(0, 0, 'nothing held', 1, 4), '[####] 100% 0/0  0/s  nothing held');
  });

  it('prints plain lines into a log: the first, one every interval, and the last', () => {
    const written: string[] = [];
    let now = 0;
    const stream = {
      isTTY: false,
      write: (text: string) => written.push(text),
    } as unknown as NodeJS.WriteStream;
    const line = progressLine(stream, { intervalMs: 1_000, now: () => now });
    line.update(0, 10, 'a');
    now = 500;
    line.update(5, 10, 'b');
    now = 1_200;
    line.update(6, 10, 'c');
    line.update(10, 10, 'd');
    line.finish();
    assert.equal(written.length, 3);
    assert.match(written[2] ?? '', /100% 10\/10/);
  });

  it('summarises a release and each practice’s triage counts', () => {
    const lines = summaryLines({
      releaseId: 'r1',
      status: 'complete',
      total: 3,
      toDeliver: 2,
      duplicates: 1,
      processed: 3,
      delivered: 2,
      queued: 0,
      duplicatesRecorded: 1,
      skipped: 0,
      patientIds: [],
      practices: [
        {
          practiceOds: 'Y99901',
          organizationId: 'a',
          total: 2,
          patients: 1,
          withMedicationChanges: 1,
          withActions: 2,
          mostDaysLate: 13,
          duplicates: 1,
        },
      ],
    });
    assert.match(lines[0] ?? '', /^release r1 complete: 3 letters, 2 to deliver, 1 duplicates/);
    assert.match(
      lines[1] ?? '',
      /Y99901: 2 letters for 1 patients; 1 with medication changes, 2 with actions; most 13 days late/,
    );
  });
});
