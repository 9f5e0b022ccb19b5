import { randomUUID } from 'node:crypto';
import type { CodeableConcept, Task } from 'fhir/r4.js';
import {
  CARE_CONTEXTS,
  REQUEST_CATEGORY_CODES,
  REQUEST_CIRCUMSTANCES,
  assessRequest,
  effectiveRules,
  fhirError,
  type Assessment,
  type CareContext,
  type RequestCategory,
  type RequestCircumstance,
  type RequestPriority,
} from '@carebridge/domain';
import type { AccessContext } from '../access/access-control.js';
import type { ParameterReader } from '../exchange/parameters.js';
import type { SqlExecutor } from '../store/database.js';
import type { ResourceStore } from '../store/resource-store.js';
import {
  actorOf,
  organisationInfo,
  requireRole,
  type Actor,
  type OrganisationInfo,
  type RequestOptions,
  type RequestContext,
} from './context.js';
import {
  at,
  caresFor,
  codeFrom,
  codesFrom,
  dateFrom,
  organisationParameter,
  referenceFrom,
  requiredText,
  specialtyFrom,
  visiblePatient,
} from './inputs.js';
import {
  insertRequest,
  insertRequestEvent,
  type CategorySourceColumn,
  type RequestRow,
  type RequestSource,
} from './ledger-store.js';
import { asResource, newTask } from './task.js';

/** Everything needed to record a request, whichever way it arrived (API, letter action, onward referral). */
export interface RequestSpec {
  source: RequestSource;
  /** Makes the request unique to its source (a letter's action), so a retry creates nothing new. */
  sourceKey?: string;
  patientId: string;
  requester: OrganisationInfo;
  requestingPerson: Actor & { reference?: string };
  owner: OrganisationInfo;
  category: RequestCategory;
  categorySource: CategorySourceColumn;
  circumstances: readonly RequestCircumstance[];
  careContext?: CareContext;
  priority: RequestPriority;
  reason: string;
  description?: string;
  due?: { text: string; instant: Date };
  focus?: string;
  specialty: string;
  requestedAction?: CodeableConcept;
  note?: string;
  /** A letter's actions arrive already received: filing the letter is receiving them. */
  received?: { by: Actor; requestedAt: Date };
  at: Date;
}

export interface RecordedRequest {
  row: RequestRow;
  task: Task;
  assessment: Assessment;
}

/** The contract assessment of a request, under its owner's commissioner's local agreements. */
export function assess(
  options: RequestOptions,
  spec: Pick<RequestSpec, 'category' | 'requester' | 'owner' | 'circumstances' | 'careContext'>,
): Assessment {
  const rules = effectiveRules(spec.owner.commissioner, options.localAgreements);
  return assessRequest(
    {
      category: spec.category,
      requesterSetting: spec.requester.setting,
      ownerSetting: spec.owner.setting,
      circumstances: spec.circumstances,
      ...(spec.careContext === undefined ? {} : { careContext: spec.careContext }),
    },
    rules,
  );
}

/**
 * Records a request: the ledger row first (its unique source key decides a retried letter), then the
 * Task under the id the row names, and the events that say who asked and, for a letter, who received
 * it. Undefined when the source key already has its request.
 */
export async function recordRequest(
  deps: { store: ResourceStore; options: RequestOptions },
  tx: SqlExecutor,
  spec: RequestSpec,
): Promise<RecordedRequest | undefined> {
  const assessment = assess(deps.options, spec);
  const taskId = randomUUID();
  const row = await insertRequest(tx, {
    taskId,
    source: spec.source,
    ...(spec.sourceKey === undefined ? {} : { sourceKey: spec.sourceKey }),
    patientId: spec.patientId,
    requester: {
      orgId: spec.requester.id,
      ...(spec.requester.ods === undefined ? {} : { ods: spec.requester.ods }),
      name: spec.requester.name,
      setting: spec.requester.setting,
      subject: spec.requestingPerson.subject,
      ...(spec.requestingPerson.display === undefined ? {} : { display: spec.requestingPerson.display }),
    },
    owner: { orgId: spec.owner.id, ...ownerColumns(spec.owner) },
    specialty: spec.specialty,
    category: spec.category,
    categorySource: spec.categorySource,
    circumstances: spec.circumstances,
    ...(spec.careContext === undefined ? {} : { careContext: spec.careContext }),
    priority: spec.priority,
    status: spec.received ? 'received' : 'requested',
    reason: spec.reason,
    ...(spec.due === undefined ? {} : { dueAt: spec.due.instant }),
    ...(spec.focus === undefined ? {} : { focus: spec.focus }),
    responsibility: assessment.responsible,
    flagged: assessment.placesOnRequester,
    ...(assessment.rule ? { ruleId: assessment.rule.id, ruleClause: assessment.rule.clause } : {}),
    // GP time is what the ledger measures; work asked of a hospital is counted, but not as GP minutes.
    estimatedMinutes: spec.owner.setting === 'practice' ? deps.options.minutes[spec.category] : 0,
    createdAt: spec.at,
    ...(spec.received ? { receivedAt: spec.at } : {}),
  });
  if (!row) return undefined;
  const task = { ...newTask(taskInput(spec, assessment)), id: taskId };
  await deps.store.createWithId(tx, { ...asResource(task), id: taskId });
  await recordCreation(tx, row, spec);
  return { row, task, assessment };
}

function ownerColumns(owner: OrganisationInfo) {
  return {
    ...(owner.ods === undefined ? {} : { ods: owner.ods }),
    name: owner.name,
    setting: owner.setting,
    ...(owner.commissioner === undefined ? {} : { commissioner: owner.commissioner }),
  };
}

function taskInput(spec: RequestSpec, assessment: Assessment) {
  return {
    status: spec.received ? ('received' as const) : ('requested' as const),
    category: spec.category,
    priority: spec.priority,
    patientId: spec.patientId,
    requester: spec.requester,
    requestingPerson: {
      display: spec.requestingPerson.display ?? spec.requestingPerson.subject,
      ...(spec.requestingPerson.reference ? { reference: spec.requestingPerson.reference } : {}),
    },
    owner: spec.owner,
    reason: spec.reason,
    ...(spec.description === undefined ? {} : { description: spec.description }),
    ...(spec.due === undefined ? {} : { due: spec.due.text }),
    ...(spec.focus === undefined ? {} : { focus: spec.focus }),
    specialty: spec.specialty,
    circumstances: spec.circumstances,
    ...(spec.careContext === undefined ? {} : { careContext: spec.careContext }),
    assessment,
    ...(spec.requestedAction ? { requestedAction: spec.requestedAction } : {}),
    ...(spec.note === undefined ? {} : { note: spec.note }),
    at: spec.at,
  };
}

async function recordCreation(tx: SqlExecutor, row: RequestRow, spec: RequestSpec): Promise<void> {
  const requestedAt = spec.received?.requestedAt ?? spec.at;
  await insertRequestEvent(
    tx,
    row.id,
    { from: null, to: 'requested', event: spec.source === 'letter' ? 'letter' : 'create' },
    requestedAt,
    spec.requestingPerson,
    { reason: spec.reason },
  );
  if (spec.received) {
    await insertRequestEvent(
      tx,
      row.id,
      { from: 'requested', to: 'received', event: 'file' },
      spec.at,
      spec.received.by,
    );
  }
}

const PRIORITIES: readonly RequestPriority[] = ['routine', 'urgent', 'asap', 'stat'];

/** The organisation the caller asks for: its own, or (a trusted integration) the one it names. */
async function requesterOrganisation(
  ctx: RequestContext,
  tx: SqlExecutor,
  access: AccessContext,
  reader: ParameterReader,
): Promise<OrganisationInfo> {
  const named = await organisationParameter(tx, reader, 'requester-organization');
  const own = access.principal.organizationId;
  if (own !== undefined && named !== undefined && named !== own) {
    throw fhirError(
      'forbidden',
      'You may only make requests for your own organisation.',
      at('requester-organization'),
    );
  }
  const id = own ?? (access.principal.patientAccess === 'all' ? named : undefined);
  if (id === undefined) {
    throw fhirError(
      'missing-required-element',
      "A caller with no organisation must name the 'requester-organization'.",
      at('requester-organization'),
    );
  }
  return organisationInfo(ctx.store, tx, id, at('requester-organization')[0]);
}

/** `$create-request`: a request from the caller's organisation to another that cares for the patient. */
export async function createRequest(
  ctx: RequestContext,
  tx: SqlExecutor,
  access: AccessContext,
  reader: ParameterReader,
): Promise<RecordedRequest> {
  requireRole(access, 'requester');
  const requester = await requesterOrganisation(ctx, tx, access, reader);
  const { id: patientId } = await visiblePatient(ctx, tx, access, reader);
  const ownerId = await organisationParameter(tx, reader, 'owner');
  if (ownerId === undefined)
    throw fhirError('missing-required-element', "The parameter 'owner' is required.", at('owner'));
  const owner = await organisationInfo(ctx.store, tx, ownerId, at('owner')[0]);
  if (owner.id === requester.id) {
    throw fhirError('invalid-value', 'A request goes to another organisation, not your own.', at('owner'));
  }
  // Creating a request gives its owner access to the patient's record, so it may only go to an
  // organisation already caring for them (their registered practice, a service treating them).
  if (!(await caresFor(tx, owner.id, patientId))) {
    throw fhirError(
      'request-owner-unrelated',
      `${owner.name} has no care relationship with this patient; send the request to their registered practice or a service treating them.`,
      at('owner'),
    );
  }
  const category = codeFrom(reader, 'category', REQUEST_CATEGORY_CODES);
  if (category === undefined) {
    throw fhirError('missing-required-element', "The parameter 'category' is required.", at('category'));
  }
  const careContext = codeFrom(reader, 'care-context', CARE_CONTEXTS);
  const description = reader.string('description');
  const due = dateFrom(reader, 'due');
  const focus = referenceFrom(reader, 'focus');
  const note = reader.string('note');
  const actor = actorOf(access);
  const recorded = await recordRequest(ctx, tx, {
    source: 'api',
    patientId,
    requester,
    requestingPerson: {
      ...actor,
      ...(access.principal.practitionerId
        ? { reference: `Practitioner/${access.principal.practitionerId}` }
        : {}),
    },
    owner,
    category,
    categorySource: 'requester',
    circumstances: [...new Set(codesFrom(reader, 'circumstance', REQUEST_CIRCUMSTANCES))],
    ...(careContext === undefined ? {} : { careContext }),
    priority: codeFrom(reader, 'priority', PRIORITIES, 'routine') ?? 'routine',
    reason: requiredText(reader, 'reason'),
    ...(description === undefined ? {} : { description }),
    ...(due === undefined ? {} : { due }),
    ...(focus === undefined ? {} : { focus }),
    specialty: specialtyFrom(reader),
    ...(note === undefined ? {} : { note }),
    at: ctx.clock.now(),
  });
  // Without a source key the insert cannot conflict.
  if (!recorded) throw fhirError('internal-error', 'The request could not be recorded.');
  return recorded;
}
