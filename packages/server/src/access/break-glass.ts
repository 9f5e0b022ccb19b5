import { randomUUID } from 'node:crypto';
import type { Clock } from '@carebridge/domain';
import { FhirError, fhirError } from '@carebridge/domain';
import type { SqlExecutor } from '../store/database.js';
import type { AccessContext } from './access-control.js';

/** Why a clinician may declare an emergency; free text is always required as well. */
export const BREAK_GLASS_REASONS = {
  'emergency-care': 'Emergency care: the patient needs treatment now and their record is needed for it',
  'patient-unable-to-consent': 'The patient cannot give consent (e.g. unconscious) and care is urgent',
  safeguarding: 'A safeguarding concern needs the record now',
  'continuity-of-care': 'Urgent continuity of care before a relationship is recorded',
} as const;

export type BreakGlassReason = keyof typeof BREAK_GLASS_REASONS;

/** At most four hours: long enough for an emergency, short enough to be reviewed as one event. */
export const MAX_BREAK_GLASS_MINUTES = 240;

export const REVIEW_OUTCOMES = ['appropriate', 'inappropriate', 'needs-follow-up'] as const;
export type ReviewOutcome = (typeof REVIEW_OUTCOMES)[number];

export interface BreakGlassSession {
  id: string;
  subject: string;
  displayName: string;
  role: string;
  organizationId: string | null;
  patientId: string;
  reasonCode: string;
  reasonText: string;
  startedAt: Date;
  expiresAt: Date;
  endedAt: Date | null;
  reviewOutcome: string | null;
  reviewNote: string | null;
  reviewedBy: string | null;
  reviewedAt: Date | null;
}

const SESSION_COLUMNS = `id, subject, display_name as "displayName", role, organization_id as "organizationId",
  patient_id as "patientId", reason_code as "reasonCode", reason_text as "reasonText", started_at as "startedAt",
  expires_at as "expiresAt", ended_at as "endedAt", review_outcome as "reviewOutcome", review_note as "reviewNote",
  reviewed_by as "reviewedBy", reviewed_at as "reviewedAt"`;

/**
 * Break-glass: a clinician without a legitimate relationship declares an emergency for one patient,
 * with a coded reason and free text. Access lasts at most four hours (or until ended), every access
 * in it is marked in the audit trail, and each session waits for a privacy officer's review.
 */
export class BreakGlass {
  constructor(private readonly deps: { clock: Clock }) {}

  async declare(
    db: SqlExecutor,
    context: AccessContext,
    request: { patientId: string; reason: string; text: string; minutes?: number },
  ): Promise<BreakGlassSession> {
    const { principal, policy } = context;
    const problems = [];
    if (!policy.mayBreakGlass) {
      throw fhirError('forbidden', `The ${principal.role} role may not declare break-glass access.`);
    }
    if (!(request.reason in BREAK_GLASS_REASONS)) {
      problems.push({
        code: 'invalid-code' as const,
        diagnostics: `reason must be one of ${Object.keys(BREAK_GLASS_REASONS).join(', ')}.`,
        expression: ["Parameters.parameter.where(name='reason')"],
      });
    }
    if (request.text.trim().length < 10) {
      problems.push({
        code: 'invalid-value' as const,
        diagnostics: 'Say in at least a few words why emergency access is needed (10 characters or more).',
        expression: ["Parameters.parameter.where(name='text')"],
      });
    }
    const minutes = request.minutes ?? MAX_BREAK_GLASS_MINUTES;
    if (!Number.isInteger(minutes) || minutes < 1 || minutes > MAX_BREAK_GLASS_MINUTES) {
      problems.push({
        code: 'invalid-value' as const,
        diagnostics: `minutes must be a whole number from 1 to ${MAX_BREAK_GLASS_MINUTES}.`,
        expression: ["Parameters.parameter.where(name='minutes')"],
      });
    }
    if (problems.length > 0) throw new FhirError(problems);
    const patient = await db.query(
      'select 1 from resource where resource_type = $1 and id = $2 and not deleted',
      ['Patient', request.patientId],
    );
    if (patient.rows.length === 0)
      throw fhirError('resource-not-found', `Patient/${request.patientId} does not exist.`);
    const startedAt = this.deps.clock.now();
    const expiresAt = new Date(startedAt.getTime() + minutes * 60_000);
    const { rows } = await db.query<BreakGlassSession>(
      `insert into break_glass_session (id, subject, display_name, role, organization_id, patient_id, reason_code,
         reason_text, started_at, expires_at)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9::timestamptz, $10::timestamptz) returning ${SESSION_COLUMNS}`,
      [
        randomUUID(),
        principal.subject,
        principal.displayName,
        principal.role,
        principal.organizationId ?? null,
        request.patientId,
        request.reason,
        request.text.trim(),
        startedAt.toISOString(),
        expiresAt.toISOString(),
      ],
    );
    return rows[0] as BreakGlassSession;
  }

  /** Ends the user's open sessions for a patient early; returns how many were ended. */
  async end(db: SqlExecutor, context: AccessContext, patientId: string): Promise<number> {
    const { rowCount } = await db.query(
      `update break_glass_session set ended_at = $3::timestamptz
        where subject = $1 and patient_id = $2 and ended_at is null and expires_at > $3::timestamptz`,
      [context.principal.subject, patientId, this.deps.clock.now().toISOString()],
    );
    return rowCount;
  }

  /** Sessions awaiting a privacy officer's review, oldest first. */
  async pendingReviews(db: SqlExecutor, limit = 100): Promise<BreakGlassSession[]> {
    const { rows } = await db.query<BreakGlassSession>(
      `select ${SESSION_COLUMNS} from break_glass_session where reviewed_at is null order by started_at limit $1`,
      [limit],
    );
    return rows;
  }

  async review(
    db: SqlExecutor,
    context: AccessContext,
    request: { sessionId: string; outcome: string; note: string },
  ): Promise<BreakGlassSession> {
    if (context.principal.role !== 'privacy-officer') {
      throw fhirError('forbidden', 'Only a privacy officer may review break-glass sessions.');
    }
    if (!(REVIEW_OUTCOMES as readonly string[]).includes(request.outcome)) {
      throw fhirError('invalid-code', `outcome must be one of ${REVIEW_OUTCOMES.join(', ')}.`, [
        "Parameters.parameter.where(name='outcome')",
      ]);
    }
    const { rows } = await db.query<BreakGlassSession>(
      `update break_glass_session set review_outcome = $2, review_note = $3, reviewed_by = $4, reviewed_at = $5::timestamptz
        where id = $1 and reviewed_at is null returning ${SESSION_COLUMNS}`,
      [
        request.sessionId,
        request.outcome,
        request.note,
        context.principal.subject,
        this.deps.clock.now().toISOString(),
      ],
    );
    const reviewed = rows[0];
    if (!reviewed)
      throw fhirError('resource-not-found', `No unreviewed break-glass session ${request.sessionId}.`);
    return reviewed;
  }
}
