import { FHIR_HEADERS } from '../lib/fhir.mjs';
import { mulberry32 } from '../lib/stats.mjs';

/** FHIR read by id over the preloaded patients. */
export default {
  name: 'read',
  title: 'Read by id',
  description: '`GET /fhir/Patient/<id>` for a random preloaded patient',
  kind: 'http',
  baseline: 'raw-select',
  goal: 0.3,
  // The audit goal: auditing every read (durably, before the answer) costs at most 25%.
  goals: [{ against: 'read-audit-off', atLeast: 0.75, label: 'read with audit ÷ read with audit off' }],
  needs: ['organisation', 'patients'],
  async check(ctx) {
    const id = ctx.fixtures.patients.ids[0];
    const response = await fetch(`${ctx.baseUrl}/fhir/Patient/${id}`, { headers: ctx.headers });
    const body = await response.text();
    if (response.status !== 200 || JSON.parse(body).id !== id) {
      throw new Error(
        `read check: expected 200 with Patient/${id}, got ${response.status}: ${body.slice(0, 800)}`,
      );
    }
  },
  data: (ctx) => ({ ids: ctx.fixtures.patients.ids, seed: ctx.nextSeed() }),
  load({ ids, seed }) {
    const random = mulberry32(seed);
    return {
      requests: [
        {
          method: 'GET',
          path: '/fhir/Patient',
          headers: FHIR_HEADERS,
          setupRequest: (request) => ({
            ...request,
            path: `/fhir/Patient/${ids[Math.floor(random() * ids.length)]}`,
          }),
        },
      ],
    };
  },
};
