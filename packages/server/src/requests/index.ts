import { effectiveRules, gpMinutes, type Clock } from '@carebridge/domain';
import type { AccessControl } from '../access/access-control.js';
import type { ResourceStore } from '../store/resource-store.js';
import { DEFAULT_REQUEST_OPTIONS, type RequestOptions } from './context.js';
import { RequestOperations } from './request-operations.js';

export { RequestOperations } from './request-operations.js';
export {
  REQUEST_OPERATIONS,
  CSV_OPERATIONS,
  isRequestOperation,
  type RequestOperation,
} from './operation-names.js';
export { DEFAULT_REQUEST_OPTIONS, type RequestOptions } from './context.js';
export { requestsFromLetterActions, type LetterFiling } from './letter-actions.js';

/** Requests with an owner, composed once in the composition root. */
export function createRequests(deps: {
  store: ResourceStore;
  clock: Clock;
  access: AccessControl;
  options?: Partial<RequestOptions>;
}): RequestOperations {
  const options = { ...DEFAULT_REQUEST_OPTIONS, ...deps.options };
  // A local agreement naming no rule, or a nonsensical minutes table, stops the server at start
  // rather than failing every request for that commissioner's practices.
  for (const commissioner of Object.keys(options.localAgreements)) {
    effectiveRules(commissioner, options.localAgreements);
  }
  gpMinutes(options.minutes);
  return new RequestOperations({ store: deps.store, clock: deps.clock, access: deps.access, options });
}
