/**
 * SMART App Launch v2 discovery: `/fhir/.well-known/smart-configuration`, and the matching
 * `security` section for the CapabilityStatement (the fallback some SMART clients still read).
 */
export interface SmartConfigurationInput {
  issuer: string;
  authorizationEndpoint: string;
  tokenEndpoint: string;
  jwksUri?: string;
  revocationEndpoint?: string;
  endSessionEndpoint?: string;
  /** Whether system clients may authenticate with a signed JWT (private_key_jwt, SMART Backend Services). */
  asymmetricClientAuth: boolean;
}

export interface SmartConfiguration {
  issuer: string;
  jwks_uri?: string;
  authorization_endpoint: string;
  token_endpoint: string;
  revocation_endpoint?: string;
  end_session_endpoint?: string;
  grant_types_supported: string[];
  response_types_supported: string[];
  token_endpoint_auth_methods_supported: string[];
  token_endpoint_auth_signing_alg_values_supported?: string[];
  scopes_supported: string[];
  code_challenge_methods_supported: ['S256'];
  capabilities: string[];
}

/** Scopes we advertise; any well-formed v1 or v2 resource scope is understood, these are examples. */
export const ADVERTISED_SCOPES = [
  'openid',
  'fhirUser',
  'profile',
  'launch/patient',
  'offline_access',
  'online_access',
  'patient/*.rs',
  'patient/*.read',
  'user/*.cruds',
  'user/*.rs',
  'user/*.read',
  'user/*.write',
  'system/*.rs',
  'system/*.cruds',
];

export function smartConfiguration(input: SmartConfigurationInput): SmartConfiguration {
  const configuration: SmartConfiguration = {
    issuer: input.issuer,
    authorization_endpoint: input.authorizationEndpoint,
    token_endpoint: input.tokenEndpoint,
    grant_types_supported: ['authorization_code', 'refresh_token', 'client_credentials'],
    response_types_supported: ['code'],
    token_endpoint_auth_methods_supported: [
      'none',
      'client_secret_basic',
      ...(input.asymmetricClientAuth ? ['private_key_jwt'] : []),
    ],
    scopes_supported: ADVERTISED_SCOPES,
    code_challenge_methods_supported: ['S256'],
    capabilities: [
      'launch-standalone',
      'client-public',
      'client-confidential-symmetric',
      ...(input.asymmetricClientAuth ? ['client-confidential-asymmetric'] : []),
      'context-standalone-patient',
      'sso-openid-connect',
      'permission-offline',
      'permission-online',
      'permission-patient',
      'permission-user',
      'permission-v1',
      'permission-v2',
    ],
  };
  if (input.asymmetricClientAuth) {
    configuration.token_endpoint_auth_signing_alg_values_supported = ['RS384', 'ES384', 'RS256', 'ES256'];
  }
  if (input.jwksUri) configuration.jwks_uri = input.jwksUri;
  if (input.revocationEndpoint) configuration.revocation_endpoint = input.revocationEndpoint;
  if (input.endSessionEndpoint) configuration.end_session_endpoint = input.endSessionEndpoint;
  return configuration;
}

/** `CapabilityStatement.rest[0].security` pointing SMART clients at the same endpoints. */
export function capabilityStatementSecurity(configuration: SmartConfiguration): Record<string, unknown> {
  const extension = [
    { url: 'authorize', valueUri: configuration.authorization_endpoint },
    { url: 'token', valueUri: configuration.token_endpoint },
    ...(configuration.revocation_endpoint
      ? [{ url: 'revoke', valueUri: configuration.revocation_endpoint }]
      : []),
  ];
  return {
    cors: true,
    service: [
      {
        coding: [
          {
            system: 'http://terminology.hl7.org/CodeSystem/restful-security-service',
            code: 'SMART-on-FHIR',
            display: 'SMART-on-FHIR',
          },
        ],
      },
    ],
    extension: [{ url: 'http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris', extension }],
    description:
      'OAuth 2.0 / SMART App Launch v2: bearer tokens from the issuer in /.well-known/smart-configuration.',
  };
}
