import jsonPatch from 'fast-json-patch';
import type { FhirResource } from '@carebridge/domain';
import { FhirError, fhirError, findNestingTooDeep } from '@carebridge/domain';

/** A patch's values are parts of a resource, which may nest at most 40 levels. */
const MAX_PATCH_DEPTH = 48;

const { applyPatch, JsonPatchError } = jsonPatch;
type Operation = jsonPatch.Operation;

/**
 * Applies an RFC 6902 JSON Patch to a copy of the resource. Every operation is checked before any is
 * applied; a patch that cannot apply (bad path, failed `test`, malformed operation) changes nothing.
 */
export function applyJsonPatch(resource: FhirResource, patch: unknown): unknown {
  if (!Array.isArray(patch)) {
    throw fhirError(
      'invalid-patch',
      'A JSON Patch body must be an array of operations (application/json-patch+json).',
    );
  }
  if (findNestingTooDeep(patch, MAX_PATCH_DEPTH) !== undefined) {
    throw fhirError('nesting-too-deep', `The patch nests more than ${MAX_PATCH_DEPTH} levels deep.`);
  }
  try {
    return applyPatch(structuredClone(resource), patch as Operation[], true, false).newDocument;
  } catch (error) {
    if (!(error instanceof JsonPatchError)) {
      // The library throws plain errors for some malformed documents (paths through __proto__,
      // removing the whole document); any failure to apply is the client's patch, never a 500.
      throw fhirError('invalid-patch', 'The patch cannot be applied to this resource.');
    }
    const operation = error.index === undefined ? '' : ` in operation ${error.index}`;
    throw new FhirError({
      code: 'invalid-patch',
      diagnostics: `${patchFailure(error.name)}${operation}${error.operation?.path ? ` (path '${error.operation.path}')` : ''}.`,
      ...(error.index === undefined ? {} : { expression: [`Patch[${error.index}]`] }),
    });
  }
}

function patchFailure(name: string): string {
  switch (name) {
    case 'TEST_OPERATION_FAILED':
      return 'A test operation did not match the resource';
    case 'OPERATION_PATH_UNRESOLVABLE':
    case 'OPERATION_FROM_UNRESOLVABLE':
      return 'An operation refers to a path the resource does not have';
    case 'OPERATION_OP_INVALID':
      return "An operation's 'op' is not add, remove, replace, move, copy or test";
    case 'OPERATION_VALUE_REQUIRED':
      return 'An operation needs a value';
    case 'OPERATION_PATH_INVALID':
      return "An operation's path is not a valid JSON Pointer";
    default:
      return `The patch is invalid (${name})`;
  }
}
