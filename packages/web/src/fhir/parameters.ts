import type { Parameters, ParametersParameter } from 'fhir/r4';

/**
 * Reading the Parameters the exchange operations answer with: flat values and repeated groups
 * (`entry`, `recipient`, `alarm`, `event`), each a list of named parts.
 */
export type Parts = readonly ParametersParameter[];

export function partsOf(parameters: Parameters): Parts {
  return parameters.parameter ?? [];
}

export function groups(parts: Parts, name: string): Parts[] {
  return parts.filter((part) => part.name === name).map((part) => part.part ?? []);
}

export function text(parts: Parts, name: string): string | undefined {
  const part = parts.find((candidate) => candidate.name === name);
  return (
    part?.valueString ??
    part?.valueCode ??
    part?.valueInstant ??
    part?.valueDateTime ??
    part?.valueDate ??
    part?.valueReference?.reference ??
    part?.valueCoding?.code
  );
}

/** `{ [key]: value }` when there is a value, else nothing: for spreading an optional field into an object. */
export const optional = <K extends string>(key: K, value: string | undefined): Partial<Record<K, string>> =>
  value === undefined ? {} : ({ [key]: value } as Record<K, string>);

export function flag(parts: Parts, name: string): boolean {
  return parts.find((candidate) => candidate.name === name)?.valueBoolean === true;
}

export function integer(parts: Parts, name: string): number | undefined {
  return parts.find((candidate) => candidate.name === name)?.valueInteger;
}

export function parameters(list: ParametersParameter[]): Parameters {
  return { resourceType: 'Parameters', parameter: list };
}
