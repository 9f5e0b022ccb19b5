import type { Bundle, FhirResource } from 'fhir/r4';
import { fhir, resourcesOf, type Query } from './client';

/** The most ids one `_id` search asks for: a page the server answers whole, and a URL of sane length. */
export const IDS_PER_SEARCH = 100;

export type Search = <T extends FhirResource>(type: string, query: Query) => Promise<Bundle<T>>;

/**
 * Resources of one type by id, keyed by reference (`Patient/id`): one `_id` search per 100 ids, run
 * together. An id the server does not return (unknown, or not the user's to see) is absent from the
 * map; blank and repeated ids are asked for once, or not at all.
 */
export async function readByIds<T extends FhirResource>(
  type: T['resourceType'],
  ids: Iterable<string>,
  search: Search = fhir.search,
): Promise<Map<string, T>> {
  const wanted = [...new Set(ids)].filter((id) => id !== '');
  const chunks: string[][] = [];
  for (let start = 0; start < wanted.length; start += IDS_PER_SEARCH)
    chunks.push(wanted.slice(start, start + IDS_PER_SEARCH));
  const bundles = await Promise.all(
    chunks.map((chunk) => search<T>(type, { _id: chunk.join(','), _count: chunk.length })),
  );
  return new Map(
    bundles.flatMap((bundle) =>
      resourcesOf<T>(bundle, type).map((resource): [string, T] => [`${type}/${resource.id ?? ''}`, resource]),
    ),
  );
}
