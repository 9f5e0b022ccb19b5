import { FHIR_HEADERS, identifierQuery } from '../lib/fhir.mjs';
import { mulberry32 } from '../lib/stats.mjs';

/** FHIR search by business identifier (NHS number) over the preloaded patients: one match each. */
export default {
  name: 'search',
  title: 'Identifier search',
  description:
    '`GET /fhir/Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|<n>` (encoded) for a random preloaded patient; a searchset Bundle with one match',
  kind: 'http',
  baseline: 'raw-select',
  goal: 0.25,
  needs: ['organisation', 'patients'],
  async check(ctx) {
    const { ids, nhsNumbers } = ctx.fixtures.patients;
    const response = await fetch(`${ctx.baseUrl}/fhir/Patient?${identifierQuery(nhsNumbers[0])}`, {
      headers: ctx.headers,
    });
    const body = await response.text();
    const bundle = response.status === 200 ? JSON.parse(body) : {};
    const matches = (bundle.entry ?? []).filter((entry) => entry.search?.mode !== 'include');
    if (bundle.resourceType !== 'Bundle' || matches.length !== 1 || matches[0].resource?.id !== ids[0]) {
      throw new Error(
        `search check: expected a Bundle with exactly Patient/${ids[0]}, got ${response.status}: ${body.slice(0, 800)}`,
      );
    }
  },
  data: (ctx) => ({ nhsNumbers: ctx.fixtures.patients.nhsNumbers, seed: ctx.nextSeed() }),
  load({ nhsNumbers, seed }) {
    const random = mulberry32(seed);
    return {
      requests: [
        {
          method: 'GET',
          path: '/fhir/Patient',
          headers: FHIR_HEADERS,
          setupRequest: (request) => ({
            ...request,
            path: `/fhir/Patient?${identifierQuery(nhsNumbers[Math.floor(random() * nhsNumbers.length)])}`,
          }),
        },
      ],
    };
  },
};
