import type { CodeableConcept, HumanName, Patient } from 'fhir/r4';
import { NHS_NUMBER_SYSTEM } from '../domain';

/** Display conventions of NHS.UK services: "SURNAME, Given", NHS numbers as 3 3 4, dates in words. */

export function displayName(names: readonly HumanName[] | undefined): string {
  const name = names?.find((candidate) => candidate.use === 'official') ?? names?.[0];
  if (name === undefined) return '';
  const family = (name.family ?? '').toUpperCase();
  const given = (name.given ?? []).join(' ');
  return family && given ? `${family}, ${given}` : family || given || (name.text ?? '');
}

export function formatNhsNumber(value: string | undefined): string {
  if (value === undefined) return '';
  const digits = value.replace(/\s/g, '');
  return digits.length === 10 ? `${digits.slice(0, 3)} ${digits.slice(3, 6)} ${digits.slice(6)}` : value;
}

export function nhsNumberOf(patient: Patient | undefined): string | undefined {
  return patient?.identifier?.find((identifier) => identifier.system === NHS_NUMBER_SYSTEM)?.value;
}

const DATE = new Intl.DateTimeFormat('en-GB', {
  day: 'numeric',
  month: 'long',
  year: 'numeric',
  timeZone: 'Europe/London',
});
const DATE_TIME = new Intl.DateTimeFormat('en-GB', {
  day: 'numeric',
  month: 'short',
  year: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  timeZone: 'Europe/London',
});

/** "23 June 1951"; a FHIR date (no time) is shown as the day it names, whatever the time zone. */
export function formatDate(value: string | undefined): string {
  if (value === undefined) return '';
  const date = /^\d{4}-\d{2}-\d{2}$/.test(value) ? new Date(`${value}T12:00:00Z`) : new Date(value);
  return Number.isNaN(date.getTime()) ? value : DATE.format(date);
}

/** "21 Nov 2026, 09:05" in London time. */
export function formatDateTime(value: string | undefined): string {
  if (value === undefined) return '';
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? value : DATE_TIME.format(date);
}

export function conceptText(concept: CodeableConcept | undefined): string {
  return concept?.text ?? concept?.coding?.[0]?.display ?? concept?.coding?.[0]?.code ?? '';
}

export function referenceId(reference: string | undefined): string | undefined {
  return reference?.split('/')[1];
}
