import { FHIR_HEADERS, NhsNumbers, patientResource } from '../lib/fhir.mjs';

/** FHIR create: a new Patient with a never-used NHS number per request. */
export default {
  name: 'create',
  title: 'Create',
  description:
    '`POST /fhir/Patient`, a UK Core-shaped Patient (~0.7 kB) with a unique valid 999-range NHS number',
  kind: 'http',
  baseline: 'raw-insert',
  goal: 0.4,
  compare: ['raw-create-tx', 'raw-create'],
  needs: ['organisation'],
  async check(ctx) {
    const response = await fetch(`${ctx.baseUrl}/fhir/Patient`, {
      method: 'POST',
      headers: ctx.headers,
      body: JSON.stringify(patientResource(ctx.nhs.next())),
    });
    const body = await response.text();
    if (response.status !== 201 || !response.headers.get('location')) {
      throw new Error(
        `create check: expected 201 with a Location, got ${response.status}: ${body.slice(0, 800)}`,
      );
    }
  },
  data: (ctx) => ({ stemStart: ctx.nhs.nextStem }),
  load({ stemStart }) {
    const nhsNumbers = new NhsNumbers(stemStart);
    return {
      requests: [
        {
          method: 'POST',
          path: '/fhir/Patient',
          headers: FHIR_HEADERS,
          setupRequest: (request) => ({
            ...request,
            body: JSON.stringify(patientResource(nhsNumbers.next())),
          }),
        },
      ],
      extra: () => ({ nextStem: nhsNumbers.nextStem }),
    };
  },
  after(ctx, result) {
    ctx.nhs.nextStem = result.extra.nextStem;
  },
};
