import { FhirError } from '@carebridge/domain';
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
    outcome:
      status < 400 ? 'success' : status === 401 || status === 403 || status === 404 ? 'denied' : 'failed',
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
  return interaction.kind === 'exchange' || interaction.kind === 'requests'
    ? interaction.operation
    : interaction.kind;
}
