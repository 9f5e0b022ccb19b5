import type { Bundle, FhirResource, OperationOutcome, Parameters } from 'fhir/r4';
import { bearerToken, refresh } from '../auth/session';

/**
 * A small typed client for the Carebridge FHIR API. Every call carries the in-memory bearer token;
 * a 401 is retried once after a token refresh (the access token may have expired while the page sat
 * open). Errors keep the server's OperationOutcome so screens can show every issue it named.
 */
export class FhirError extends Error {
  constructor(
    readonly status: number,
    readonly outcome: OperationOutcome | undefined,
  ) {
    super(outcomeText(outcome) ?? `The server answered ${status}`);
  }

  /** One line per issue, as the server worded it. */
  get issues(): string[] {
    return (this.outcome?.issue ?? []).map((issue) => issue.details?.text ?? issue.diagnostics ?? issue.code);
  }
}

function outcomeText(outcome: OperationOutcome | undefined): string | undefined {
  const issue = outcome?.issue?.[0];
  return issue?.details?.text ?? issue?.diagnostics;
}

export type Query = Record<string, string | number | boolean | readonly string[] | undefined>;

export function queryString(query: Query = {}): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (value === undefined || value === '') continue;
    if (Array.isArray(value)) for (const item of value as readonly string[]) params.append(name, item);
    else params.append(name, String(value));
  }
  const text = params.toString();
  return text === '' ? '' : `?${text}`;
}

const BASE = '/fhir';

/** A request with the bearer token, retried once after a refresh if the token had expired. */
async function authorised(
  method: 'GET' | 'POST',
  url: string,
  accept: string,
  body?: unknown,
  retried = false,
): Promise<Response> {
  const token = bearerToken();
  const response = await fetch(url, {
    method,
    headers: {
      accept,
      ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
      ...(body === undefined ? {} : { 'content-type': 'application/fhir+json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (response.status === 401 && !retried && (await refresh()))
    return authorised(method, url, accept, body, true);
  return response;
}

function failure(response: Response, text: string): FhirError {
  let json: unknown;
  try {
    json = text === '' ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }
  return new FhirError(response.status, isOutcome(json) ? json : undefined);
}

async function send(method: 'GET' | 'POST', url: string, body?: unknown): Promise<unknown> {
  const response = await authorised(method, url, 'application/fhir+json', body);
  const text = await response.text();
  if (!response.ok) throw failure(response, text);
  return text === '' ? undefined : JSON.parse(text);
}

/**
 * An operation that answers something other than FHIR JSON (a CSV export), as text, with the file
 * name its Content-Disposition suggests.
 */
export async function fetchText(
  name: string,
  query: Query,
  accept: string,
): Promise<{ body: string; fileName?: string }> {
  const response = await authorised('GET', `${BASE}/${name}${queryString(query)}`, accept);
  const body = await response.text();
  if (!response.ok) throw failure(response, body);
  const fileName = /filename="([^"]+)"/.exec(response.headers.get('content-disposition') ?? '')?.[1];
  return { body, ...(fileName === undefined ? {} : { fileName }) };
}

function isOutcome(value: unknown): value is OperationOutcome {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { resourceType?: unknown }).resourceType === 'OperationOutcome'
  );
}

export const fhir = {
  read<T extends FhirResource>(reference: string): Promise<T> {
    return send('GET', `${BASE}/${reference}`) as Promise<T>;
  },
  search<T extends FhirResource>(type: string, query: Query = {}): Promise<Bundle<T>> {
    return send('GET', `${BASE}/${type}${queryString(query)}`) as Promise<Bundle<T>>;
  },
  /** Follows a Bundle's `next` link, which the server signs: it is used as given. */
  page<T extends FhirResource>(url: string): Promise<Bundle<T>> {
    const parsed = new URL(url, window.location.origin);
    return send('GET', `${parsed.pathname}${parsed.search}`) as Promise<Bundle<T>>;
  },
  create<T extends FhirResource>(resource: T): Promise<T> {
    return send('POST', `${BASE}/${resource.resourceType}`, resource) as Promise<T>;
  },
  /** A system-level operation such as `$inbox`. */
  operation(name: string, query?: Query): Promise<Parameters> {
    return send('GET', `${BASE}/${name}${queryString(query)}`) as Promise<Parameters>;
  },
  post(path: string, body: unknown): Promise<Parameters> {
    return send('POST', `${BASE}/${path}`, body) as Promise<Parameters>;
  },
  /** A letter's stored document Bundle, for the parties of its ledger (`$document`). */
  documentContent(documentId: string): Promise<Bundle<FhirResource>> {
    return send('GET', `${BASE}/$document${queryString({ document: documentId })}`) as Promise<
      Bundle<FhirResource>
    >;
  },
};

/** The resources of a search Bundle, by type. */
export function resourcesOf<T extends FhirResource>(bundle: Bundle, type: T['resourceType']): T[] {
  return (bundle.entry ?? [])
    .map((entry) => entry.resource)
    .filter((resource): resource is T => resource?.resourceType === type);
}

export function nextLink(bundle: Bundle): string | undefined {
  return bundle.link?.find((link) => link.relation === 'next')?.url;
}
