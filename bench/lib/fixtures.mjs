// Data that workloads need before any load, prepared once per database (`needs` in a workload).
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { organizationResource, patientResource, preloadPatients } from './fhir.mjs';

/** Prepared in this order, whatever order the workloads name them in. */
export const fixtures = {
  /** The GP practice the bench's system client acts for; bench patients are registered with it. */
  organisation: {
    async prepare(ctx) {
      const organisation = organizationResource();
      const response = await fetch(`${ctx.baseUrl}/fhir/Organization/${organisation.id}`, {
        method: 'PUT',
        headers: ctx.headers,
        body: JSON.stringify(organisation),
      });
      const body = await response.text();
      if (response.status !== 200 && response.status !== 201) {
        throw new Error(`Could not create the bench organisation: ${response.status}: ${body.slice(0, 800)}`);
      }
      return organisation;
    },
  },

  /** Patients created through the server in transaction Bundles; reads and searches pick from them. */
  patients: {
    async prepare(ctx) {
      const startedAt = performance.now();
      const patients = await preloadPatients(ctx.baseUrl, ctx.headers, ctx.nhs, ctx.settings.preload, 1000);
      ctx.results.preload = {
        count: patients.ids.length,
        bundleSize: 1000,
        seconds: (performance.now() - startedAt) / 1000,
      };
      return patients;
    },
  },

  /** Rows written straight into the raw scratch database's `resource` table for raw-select. */
  'raw-rows': {
    async prepare(ctx) {
      const count = ctx.settings.preload;
      const ids = Array.from({ length: count }, () => randomUUID());
      const lastUpdated = new Date().toISOString();
      const contents = ids.map((id) => {
        const { resourceType, ...rest } = patientResource(ctx.nhs.next());
        return JSON.stringify({ resourceType, id, meta: { versionId: '1', lastUpdated }, ...rest });
      });
      const client = new pg.Client({ connectionString: ctx.rawDatabaseUrl });
      await client.connect();
      try {
        await client.query(
          `insert into resource (resource_type, id, version_id, last_updated, deleted, content)
           select 'Patient', id, 1, $3::timestamptz, false, content from unnest($1::text[], $2::text[]) as t(id, content)`,
          [ids, contents, lastUpdated],
        );
        await client.query('analyze resource');
      } finally {
        await client.end();
      }
      return { ids };
    },
  },
};
