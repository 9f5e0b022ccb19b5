/**
 * Requests with an owner: work one organisation asks of another (usually a hospital of a GP practice)
 * as an explicit request that is accepted or declined. Categories, the status machine, the NHS
 * Standard Contract responsibility rules with local agreements, ageing alarms and the
 * workload-transfer ledger. Pure: no I/O, the clock is passed in.
 */
export * from './categories.js';
export * from './status.js';
export * from './responsibility.js';
export * from './alarms.js';
export * from './workload.js';
export * from './local-agreements.js';
