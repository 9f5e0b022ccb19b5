import { randomUUID } from 'node:crypto';
import type { FhirError, FhirResource } from '@carebridge/domain';
import { informationOutcome } from '@carebridge/domain';
import type { ResourceRow } from '../store/resource-row.js';
import type { FhirResponse, PreferReturn } from './request.js';

export const FHIR_JSON = 'application/fhir+json; charset=utf-8';

export function versionEtag(versionId: number): string {
  return `W/"${versionId}"`;
}

export function resourceUrl(baseUrl: string, row: Pick<ResourceRow, 'resourceType' | 'id'>): string {
  return `${baseUrl}/${row.resourceType}/${row.id}`;
}

export function versionUrl(
  baseUrl: string,
  row: Pick<ResourceRow, 'resourceType' | 'id' | 'versionId'>,
): string {
  return `${resourceUrl(baseUrl, row)}/_history/${row.versionId}`;
}

/** Headers every response about one stored version carries. */
export function versionHeaders(row: ResourceRow): Record<string, string> {
  return { etag: versionEtag(row.versionId), 'last-modified': row.lastUpdated.toUTCString() };
}

export function jsonResponse(
  status: number,
  body: string | object,
  headers: Record<string, string> = {},
): FhirResponse {
  return {
    status,
    headers: { 'content-type': FHIR_JSON, ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  };
}

/** The answer to a write: the resource, nothing, or an OperationOutcome, as the client preferred. */
export function writeResponse(
  status: number,
  row: ResourceRow,
  baseUrl: string,
  preferred: PreferReturn,
  message: string,
): FhirResponse {
  const headers = { ...versionHeaders(row), location: versionUrl(baseUrl, row) };
  if (preferred === 'minimal') return { status, headers };
  if (preferred === 'OperationOutcome') return jsonResponse(status, informationOutcome(message), headers);
  return jsonResponse(status, row.content, headers);
}

export function errorResponse(error: FhirError): FhirResponse {
  return jsonResponse(error.status, error.toOperationOutcome());
}

/**
 * Serialises a Bundle around already-serialised resources, so stored JSON is embedded as it is
 * rather than parsed and re-written for every entry of a page.
 */
export function bundleJson(bundle: Record<string, unknown>, entries: readonly string[]): string {
  const head = JSON.stringify({ resourceType: 'Bundle', id: randomUUID(), ...bundle });
  return entries.length === 0 ? head : `${head.slice(0, -1)},"entry":[${entries.join(',')}]}`;
}

/** One Bundle entry: its fields in FHIR order, with `resource` spliced in as stored JSON. */
export function entryJson(fields: {
  fullUrl?: string;
  resource?: string;
  search?: object;
  request?: object;
  response?: object;
}): string {
  const parts: string[] = [];
  if (fields.fullUrl !== undefined) parts.push(`"fullUrl":${JSON.stringify(fields.fullUrl)}`);
  if (fields.resource !== undefined && fields.resource !== '') parts.push(`"resource":${fields.resource}`);
  if (fields.search !== undefined) parts.push(`"search":${JSON.stringify(fields.search)}`);
  if (fields.request !== undefined) parts.push(`"request":${JSON.stringify(fields.request)}`);
  if (fields.response !== undefined) parts.push(`"response":${JSON.stringify(fields.response)}`);
  return `{${parts.join(',')}}`;
}

export function parseStored(row: ResourceRow): FhirResource {
  return JSON.parse(row.content) as FhirResource;
}
