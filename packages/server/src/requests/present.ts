import {
  REQUEST_CATEGORIES,
  allowedRequestEvents,
  citeClause,
  effectiveRules,
  type Assessment,
  type RequestAlarm,
  type RequestParty,
} from '@carebridge/domain';
import type { AccessContext } from '../access/access-control.js';
import { bool, code, group, instant, int, ref, str, type Part } from '../exchange/parameters.js';
import type { RequestOptions } from './context.js';
import type { RequestEventRow, RequestRow } from './ledger-store.js';

/** How requests, their events, flags and alarms appear in operation answers (Parameters parts). */

/** The summary of the rule a request was assessed under, from the rules in force for its owner. */
export function ruleSummary(options: RequestOptions, row: Pick<RequestRow, 'ruleId' | 'commissioner'>) {
  if (row.ruleId === null) return undefined;
  const rules = effectiveRules(row.commissioner ?? undefined, options.localAgreements);
  return rules.find((rule) => rule.id === row.ruleId)?.summary;
}

/** The flag both sides see on a request the rules place on its requester. */
export function flagPart(
  assessment: Pick<Assessment, 'placesOnRequester' | 'responsible' | 'explanation'> & {
    ruleId?: string | null;
    clause?: string | null;
  },
): Part {
  return group('responsibility', [
    code('responsible', assessment.responsible),
    bool('placesOnRequester', assessment.placesOnRequester),
    code('rule', assessment.ruleId),
    str('clause', assessment.clause ? citeClause(assessment.clause) : undefined),
    str('explanation', assessment.explanation),
  ]);
}

export function assessmentPart(assessment: Assessment): Part {
  return flagPart({
    ...assessment,
    ruleId: assessment.rule?.id ?? null,
    clause: assessment.rule?.clause ?? null,
  });
}

function eventPart(event: RequestEventRow): Part {
  return group('event', [
    code('from', event.from),
    code('to', event.to),
    code('event', event.event),
    instant('at', event.at),
    str('who', event.display ?? event.subject),
    code('role', event.role),
    ref('organization', event.organizationId === null ? null : `Organization/${event.organizationId}`),
    str('reason', event.reason),
    str('clause', event.clause === null ? null : citeClause(event.clause)),
  ]);
}

function alarmPart(alarm: RequestAlarm, side: RequestParty | undefined): Part {
  return group('alarm', alarmFields(alarm, side));
}

/** An alarm as every request view shows it; `mustAct` when the caller's side is the one to act. */
export function alarmFields(alarm: RequestAlarm, side: RequestParty | undefined): Part[] {
  return [
    code('code', alarm.code),
    code('severity', alarm.severity),
    code('party', alarm.party),
    code('informs', alarm.informs),
    bool('mustAct', side === alarm.party),
    instant('due', alarm.dueAt),
    str('message', alarm.message),
  ];
}

/** The caller's side of a request: its organisation's (operations and integrations without one have none). */
export function sideOf(access: AccessContext, row: RequestRow): RequestParty | undefined {
  const own = access.principal.organizationId;
  if (own === row.ownerOrgId) return 'owner';
  return own === row.requesterOrgId ? 'requester' : undefined;
}

export interface RequestView {
  row: RequestRow;
  events?: readonly RequestEventRow[];
  alarms?: readonly RequestAlarm[];
  side?: RequestParty;
}

/** One request with everything both sides need to act on it. */
export function requestParts(options: RequestOptions, view: RequestView): Part[] {
  const { row, side } = view;
  const explanation = ruleSummary(options, row);
  return [
    str('request', row.taskId),
    ref('task', `Task/${row.taskId}`),
    code('status', row.status),
    code('category', row.category),
    str('categoryDisplay', REQUEST_CATEGORIES[row.category].display),
    code('categorySource', row.categorySource),
    code('priority', row.priority),
    code('source', row.source),
    ref('patient', `Patient/${row.patientId}`),
    ref('requester', `Organization/${row.requesterOrgId}`),
    str('requesterName', row.requesterName),
    str('requestingPerson', row.requesterDisplay ?? row.requesterSubject),
    ref('owner', `Organization/${row.ownerOrgId}`),
    str('ownerName', row.ownerName),
    str('specialty', row.specialty),
    str('reason', row.reason),
    ...row.circumstances.map((circumstance) => code('circumstance', circumstance)),
    code('careContext', row.careContext),
    instant('due', row.dueAt),
    str('focus', row.focus),
    bool('flagged', row.flagged),
    flagPart({
      responsible: row.responsibility,
      placesOnRequester: row.flagged,
      ruleId: row.ruleId,
      clause: row.ruleClause,
      explanation: explanation ?? 'No contract rule places this request with the requester.',
    }),
    str('declineReason', row.declineReason),
    code('declineRule', row.declineRuleId),
    str('declineClause', row.declineClause === null ? null : citeClause(row.declineClause)),
    str('cancelReason', row.cancelReason),
    int('estimatedMinutes', row.estimatedMinutes),
    instant('created', row.createdAt),
    instant('received', row.receivedAt),
    instant('accepted', row.acceptedAt),
    instant('declined', row.declinedAt),
    instant('started', row.startedAt),
    instant('completed', row.completedAt),
    instant('cancelled', row.cancelledAt),
    instant('declineAcknowledged', row.declineAcknowledgedAt),
    ...(side === undefined
      ? []
      : allowedRequestEvents(
          {
            status: row.status,
            ...(row.declineAcknowledgedAt === null ? {} : { declineAcknowledged: true }),
          },
          side,
        ).map((event) => code('allowedAction', event))),
    ...(view.alarms ?? []).map((alarm) => alarmPart(alarm, side)),
    ...(view.events ?? []).filter((event) => event.requestId === row.id).map(eventPart),
  ];
}
