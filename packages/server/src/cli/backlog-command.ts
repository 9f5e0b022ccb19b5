import { randomUUID } from 'node:crypto';
import { userInfo } from 'node:os';
import { extractIndexRows, systemClock } from '@carebridge/domain';
import {
  exchangeContext,
  releaseBacklog,
  type BacklogSelection,
  type ReleaseProgress,
  type Releaser,
} from '../exchange/index.js';
import type { Database } from '../store/database.js';
import { ResourceStore } from '../store/resource-store.js';
import { progressLine } from './progress.js';

/**
 * `npm run cli -- backlog release [--sender ODS] [--since ISO] [--until ISO] [--document ID]...
 * [--release ID] [--batch-size N] [--dry-run] [--log-every-batch]`: the operator's way to run a backlog release, on the
 * configured database, with a progress bar. The same code as `$release-backlog`: each batch commits
 * on its own, so an interrupted run is finished by running it again (same selection, or --release).
 */
export const BACKLOG_USAGE =
  'backlog release [--sender ODS] [--since ISO] [--until ISO] [--document ID]... [--release ID] [--batch-size N] [--dry-run] [--log-every-batch]';

interface BacklogArguments {
  selection: BacklogSelection;
  releaseId?: string;
  batchSize?: number;
  dryRun: boolean;
  /** Outside a terminal, a line after every committed batch instead of one every 2 seconds. */
  everyBatch: boolean;
}

export function parseBacklogArguments(args: readonly string[]): BacklogArguments {
  const result: BacklogArguments = { selection: {}, dryRun: false, everyBatch: false };
  const documents: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const [flag = '', inline] = (args[i] ?? '').split(/=(.*)/s, 2);
    const value = (): string => {
      const given = inline ?? args[++i];
      if (given === undefined || given === '')
        throw new Error(`${flag} needs a value\nusage: ${BACKLOG_USAGE}`);
      return given;
    };
    if (flag === '--dry-run') result.dryRun = true;
    else if (flag === '--log-every-batch') result.everyBatch = true;
    else if (flag === '--sender') result.selection.senderOds = value();
    else if (flag === '--since') result.selection.since = instant(flag, value());
    else if (flag === '--until') result.selection.until = instant(flag, value());
    else if (flag === '--document') documents.push(value());
    else if (flag === '--release') result.releaseId = value();
    else if (flag === '--batch-size') result.batchSize = positive(flag, value());
    else throw new Error(`Unknown option ${flag}\nusage: ${BACKLOG_USAGE}`);
  }
  if (documents.length > 0) result.selection.documentIds = documents;
  return result;
}

function instant(flag: string, text: string): Date {
  const value = new Date(text);
  if (!/^\d{4}-\d{2}-\d{2}/.test(text) || Number.isNaN(value.getTime()))
    throw new Error(`${flag} must be a date or an ISO instant, not '${text}'`);
  return value;
}

function positive(flag: string, text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1 || value > 5_000)
    throw new Error(`${flag} must be a whole number from 1 to 5000`);
  return value;
}

/** The operator at this machine, as the ledger's events and the audit trail record them. */
function cliReleaser(): Releaser {
  const user = safeUserName();
  const subject = `cli:${user}`;
  return {
    actor: { subject, role: 'ops' },
    principal: { subject, displayName: `Carebridge CLI (${user})`, role: 'ops', clientId: 'carebridge-cli' },
    requestId: randomUUID(),
    source: 'api',
  };
}

function safeUserName(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}

export async function runBacklogCommand(
  db: Database,
  args: readonly string[],
  print: (line: string) => void,
): Promise<number> {
  const parsed = parseBacklogArguments(args);
  const clock = systemClock;
  const ctx = exchangeContext({
    store: new ResourceStore({ clock, indexRows: extractIndexRows }),
    clock,
    db,
  });
  const bar = progressLine(process.stdout, parsed.everyBatch ? { intervalMs: 0 } : {});
  const progress = await releaseBacklog(
    { ctx, db, releaser: cliReleaser() },
    parsed.releaseId === undefined ? { selection: parsed.selection } : { releaseId: parsed.releaseId },
    {
      dryRun: parsed.dryRun,
      ...(parsed.batchSize === undefined ? {} : { batchSize: parsed.batchSize }),
      onProgress: (step) =>
        bar.update(
          step.processed,
          step.total,
          `delivered ${step.delivered}, duplicates ${step.duplicatesRecorded}`,
        ),
    },
  );
  bar.finish();
  for (const line of summaryLines(progress)) print(line);
  return 0;
}

/** What happened, and each practice's triage counts, most urgent practice first. */
export function summaryLines(progress: ReleaseProgress): string[] {
  const lines = [
    `release ${progress.releaseId ?? '(dry run: nothing changed)'} ${progress.status}: ` +
      `${progress.total} letters, ${progress.toDeliver} to deliver, ${progress.duplicates} duplicates; ` +
      `processed ${progress.processed}, delivered ${progress.delivered}, queued for transport ${progress.queued}, ` +
      `duplicates recorded ${progress.duplicatesRecorded}, skipped ${progress.skipped}`,
  ];
  for (const practice of progress.practices) {
    lines.push(
      `  ${practice.practiceOds}: ${practice.total} letters for ${practice.patients} patients; ` +
        `${practice.withMedicationChanges} with medication changes, ${practice.withActions} with actions; ` +
        `most ${practice.mostDaysLate} days late; ${practice.duplicates} duplicates not sent`,
    );
  }
  return lines;
}
