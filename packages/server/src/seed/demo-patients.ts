import type { ContactPoint, Extension, Identifier, Patient } from 'fhir/r4.js';
import { NHS_NUMBER_SYSTEM, ODS_ORGANIZATION_CODE_SYSTEM, testRangeNhsNumbers } from '@carebridge/domain';
import { BUILDING_NAMES, NAME_POOLS, STREET_NAMES, type NamePool } from './demo-names.js';
import { demoMeta, dramaMobile, fhirAddress, literalReference, type PostalAddress } from './demo-fhir.js';
import {
  DEMO_GP_PRACTICES,
  DEMO_HOLDING_PRACTICE,
  DEMO_PHARMACIES,
  type DemoOrganisation,
} from './demo-organisations.js';
import { chance, integerBetween, mulberry32, pick, pickWeighted, type Random } from './prng.js';

/**
 * Ages are fixed against this date rather than "today", so the bundle is the same whenever it is
 * built; patients simply grow older as real time passes.
 */
export const DEMO_REFERENCE_DATE = '2025-01-01';

/**
 * Demo patients take test-range NHS numbers from this position onwards, leaving the first thousand
 * for unit tests and fixtures, which can then create patients in a seeded database without their
 * NHS numbers colliding with the demo population.
 */
export const DEMO_NHS_NUMBER_OFFSET = 1000;

/** Every 64th patient is unregistered: about three in the default 200. */
const HOLDING_PRACTICE_INTERVAL = 64;
const NOMINATED_PHARMACY_RATE = 0.85;
const PATIENT_SEED = 0x5eed_0001;

export const NHS_NUMBER_VERIFICATION_STATUS_URL =
  'https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-NHSNumberVerificationStatus';
export const NOMINATED_PHARMACY_URL =
  'https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-NominatedPharmacy';

export function demoPatientId(index: number): string {
  return `pat-${String(index + 1).padStart(4, '0')}`;
}

interface PatientPlan {
  readonly given: readonly string[];
  readonly family: string;
  readonly gender: 'male' | 'female';
  readonly birthDate: string;
  readonly address: PostalAddress;
  readonly mobile?: string;
  readonly practice: DemoOrganisation;
  readonly pharmacy?: DemoOrganisation;
}

const [FIRST_PRACTICE] = DEMO_GP_PRACTICES;
const [FIRST_PHARMACY] = DEMO_PHARMACIES;

/**
 * The demo-patient login: written by hand rather than generated so that walkthroughs can name her,
 * registered with demo-gp's practice and nominating demo-pharmacist's pharmacy.
 */
const DEMO_PATIENT_PLAN: PatientPlan = {
  given: ['Eleanor', 'Mary'],
  family: 'Hargreaves',
  gender: 'female',
  birthDate: '1951-06-23',
  address: { lines: ['27 Tannery Row'], town: 'Kingsmere', postcode: 'ZX1 4TR' },
  mobile: dramaMobile(0),
  practice: FIRST_PRACTICE,
  pharmacy: FIRST_PHARMACY,
};

export const DEMO_PATIENT = {
  id: demoPatientId(0),
  displayName: `${DEMO_PATIENT_PLAN.given.join(' ')} ${DEMO_PATIENT_PLAN.family}`,
  organizationId: DEMO_PATIENT_PLAN.practice.id,
  pharmacyOrganizationId: FIRST_PHARMACY.id,
} as const;

/**
 * Patient n depends only on patients before it (one random stream, consumed in order), so a smaller
 * `count` yields a prefix of the larger population and ids keep meaning the same person.
 */
export function patientResources(count: number): Patient[] {
  const random = mulberry32(PATIENT_SEED);
  const nhsNumbers = demoNhsNumbers(count);
  return nhsNumbers.map((nhsNumber, index) =>
    patientResource(index, nhsNumber, index === 0 ? DEMO_PATIENT_PLAN : planPatient(random, index)),
  );
}

export function demoNhsNumbers(count: number): string[] {
  const numbers: string[] = [];
  let position = 0;
  for (const nhsNumber of testRangeNhsNumbers()) {
    if (numbers.length === count) break;
    if (position++ >= DEMO_NHS_NUMBER_OFFSET) numbers.push(nhsNumber);
  }
  return numbers;
}

function planPatient(random: Random, index: number): PatientPlan {
  const gender = chance(random, 0.5) ? 'female' : 'male';
  const { given, family } = planName(random, gender);
  const birthDate = planBirthDate(random);
  const unregistered = index % HOLDING_PRACTICE_INTERVAL === HOLDING_PRACTICE_INTERVAL - 1;
  // Unregistered patients still live somewhere in the patch; borrow a practice's town for the address.
  const localPractice = unregistered ? pick(random, DEMO_GP_PRACTICES) : practiceFor(index);
  const address = planAddress(random, localPractice.address);
  const isChild = Number(DEMO_REFERENCE_DATE.slice(0, 4)) - Number(birthDate.slice(0, 4)) < 13;
  return {
    given,
    family,
    gender,
    birthDate,
    address,
    // Young children are reached through their parents, not their own phone.
    ...(!isChild && { mobile: dramaMobile(index) }),
    practice: unregistered ? DEMO_HOLDING_PRACTICE : localPractice,
    ...(chance(random, NOMINATED_PHARMACY_RATE) && { pharmacy: planPharmacy(random, localPractice) }),
  };
}

/** Registered patients are dealt round the six practices so each list is about the same size. */
function practiceFor(index: number): DemoOrganisation {
  const practice = DEMO_GP_PRACTICES[index % DEMO_GP_PRACTICES.length];
  if (practice === undefined) throw new RangeError('No GP practices');
  return practice;
}

/** Most people nominate the pharmacy nearest their surgery; some use one near work instead. */
function planPharmacy(random: Random, practice: DemoOrganisation): DemoOrganisation {
  const local = DEMO_PHARMACIES.find((pharmacy) => pharmacy.address.town === practice.address.town);
  return local !== undefined && chance(random, 0.7) ? local : pick(random, DEMO_PHARMACIES);
}

function planName(random: Random, gender: 'male' | 'female'): { given: string[]; family: string } {
  const pool = pickWeighted(
    random,
    NAME_POOLS.map((value) => ({ weight: value.weight, value })),
  );
  const givenNames = gender === 'female' ? pool.female : pool.male;
  const first = pick(random, givenNames);
  const middle = chance(random, 0.35) ? pick(random, givenNames) : undefined;
  // Families of mixed heritage, and names taken on marriage, cross the pools.
  const familyPool: NamePool = chance(random, 0.88) ? pool : pick(random, NAME_POOLS);
  return {
    given: middle === undefined || middle === first ? [first] : [first, middle],
    family: pick(random, familyPool.family),
  };
}

/** Youngest and oldest age in each band, weighted to give children, working-age adults and elderly. */
const AGE_BANDS: ReadonlyArray<{ weight: number; value: readonly [number, number] }> = [
  { weight: 20, value: [0, 17] },
  { weight: 58, value: [18, 64] },
  { weight: 17, value: [65, 84] },
  { weight: 5, value: [85, 101] },
];

const DAY_MS = 24 * 60 * 60 * 1000;

/** A birth date giving an age in a realistic band on DEMO_REFERENCE_DATE; UTC, so no time-zone drift. */
function planBirthDate(random: Random): string {
  const [youngest, oldest] = pickWeighted(random, AGE_BANDS);
  const age = integerBetween(random, youngest, oldest);
  const reference = new Date(`${DEMO_REFERENCE_DATE}T00:00:00Z`);
  const lastBirthday = Date.UTC(
    reference.getUTCFullYear() - age,
    reference.getUTCMonth(),
    reference.getUTCDate(),
  );
  const daysSinceBirthday = integerBetween(random, 0, 364);
  return new Date(lastBirthday - daysSinceBirthday * DAY_MS).toISOString().slice(0, 10);
}

/** Letters Royal Mail uses in the inward half of a postcode (never C, I, K, M, O or V). */
const INWARD_LETTERS = 'ABDEFGHJLNPQRSTUWXYZ'.split('');

function planAddress(random: Random, near: PostalAddress): PostalAddress {
  const district = near.postcode.split(' ')[0] ?? near.postcode;
  const postcode = `${district} ${integerBetween(random, 1, 9)}${pick(random, INWARD_LETTERS)}${pick(random, INWARD_LETTERS)}`;
  const street = `${integerBetween(random, 1, 140)} ${pick(random, STREET_NAMES)}`;
  const lines = chance(random, 0.12)
    ? [`Flat ${integerBetween(random, 1, 24)}`, pick(random, BUILDING_NAMES), street]
    : [street];
  return { lines, town: near.town, postcode };
}

function nhsNumberIdentifier(nhsNumber: string): Identifier {
  return {
    extension: [
      {
        url: NHS_NUMBER_VERIFICATION_STATUS_URL,
        valueCodeableConcept: {
          coding: [
            {
              system: 'https://fhir.hl7.org.uk/CodeSystem/UKCore-NHSNumberVerificationStatusEngland',
              code: '01',
              display: 'Number present and verified',
            },
          ],
        },
      },
    ],
    system: NHS_NUMBER_SYSTEM,
    value: nhsNumber,
  };
}

function nominatedPharmacyExtension(pharmacy: DemoOrganisation): Extension {
  return {
    url: NOMINATED_PHARMACY_URL,
    valueReference: {
      reference: `Organization/${pharmacy.id}`,
      identifier: { system: ODS_ORGANIZATION_CODE_SYSTEM, value: pharmacy.odsCode },
      display: pharmacy.name,
    },
  };
}

function patientResource(index: number, nhsNumber: string, plan: PatientPlan): Patient {
  const telecom: ContactPoint[] =
    plan.mobile === undefined ? [] : [{ system: 'phone', value: plan.mobile, use: 'mobile' }];
  return {
    resourceType: 'Patient',
    id: demoPatientId(index),
    meta: demoMeta(),
    ...(plan.pharmacy && { extension: [nominatedPharmacyExtension(plan.pharmacy)] }),
    identifier: [nhsNumberIdentifier(nhsNumber)],
    active: true,
    name: [{ use: 'official', family: plan.family, given: [...plan.given] }],
    ...(telecom.length > 0 && { telecom }),
    gender: plan.gender,
    birthDate: plan.birthDate,
    address: [fhirAddress(plan.address, 'home')],
    generalPractitioner: [literalReference('Organization', plan.practice.id, plan.practice.name)],
  };
}
