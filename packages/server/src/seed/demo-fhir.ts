import type { Address, CodeableConcept, Coding, ContactPoint, Meta, Reference } from 'fhir/r4.js';

export const SNOMED_CT = 'http://snomed.info/sct';

/**
 * Every demo resource carries the HL7 "test health data" security label, so that anything copied out
 * of a demo environment is recognisably synthetic wherever it ends up.
 */
export const TEST_DATA_SECURITY_LABEL: Coding = {
  system: 'http://terminology.hl7.org/CodeSystem/v3-ActReason',
  code: 'HTEST',
  display: 'test health data',
};

export function demoMeta(): Meta {
  return { security: [{ ...TEST_DATA_SECURITY_LABEL }] };
}

export function literalReference(resourceType: string, id: string, display?: string): Reference {
  return display === undefined
    ? { reference: `${resourceType}/${id}` }
    : { reference: `${resourceType}/${id}`, display };
}

export function snomed(code: string, display: string, text?: string): CodeableConcept {
  return { coding: [{ system: SNOMED_CT, code, display }], text: text ?? display };
}

/** Postal details shared by organisations, sites and patients. Towns and postcodes are fictional. */
export interface PostalAddress {
  readonly lines: readonly string[];
  readonly town: string;
  readonly postcode: string;
}

export function fhirAddress(address: PostalAddress, use: 'home' | 'work'): Address {
  return { use, type: 'both', line: [...address.lines], city: address.town, postalCode: address.postcode };
}

export function workPhone(number: string): ContactPoint {
  return { system: 'phone', value: number, use: 'work' };
}

/**
 * Ofcom reserves 01632 960000–960999 and 07700 900000–900999 for drama, so these numbers can never
 * ring a real person. `n` is taken modulo the 1,000 numbers in each range.
 */
export function dramaLandline(n: number): string {
  return `01632 ${960000 + (n % 1000)}`;
}

export function dramaMobile(n: number): string {
  return `07700 ${900000 + (n % 1000)}`;
}
