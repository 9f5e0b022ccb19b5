import type { CodeableConcept, Communication, Extension, Task } from 'fhir/r4.js';
import {
  REQUEST_CATEGORIES,
  REQUEST_CATEGORY_SYSTEM,
  REQUEST_STATUS_FHIR,
  REQUEST_STATUS_SYSTEM,
  citeClause,
  isJsonObject,
  type Assessment,
  type CareContext,
  type RequestCategory,
  type RequestCircumstance,
  type RequestPriority,
  type RequestStatus,
} from '@carebridge/domain';
import type { FhirResource } from '@carebridge/domain';
import type { SqlExecutor } from '../store/database.js';
import type { ResourceStore } from '../store/resource-store.js';
import type { OrganisationInfo } from './context.js';
import type { RequestRow } from './ledger-store.js';

/**
 * Requests are FHIR Tasks, so any FHIR client (and the practice's own system) reads them with
 * ordinary reads and searches: `requester` and `owner` are the two organisations, `for` the patient,
 * `code` the category, `reasonCode` why, `restriction.period.end` the due date and `focus` the letter
 * or order it comes from. What FHIR has no element for (the requesting person, the contract
 * assessment, the circumstances) is in Carebridge extensions.
 */
const STRUCTURE = 'https://carebridge.dev/fhir/StructureDefinition';
export const REQUESTING_PERSON_EXTENSION = `${STRUCTURE}/request-requesting-person`;
export const RESPONSIBILITY_EXTENSION = `${STRUCTURE}/request-responsibility`;
export const CIRCUMSTANCE_EXTENSION = `${STRUCTURE}/request-circumstance`;
export const SPECIALTY_EXTENSION = `${STRUCTURE}/request-specialty`;
export const CARE_CONTEXT_EXTENSION = `${STRUCTURE}/request-care-context`;
/** Task.statusReason coding of a decline citing a rule: the rule id, displayed with its clause. */
export const RESPONSIBILITY_RULE_SYSTEM = 'https://carebridge.dev/fhir/CodeSystem/responsibility-rule';

const REQUEST_EXTENSIONS: ReadonlySet<string> = new Set([
  REQUESTING_PERSON_EXTENSION,
  RESPONSIBILITY_EXTENSION,
  CIRCUMSTANCE_EXTENSION,
  SPECIALTY_EXTENSION,
  CARE_CONTEXT_EXTENSION,
]);

/** The coded elements only a request's Task carries, with the CodeSystem that marks each. */
const REQUEST_CODINGS = [
  ['businessStatus', REQUEST_STATUS_SYSTEM],
  ['code', REQUEST_CATEGORY_SYSTEM],
  ['statusReason', RESPONSIBILITY_RULE_SYSTEM],
] as const;

/**
 * Where a Task claims to be a Carebridge request (the FHIRPath of the first mark the request
 * operations put on their Tasks: a request extension, or the request status, category or
 * responsibility-rule CodeSystem), or undefined when it makes no such claim.
 */
export function requestMark(task: Readonly<Record<string, unknown>>): string | undefined {
  const extensions = Array.isArray(task.extension) ? (task.extension as unknown[]) : [];
  const extension = extensions.findIndex(
    (item) => isJsonObject(item) && REQUEST_EXTENSIONS.has(String(item.url)),
  );
  if (extension >= 0) return `Task.extension[${extension}].url`;
  for (const [element, system] of REQUEST_CODINGS) {
    const concept = task[element];
    const codings =
      isJsonObject(concept) && Array.isArray(concept.coding) ? (concept.coding as unknown[]) : [];
    const coding = codings.findIndex((item) => isJsonObject(item) && item.system === system);
    if (coding >= 0) return `Task.${element}.coding[${coding}].system`;
  }
  return undefined;
}

/** The store takes any resource as JSON; the typed R4 shapes have no index signature. */
export function asResource<T extends { resourceType: string }>(resource: T): FhirResource {
  return resource as unknown as FhirResource;
}

export interface TaskInput {
  status: 'requested' | 'received';
  category: RequestCategory;
  priority: RequestPriority;
  patientId: string;
  requester: OrganisationInfo;
  requestingPerson: { display: string; reference?: string };
  owner: OrganisationInfo;
  reason: string;
  description?: string;
  due?: string;
  focus?: string;
  specialty: string;
  circumstances: readonly RequestCircumstance[];
  careContext?: CareContext;
  assessment: Assessment;
  /** The sender's own coding of a letter's action, kept beside the category. */
  requestedAction?: CodeableConcept;
  note?: string;
  at: Date;
}

const statusFields = (status: RequestStatus) => ({
  status: REQUEST_STATUS_FHIR[status].taskStatus as Task['status'],
  businessStatus: {
    coding: [{ system: REQUEST_STATUS_SYSTEM, code: status, display: REQUEST_STATUS_FHIR[status].display }],
  },
});

function responsibilityExtension(assessment: Assessment): Extension {
  return {
    url: RESPONSIBILITY_EXTENSION,
    extension: [
      { url: 'responsible', valueCode: assessment.responsible },
      { url: 'placesOnRequester', valueBoolean: assessment.placesOnRequester },
      ...(assessment.rule ? [{ url: 'rule', valueCode: assessment.rule.id }] : []),
      ...(assessment.citation ? [{ url: 'clause', valueString: assessment.citation }] : []),
      { url: 'explanation', valueString: assessment.explanation },
    ],
  };
}

function extensions(input: TaskInput): Extension[] {
  return [
    {
      url: REQUESTING_PERSON_EXTENSION,
      valueReference: {
        ...(input.requestingPerson.reference ? { reference: input.requestingPerson.reference } : {}),
        display: input.requestingPerson.display,
      },
    },
    responsibilityExtension(input.assessment),
    { url: SPECIALTY_EXTENSION, valueString: input.specialty },
    ...input.circumstances.map((code) => ({ url: CIRCUMSTANCE_EXTENSION, valueCode: code })),
    ...(input.careContext ? [{ url: CARE_CONTEXT_EXTENSION, valueCode: input.careContext }] : []),
  ];
}

/** The Task for a new request (the server assigns its id). */
export function newTask(input: TaskInput): Task {
  const at = input.at.toISOString();
  return {
    resourceType: 'Task',
    extension: extensions(input),
    ...statusFields(input.status),
    intent: 'order',
    priority: input.priority,
    code: {
      coding: [
        {
          system: REQUEST_CATEGORY_SYSTEM,
          code: input.category,
          display: REQUEST_CATEGORIES[input.category].display,
        },
      ],
    },
    ...(input.description === undefined ? {} : { description: input.description }),
    ...(input.focus === undefined ? {} : { focus: { reference: input.focus } }),
    for: { reference: `Patient/${input.patientId}` },
    authoredOn: at,
    lastModified: at,
    requester: { reference: `Organization/${input.requester.id}`, display: input.requester.name },
    owner: { reference: `Organization/${input.owner.id}`, display: input.owner.name },
    reasonCode: { text: input.reason },
    ...(input.due === undefined ? {} : { restriction: { period: { end: input.due } } }),
    ...(input.requestedAction
      ? { input: [{ type: { text: 'Requested action' }, valueCodeableConcept: input.requestedAction }] }
      : {}),
    ...(input.note === undefined ? {} : { note: [{ text: input.note, time: at }] }),
  };
}

/** The Task after a transition: status, why (a decline's clause), when it ran, and any note. */
export function taskAfter(task: Task, row: RequestRow, at: Date, note?: string): Task {
  const next: Task = { ...task, ...statusFields(row.status), lastModified: at.toISOString() };
  const why =
    row.status === 'declined' ? row.declineReason : row.status === 'cancelled' ? row.cancelReason : null;
  if (why !== null) {
    next.statusReason = {
      ...(row.status === 'declined' && row.declineRuleId !== null
        ? {
            coding: [
              {
                system: RESPONSIBILITY_RULE_SYSTEM,
                code: row.declineRuleId,
                ...(row.declineClause === null ? {} : { display: citeClause(row.declineClause) }),
              },
            ],
          }
        : {}),
      text: why,
    };
  }
  const start = row.startedAt ?? row.acceptedAt;
  if (start !== null) {
    next.executionPeriod = {
      start: start.toISOString(),
      ...(row.completedAt === null ? {} : { end: row.completedAt.toISOString() }),
    };
  }
  if (note !== undefined) next.note = [...(task.note ?? []), { text: note, time: at.toISOString() }];
  return next;
}

/** Moves the stored Task with its ledger row, refusing (412) if the Task changed meanwhile. */
export async function updateTask(
  store: ResourceStore,
  tx: SqlExecutor,
  row: RequestRow,
  at: Date,
  note?: string,
): Promise<Task> {
  const stored = await store.read(tx, 'Task', row.taskId);
  if (!stored || stored.deleted) return newTaskPlaceholder(row);
  const task = taskAfter(JSON.parse(stored.content) as Task, row, at, note);
  await store.put(tx, { ...asResource(task), id: row.taskId }, { ifMatch: stored.versionId });
  return { ...task, id: row.taskId };
}

/** A deleted Task's request still moves in the ledger; the answer names it without content. */
function newTaskPlaceholder(row: RequestRow): Task {
  return { resourceType: 'Task', id: row.taskId, ...statusFields(row.status), intent: 'order' };
}

export interface Notification {
  from: { id: string; name: string };
  to: { id: string; name: string };
  patientId: string;
  about: string;
  text: string;
  at: Date;
  clause?: string | null;
}

/**
 * A message from one organisation to another about a request or referral: how a decline reaches the
 * requester at once, and how an onward referral or a discharge after a missed appointment informs the
 * GP without asking anything of them. Stored, so it is part of the patient's record of care.
 */
export function notification(message: Notification): Communication {
  return {
    resourceType: 'Communication',
    status: 'completed',
    category: [
      {
        coding: [
          { system: 'http://terminology.hl7.org/CodeSystem/communication-category', code: 'notification' },
        ],
      },
    ],
    subject: { reference: `Patient/${message.patientId}` },
    about: [{ reference: message.about }],
    sent: message.at.toISOString(),
    recipient: [{ reference: `Organization/${message.to.id}`, display: message.to.name }],
    sender: { reference: `Organization/${message.from.id}`, display: message.from.name },
    payload: [{ contentString: message.text }],
    ...(message.clause ? { reasonCode: [{ text: citeClause(message.clause) }] } : {}),
  };
}

export async function storeNotification(
  store: ResourceStore,
  tx: SqlExecutor,
  message: Notification,
): Promise<string> {
  const row = await store.create(tx, asResource(notification(message)));
  return `Communication/${row.id}`;
}

/** Free text as a sentence, so messages read properly whatever punctuation was typed. */
export function sentence(text: string): string {
  const trimmed = text.trim();
  return /[.!?)]$/.test(trimmed) ? trimmed : `${trimmed}.`;
}
