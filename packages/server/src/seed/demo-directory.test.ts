import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type {
  Bundle,
  FhirResource,
  Location,
  Organization,
  Patient,
  Practitioner,
  PractitionerRole,
} from 'fhir/r4.js';
import {
  GMC_NUMBER_SYSTEM,
  GMP_NUMBER_SYSTEM,
  NHS_NUMBER_SYSTEM,
  ODS_GP_PRACTICE_NOT_KNOWN,
  ODS_ORGANIZATION_CODE_SYSTEM,
  ODS_SITE_CODE_SYSTEM,
  SDS_USER_ID_SYSTEM,
  isTestRangeNhsNumber,
  isValidFhirId,
  odsCodeKind,
  parseRelativeReference,
  type OdsCodeKind,
} from '@carebridge/domain';
import {
  DEFAULT_DEMO_PATIENT_COUNT,
  DEMO_DIAGNOSTIC_CENTRE,
  DEMO_GP_PRACTICES,
  DEMO_HOLDING_PRACTICE,
  DEMO_ICB,
  DEMO_ORGANISATIONS,
  DEMO_PATIENT_ID,
  DEMO_PHARMACIES,
  DEMO_REFERENCE_DATE,
  DEMO_TRUST,
  DEMO_TRUST_SITES,
  DEMO_USERS,
  NOMINATED_PHARMACY_URL,
  buildDemoDirectory,
  type DemoOrganisationKind,
  type DemoStaffUser,
} from './demo-directory.js';

const bundle = buildDemoDirectory();

function resources(from: Bundle<FhirResource> = bundle): FhirResource[] {
  return (from.entry ?? []).flatMap((entry) => (entry.resource ? [entry.resource] : []));
}

function resourcesOfType<T extends FhirResource['resourceType']>(
  type: T,
  from: Bundle<FhirResource> = bundle,
): Array<Extract<FhirResource, { resourceType: T }>> {
  return resources(from).filter((resource): resource is Extract<FhirResource, { resourceType: T }> => {
    return resource.resourceType === type;
  });
}

function find<T extends FhirResource['resourceType']>(
  type: T,
  id: string,
): Extract<FhirResource, { resourceType: T }> {
  const found = resourcesOfType(type).find((resource) => resource.id === id);
  assert.ok(found, `${type}/${id} is in the bundle`);
  return found;
}

function identifierValue(
  resource: { identifier?: Array<{ system?: string; value?: string }> },
  system: string,
): string | undefined {
  return resource.identifier?.find((identifier) => identifier.system === system)?.value;
}

function odsCodeOf(organization: Organization): string {
  const code = identifierValue(organization, ODS_ORGANIZATION_CODE_SYSTEM);
  assert.ok(code, `Organization/${organization.id} has an ODS code`);
  return code;
}

function nhsNumberOf(patient: Patient): string {
  const nhsNumber = identifierValue(patient, NHS_NUMBER_SYSTEM);
  assert.ok(nhsNumber, `Patient/${patient.id} has an NHS number`);
  return nhsNumber;
}

function registeredPracticeId(patient: Patient): string | undefined {
  return parseRelativeReference(patient.generalPractitioner?.[0]?.reference ?? '')?.id;
}

function nominatedPharmacy(patient: Patient) {
  return patient.extension?.find((extension) => extension.url === NOMINATED_PHARMACY_URL)?.valueReference;
}

/** Every Reference.reference anywhere in the value, however deeply nested (extensions included). */
function literalReferences(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(literalReferences);
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([key, child]) =>
    key === 'reference' && typeof child === 'string' ? [child] : literalReferences(child),
  );
}

function phoneNumbers(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(phoneNumbers);
  if (typeof value !== 'object' || value === null) return [];
  const record = value as Record<string, unknown>;
  const own = record.system === 'phone' && typeof record.value === 'string' ? [record.value] : [];
  return [...own, ...Object.values(record).flatMap(phoneNumbers)];
}

function ageOn(referenceDate: string, birthDate: string): number {
  const [refYear, refMonth, refDay] = referenceDate.split('-').map(Number) as [number, number, number];
  const [year, month, day] = birthDate.split('-').map(Number) as [number, number, number];
  const hadBirthday = refMonth > month || (refMonth === month && refDay >= day);
  return refYear - year - (hadBirthday ? 0 : 1);
}

function isRealDate(value: string): boolean {
  return (
    /^\d{4}-\d{2}-\d{2}$/.test(value) && new Date(`${value}T00:00:00Z`).toISOString().slice(0, 10) === value
  );
}

const staffUsers = Object.entries(DEMO_USERS).filter(
  (entry): entry is [string, DemoStaffUser] => entry[1].kind === 'staff',
);

describe('buildDemoDirectory', () => {
  it('builds an identical bundle every time', () => {
    assert.deepEqual(buildDemoDirectory(), buildDemoDirectory());
  });

  it('is a transaction whose every entry PUTs the resource to its own Type/id', () => {
    assert.equal(bundle.resourceType, 'Bundle');
    assert.equal(bundle.type, 'transaction');
    const urls = new Set<string>();
    for (const entry of bundle.entry ?? []) {
      const resource = entry.resource;
      assert.ok(resource?.id !== undefined && isValidFhirId(resource.id), 'every resource has a valid id');
      assert.deepEqual(entry.request, { method: 'PUT', url: `${resource.resourceType}/${resource.id}` });
      assert.ok(!urls.has(entry.request.url), `${entry.request.url} appears once`);
      urls.add(entry.request.url);
    }
  });

  it('holds one trust with two sites, six GP practices, a holding practice, four pharmacies and one CDC', () => {
    const organisations = resourcesOfType('Organization');
    const byOdsKind = (kind: OdsCodeKind) =>
      organisations.filter((org) => odsCodeKind(odsCodeOf(org)) === kind);
    assert.equal(byOdsKind('nhs-trust').length, 1);
    assert.equal(byOdsKind('gp-practice').length, 7, 'six practices and the holding practice');
    assert.equal(byOdsKind('community-pharmacy').length, 4);
    assert.deepEqual(
      byOdsKind('other').map(odsCodeOf).sort(),
      [DEMO_DIAGNOSTIC_CENTRE.odsCode, DEMO_ICB.odsCode].sort(),
    );
    assert.equal(organisations.length, 14);
    assert.equal(DEMO_GP_PRACTICES.length, 6);
    assert.equal(DEMO_PHARMACIES.length, 4);

    const sites = resourcesOfType('Location').filter(
      (location) => location.managingOrganization?.reference === `Organization/${DEMO_TRUST.id}`,
    );
    assert.equal(sites.length, 2);
  });

  it('holds 200 patients by default, and as many as asked for', () => {
    assert.equal(DEFAULT_DEMO_PATIENT_COUNT, 200);
    assert.equal(resourcesOfType('Patient').length, 200);
    assert.equal(resourcesOfType('Patient', buildDemoDirectory({ patients: 7 })).length, 7);
    assert.equal(resourcesOfType('Patient', buildDemoDirectory({ patients: 500 })).length, 500);
  });

  it('keeps each patient the same person whatever the patient count', () => {
    const few = resourcesOfType('Patient', buildDemoDirectory({ patients: 25 }));
    assert.deepEqual(few, resourcesOfType('Patient').slice(0, 25));
  });

  it('refuses a patient count that is not a whole number of at least 1', () => {
    for (const patients of [0, -3, 2.5, Number.NaN]) {
      assert.throws(() => buildDemoDirectory({ patients }), RangeError, `patients: ${patients}`);
    }
  });

  it('admits twelve patients to the hospital, so its consultant has patients to write letters for', () => {
    const admissions = resourcesOfType('Encounter', buildDemoDirectory({ admittedOn: '2026-11-19' }));
    assert.equal(admissions.length, 12);
    for (const admission of admissions) {
      assert.equal(admission.status, 'in-progress');
      assert.equal(admission.serviceProvider?.reference, 'Organization/org-rzz');
      assert.equal(admission.period?.start, '2026-11-19');
    }
    assert.equal(resourcesOfType('Encounter', buildDemoDirectory({ patients: 3 })).length, 3);
  });

  it('labels every resource as synthetic test data', () => {
    for (const resource of resources()) {
      assert.ok(
        resource.meta?.security?.some((label) => label.code === 'HTEST'),
        `${resource.resourceType}/${resource.id} carries the HTEST label`,
      );
    }
  });

  it('resolves every literal reference to an entry in the bundle', () => {
    const present = new Set(resources().map((resource) => `${resource.resourceType}/${resource.id}`));
    const references = literalReferences(resources());
    assert.ok(references.length > 0);
    for (const reference of references) {
      const parsed = parseRelativeReference(reference);
      assert.ok(parsed && parsed.versionId === undefined, `${reference} is a relative Type/id reference`);
      assert.ok(present.has(reference), `${reference} resolves`);
    }
  });
});

describe('demo users', () => {
  it('gives every staff user a PractitionerRole linking their Practitioner to their organisation', () => {
    assert.equal(staffUsers.length, 9);
    for (const [username, user] of staffUsers) {
      const role: PractitionerRole = find('PractitionerRole', user.practitionerRoleId);
      assert.equal(role.practitioner?.reference, `Practitioner/${user.practitionerId}`, username);
      assert.equal(role.organization?.reference, `Organization/${user.organizationId}`, username);
      const practitioner: Practitioner = find('Practitioner', user.practitionerId);
      assert.equal(identifierValue(practitioner, SDS_USER_ID_SYSTEM), user.sdsUserId, username);
      assert.equal(odsCodeOf(find('Organization', user.organizationId)), user.odsCode, username);
    }
  });

  it('places each staff user at the organisation their job belongs to', () => {
    const [firstPractice] = DEMO_GP_PRACTICES;
    const [firstPharmacy] = DEMO_PHARMACIES;
    assert.equal(DEMO_USERS['demo-gp'].organizationId, firstPractice.id);
    assert.equal(DEMO_USERS['demo-practice-admin'].organizationId, firstPractice.id);
    assert.equal(DEMO_USERS['demo-consultant'].organizationId, DEMO_TRUST.id);
    assert.equal(DEMO_USERS['demo-secretary'].organizationId, DEMO_TRUST.id);
    assert.equal(DEMO_USERS['demo-pharmacist'].organizationId, firstPharmacy.id);
    assert.equal(DEMO_USERS['demo-diagnostics'].organizationId, DEMO_DIAGNOSTIC_CENTRE.id);
    for (const username of ['demo-ops', 'demo-privacy-officer', 'demo-admin'] as const) {
      assert.equal(DEMO_USERS[username].organizationId, DEMO_ICB.id, username);
    }
  });

  it("makes demo-patient the first patient, registered with demo-gp's practice and nominating demo-pharmacist's pharmacy", () => {
    const user = DEMO_USERS['demo-patient'];
    assert.equal(user.patientId, DEMO_PATIENT_ID);
    const patient = resourcesOfType('Patient')[0];
    assert.ok(patient);
    assert.equal(patient.id, user.patientId);
    assert.equal(nhsNumberOf(patient), user.nhsNumber);
    assert.equal(registeredPracticeId(patient), DEMO_USERS['demo-gp'].organizationId);
    assert.equal(user.organizationId, DEMO_USERS['demo-gp'].organizationId);
    assert.equal(
      nominatedPharmacy(patient)?.reference,
      `Organization/${DEMO_USERS['demo-pharmacist'].organizationId}`,
    );
  });
});

describe('identifiers', () => {
  it('gives every patient a valid, unique NHS number from the 999 test range', () => {
    const nhsNumbers = resourcesOfType('Patient').map(nhsNumberOf);
    for (const nhsNumber of nhsNumbers) assert.ok(isTestRangeNhsNumber(nhsNumber), nhsNumber);
    assert.equal(new Set(nhsNumbers).size, nhsNumbers.length);
  });

  it('gives every organisation an ODS code of the form for its kind', () => {
    const expected: Record<DemoOrganisationKind, OdsCodeKind> = {
      'integrated-care-board': 'other',
      'nhs-trust': 'nhs-trust',
      'gp-practice': 'gp-practice',
      'holding-practice': 'gp-practice',
      'community-pharmacy': 'community-pharmacy',
      'community-diagnostic-centre': 'other',
    };
    for (const organisation of DEMO_ORGANISATIONS) {
      const resource = find('Organization', organisation.id);
      assert.equal(odsCodeOf(resource), organisation.odsCode);
      assert.equal(odsCodeKind(organisation.odsCode), expected[organisation.kind], organisation.name);
    }
    assert.notEqual(DEMO_HOLDING_PRACTICE.odsCode, ODS_GP_PRACTICE_NOT_KNOWN);
    assert.equal(new Set(DEMO_ORGANISATIONS.map((organisation) => organisation.odsCode)).size, 14);
  });

  it("gives each trust site an ODS site code under the trust's own code", () => {
    for (const site of DEMO_TRUST_SITES) {
      const location: Location = find('Location', site.id);
      const code = identifierValue(location, ODS_SITE_CODE_SYSTEM);
      assert.equal(code, site.odsSiteCode);
      assert.equal(odsCodeKind(site.odsSiteCode), 'nhs-trust-site');
      assert.ok(site.odsSiteCode.startsWith(DEMO_TRUST.odsCode));
    }
  });

  it('names each nominated pharmacy by a reference and the matching pharmacy ODS code', () => {
    for (const patient of resourcesOfType('Patient')) {
      const pharmacy = nominatedPharmacy(patient);
      if (pharmacy === undefined) continue;
      const organization = find('Organization', parseRelativeReference(pharmacy.reference ?? '')?.id ?? '');
      assert.equal(pharmacy.identifier?.system, ODS_ORGANIZATION_CODE_SYSTEM);
      assert.equal(pharmacy.identifier?.value, odsCodeOf(organization));
      assert.equal(odsCodeKind(pharmacy.identifier?.value ?? ''), 'community-pharmacy');
    }
  });

  it('gives staff well-formed, unique SDS, GMC and GMP identifiers', () => {
    const patterns: Record<string, RegExp> = {
      [SDS_USER_ID_SYSTEM]: /^\d{12}$/,
      [GMC_NUMBER_SYSTEM]: /^C\d{7}$/,
      [GMP_NUMBER_SYSTEM]: /^G[01234589]\d{6}$/,
    };
    const seen = new Set<string>();
    for (const practitioner of resourcesOfType('Practitioner')) {
      assert.ok(identifierValue(practitioner, SDS_USER_ID_SYSTEM), `${practitioner.id} has an SDS user id`);
      for (const { system = '', value = '' } of practitioner.identifier ?? []) {
        assert.match(value, patterns[system] ?? /^$/, `${practitioner.id} ${system}`);
        assert.ok(!seen.has(`${system}|${value}`), `${system}|${value} is unique`);
        seen.add(`${system}|${value}`);
      }
    }
    const gps = resourcesOfType('PractitionerRole').filter((role) =>
      role.code?.some((code) => code.coding?.some((coding) => coding.code === '62247001')),
    );
    assert.equal(gps.length, 13, 'two GPs at each of six practices and one at the holding practice');
    for (const role of gps) {
      const practitioner = find(
        'Practitioner',
        parseRelativeReference(role.practitioner?.reference ?? '')?.id ?? '',
      );
      assert.ok(identifierValue(practitioner, GMP_NUMBER_SYSTEM), `${practitioner.id} has a GMP number`);
    }
  });
});

describe('patients', () => {
  const patients = resourcesOfType('Patient');

  it('registers patients across all six practices, with three on the holding list', () => {
    for (const practice of DEMO_GP_PRACTICES) {
      const count = patients.filter((patient) => registeredPracticeId(patient) === practice.id).length;
      assert.ok(count >= 30, `${practice.name} has ${count} patients`);
    }
    const held = patients.filter((patient) => registeredPracticeId(patient) === DEMO_HOLDING_PRACTICE.id);
    assert.equal(held.length, 3);
  });

  it('gives most patients a nominated pharmacy', () => {
    const nominated = patients.filter((patient) => nominatedPharmacy(patient) !== undefined).length;
    assert.ok(nominated >= patients.length * 0.7 && nominated < patients.length, `${nominated} nominated`);
  });

  it('gives patients real birth dates spanning children, adults and the very old', () => {
    const ages = patients.map((patient) => {
      const birthDate = patient.birthDate ?? '';
      assert.ok(isRealDate(birthDate), `${patient.id} birthDate ${birthDate}`);
      assert.ok(birthDate <= DEMO_REFERENCE_DATE, `${patient.id} is born by the reference date`);
      return ageOn(DEMO_REFERENCE_DATE, birthDate);
    });
    assert.ok(ages.filter((age) => age < 18).length >= 20, 'children');
    assert.ok(ages.filter((age) => age >= 80).length >= 5, 'elderly');
    assert.ok(ages.every((age) => age >= 0 && age <= 105));
  });

  it('gives every patient an official name, a gender and a home address', () => {
    for (const patient of patients) {
      const name = patient.name?.[0];
      assert.equal(name?.use, 'official');
      assert.ok(name.family && (name.given?.length ?? 0) > 0, `${patient.id} has given and family names`);
      assert.ok(patient.gender === 'female' || patient.gender === 'male');
      assert.match(patient.address?.[0]?.postalCode ?? '', /^ZX\d [0-9][A-Z]{2}$/);
    }
    const names = new Set(patients.map((patient) => JSON.stringify(patient.name)));
    assert.ok(names.size > patients.length * 0.9, 'names are varied');
  });
});

it('uses only Ofcom drama-range phone numbers', () => {
  const numbers = phoneNumbers(resources());
  assert.ok(numbers.length > 150);
  for (const number of numbers) assert.match(number, /^(01632 960\d{3}|07700 900\d{3})$/);
});
