import type { Parameters, ParametersParameter } from 'fhir/r4.js';
import { fhirError, isJsonObject } from '@carebridge/domain';
import { BREAK_GLASS_REASONS, type BreakGlass, type BreakGlassSession } from '../access/break-glass.js';
import type { SqlExecutor } from '../store/database.js';
import type { FhirRequest, FhirResponse, Interaction } from './request.js';
import { jsonResponse } from './response.js';

type BreakGlassInteraction = Extract<
  Interaction,
  { kind: 'break-glass' | 'break-glass-end' | 'break-glass-reviews' | 'break-glass-review' }
>;

/**
 * The break-glass operations of the FHIR API:
 * - `POST Patient/[id]/$break-glass` (Parameters: reason code, text, optional minutes ≤ 240)
 * - `POST Patient/[id]/$break-glass-end`
 * - `GET $break-glass-review` (privacy officers: sessions awaiting review)
 * - `POST $break-glass-review` (Parameters: session, outcome, note)
 */
export class BreakGlassOperations {
  constructor(private readonly breakGlass: BreakGlass) {}

  async perform(
    db: SqlExecutor,
    interaction: BreakGlassInteraction,
    request: FhirRequest,
  ): Promise<FhirResponse> {
    const access = request.context.access;
    switch (interaction.kind) {
      case 'break-glass': {
        const parameters = parametersOf(request.body);
        const minutes = parameters.integer('minutes');
        const session = await this.breakGlass.declare(db, access, {
          patientId: interaction.id,
          reason: parameters.code('reason') ?? '',
          text: parameters.string('text') ?? '',
          ...(minutes === undefined ? {} : { minutes }),
        });
        return { ...jsonResponse(200, sessionParameters(session)), patientIds: [interaction.id] };
      }
      case 'break-glass-end': {
        const ended = await this.breakGlass.end(db, access, interaction.id);
        const body: Parameters = {
          resourceType: 'Parameters',
          parameter: [{ name: 'ended', valueInteger: ended }],
        };
        return { ...jsonResponse(200, body), patientIds: [interaction.id] };
      }
      case 'break-glass-reviews': {
        requirePrivacyOfficer(access.principal.role);
        const sessions = await this.breakGlass.pendingReviews(db);
        const body: Parameters = {
          resourceType: 'Parameters',
          parameter: sessions.map((session) => ({ name: 'session', part: sessionParts(session) })),
        };
        return jsonResponse(200, body);
      }
      case 'break-glass-review': {
        const parameters = parametersOf(request.body);
        const session = await this.breakGlass.review(db, access, {
          sessionId: parameters.string('session') ?? '',
          outcome: parameters.code('outcome') ?? '',
          note: parameters.string('note') ?? '',
        });
        return { ...jsonResponse(200, sessionParameters(session)), patientIds: [session.patientId] };
      }
    }
  }
}

function requirePrivacyOfficer(role: string): void {
  if (role !== 'privacy-officer')
    throw fhirError('forbidden', 'Only a privacy officer may review break-glass sessions.');
}

/** Reads named values from a Parameters body, refusing any other body. */
function parametersOf(body: unknown) {
  if (!isJsonObject(body) || body.resourceType !== 'Parameters') {
    throw fhirError('invalid-resource', 'The operation takes a Parameters resource.', ['Parameters']);
  }
  const list = Array.isArray(body.parameter) ? (body.parameter as ParametersParameter[]) : [];
  const find = (name: string) => list.find((parameter) => isJsonObject(parameter) && parameter.name === name);
  return {
    string: (name: string) => find(name)?.valueString,
    code: (name: string) => find(name)?.valueCode ?? find(name)?.valueCoding?.code,
    integer: (name: string) => find(name)?.valueInteger,
  };
}

function sessionParameters(session: BreakGlassSession): Parameters {
  return { resourceType: 'Parameters', parameter: sessionParts(session) };
}

function sessionParts(session: BreakGlassSession): ParametersParameter[] {
  const parts: ParametersParameter[] = [
    { name: 'session', valueString: session.id },
    { name: 'patient', valueReference: { reference: `Patient/${session.patientId}` } },
    { name: 'user', valueString: session.displayName },
    { name: 'role', valueCode: session.role },
    {
      name: 'reason',
      valueCoding: {
        code: session.reasonCode,
        display:
          BREAK_GLASS_REASONS[session.reasonCode as keyof typeof BREAK_GLASS_REASONS] ?? session.reasonCode,
      },
    },
    { name: 'text', valueString: session.reasonText },
    { name: 'started', valueInstant: session.startedAt.toISOString() },
    { name: 'expires', valueInstant: session.expiresAt.toISOString() },
  ];
  if (session.endedAt) parts.push({ name: 'ended', valueInstant: session.endedAt.toISOString() });
  if (session.reviewOutcome) parts.push({ name: 'outcome', valueCode: session.reviewOutcome });
  if (session.reviewNote) parts.push({ name: 'note', valueString: session.reviewNote });
  return parts;
}
