import type { Patient } from 'fhir/r4.js';
import { NHS_NUMBER_SYSTEM, eventInstant, fhirError, parseRelativeReference } from '@carebridge/domain';
import type { AccessContext } from '../access/access-control.js';
import type { ParameterReader } from '../exchange/parameters.js';
import type { SqlExecutor } from '../store/database.js';
import { organisationByOdsCode } from '../store/directory.js';
import type { RequestContext } from './context.js';

/** Reading operation inputs: references or identifiers, codes from a list, dates. Each fault names its parameter. */

export const at = (name: string): string[] => [`Parameters.parameter('${name}')`];

/** The id of a `Type/id` reference parameter, or of the resource its identifier names. */
async function referencedId(
  db: SqlExecutor,
  reader: ParameterReader,
  name: string,
  type: 'Patient' | 'Organization',
): Promise<string | undefined> {
  const parameter = reader.all(name)[0];
  if (parameter === undefined) return undefined;
  const reference = parameter.valueReference?.reference;
  if (reference !== undefined) {
    const parsed = parseRelativeReference(reference);
    if (parsed?.resourceType !== type) {
      throw fhirError('invalid-value', `'${name}' must reference a ${type} (${type}/id).`, at(name));
    }
    return parsed.id;
  }
  const identifier = parameter.valueReference?.identifier ?? parameter.valueIdentifier;
  if (identifier?.value === undefined) {
    throw fhirError('invalid-value', `'${name}' must be a reference or an identifier.`, at(name));
  }
  const id =
    type === 'Organization'
      ? (await organisationByOdsCode(db, identifier.value))?.organizationId
      : await patientByNhsNumber(db, identifier.value);
  if (id === undefined)
    throw fhirError('resource-not-found', `No ${type} has the identifier given.`, at(name));
  return id;
}

async function patientByNhsNumber(db: SqlExecutor, nhsNumber: string): Promise<string | undefined> {
  const { rows } = await db.query<{ id: string }>(
    `select r.id from search_token t join resource r on r.rid = t.rid
      where t.resource_type = 'Patient' and t.param = 'identifier' and t.system = $1 and t.code = $2
        and not r.deleted order by r.rid limit 1`,
    [NHS_NUMBER_SYSTEM, nhsNumber],
  );
  return rows[0]?.id;
}

/**
 * The patient a request is about, which the caller must be able to see: a request never reaches a
 * record the caller has no legitimate relationship with (absent and not-yours answer alike, 404).
 */
export async function visiblePatient(
  ctx: RequestContext,
  db: SqlExecutor,
  access: AccessContext,
  reader: ParameterReader,
): Promise<{ id: string; patient: Patient }> {
  const id = await referencedId(db, reader, 'patient', 'Patient');
  if (id === undefined) {
    throw fhirError('missing-required-element', "The parameter 'patient' is required.", at('patient'));
  }
  const row = await ctx.store.read(db, 'Patient', id, ctx.access.visibility(access, 'r'));
  if (!row || row.deleted)
    throw fhirError('resource-not-found', `Patient ${id} is not visible to you.`, at('patient'));
  return { id, patient: JSON.parse(row.content) as Patient };
}

export async function organisationParameter(
  db: SqlExecutor,
  reader: ParameterReader,
  name: string,
): Promise<string | undefined> {
  return referencedId(db, reader, name, 'Organization');
}

/** The patient's registered practice (Patient.generalPractitioner naming an Organization). */
export function registeredPractice(patient: Patient): string | undefined {
  for (const gp of patient.generalPractitioner ?? []) {
    const parsed = parseRelativeReference(gp.reference ?? '');
    if (parsed?.resourceType === 'Organization') return parsed.id;
  }
  return undefined;
}

/** Whether the organisation has any legitimate relationship with the patient (registration, care, a request). */
export async function caresFor(db: SqlExecutor, organizationId: string, patientId: string): Promise<boolean> {
  const { rows } = await db.query(
    'select 1 from access_relationship where patient_id = $1 and organization_id = $2 limit 1',
    [patientId, organizationId],
  );
  return rows.length > 0;
}

export function requiredText(reader: ParameterReader, name: string): string {
  const value = reader.string(name);
  if (value === undefined) {
    throw fhirError('missing-required-element', `The parameter '${name}' is required.`, at(name));
  }
  return value;
}

/** A code parameter from a fixed list; `fallback` when absent, 400 naming the choices when wrong. */
export function codeFrom<T extends string>(
  reader: ParameterReader,
  name: string,
  allowed: readonly T[],
  fallback?: T,
): T | undefined {
  const value = reader.code(name);
  if (value === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(value)) {
    throw fhirError('invalid-code', `'${name}' must be one of ${allowed.join(', ')}.`, at(name));
  }
  return value as T;
}

export function codesFrom<T extends string>(
  reader: ParameterReader,
  name: string,
  allowed: readonly T[],
): T[] {
  return reader.all(name).map((parameter) => {
    const value = parameter.valueCode ?? parameter.valueCoding?.code;
    if (value === undefined || !(allowed as readonly string[]).includes(value)) {
      throw fhirError('invalid-code', `Each '${name}' must be one of ${allowed.join(', ')}.`, at(name));
    }
    return value as T;
  });
}

/**
 * A date or dateTime parameter as written (for the resource) and as the instant it means: a date
 * alone means the end of that London day, so nobody is called late for a time that was not stated.
 */
export function dateFrom(reader: ParameterReader, name: string): { text: string; instant: Date } | undefined {
  const parameter = reader.all(name)[0];
  if (parameter === undefined) return undefined;
  const text = parameter.valueDate ?? parameter.valueDateTime;
  const instant = text === undefined ? undefined : eventInstant(text);
  if (text === undefined || instant === undefined) {
    throw fhirError('invalid-value', `'${name}' must be a full date (YYYY-MM-DD) or dateTime.`, at(name));
  }
  return { text, instant };
}

/** A literal `Type/id` reference parameter (a request's focus, a referral's target). */
export function referenceFrom(reader: ParameterReader, name: string): string | undefined {
  const parameter = reader.all(name)[0];
  if (parameter === undefined) return undefined;
  const reference = parameter.valueReference?.reference;
  if (reference === undefined || parseRelativeReference(reference) === undefined) {
    throw fhirError('invalid-value', `'${name}' must be a literal reference (Type/id).`, at(name));
  }
  return reference;
}

/** A specialty as text: a coding's display or code, or a string. */
export function specialtyFrom(reader: ParameterReader): string {
  const parameter = reader.all('specialty')[0];
  const value =
    parameter?.valueString ?? parameter?.valueCoding?.display ?? parameter?.valueCoding?.code ?? undefined;
  return value !== undefined && value.trim() !== '' ? value.trim() : 'unspecified';
}
