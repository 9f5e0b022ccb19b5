import type { Appointment, Patient, ServiceRequest } from 'fhir/r4.js';
import { citeClause, fhirError, parseRelativeReference } from '@carebridge/domain';
import type { AccessContext } from '../access/access-control.js';
import type { ParameterReader } from '../exchange/parameters.js';
import type { SqlExecutor } from '../store/database.js';
import {
  actorOf,
  organisationInfo,
  requireRole,
  type OrganisationInfo,
  type RequestContext,
} from './context.js';
import { recordRequest, type RecordedRequest } from './create.js';
import {
  at,
  dateFrom,
  referenceFrom,
  registeredPractice,
  requiredText,
  specialtyFrom,
  visiblePatient,
} from './inputs.js';
import { asResource, sentence, storeNotification } from './task.js';

/**
 * Two things a hospital does that must never become work for the GP (NHS Standard Contract SC6 and
 * SC8.4): what happens after a missed appointment, and an onward referral. Both inform the practice
 * when it needs to know, and ask nothing of it unless the contract says its agreement is needed.
 */

/** The hospital the caller acts for: its own organisation, which must be a trust (or a named one, for an integration). */
async function actingHospital(
  ctx: RequestContext,
  tx: SqlExecutor,
  access: AccessContext,
  reader: ParameterReader,
): Promise<OrganisationInfo> {
  const named = referenceFrom(reader, 'hospital');
  const namedId = named === undefined ? undefined : parseRelativeReference(named)?.id;
  const id =
    access.principal.organizationId ?? (access.principal.patientAccess === 'all' ? namedId : undefined);
  if (id === undefined) {
    throw fhirError(
      'missing-required-element',
      "A caller with no organisation must name the 'hospital'.",
      at('hospital'),
    );
  }
  const hospital = await organisationInfo(ctx.store, tx, id, at('hospital')[0]);
  if (hospital.setting !== 'hospital') {
    throw fhirError(
      'forbidden',
      'Only a hospital records missed hospital appointments and onward referrals.',
    );
  }
  return hospital;
}

async function practiceOf(
  ctx: RequestContext,
  tx: SqlExecutor,
  patient: Patient,
): Promise<OrganisationInfo | undefined> {
  const id = registeredPractice(patient);
  return id === undefined ? undefined : organisationInfo(ctx.store, tx, id).catch(() => undefined);
}

export interface MissedAppointmentResult {
  outcome: 'rebooked' | 'discharged';
  patientId: string;
  appointment: string;
  rebooked?: string;
  communication?: string;
  practice?: string;
}

/** Outcomes that would hand the patient back to the GP: refused by the contract, whatever they are called. */
const RE_REFERRAL_OUTCOMES: ReadonlySet<string> = new Set([
  're-refer',
  'refer-back',
  'refer-back-to-gp',
  'discharge-to-gp',
  'discharge-for-re-referral',
]);

function missedOutcome(reader: ParameterReader): 'rebook' | 'discharge' {
  const outcome = reader.code('outcome');
  if (outcome !== undefined && RE_REFERRAL_OUTCOMES.has(outcome)) {
    throw fhirError(
      're-referral-refused',
      `'${outcome}' would discharge the patient to their GP for re-referral, which ${citeClause('SC6')} does not allow; rebook, or discharge with a clinical decision.`,
      at('outcome'),
    );
  }
  if (outcome === undefined || outcome === 'rebook') return 'rebook';
  if (outcome === 'discharge') return 'discharge';
  throw fhirError('invalid-code', "'outcome' must be rebook or discharge.", at('outcome'));
}

/** The missed appointment: the one named (marked no-show), or a new record of it. */
async function noShowAppointment(
  ctx: RequestContext,
  tx: SqlExecutor,
  access: AccessContext,
  reader: ParameterReader,
  patientId: string,
  specialty: string,
): Promise<string> {
  const named = referenceFrom(reader, 'appointment');
  if (named !== undefined) {
    const parsed = parseRelativeReference(named);
    const row =
      parsed?.resourceType === 'Appointment'
        ? await ctx.store.read(tx, 'Appointment', parsed.id, ctx.access.visibility(access, 'r'))
        : undefined;
    const appointment = row && !row.deleted ? (JSON.parse(row.content) as Appointment) : undefined;
    const forPatient = appointment?.participant.some((p) => p.actor?.reference === `Patient/${patientId}`);
    if (!appointment || !forPatient || !parsed) {
      throw fhirError(
        'resource-not-found',
        `${named} is not an appointment of this patient visible to you.`,
        at('appointment'),
      );
    }
    await ctx.store.put(tx, { ...asResource({ ...appointment, status: 'noshow' }), id: parsed.id });
    return named;
  }
  const start = dateFrom(reader, 'appointment-start');
  const end = dateFrom(reader, 'appointment-end');
  if (start === undefined || end === undefined) {
    throw fhirError(
      'missing-required-element',
      "Name the 'appointment', or give its 'appointment-start' and 'appointment-end'.",
      at('appointment'),
    );
  }
  const appointment: Appointment = {
    resourceType: 'Appointment',
    status: 'noshow',
    serviceType: [{ text: specialty }],
    start: start.instant.toISOString(),
    end: end.instant.toISOString(),
    participant: [{ actor: { reference: `Patient/${patientId}` }, status: 'accepted' }],
  };
  const row = await ctx.store.create(tx, asResource(appointment));
  return `Appointment/${row.id}`;
}

async function rebook(
  ctx: RequestContext,
  tx: SqlExecutor,
  reader: ParameterReader,
  patientId: string,
  specialty: string,
): Promise<string> {
  const start = dateFrom(reader, 'rebook-start');
  const end = dateFrom(reader, 'rebook-end');
  // Without a slot the new appointment is proposed (on the waiting list), never silently dropped.
  const appointment: Appointment = {
    resourceType: 'Appointment',
    status: start && end ? 'booked' : 'proposed',
    serviceType: [{ text: specialty }],
    ...(start && end ? { start: start.instant.toISOString(), end: end.instant.toISOString() } : {}),
    participant: [
      { actor: { reference: `Patient/${patientId}` }, status: start && end ? 'accepted' : 'needs-action' },
    ],
    comment: 'Rebooked after a missed appointment.',
  };
  const row = await ctx.store.create(tx, asResource(appointment));
  return `Appointment/${row.id}`;
}

/**
 * `$missed-appointment`: records the missed appointment and applies the hospital's policy: rebook (the
 * default), or discharge with a letter to the practice stating the clinical decision. Never a request
 * to the GP to re-refer.
 */
export async function missedAppointment(
  ctx: RequestContext,
  tx: SqlExecutor,
  access: AccessContext,
  reader: ParameterReader,
): Promise<MissedAppointmentResult> {
  requireRole(access, 'hospital-booking');
  const outcome = missedOutcome(reader);
  if (outcome === 'discharge') requireRole(access, 'hospital-clinician');
  const hospital = await actingHospital(ctx, tx, access, reader);
  const { id: patientId, patient } = await visiblePatient(ctx, tx, access, reader);
  const specialty = specialtyFrom(reader);
  const decision = outcome === 'discharge' ? requiredText(reader, 'clinical-decision') : undefined;
  const appointment = await noShowAppointment(ctx, tx, access, reader, patientId, specialty);
  const now = ctx.clock.now();
  const result: MissedAppointmentResult = {
    outcome: outcome === 'rebook' ? 'rebooked' : 'discharged',
    patientId,
    appointment,
  };
  if (outcome === 'rebook') result.rebooked = await rebook(ctx, tx, reader, patientId, specialty);
  const practice = await practiceOf(ctx, tx, patient);
  if (decision !== undefined && practice) {
    result.practice = `Organization/${practice.id}`;
    result.communication = await storeNotification(ctx.store, tx, {
      from: hospital,
      to: practice,
      patientId,
      about: appointment,
      at: now,
      clause: 'SC6',
      text:
        `${hospital.name} (${specialty}): the patient did not attend their appointment and has been discharged. ` +
        `Clinical decision: ${sentence(decision)} ` +
        'This letter asks nothing of the practice and is not a request to re-refer.',
    });
  }
  await tx.query(
    `insert into missed_appointment (patient_id, hospital_org_id, appointment_id, specialty, outcome, clinical_decision,
       rebooked_appointment_id, communication_id, practice_org_id, recorded_at, recorded_by)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::timestamptz, $11)`,
    [
      patientId,
      hospital.id,
      appointment,
      specialty,
      result.outcome,
      decision ?? null,
      result.rebooked ?? null,
      result.communication ?? null,
      practice?.id ?? null,
      now.toISOString(),
      access.principal.subject,
    ],
  );
  return result;
}

export interface OnwardReferralResult {
  outcome: 'referred' | 'gp-agreement-requested';
  patientId: string;
  serviceRequest: string;
  communication?: string;
  practice?: string;
  request?: RecordedRequest;
}

/**
 * `$onward-referral`: a consultant refers the patient on. Related to the original complaint, or
 * urgent, the hospital refers directly and tells the GP for information only (SC8.4). Otherwise the
 * referral waits (a draft ServiceRequest) for the GP's agreement, asked as a request the GP may decline.
 */
export async function onwardReferral(
  ctx: RequestContext,
  tx: SqlExecutor,
  access: AccessContext,
  reader: ParameterReader,
): Promise<OnwardReferralResult> {
  requireRole(access, 'hospital-clinician');
  const hospital = await actingHospital(ctx, tx, access, reader);
  const { id: patientId, patient } = await visiblePatient(ctx, tx, access, reader);
  const reason = requiredText(reader, 'reason');
  const specialty = specialtyFrom(reader);
  const service = referenceFrom(reader, 'service');
  const related = reader.boolean('related-to-original-condition') === true;
  const urgent = reader.boolean('urgent') === true;
  const direct = related || urgent;
  const practice = await practiceOf(ctx, tx, patient);
  if (!direct && !practice) {
    throw fhirError(
      'request-owner-unrelated',
      'This referral needs the GP’s agreement (SC8.4), but the patient has no registered practice to ask.',
      at('patient'),
    );
  }
  const serviceRequest = await storeReferral(ctx, tx, {
    patientId,
    hospital,
    service,
    specialty,
    reason,
    urgent,
    status: direct ? 'active' : 'draft',
  });
  const now = ctx.clock.now();
  if (direct) {
    const why = related ? 'it is related to the condition originally referred' : 'it is urgent';
    const result: OnwardReferralResult = { outcome: 'referred', patientId, serviceRequest };
    if (practice) {
      result.practice = `Organization/${practice.id}`;
      result.communication = await storeNotification(ctx.store, tx, {
        from: hospital,
        to: practice,
        patientId,
        about: serviceRequest,
        at: now,
        clause: 'SC8.4',
        text:
          `For information: ${hospital.name} has referred the patient onward (${specialty}) because ${why}: ${sentence(reason)} ` +
          'No action is needed from the practice.',
      });
    }
    return result;
  }
  const owner = practice as OrganisationInfo;
  const request = await recordRequest(ctx, tx, {
    source: 'onward-referral',
    patientId,
    requester: hospital,
    requestingPerson: actorOf(access),
    owner,
    category: 're-refer',
    categorySource: 'requester',
    circumstances: [],
    priority: 'routine',
    reason: `Agreement to an onward referral (${specialty}) for a condition unrelated to the original referral: ${reason}`,
    focus: serviceRequest,
    specialty,
    at: now,
  });
  return {
    outcome: 'gp-agreement-requested',
    patientId,
    serviceRequest,
    practice: `Organization/${owner.id}`,
    ...(request ? { request } : {}),
  };
}

async function storeReferral(
  ctx: RequestContext,
  tx: SqlExecutor,
  referral: {
    patientId: string;
    hospital: OrganisationInfo;
    service: string | undefined;
    specialty: string;
    reason: string;
    urgent: boolean;
    status: 'active' | 'draft';
  },
): Promise<string> {
  const resource: ServiceRequest = {
    resourceType: 'ServiceRequest',
    status: referral.status,
    intent: 'order',
    priority: referral.urgent ? 'urgent' : 'routine',
    code: { text: `Onward referral: ${referral.specialty}` },
    subject: { reference: `Patient/${referral.patientId}` },
    authoredOn: ctx.clock.now().toISOString(),
    requester: { reference: `Organization/${referral.hospital.id}`, display: referral.hospital.name },
    ...(referral.service ? { performer: [{ reference: referral.service }] } : {}),
    reasonCode: [{ text: referral.reason }],
  };
  const row = await ctx.store.create(tx, asResource(resource));
  return `ServiceRequest/${row.id}`;
}
