import type {
  AllergyIntolerance,
  Bundle,
  Coding,
  Composition,
  Condition,
  FhirResource,
  MedicationStatement,
  Organization,
  Patient,
  Practitioner,
  Procedure,
  Reference,
  Task,
} from 'fhir/r4';
import { MEDICATION_CHANGE_EXTENSION } from '../../domain';
import { conceptText } from '../../fhir/format';

/**
 * A received document Bundle as the letter screens need it: the Composition's headings in order,
 * each with its narrative and its entries resolved inside the Bundle, and the coded entries a GP can
 * choose to import when filing.
 */
export type EntryCategory = 'condition' | 'allergy' | 'medication' | 'procedure' | 'action';

export interface CodedEntry {
  category: EntryCategory;
  coding: Coding;
  display: string;
  /** Medication change status (added, amended, stopped…), allergy criticality or task request. */
  detail?: string;
}

export interface LetterSection {
  title: string;
  code?: string;
  /** The section's XHTML narrative, as sent (rendered through the sanitiser, never as raw HTML). */
  narrative?: string;
  emptyReason?: string;
  entries: CodedEntry[];
  /** Entries that are not coded clinical content (e.g. an Observation): shown by their text. */
  otherEntries: string[];
}

export interface LetterDocument {
  title: string;
  date?: string;
  status?: string;
  patient?: Patient;
  author?: string;
  custodian?: string;
  sections: LetterSection[];
}

function resolver(
  bundle: Bundle<FhirResource>,
): (reference: Reference | undefined) => FhirResource | undefined {
  const byUrl = new Map<string, FhirResource>();
  for (const entry of bundle.entry ?? []) {
    const resource = entry.resource;
    if (resource === undefined) continue;
    if (entry.fullUrl !== undefined) byUrl.set(entry.fullUrl, resource);
    if (resource.id !== undefined) byUrl.set(`${resource.resourceType}/${resource.id}`, resource);
  }
  return (reference) => (reference?.reference === undefined ? undefined : byUrl.get(reference.reference));
}

const firstCoding = (codings: readonly Coding[] | undefined): Coding | undefined =>
  codings?.find((coding) => coding.code !== undefined);

function codedEntry(resource: FhirResource): CodedEntry | undefined {
  switch (resource.resourceType) {
    case 'Condition':
    case 'Procedure': {
      const item = resource as Condition | Procedure;
      const coding = firstCoding(item.code?.coding);
      return (
        coding && {
          category: resource.resourceType === 'Condition' ? 'condition' : 'procedure',
          coding,
          display: conceptText(item.code),
        }
      );
    }
    case 'AllergyIntolerance': {
      const allergy = resource as AllergyIntolerance;
      const coding = firstCoding(allergy.code?.coding);
      return (
        coding && {
          category: 'allergy',
          coding,
          display: conceptText(allergy.code),
          ...(allergy.criticality === undefined ? {} : { detail: allergy.criticality }),
        }
      );
    }
    case 'MedicationStatement': {
      const statement = resource as MedicationStatement;
      const coding = firstCoding(statement.medicationCodeableConcept?.coding);
      const change =
        statement.extension?.find((extension) => extension.url === MEDICATION_CHANGE_EXTENSION)?.valueCode ??
        (statement.status === 'stopped' ? 'stopped' : undefined);
      return (
        coding && {
          category: 'medication',
          coding,
          display: conceptText(statement.medicationCodeableConcept),
          ...(change === undefined ? {} : { detail: change }),
        }
      );
    }
    case 'Task': {
      const task = resource as Task;
      const coding = firstCoding(task.code?.coding);
      return (
        coding && {
          category: 'action',
          coding,
          display: conceptText(task.code),
          ...(task.description === undefined ? {} : { detail: task.description }),
        }
      );
    }
    default:
      return undefined;
  }
}

export function readLetter(bundle: Bundle<FhirResource>): LetterDocument {
  const resolve = resolver(bundle);
  const composition = bundle.entry?.[0]?.resource as Composition | undefined;
  if (composition?.resourceType !== 'Composition') return { title: '', sections: [] };
  const patient = resolve(composition.subject);
  const author = resolve(composition.author?.[0]);
  const custodian = resolve(composition.custodian);
  const sections = (composition.section ?? []).map((section): LetterSection => {
    const resources = (section.entry ?? []).flatMap((reference) => {
      const resource = resolve(reference);
      // Transfer of Care groups entries in a List: its items are the section's entries.
      if (resource?.resourceType === 'List') return (resource.entry ?? []).map((item) => resolve(item.item));
      return [resource];
    });
    const entries: CodedEntry[] = [];
    const otherEntries: string[] = [];
    for (const resource of resources) {
      if (resource === undefined) continue;
      const coded = codedEntry(resource);
      if (coded) entries.push(coded);
      else otherEntries.push(resource.resourceType);
    }
    return {
      title: section.title ?? conceptText(section.code),
      ...(section.code?.coding?.[0]?.code === undefined ? {} : { code: section.code.coding[0].code }),
      ...(section.text?.div === undefined ? {} : { narrative: section.text.div }),
      ...(section.emptyReason === undefined ? {} : { emptyReason: conceptText(section.emptyReason) }),
      entries,
      otherEntries,
    };
  });
  return {
    title: composition.title,
    date: composition.date,
    status: composition.status,
    ...(patient?.resourceType === 'Patient' ? { patient } : {}),
    ...(author?.resourceType === 'Practitioner' ? { author: practitionerName(author) } : {}),
    ...(custodian?.resourceType === 'Organization'
      ? { custodian: (custodian as Organization).name ?? '' }
      : {}),
    sections,
  };
}

function practitionerName(practitioner: Practitioner): string {
  const name = practitioner.name?.[0];
  return (
    [name?.prefix?.join(' '), name?.given?.join(' '), name?.family].filter(Boolean).join(' ') ||
    (name?.text ?? '')
  );
}

/** Every coded entry of the letter once (a heading may repeat an entry another heading has). */
export function codedEntriesOf(letter: LetterDocument): CodedEntry[] {
  const seen = new Set<string>();
  return letter.sections
    .flatMap((section) => section.entries)
    .filter((entry) => {
      const key = `${entry.category}|${entry.coding.system ?? ''}|${entry.coding.code ?? ''}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
}
