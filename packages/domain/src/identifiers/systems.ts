/** UK Core identifier systems. */
export const NHS_NUMBER_SYSTEM = 'https://fhir.nhs.uk/Id/nhs-number';
export const ODS_ORGANIZATION_CODE_SYSTEM = 'https://fhir.nhs.uk/Id/ods-organization-code';
export const ODS_SITE_CODE_SYSTEM = 'https://fhir.nhs.uk/Id/ods-site-code';
export const SDS_USER_ID_SYSTEM = 'https://fhir.nhs.uk/Id/sds-user-id';
export const SDS_ROLE_PROFILE_ID_SYSTEM = 'https://fhir.nhs.uk/Id/sds-role-profile-id';
export const GMC_NUMBER_SYSTEM = 'https://fhir.hl7.org.uk/Id/gmc-number';
export const GMP_NUMBER_SYSTEM = 'https://fhir.hl7.org.uk/Id/gmp-number';
