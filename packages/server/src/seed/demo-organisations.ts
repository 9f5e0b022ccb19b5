import type { CodeableConcept, HealthcareService, Location, Organization } from 'fhir/r4.js';
import { ODS_ORGANIZATION_CODE_SYSTEM, ODS_SITE_CODE_SYSTEM } from '@carebridge/domain';
import {
  demoMeta,
  dramaLandline,
  fhirAddress,
  literalReference,
  snomed,
  workPhone,
  type PostalAddress,
} from './demo-fhir.js';

/*
 * The demo health economy: one ICB, one acute trust with two sites, six GP practices plus a holding
 * practice, four community pharmacies and a community diagnostic centre, all in a fictional patch.
 *
 * Every ODS code here is made up. They follow the real code forms (see odsCodeKind in the domain) but
 * lean on a Z/9-heavy corner of each frame that, as far as we know, ODS has not issued, so demo data
 * cannot be confused with a real organisation. Postcodes use the area "ZX", which does not exist in
 * the Royal Mail scheme; phone numbers are Ofcom's drama ranges.
 */

export type DemoOrganisationKind =
  | 'integrated-care-board'
  | 'nhs-trust'
  | 'gp-practice'
  | 'holding-practice'
  | 'community-pharmacy'
  | 'community-diagnostic-centre';

export interface DemoOrganisation {
  readonly id: string;
  readonly odsCode: string;
  readonly name: string;
  readonly kind: DemoOrganisationKind;
  readonly address: PostalAddress;
  readonly phone: string;
}

export interface DemoSite {
  readonly id: string;
  readonly odsSiteCode: string;
  readonly name: string;
  readonly address: PostalAddress;
  readonly phone: string;
}

export const DEMO_ICB = {
  id: 'org-qzz',
  odsCode: 'QZZ',
  name: 'NHS Kingsmere and Lowbridge Integrated Care Board',
  kind: 'integrated-care-board',
  address: { lines: ['Civic House', '1 Civic Way'], town: 'Kingsmere', postcode: 'ZX1 1AA' },
  phone: dramaLandline(1),
} as const satisfies DemoOrganisation;

export const DEMO_TRUST = {
  id: 'org-rzz',
  odsCode: 'RZZ',
  name: 'Kingsmere and District Hospitals NHS Foundation Trust',
  kind: 'nhs-trust',
  address: {
    lines: ['Kingsmere General Hospital', 'Infirmary Road'],
    town: 'Kingsmere',
    postcode: 'ZX2 4HN',
  },
  phone: dramaLandline(10),
} as const satisfies DemoOrganisation;

export const DEMO_TRUST_SITES = [
  {
    id: 'loc-rzz01',
    odsSiteCode: 'RZZ01',
    name: 'Kingsmere General Hospital',
    address: { lines: ['Infirmary Road'], town: 'Kingsmere', postcode: 'ZX2 4HN' },
    phone: dramaLandline(10),
  },
  {
    id: 'loc-rzz02',
    odsSiteCode: 'RZZ02',
    name: 'Lowbridge Community Hospital',
    address: { lines: ['Bridge End'], town: 'Lowbridge', postcode: 'ZX4 2RT' },
    phone: dramaLandline(11),
  },
] as const satisfies readonly DemoSite[];

export const DEMO_GP_PRACTICES = [
  gpPractice('Y99901', 'Quayside Medical Centre', ['14 Quay Street'], 'Kingsmere', 'ZX1 3QS', 21),
  gpPractice('Y99902', 'Castle Street Surgery', ['2 Castle Street'], 'Lowbridge', 'ZX4 1BT', 22),
  gpPractice('Y99903', 'Ashcombe Health Centre', ['Vale Road'], 'Ashcombe', 'ZX5 6EW', 23),
  gpPractice('Y99904', 'The Fenwick Practice', ['The Green'], 'Fenwick', 'ZX6 2FP', 24),
  gpPractice('Y99905', 'Harrowden Family Practice', ['41 London Road'], 'Harrowden', 'ZX7 9HD', 25),
  gpPractice('Y99906', 'Millbrook Surgery', ['Mill Lane'], 'Millbrook', 'ZX8 3LS', 26),
] as const;

/**
 * Work for patients with no registered GP (visitors, newly arrived, deducted from a list) still needs
 * an owner. It is an organisation of our own with its own code rather than ODS's V81999 "GP practice
 * not known": V81999 is a national placeholder meaning "we do not know", and other systems send it
 * for patients who *are* registered somewhere; reusing it would route that unknown-but-registered
 * work to this team and make the holding list indistinguishable from missing data.
 */
export const DEMO_HOLDING_PRACTICE = {
  id: 'org-y99900',
  odsCode: 'Y99900',
  name: 'Carebridge Holding Practice (unregistered patients)',
  kind: 'holding-practice',
  address: { lines: ['Civic House', '1 Civic Way'], town: 'Kingsmere', postcode: 'ZX1 1AA' },
  phone: dramaLandline(20),
} as const satisfies DemoOrganisation;

export const DEMO_PHARMACIES = [
  pharmacy('FZZ01', 'Quayside Pharmacy', ['16 Quay Street'], 'Kingsmere', 'ZX1 3QT', 31),
  pharmacy('FZZ02', 'Lowbridge Chemist', ['7 Market Place'], 'Lowbridge', 'ZX4 1AP', 32),
  pharmacy('FZZ03', 'Ashcombe Pharmacy', ['3 Vale Parade'], 'Ashcombe', 'ZX5 6ES', 33),
  pharmacy('FZZ04', 'Harrowden Late Night Pharmacy', ['58 London Road'], 'Harrowden', 'ZX7 9HF', 34),
] as const;

export const DEMO_DIAGNOSTIC_CENTRE = {
  id: 'org-nzz',
  odsCode: 'NZZ',
  name: 'Kingsmere Community Diagnostic Centre',
  kind: 'community-diagnostic-centre',
  address: {
    lines: ['Unit 4, Eastgate Shopping Centre', 'Eastgate'],
    town: 'Kingsmere',
    postcode: 'ZX2 7EG',
  },
  phone: dramaLandline(40),
} as const satisfies DemoOrganisation;

export const DEMO_ORGANISATIONS: readonly DemoOrganisation[] = [
  DEMO_ICB,
  DEMO_TRUST,
  ...DEMO_GP_PRACTICES,
  DEMO_HOLDING_PRACTICE,
  ...DEMO_PHARMACIES,
  DEMO_DIAGNOSTIC_CENTRE,
];

interface DemoHealthcareService {
  readonly id: string;
  readonly name: string;
  readonly provider: DemoOrganisation;
  readonly sites: readonly DemoSite[];
  readonly type?: CodeableConcept;
  readonly specialty?: CodeableConcept;
  readonly comment: string;
}

const [MAIN_SITE, COMMUNITY_SITE] = DEMO_TRUST_SITES;

export const DEMO_HEALTHCARE_SERVICES: readonly DemoHealthcareService[] = [
  {
    id: 'hs-rzz-cardiology-outpatients',
    name: 'Cardiology outpatients',
    provider: DEMO_TRUST,
    sites: [MAIN_SITE, COMMUNITY_SITE],
    specialty: snomed('394579002', 'Cardiology'),
    comment: 'Consultant-led clinics at both sites. Referral by GP or another consultant.',
  },
  {
    id: 'hs-rzz-acute-medicine',
    name: 'Acute medical unit',
    provider: DEMO_TRUST,
    sites: [MAIN_SITE],
    specialty: snomed('394802001', 'General medicine', 'Acute medicine'),
    comment: 'Same-day assessment of adults referred by GPs, NHS 111 and the emergency department.',
  },
  {
    id: 'hs-nzz-phlebotomy',
    name: 'Phlebotomy (blood tests)',
    provider: DEMO_DIAGNOSTIC_CENTRE,
    sites: [],
    type: snomed('82078001', 'Collection of blood specimen for laboratory', 'Phlebotomy'),
    comment: 'Bookable and walk-in blood tests for adults and children aged 12 and over.',
  },
  {
    id: 'hs-nzz-ecg',
    name: 'ECG',
    provider: DEMO_DIAGNOSTIC_CENTRE,
    sites: [],
    type: snomed('29303009', 'Electrocardiographic procedure', 'ECG'),
    comment: '12-lead ECG, reported by the trust cardiology physiologists.',
  },
  {
    id: 'hs-nzz-spirometry',
    name: 'Spirometry',
    provider: DEMO_DIAGNOSTIC_CENTRE,
    sites: [],
    type: snomed('127783003', 'Spirometry', 'Spirometry'),
    comment: 'Diagnostic spirometry with reversibility testing.',
  },
  {
    id: 'hs-nzz-ultrasound',
    name: 'Non-obstetric ultrasound',
    provider: DEMO_DIAGNOSTIC_CENTRE,
    sites: [],
    type: snomed('16310003', 'Ultrasonography', 'Ultrasound'),
    comment: 'Abdominal, pelvic and soft-tissue ultrasound on GP request.',
  },
];

export function organisationResources(): Array<Organization | Location | HealthcareService> {
  return [
    ...DEMO_ORGANISATIONS.map(organizationResource),
    ...DEMO_TRUST_SITES.map(siteResource),
    ...DEMO_HEALTHCARE_SERVICES.map(healthcareServiceResource),
  ];
}

function gpPractice(
  odsCode: string,
  name: string,
  lines: string[],
  town: string,
  postcode: string,
  phoneNumber: number,
) {
  return {
    id: `org-${odsCode.toLowerCase()}`,
    odsCode,
    name,
    kind: 'gp-practice',
    address: { lines, town, postcode },
    phone: dramaLandline(phoneNumber),
  } as const satisfies DemoOrganisation;
}

function pharmacy(
  odsCode: string,
  name: string,
  lines: string[],
  town: string,
  postcode: string,
  phoneNumber: number,
) {
  return {
    id: `org-${odsCode.toLowerCase()}`,
    odsCode,
    name,
    kind: 'community-pharmacy',
    address: { lines, town, postcode },
    phone: dramaLandline(phoneNumber),
  } as const satisfies DemoOrganisation;
}

const ORGANIZATION_TYPE = 'http://terminology.hl7.org/CodeSystem/organization-type';

/**
 * HL7's organization-type is coarse, so the text says what kind of NHS organisation it is. ODS role
 * codes would be more precise, but their FHIR code system URL and code form (RO76 or 76) are not
 * used consistently across NHS APIs, so we do not assert one.
 */
function organizationType(kind: DemoOrganisationKind): CodeableConcept {
  // An ICB commissions (pays for) care rather than providing it, which is what HL7's "pay" means.
  const [code, display] =
    kind === 'integrated-care-board' ? ['pay', 'Payer'] : ['prov', 'Healthcare Provider'];
  return { coding: [{ system: ORGANIZATION_TYPE, code, display }], text: ORGANISATION_KIND_TEXT[kind] };
}

const ORGANISATION_KIND_TEXT: Record<DemoOrganisationKind, string> = {
  'integrated-care-board': 'Integrated care board',
  'nhs-trust': 'NHS trust',
  'gp-practice': 'GP practice',
  'holding-practice': 'GP practice (holding list for unregistered patients)',
  'community-pharmacy': 'Community pharmacy',
  'community-diagnostic-centre': 'Community diagnostic centre',
};

/** General practice is commissioned by, and so sits under, the ICB; trusts and the rest do not. */
function commissioningParent(kind: DemoOrganisationKind): DemoOrganisation | undefined {
  return kind === 'gp-practice' || kind === 'holding-practice' ? DEMO_ICB : undefined;
}

function organizationResource(organisation: DemoOrganisation): Organization {
  const parent = commissioningParent(organisation.kind);
  return {
    resourceType: 'Organization',
    id: organisation.id,
    meta: demoMeta(),
    identifier: [{ system: ODS_ORGANIZATION_CODE_SYSTEM, value: organisation.odsCode }],
    active: true,
    type: [organizationType(organisation.kind)],
    name: organisation.name,
    telecom: [workPhone(organisation.phone)],
    address: [fhirAddress(organisation.address, 'work')],
    ...(parent && { partOf: literalReference('Organization', parent.id, parent.name) }),
  };
}

function siteResource(site: DemoSite): Location {
  return {
    resourceType: 'Location',
    id: site.id,
    meta: demoMeta(),
    identifier: [{ system: ODS_SITE_CODE_SYSTEM, value: site.odsSiteCode }],
    status: 'active',
    name: site.name,
    mode: 'instance',
    telecom: [workPhone(site.phone)],
    address: fhirAddress(site.address, 'work'),
    physicalType: {
      coding: [
        {
          system: 'http://terminology.hl7.org/CodeSystem/location-physical-type',
          code: 'si',
          display: 'Site',
        },
      ],
    },
    managingOrganization: literalReference('Organization', DEMO_TRUST.id, DEMO_TRUST.name),
  };
}

function healthcareServiceResource(service: DemoHealthcareService): HealthcareService {
  return {
    resourceType: 'HealthcareService',
    id: service.id,
    meta: demoMeta(),
    active: true,
    providedBy: literalReference('Organization', service.provider.id, service.provider.name),
    ...(service.type && { type: [service.type] }),
    ...(service.specialty && { specialty: [service.specialty] }),
    ...(service.sites.length > 0 && {
      location: service.sites.map((site) => literalReference('Location', site.id, site.name)),
    }),
    name: service.name,
    comment: service.comment,
    telecom: [workPhone(service.sites[0]?.phone ?? service.provider.phone)],
  };
}
