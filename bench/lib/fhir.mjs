// Synthetic FHIR data for the workloads: valid test-range NHS numbers and UK Core-shaped Patients.

export const NHS_NUMBER_SYSTEM = 'https://fhir.nhs.uk/Id/nhs-number';
const ODS_ORGANIZATION_CODE_SYSTEM = 'https://fhir.nhs.uk/Id/ods-organization-code';

/** The GP practice the bench's system client acts for, and every bench patient is registered with. */
export const BENCH_ORGANIZATION = {
  id: 'carebridge-bench-gp',
  odsCode: 'Y09999',
  name: 'Carebridge Bench Practice',
};

export function organizationResource() {
  return {
    resourceType: 'Organization',
    id: BENCH_ORGANIZATION.id,
    identifier: [{ system: ODS_ORGANIZATION_CODE_SYSTEM, value: BENCH_ORGANIZATION.odsCode }],
    active: true,
    name: BENCH_ORGANIZATION.name,
  };
}

/**
 * The bench takes NHS numbers from this stem on (9991000000…), clear of the first test-range
 * numbers that unit tests and the demo seed use. Stems run to 999999999: about 820,000 valid
 * numbers, far more than one run creates.
 */
export const FIRST_BENCH_STEM = 999_100_000;
const LAST_STEM = 999_999_999;

/**
 * The NHS number for a nine-digit stem, or undefined when its check digit would be 10 (such stems
 * have no valid number). Same modulus-11 rule as packages/domain/src/identifiers/nhs-number.ts.
 */
export function nhsNumberFromStem(stem) {
  const digits = String(stem);
  let sum = 0;
  for (let i = 0; i < 9; i++) sum += Number(digits[i]) * (10 - i);
  const check = 11 - (sum % 11);
  if (check === 10) return undefined;
  return `${digits}${check === 11 ? 0 : check}`;
}

/** Hands out unique NHS numbers from a stem onwards; `nextStem` is where the next caller starts. */
export class NhsNumbers {
  constructor(nextStem = FIRST_BENCH_STEM) {
    this.nextStem = nextStem;
  }

  next() {
    for (;;) {
      if (this.nextStem > LAST_STEM) throw new RangeError('The bench ran out of test-range NHS numbers');
      const value = nhsNumberFromStem(this.nextStem++);
      if (value !== undefined) return value;
    }
  }
}

const GIVEN = ['Amelia', 'Oliver', 'Isla', 'George', 'Ava', 'Noah', 'Freya', 'Arthur', 'Priya', 'Mohammed'];
const FAMILY = [
  'Smith',
  'Jones',
  'Taylor',
  'Brown',
  'Williams',
  'Wilson',
  'Khan',
  'Patel',
  'Evans',
  'Walker',
];
const STREETS = ['Mill Lane', 'Church Street', 'Station Road', 'Park Avenue', 'Victoria Road', 'High Street'];

/**
 * A Patient much like the demo seed's: NHS number, official name, gender, birth date, mobile, home
 * address and the bench's GP practice.
 * Varied by the NHS number so string and date index rows differ between patients.
 */
export function patientResource(nhsNumber) {
  const n = Number(nhsNumber.slice(3, 9));
  return {
    resourceType: 'Patient',
    identifier: [{ system: NHS_NUMBER_SYSTEM, value: nhsNumber }],
    active: true,
    name: [{ use: 'official', family: FAMILY[n % 10], given: [GIVEN[(n >> 3) % 10]] }],
    telecom: [{ system: 'phone', value: `07700 ${900000 + (n % 1000)}`, use: 'mobile' }],
    gender: n % 2 === 0 ? 'female' : 'male',
    birthDate: `${1930 + (n % 90)}-${String(1 + (n % 12)).padStart(2, '0')}-${String(1 + (n % 28)).padStart(2, '0')}`,
    address: [
      {
        use: 'home',
        type: 'both',
        line: [`${1 + (n % 140)} ${STREETS[n % STREETS.length]}`],
        city: 'Kingsmere',
        postalCode: `ZX${1 + (n % 9)} ${1 + (n % 9)}TR`,
      },
    ],
    // Registered with the bench's own practice: the registration is the legitimate relationship that
    // lets the bench's system client (acting for that practice) read and search these patients.
    generalPractitioner: [
      { reference: `Organization/${BENCH_ORGANIZATION.id}`, display: BENCH_ORGANIZATION.name },
    ],
  };
}

export const FHIR_HEADERS = { 'content-type': 'application/fhir+json', accept: 'application/fhir+json' };

/** `identifier=<system>|<value>` for a search URL, encoded as a FHIR client would send it. */
export function identifierQuery(nhsNumber) {
  return `identifier=${encodeURIComponent(`${NHS_NUMBER_SYSTEM}|${nhsNumber}`)}`;
}

/**
 * Creates `count` patients through transaction Bundles of at most `bundleSize` entries and returns
 * their ids and NHS numbers. Any answer but 200 with one 201 per entry stops the bench.
 */
export async function preloadPatients(baseUrl, headers, nhsNumbers, count, bundleSize = 1000) {
  const ids = [];
  const numbers = [];
  while (ids.length < count) {
    const batch = Array.from({ length: Math.min(bundleSize, count - ids.length) }, () => nhsNumbers.next());
    const bundle = {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: batch.map((nhsNumber) => ({
        resource: patientResource(nhsNumber),
        request: { method: 'POST', url: 'Patient' },
      })),
    };
    const response = await fetch(`${baseUrl}/fhir`, {
      method: 'POST',
      headers,
      body: JSON.stringify(bundle),
    });
    const text = await response.text();
    if (response.status !== 200) {
      throw new Error(`Preload: transaction Bundle answered ${response.status}: ${text.slice(0, 1000)}`);
    }
    const result = JSON.parse(text);
    const entries = result.entry ?? [];
    if (entries.length !== batch.length) {
      throw new Error(`Preload: ${batch.length} entries sent, ${entries.length} answered`);
    }
    entries.forEach((entry, index) => {
      const location = entry.response?.location ?? '';
      const match = /(?:^|\/)Patient\/([^/]+)/.exec(location);
      if (!entry.response?.status?.startsWith('201') || !match) {
        throw new Error(`Preload: entry ${index} answered ${JSON.stringify(entry.response)}`);
      }
      ids.push(match[1]);
      numbers.push(batch[index]);
    });
  }
  return { ids, nhsNumbers: numbers };
}
