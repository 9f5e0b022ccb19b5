import type { Coding, Parameters, ParametersParameter } from 'fhir/r4.js';
import { fhirError, isJsonObject } from '@carebridge/domain';

/** Reads an operation's Parameters body; any other body is refused with 400. */
export function parametersOf(body: unknown): ParameterReader {
  if (!isJsonObject(body) || body.resourceType !== 'Parameters') {
    throw fhirError('invalid-resource', 'The operation takes a Parameters resource.', ['Parameters']);
  }
  const list = Array.isArray(body.parameter) ? (body.parameter as unknown[]).filter(isJsonObject) : [];
  return new ParameterReader(list as unknown as ParametersParameter[]);
}

export class ParameterReader {
  constructor(readonly list: readonly ParametersParameter[]) {}

  all(name: string): ParametersParameter[] {
    return this.list.filter((parameter) => parameter.name === name);
  }

  string(name: string): string | undefined {
    const value = this.all(name)[0]?.valueString;
    return typeof value === 'string' && value.trim() !== '' ? value : undefined;
  }

  /** A required string parameter: 400 naming it when absent. */
  requiredString(name: string): string {
    const value = this.string(name) ?? this.all(name)[0]?.valueIdentifier?.value;
    if (value === undefined) {
      throw fhirError('missing-required-element', `The parameter '${name}' is required.`, [
        `Parameters.parameter('${name}')`,
      ]);
    }
    return value;
  }

  code(name: string): string | undefined {
    const parameter = this.all(name)[0];
    return parameter?.valueCode ?? parameter?.valueCoding?.code;
  }

  boolean(name: string): boolean | undefined {
    return this.all(name)[0]?.valueBoolean;
  }

  /** An embedded resource, as untrusted JSON: the operation checks its shape. */
  resource(name: string): unknown {
    return this.all(name)[0]?.resource;
  }

  codings(name: string): Coding[] {
    return this.all(name)
      .map((parameter) => parameter.valueCoding)
      .filter((coding): coding is Coding => coding !== undefined);
  }
}

/** Builds an output Parameters, leaving out parameters whose value is undefined. */
export type Part = ParametersParameter | undefined;

export function parameters(parts: readonly Part[]): Parameters {
  return { resourceType: 'Parameters', parameter: compact(parts) };
}

export function compact(parts: readonly Part[]): ParametersParameter[] {
  return parts.filter((part): part is ParametersParameter => part !== undefined);
}

export const str = (name: string, value: string | null | undefined): Part =>
  value === null || value === undefined ? undefined : { name, valueString: value };
export const code = (name: string, value: string | null | undefined): Part =>
  value === null || value === undefined ? undefined : { name, valueCode: value };
export const instant = (name: string, value: Date | null | undefined): Part =>
  value === null || value === undefined ? undefined : { name, valueInstant: value.toISOString() };
export const ref = (name: string, reference: string | null | undefined): Part =>
  reference === null || reference === undefined ? undefined : { name, valueReference: { reference } };
export const int = (name: string, value: number): Part => ({ name, valueInteger: value });
export const bool = (name: string, value: boolean): Part => ({ name, valueBoolean: value });
export const group = (name: string, parts: readonly Part[]): Part => ({ name, part: compact(parts) });
