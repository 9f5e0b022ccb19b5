import { FhirError, type ErrorCode } from '@carebridge/domain';
import type { AuditEntry } from '../audit/audit-entry.js';
import { isDatabaseUnavailable } from '../store/database.js';
import type { FhirRequest, Interaction } from './request.js';

const ACTIONS: Record<Interaction['kind'], AuditEntry['action']> = {
  capabilities: 'R',
  'batch-or-transaction': 'E',
  'history-system': 'R',
  'history-type': 'R',
  'history-instance': 'R',
  'search-type': 'R',
  read: 'R',
  vread: 'R',
  create: 'C',
  update: 'U',
  patch: 'U',
  delete: 'D',
  validate: 'E',
  'break-glass': 'E',
  'break-glass-end': 'E',
  'break-glass-reviews': 'R',
  'break-glass-review': 'E',
  exchange: 'E',
  requests: 'E',
  terminology: 'E',
};

/** The audit entry for one interaction of a request, from its outcome. */
export function interactionAuditEntry(
  interaction: Interaction,
  request: FhirRequest,
  result: { status: number; patientIds?: readonly string[] } | { error: unknown },
): AuditEntry {
  const { access, requestId, source, remoteAddress } = request.context;
  const status = 'error' in result ? errorStatus(result.error) : result.status;
  const patientIds = 'error' in result ? [] : [...new Set(result.patientIds ?? [])];
  const breakGlass = patientIds.some((id) => access.breakGlassPatientIds.includes(id));
  const { principal } = access;
  return {
    requestId,
    recordedAt: new Date(),
    principal: {
      subject: principal.subject,
      displayName: principal.displayName,
      role: principal.role,
      clientId: principal.clientId,
      ...(principal.organizationId ? { organizationId: principal.organizationId } : {}),
      ...(principal.odsCode ? { odsCode: principal.odsCode } : {}),
    },
    action: ACTIONS[interaction.kind],
    interaction: auditInteractionName(interaction, request),
    ...('resourceType' in interaction ? { resourceType: interaction.resourceType } : {}),
    ...('id' in interaction && interaction.id !== undefined ? { resourceId: interaction.id } : {}),
    patientIds,
    ...(request.query.length > 0 ? { query: new URLSearchParams(request.query).toString() } : {}),
    outcome: auditOutcome(status, 'error' in result ? result.error : undefined),
    httpStatus: status,
    purposeOfUse: breakGlass ? 'ETREAT' : 'TREAT',
    breakGlass,
    ...(breakGlass && access.breakGlassSessionIds[0]
      ? { breakGlassSessionId: access.breakGlassSessionIds[0] }
      : {}),
    source,
    ...(remoteAddress ? { remoteAddress } : {}),
  };
}

/** A transaction that rolled back undid what its entries recorded as done. */
export function markRolledBack(entries: AuditEntry[]): void {
  for (const entry of entries) {
    if (entry.outcome === 'success') {
      entry.outcome = 'failed';
      entry.httpStatus = entry.httpStatus < 400 ? 409 : entry.httpStatus;
    }
  }
}

/**
 * Refusals of a write the caller may never make this way, whatever its status: audited as denied
 * (like 401, 403 and 404), not as a failure the caller could retry.
 */
const DENIALS: ReadonlySet<ErrorCode> = new Set(['request-task-managed']);

function auditOutcome(status: number, error: unknown): AuditEntry['outcome'] {
  if (status < 400) return 'success';
  if (status === 401 || status === 403 || status === 404) return 'denied';
  const code = error instanceof FhirError ? error.problems[0]?.code : undefined;
  return code !== undefined && DENIALS.has(code) ? 'denied' : 'failed';
}

function errorStatus(error: unknown): number {
  if (error instanceof FhirError) return error.status;
  return isDatabaseUnavailable(error) ? 503 : 500;
}

function batchKind(request: FhirRequest): string {
  const body = request.body as { type?: unknown } | undefined;
  return body?.type === 'transaction' ? 'transaction' : 'batch';
}

/** The interaction's name in the audit: the operation for exchange operations ($submit-document, …). */
function auditInteractionName(interaction: Interaction, request: FhirRequest): string {
  if (interaction.kind === 'batch-or-transaction') return batchKind(request);
  return interaction.kind === 'exchange' ||
    interaction.kind === 'requests' ||
    interaction.kind === 'terminology'
    ? interaction.operation
    : interaction.kind;
}
