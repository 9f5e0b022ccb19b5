import type { Problem } from '../fhir/errors.js';
import { problemsFromSchemaErrors, withoutDuplicates } from './ajv-problems.js';
import { appendSegment, fhirPathOfPointer, fhirPathOfSegments, segmentsOfPointer } from './fhir-path.js';
import { DEFAULT_MAX_DEPTH, findNestingTooDeep } from './json-depth.js';
import { describeValue, isJsonObject, type JsonObject } from './json.js';
import type { NestedResource } from './keywords.js';
import { isR4ResourceType, runSchema } from './resource-validators.js';

export interface ValidateResourceOptions {
  /** The deepest nesting of JSON objects and arrays accepted (the resource itself is 1); default 40. */
  readonly maxDepth?: number;
}

/** A resource waiting to be validated, and the FHIRPath that leads to it from the top. */
interface PendingResource {
  readonly resource: unknown;
  /** `Bundle.entry[2].resource`; empty for the resource itself, whose path starts with its type. */
  readonly path: string;
  readonly isContained: boolean;
}

/**
 * Checks a resource against FHIR R4 and the UK Core identifier rules, and returns every fault found
 * (an empty array when it is valid). Resources inside it (contained, Bundle entries, Parameters) are
 * checked against their own types.
 */
export function validateResource(resource: unknown, options: ValidateResourceOptions = {}): Problem[] {
  const maxDepth = options.maxDepth ?? DEFAULT_MAX_DEPTH;
  if (!Number.isInteger(maxDepth) || maxDepth < 1) {
    throw new RangeError(`maxDepth must be a positive integer, not ${maxDepth}`);
  }

  // Before anything else looks at it: a hostile body nested thousands deep is refused at the cost of
  // walking `maxDepth` levels, without ever reaching the schema's recursive validators.
  const tooDeep = findNestingTooDeep(resource, maxDepth);
  if (tooDeep !== undefined) {
    return [nestingTooDeep(fhirPathOfSegments(rootName(resource), tooDeep), maxDepth)];
  }

  const problems: Problem[] = [];
  // A queue rather than recursion: each resource's own problems come before those of the resources in it.
  const pending: PendingResource[] = [{ resource, path: '', isContained: false }];
  for (let index = 0; index < pending.length; index++) {
    problems.push(...validateOne(pending[index] as PendingResource, pending));
  }
  return withoutDuplicates(problems);
}

interface R4Resource extends JsonObject {
  resourceType: string;
}

function isR4Resource(resource: unknown): resource is R4Resource {
  if (!isJsonObject(resource)) return false;
  const type = resource['resourceType'];
  return typeof type === 'string' && isR4ResourceType(type);
}

function rootName(resource: unknown): string {
  return isR4Resource(resource) ? resource.resourceType : 'Resource';
}

function nestingTooDeep(path: string, maxDepth: number): Problem {
  return {
    code: 'nesting-too-deep',
    diagnostics: `The resource nests JSON objects and arrays more than ${maxDepth} levels deep (at ${path})`,
    expression: [path],
  };
}

function validateOne(pending: PendingResource, queue: PendingResource[]): Problem[] {
  const { resource, path, isContained } = pending;
  if (!isR4Resource(resource)) return [notAResource(resource, path)];
  const base = path === '' ? resource.resourceType : path;
  const { errors, run } = runSchema(resource.resourceType, resource);
  for (const nested of run.nestedResources) queue.push(nestedResource(nested, base));
  const problems = problemsFromSchemaErrors(errors, base);
  if (isContained) problems.push(...containedResourceProblems(resource, base));
  return problems;
}

/** Why something is not an R4 resource: a resource is a JSON object whose resourceType names an R4 type. */
function notAResource(resource: unknown, path: string): Problem {
  const expression = [path === '' ? 'resourceType' : `${path}.resourceType`];
  if (!isJsonObject(resource)) {
    return { code: 'invalid-resource', diagnostics: 'A resource must be a JSON object', expression };
  }
  const type = resource['resourceType'];
  const diagnostics =
    type === undefined
      ? "The resource has no 'resourceType'"
      : `${describeValue(type)} is not an R4 resource type`;
  return { code: 'invalid-resource', diagnostics, expression };
}

function nestedResource(nested: NestedResource, enclosingPath: string): PendingResource {
  const segments = segmentsOfPointer(nested.pointer);
  return {
    resource: nested.resource,
    path: fhirPathOfPointer(enclosingPath, nested.pointer),
    // contained[n] sits directly under its resource; the same word deeper down is some other element.
    isContained: segments.length === 2 && segments[0] === 'contained',
  };
}

/** dom-2 and dom-4: the invariants a contained resource has beyond its type's. */
function containedResourceProblems(resource: JsonObject, base: string): Problem[] {
  const problems: Problem[] = [];
  if (resource['contained'] !== undefined) {
    problems.push({
      code: 'invariant-failed',
      diagnostics:
        'dom-2: If the resource is contained in another resource, it SHALL NOT contain nested Resources',
      expression: [appendSegment(base, 'contained')],
    });
  }
  const meta = resource['meta'];
  for (const element of ['versionId', 'lastUpdated']) {
    if (isJsonObject(meta) && meta[element] !== undefined) {
      problems.push({
        code: 'invariant-failed',
        diagnostics:
          'dom-4: If a resource is contained in another resource, it SHALL NOT have a meta.versionId or a meta.lastUpdated',
        expression: [`${base}.meta.${element}`],
      });
    }
  }
  return problems;
}
