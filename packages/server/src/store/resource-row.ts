/** A stored version of a resource as the store returns it: `content` is the JSON exactly as served. */
export interface ResourceRow {
  resourceType: string;
  id: string;
  versionId: number;
  lastUpdated: Date;
  deleted: boolean;
  content: string;
  /** The patients whose compartment the resource is in, when the query asked for them. */
  patientIds?: string[];
}

/** The SQL column list that yields a ResourceRow from `resource` or `resource_history`, aliased. */
export function resourceRowColumns(alias: string): string {
  return `${alias}.resource_type as "resourceType", ${alias}.id, ${alias}.version_id as "versionId", ${alias}.last_updated as "lastUpdated", ${alias}.deleted, ${alias}.content`;
}

/** The compartment patients of a `resource` row (alias with a rid), as a "patientIds" column. */
export function patientIdsColumn(alias: string): string {
  return `array(select pc.patient_id from resource_compartment pc where pc.rid = ${alias}.rid) as "patientIds"`;
}
