import type { CodeableConcept, Identifier, Practitioner, PractitionerRole } from 'fhir/r4.js';
import {
  GMC_NUMBER_SYSTEM,
  GMP_NUMBER_SYSTEM,
  SDS_ROLE_PROFILE_ID_SYSTEM,
  SDS_USER_ID_SYSTEM,
} from '@carebridge/domain';
import { demoMeta, literalReference, snomed } from './demo-fhir.js';
import {
  DEMO_DIAGNOSTIC_CENTRE,
  DEMO_GP_PRACTICES,
  DEMO_HOLDING_PRACTICE,
  DEMO_ICB,
  DEMO_PHARMACIES,
  DEMO_TRUST,
  type DemoOrganisation,
} from './demo-organisations.js';

/** What a demo login is allowed to do; the server's access rules key on this, not on job titles. */
export type DemoStaffRole =
  | 'gp'
  | 'practice-admin'
  | 'consultant'
  | 'secretary'
  | 'pharmacist'
  | 'diagnostics'
  | 'ops'
  | 'privacy-officer'
  | 'admin';

interface JobRole {
  readonly code: CodeableConcept;
  readonly specialty?: CodeableConcept;
}

interface StaffMember {
  /** Stable key: the demo username, or a slug for staff nobody logs in as. */
  readonly key: string;
  /** Hand-assigned and never reused, so identifiers stay put when the list is reordered. */
  readonly serial: number;
  readonly role: DemoStaffRole;
  readonly prefix?: string;
  readonly given: readonly string[];
  readonly family: string;
  readonly gender: 'male' | 'female';
  readonly organisation: DemoOrganisation;
  readonly job: JobRole;
  /** Doctors only. */
  readonly registeredDoctor?: boolean;
  /** GPs only: the prescriber code GP systems and EPS expect. */
  readonly generalPractitioner?: boolean;
}

/*
 * SNOMED CT occupations are used only where we are sure of the concept; other jobs are free text
 * rather than a guessed code. Specialty uses the SNOMED CT qualifier values for clinical specialties.
 */
const GP_JOB: JobRole = {
  code: snomed('62247001', 'General practitioner'),
  specialty: snomed('394814009', 'General practice'),
};
const PHARMACIST_JOB: JobRole = { code: snomed('46255001', 'Pharmacist', 'Community pharmacist') };

function consultant(specialtyCode: string, specialty: string, title: string): JobRole {
  return {
    code: snomed('158965000', 'Medical practitioner', title),
    specialty: snomed(specialtyCode, specialty),
  };
}

function freeTextJob(title: string): JobRole {
  return { code: { text: title } };
}

const [PRACTICE_1, PRACTICE_2, PRACTICE_3, PRACTICE_4, PRACTICE_5, PRACTICE_6] = DEMO_GP_PRACTICES;
const [PHARMACY_1, PHARMACY_2, PHARMACY_3, PHARMACY_4] = DEMO_PHARMACIES;

function gp(
  key: string,
  serial: number,
  given: string,
  family: string,
  gender: 'male' | 'female',
  organisation: DemoOrganisation,
): StaffMember {
  return {
    key,
    serial,
    role: 'gp',
    prefix: 'Dr',
    given: [given],
    family,
    gender,
    organisation,
    job: GP_JOB,
    registeredDoctor: true,
    generalPractitioner: true,
  };
}

const STAFF: readonly StaffMember[] = [
  gp('demo-gp', 1, 'Priya', 'Sharma', 'female', PRACTICE_1),
  {
    key: 'demo-practice-admin',
    serial: 2,
    role: 'practice-admin',
    given: ['Joanne'],
    family: 'Whitfield',
    gender: 'female',
    organisation: PRACTICE_1,
    job: freeTextJob('Practice manager'),
  },
  {
    key: 'demo-consultant',
    serial: 3,
    role: 'consultant',
    prefix: 'Dr',
    given: ['Daniel'],
    family: 'Mensah',
    gender: 'male',
    organisation: DEMO_TRUST,
    job: consultant('394579002', 'Cardiology', 'Consultant cardiologist'),
    registeredDoctor: true,
  },
  {
    key: 'demo-secretary',
    serial: 4,
    role: 'secretary',
    given: ['Karen'],
    family: 'Holt',
    gender: 'female',
    organisation: DEMO_TRUST,
    job: freeTextJob('Medical secretary, cardiology'),
  },
  {
    key: 'demo-pharmacist',
    serial: 5,
    role: 'pharmacist',
    given: ['Tomasz'],
    family: 'Nowak',
    gender: 'male',
    organisation: PHARMACY_1,
    job: PHARMACIST_JOB,
  },
  {
    key: 'demo-diagnostics',
    serial: 6,
    role: 'diagnostics',
    given: ['Aisha'],
    family: 'Rahman',
    gender: 'female',
    organisation: DEMO_DIAGNOSTIC_CENTRE,
    job: freeTextJob('Clinical physiologist, community diagnostic centre'),
  },
  // Platform-wide roles sit with the ICB, which hosts the shared service across the patch.
  {
    key: 'demo-ops',
    serial: 7,
    role: 'ops',
    given: ['Gareth'],
    family: 'Price',
    gender: 'male',
    organisation: DEMO_ICB,
    job: freeTextJob('Digital services operations manager'),
  },
  {
    key: 'demo-privacy-officer',
    serial: 8,
    role: 'privacy-officer',
    given: ['Helen'],
    family: 'Marsh',
    gender: 'female',
    organisation: DEMO_ICB,
    job: freeTextJob('Data protection officer'),
  },
  {
    key: 'demo-admin',
    serial: 9,
    role: 'admin',
    given: ['Samuel'],
    family: 'Fletcher',
    gender: 'male',
    organisation: DEMO_ICB,
    job: freeTextJob('System administrator'),
  },
  gp('gp-y99901-2', 20, 'Iain', 'Fraser', 'male', PRACTICE_1),
  gp('gp-y99902-1', 21, 'Ngozi', 'Adeyemi', 'female', PRACTICE_2),
  gp('gp-y99902-2', 22, 'Mark', 'Ellis', 'male', PRACTICE_2),
  gp('gp-y99903-1', 23, 'Hannah', 'Wright', 'female', PRACTICE_3),
  gp('gp-y99903-2', 24, 'Imran', 'Hussain', 'male', PRACTICE_3),
  gp('gp-y99904-1', 25, 'Catrin', 'Morgan', 'female', PRACTICE_4),
  gp('gp-y99904-2', 26, 'Wei', 'Chen', 'male', PRACTICE_4),
  gp('gp-y99905-1', 27, 'Fatima', 'Malik', 'female', PRACTICE_5),
  gp('gp-y99905-2', 28, 'Thomas', 'Green', 'male', PRACTICE_5),
  gp('gp-y99906-1', 29, 'Eilidh', 'Campbell', 'female', PRACTICE_6),
  gp('gp-y99906-2', 30, 'Kwame', 'Osei', 'male', PRACTICE_6),
  gp('gp-y99900-1', 31, 'Rachel', 'Ashworth', 'female', DEMO_HOLDING_PRACTICE),
  {
    key: 'consultant-acute-medicine',
    serial: 40,
    role: 'consultant',
    prefix: 'Dr',
    given: ['Siobhan'],
    family: 'Kelly',
    gender: 'female',
    organisation: DEMO_TRUST,
    job: consultant('394802001', 'General medicine', 'Consultant in acute medicine'),
    registeredDoctor: true,
  },
  {
    key: 'consultant-gastroenterology',
    serial: 41,
    role: 'consultant',
    prefix: 'Dr',
    given: ['Rajesh'],
    family: 'Desai',
    gender: 'male',
    organisation: DEMO_TRUST,
    job: consultant('394584008', 'Gastroenterology', 'Consultant gastroenterologist'),
    registeredDoctor: true,
  },
  {
    key: 'consultant-geriatric-medicine',
    serial: 42,
    role: 'consultant',
    prefix: 'Dr',
    given: ['Margaret'],
    family: 'Pearson',
    gender: 'female',
    organisation: DEMO_TRUST,
    job: consultant('394811001', 'Geriatric medicine', 'Consultant geriatrician'),
    registeredDoctor: true,
  },
  pharmacist('pharmacist-fzz02', 50, 'Sana', 'Iqbal', 'female', PHARMACY_2),
  pharmacist('pharmacist-fzz03', 51, 'Mihai', 'Popescu', 'male', PHARMACY_3),
  pharmacist('pharmacist-fzz04', 52, 'Grace', 'Boateng', 'female', PHARMACY_4),
];

function pharmacist(
  key: string,
  serial: number,
  given: string,
  family: string,
  gender: 'male' | 'female',
  organisation: DemoOrganisation,
): StaffMember {
  return {
    key,
    serial,
    role: 'pharmacist',
    given: [given],
    family,
    gender,
    organisation,
    job: PHARMACIST_JOB,
  };
}

/*
 * Fictional professional identifiers: GMC numbers as C plus seven digits, in a 999xxxx block the GMC
 * has not reached; GMP codes as G plus seven digits; SDS ids as twelve digits under a 9999 prefix we
 * treat as demo-only. All derive from the serial, so each person keeps theirs for good.
 */
function sdsUserId(serial: number): string {
  return `99990000${String(serial).padStart(4, '0')}`;
}

function sdsRoleProfileId(serial: number): string {
  return `99991000${String(serial).padStart(4, '0')}`;
}

function gmcNumber(serial: number): string {
  return `C999${String(serial).padStart(4, '0')}`;
}

function gmpNumber(serial: number): string {
  return `G999${String(serial).padStart(4, '0')}`;
}

function practitionerId(member: StaffMember): string {
  return `prac-${member.key}`;
}

function practitionerRoleId(member: StaffMember): string {
  return `role-${member.key}`;
}

function displayName(member: StaffMember): string {
  return [member.prefix, ...member.given, member.family].filter((part) => part !== undefined).join(' ');
}

function practitionerIdentifiers(member: StaffMember): Identifier[] {
  const identifiers: Identifier[] = [{ system: SDS_USER_ID_SYSTEM, value: sdsUserId(member.serial) }];
  if (member.registeredDoctor) {
    identifiers.push({ system: GMC_NUMBER_SYSTEM, value: gmcNumber(member.serial) });
  }
  if (member.generalPractitioner) {
    identifiers.push({ system: GMP_NUMBER_SYSTEM, value: gmpNumber(member.serial) });
  }
  return identifiers;
}

function practitionerResource(member: StaffMember): Practitioner {
  return {
    resourceType: 'Practitioner',
    id: practitionerId(member),
    meta: demoMeta(),
    identifier: practitionerIdentifiers(member),
    active: true,
    name: [
      {
        use: 'official',
        family: member.family,
        given: [...member.given],
        ...(member.prefix !== undefined && { prefix: [member.prefix] }),
      },
    ],
    gender: member.gender,
  };
}

function practitionerRoleResource(member: StaffMember): PractitionerRole {
  return {
    resourceType: 'PractitionerRole',
    id: practitionerRoleId(member),
    meta: demoMeta(),
    identifier: [{ system: SDS_ROLE_PROFILE_ID_SYSTEM, value: sdsRoleProfileId(member.serial) }],
    active: true,
    practitioner: literalReference('Practitioner', practitionerId(member), displayName(member)),
    organization: literalReference('Organization', member.organisation.id, member.organisation.name),
    code: [member.job.code],
    ...(member.job.specialty && { specialty: [member.job.specialty] }),
  };
}

export function staffResources(): Array<Practitioner | PractitionerRole> {
  return STAFF.flatMap((member) => [practitionerResource(member), practitionerRoleResource(member)]);
}

/** How a demo staff login maps onto the directory. */
export interface DemoStaffUser {
  readonly kind: 'staff';
  readonly role: DemoStaffRole;
  readonly displayName: string;
  readonly practitionerId: string;
  readonly practitionerRoleId: string;
  readonly organizationId: string;
  readonly odsCode: string;
  readonly sdsUserId: string;
  readonly sdsRoleProfileId: string;
}

export function demoStaffUser(username: string): DemoStaffUser {
  const member = STAFF.find((candidate) => candidate.key === username);
  if (member === undefined) throw new Error(`No demo staff member "${username}"`);
  return {
    kind: 'staff',
    role: member.role,
    displayName: displayName(member),
    practitionerId: practitionerId(member),
    practitionerRoleId: practitionerRoleId(member),
    organizationId: member.organisation.id,
    odsCode: member.organisation.odsCode,
    sdsUserId: sdsUserId(member.serial),
    sdsRoleProfileId: sdsRoleProfileId(member.serial),
  };
}
