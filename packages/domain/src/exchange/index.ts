/**
 * Document exchange: letters and discharge summaries that always arrive. Definitions, submit-time
 * assurance, document facts, patient matching, the delivery ledger, ageing alarms and backlog planning.
 * Pure: no I/O, the clock is passed in.
 */
export * from './calendar.js';
export * from './document-definitions.js';
export {
  assureDocument,
  assuranceIssues,
  ASSURANCE_REASONS,
  ASSURANCE_REASON_SYSTEM,
} from './document-assurance.js';
export type { AssuranceProblem, AssuranceReason, AssuranceResult } from './document-assurance.js';
export * from './document-facts.js';
export * from './demographics.js';
export * from './ledger.js';
export * from './alarms.js';
export * from './backlog.js';
