// The registry: every workload the bench knows, in the order it runs them. A new workload is one
// small module here, added to this list. A workload is an object with:
//
//   name, title         'create', 'Create'  (name is what `npm run bench -- <name>` selects)
//   description         one line for docs/BENCHMARKS.md: what one request or operation is
//   kind                'pg'      closed loop straight through `pg` on a scratch database (PostgreSQL only)
//                       'http'    closed loop with autocannon against the server (every database)
//                       'soak'    like 'http' for the soak duration, then the server's memory is read
//                       'startup' restarts the server on its populated database, timing spawn → ready
//                       'backlog' its own phase after the soak: run(ctx, hooks) ingests and releases a
//                                 backlog of letters and counts the result from the database (backlog.mjs)
//                       'inbox'   its own phase after the backlog: fills one practice's inbox and times
//                                 its first page, through the API and in Chromium (inbox.mjs)
//   baseline, goal      for 'http': the 'pg' workload it is compared with, and the lowest acceptable
//                       ratio of their median throughputs (PASS/MISS in the report)
//   goals               for 'http': further goals against other 'http' workloads of the same run,
//                       [{ against, atLeast, label }], checked on every database
//   server              for 'http': which server build answers it: 'standard' (default) or
//                       'audit-off' (bench/servers/audit-off.mjs); the bench restarts between them
//   compare             for 'http': further 'pg' workloads to show ratios against, without a goal
//   needs               fixtures prepared once per database before any load: 'patients', 'raw-rows'
//   check(ctx)          optional, in the orchestrator: one request that must answer correctly first
//   data(ctx)           in the orchestrator: the JSON the load generator gets (ids, where to start…)
//   load(data)          in the load generator: { requests } (autocannon request objects) or
//                       { operation(client) } (one pg operation), and optionally extra() → JSON that
//                       comes back with the result
//   after(ctx, result)  optional, in the orchestrator: takes result.extra (e.g. NHS numbers used up)
import backlog from './backlog.mjs';
import create from './create.mjs';
import { documentPipeline, rawDocument } from './document.mjs';
import inbox from './inbox.mjs';
import { rawCreateStatement, rawCreateTransaction } from './raw-create.mjs';
import memory from './memory.mjs';
import rawInsert from './raw-insert.mjs';
import rawSelect from './raw-select.mjs';
import read from './read.mjs';
import readAuditOff from './read-audit-off.mjs';
import search from './search.mjs';
import startup from './startup.mjs';
import { rawTransaction, transaction } from './transaction.mjs';

export const workloads = [
  rawInsert,
  rawSelect,
  rawCreateStatement,
  rawCreateTransaction,
  rawTransaction,
  rawDocument,
  create,
  transaction,
  read,
  readAuditOff,
  search,
  documentPipeline,
  memory,
  backlog,
  inbox,
  startup,
];

export function workloadByName(name) {
  const workload = workloads.find((candidate) => candidate.name === name);
  if (!workload)
    throw new Error(`Unknown workload '${name}'; known: ${workloads.map((w) => w.name).join(', ')}`);
  return workload;
}
