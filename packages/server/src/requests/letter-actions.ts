import type {
  Bundle,
  CodeableConcept,
  Coding,
  Composition,
  Encounter,
  Practitioner,
  PractitionerRole,
  Task,
} from 'fhir/r4.js';
import { classifyAction, type CareContext, type Clock, type DocumentKind } from '@carebridge/domain';
import type { SqlExecutor } from '../store/database.js';
import type { ResourceStore } from '../store/resource-store.js';
import { DEFAULT_REQUEST_OPTIONS, organisationInfo, type Actor, type RequestOptions } from './context.js';
import { recordRequest } from './create.js';
import { asResource } from './task.js';

/**
 * A letter's "plan and requested actions" as requests the practice must accept or decline, instead of
 * prose to be missed. Called by the exchange when a practice files a letter, in the filing's
 * transaction: each accepted action becomes a request in status `received` (filing is receiving),
 * owned by the practice, made by the sending organisation and the letter's author, focused on the
 * letter's DocumentReference, and assessed against the contract rules like any other request.
 */

export interface LetterAction {
  /** The action's code as filed (the practice may have amended it). */
  coding: Coding;
  text?: string;
  description?: string;
}

export interface LetterFiling {
  document: {
    documentId: string;
    title: string;
    kind: DocumentKind;
    senderOrgId: string | null;
    patientId: string | null;
    documentReferenceId: string;
    bundleId: string;
    createdAt: Date;
    authorisedAt: Date | null;
  };
  /** The delivery-ledger row being filed: with the action's position it makes each request unique. */
  rowId: string;
  recipientOrgId: string | null;
  actions: readonly LetterAction[];
  filedBy: Actor;
}

/** The hospital care each kind of letter comes from, for the prescribing rules (SC11.9 / SC11.10). */
const CARE_CONTEXT_OF: Readonly<Record<DocumentKind, CareContext | undefined>> = {
  'inpatient-discharge': 'inpatient',
  'emergency-discharge': 'emergency',
  'mental-health-discharge': 'inpatient',
  'outpatient-letter': 'outpatient',
  'general-correspondence': undefined,
};

/**
 * Records the filed letter's actions as requests and returns their Task references. With no sending
 * organisation or patient on Carebridge, an action cannot be a request between two organisations:
 * it is written as a plain Task owned by the practice, so it is still not lost.
 *
 * `options` are the request options in force; the exchange does not carry them yet, so a letter's
 * actions are assessed under the national rules and default GP minutes unless they are passed.
 */
export async function requestsFromLetterActions(
  deps: { store: ResourceStore; clock: Clock; options?: RequestOptions },
  tx: SqlExecutor,
  filing: LetterFiling,
): Promise<string[]> {
  const { document } = filing;
  if (filing.actions.length === 0) return [];
  if (document.senderOrgId === null || document.patientId === null || filing.recipientOrgId === null) {
    return plainTasks(deps.store, tx, filing, deps.clock.now());
  }
  const options = deps.options ?? DEFAULT_REQUEST_OPTIONS;
  const requester = await organisationInfo(deps.store, tx, document.senderOrgId);
  const owner = await organisationInfo(deps.store, tx, filing.recipientOrgId);
  const letter = await letterContext(deps.store, tx, document.bundleId);
  const careContext = CARE_CONTEXT_OF[document.kind];
  const now = deps.clock.now();
  const written: string[] = [];
  for (const [index, action] of filing.actions.entries()) {
    const classification = classifyAction({ concept: action.coding, ...textOf(action) });
    const asked =
      action.description ?? action.text ?? action.coding.display ?? 'An action requested in a letter';
    const recorded = await recordRequest({ store: deps.store, options }, tx, {
      source: 'letter',
      sourceKey: `letter:${filing.rowId}:${index}`,
      patientId: document.patientId,
      requester,
      requestingPerson: {
        subject: `author:${document.documentId}`,
        role: 'author',
        organizationId: requester.id,
        display: letter.author ?? requester.name,
      },
      owner,
      category: classification.category,
      categorySource: classification.source,
      circumstances: classification.circumstances,
      ...(careContext === undefined ? {} : { careContext }),
      priority: 'routine',
      reason: asked,
      ...(action.description === undefined ? {} : { description: action.description }),
      focus: `DocumentReference/${document.documentReferenceId}`,
      specialty: letter.specialty ?? 'unspecified',
      requestedAction: conceptOf(action),
      note: `From "${document.title}" (document ${document.documentId}).`,
      received: { by: filing.filedBy, requestedAt: document.authorisedAt ?? document.createdAt },
      at: now,
    });
    if (recorded) written.push(`Task/${recorded.row.taskId}`);
  }
  return written;
}

function textOf(action: LetterAction): { text?: string; description?: string } {
  return {
    ...(action.text === undefined ? {} : { text: action.text }),
    ...(action.description === undefined ? {} : { description: action.description }),
  };
}

function conceptOf(action: LetterAction): CodeableConcept {
  return { coding: [action.coding], ...(action.text === undefined ? {} : { text: action.text }) };
}

/** Without two organisations there is no request, but the practice still gets a work item. */
async function plainTasks(
  store: ResourceStore,
  tx: SqlExecutor,
  filing: LetterFiling,
  now: Date,
): Promise<string[]> {
  const { document } = filing;
  const written: string[] = [];
  for (const action of filing.actions) {
    const task: Task = {
      resourceType: 'Task',
      status: 'requested',
      intent: 'order',
      code: conceptOf(action),
      ...(action.description === undefined ? {} : { description: action.description }),
      ...(document.patientId === null ? {} : { for: { reference: `Patient/${document.patientId}` } }),
      focus: { reference: `DocumentReference/${document.documentReferenceId}` },
      ...(filing.recipientOrgId === null
        ? {}
        : { owner: { reference: `Organization/${filing.recipientOrgId}` } }),
      authoredOn: now.toISOString(),
      note: [{ text: `Filed from "${document.title}" (document ${document.documentId}).` }],
    };
    const row = await store.create(tx, asResource(task));
    written.push(`Task/${row.id}`);
  }
  return written;
}

interface LetterContext {
  author?: string;
  specialty?: string;
}

/** The letter's author and specialty, read from the stored document Bundle. */
async function letterContext(
  store: ResourceStore,
  tx: SqlExecutor,
  bundleId: string,
): Promise<LetterContext> {
  const row = await store.read(tx, 'Bundle', bundleId);
  if (!row || row.deleted) return {};
  const bundle = JSON.parse(row.content) as Bundle;
  const entries = bundle.entry ?? [];
  const composition = entries[0]?.resource as Composition | undefined;
  const authorRef = composition?.author?.[0];
  const author = entries.find(
    (entry) => entry.fullUrl !== undefined && entry.fullUrl === authorRef?.reference,
  )?.resource as Practitioner | PractitionerRole | undefined;
  const name = author?.resourceType === 'Practitioner' ? author.name?.[0] : undefined;
  const written =
    name?.text ?? [...(name?.prefix ?? []), ...(name?.given ?? []), name?.family].filter(Boolean).join(' ');
  const specialty = entries
    .map((entry) => entry.resource)
    .map((resource) =>
      resource?.resourceType === 'Encounter'
        ? conceptText((resource as Encounter).serviceType)
        : resource?.resourceType === 'PractitionerRole'
          ? conceptText((resource as PractitionerRole).specialty?.[0])
          : undefined,
    )
    .find((text) => text !== undefined);
  return {
    ...(authorRef?.display || written ? { author: authorRef?.display ?? written } : {}),
    ...(specialty === undefined ? {} : { specialty }),
  };
}

function conceptText(concept: CodeableConcept | undefined): string | undefined {
  return concept?.text ?? concept?.coding?.[0]?.display ?? undefined;
}
