/**
 * The pure domain tables the workspace shares with the server: document kinds and their PRSB
 * headings, ledger states and rejection reasons. Imported file by file (not through the domain
 * package's index) so the browser bundle gets these tables and none of the server-side validation.
 */
export {
  DOCUMENT_DEFINITIONS,
  DMD_SYSTEM,
  DOCUMENT_KIND_SYSTEM,
  MEDICATION_CHANGE_EXTENSION,
  SNOMED_CT_SYSTEM,
  compositionTypeCodings,
  type DocumentKind,
  type SectionDefinition,
} from '../../domain/src/exchange/document-definitions.js';
export {
  LEDGER_STATES,
  REJECTION_REASONS,
  type LedgerState,
  type RejectionReason,
} from '../../domain/src/exchange/ledger.js';

export {
  EXPANSION_TOTAL_CAP,
  TERMINOLOGY_VALUE_SETS,
  type TerminologyKind,
} from '../../domain/src/terminology/value-sets.js';
export { isSearchableFilter } from '../../domain/src/terminology/search-words.js';

export { NHS_NUMBER_SYSTEM, ODS_ORGANIZATION_CODE_SYSTEM } from '../../domain/src/identifiers/systems.js';
export { isValidNhsNumber } from '../../domain/src/identifiers/nhs-number.js';
export {
  CARE_CONTEXTS,
  REQUEST_CATEGORY_CODES,
  REQUEST_CIRCUMSTANCES,
  type CareContext,
  type RequestCategory,
  type RequestCircumstance,
} from '../../domain/src/requests/categories.js';
export {
  REQUEST_STATUSES,
  type RequestEventType,
  type RequestStatus,
} from '../../domain/src/requests/status.js';
export { FHIR_ID_PATTERN } from '../../domain/src/fhir/resource.js';
export { PERSON_ROLES, type PersonRole } from '../../domain/src/access/roles.js';
export { londonDate, londonDaysBetween } from '../../domain/src/exchange/calendar.js';
export { emptyFigures, type WorkloadFigures } from '../../domain/src/requests/workload.js';
