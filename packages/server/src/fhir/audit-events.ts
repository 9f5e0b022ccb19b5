import { FhirError, fhirError, isJsonObject, type Problem } from '@carebridge/domain';
import type { AccessContext } from '../access/access-control.js';
import type { FhirLimits } from '../config.js';
import type { SqlExecutor } from '../store/database.js';
import { searchAuditEvents, type AuditEventFilter } from '../audit/audit-search.js';
import { toFhirAuditEvent } from '../audit/fhir-audit-event.js';
import { invalidCursor, pageSize, type PagingTokens } from './paging.js';
import type { FhirRequest, FhirResponse, Interaction } from './request.js';
import { bundleJson, entryJson, jsonResponse } from './response.js';

type AuditCursor = {
  kind: 'audit';
  filter: Omit<AuditEventFilter, 'before' | 'from' | 'to'> & { from?: string; to?: string };
} & {
  before: { recordedAt: string; id: number };
};

const OUTCOMES = new Set(['success', 'denied', 'failed']);

/**
 * AuditEvent through the FHIR API is a view of Carebridge's own audit trail: privacy officers search
 * all of it; a patient (or their proxy) sees who has looked at their record; nobody else reads it,
 * and nobody writes it (the trail is append-only and written by Carebridge alone).
 */
export class AuditEvents {
  constructor(private readonly deps: { tokens: PagingTokens; limits: FhirLimits }) {}

  async perform(db: SqlExecutor, interaction: Interaction, request: FhirRequest): Promise<FhirResponse> {
    if (interaction.kind !== 'search-type') {
      throw fhirError(
        'method-not-allowed',
        'AuditEvent is Carebridge\u2019s append-only audit trail: it can only be searched (GET AuditEvent?…).',
      );
    }
    const filter = this.filterFor(request, request.context.access);
    const events = await searchAuditEvents(db, { ...filter, count: filter.count + 1 });
    const page = events.slice(0, filter.count);
    const last = page.at(-1);
    const link = [{ relation: 'self', url: `${request.baseUrl}/AuditEvent` }];
    if (events.length > filter.count && last) {
      const { before: _before, from, to, ...rest } = filter;
      const cursor: AuditCursor = {
        kind: 'audit',
        filter: {
          ...rest,
          ...(from ? { from: from.toISOString() } : {}),
          ...(to ? { to: to.toISOString() } : {}),
        },
        before: { recordedAt: last.recordedAt.toISOString(), id: last.id },
      };
      link.push({
        relation: 'next',
        url: `${request.baseUrl}/AuditEvent?_cursor=${this.deps.tokens.sign(cursor)}`,
      });
    }
    const entries = page.map((event) =>
      entryJson({
        fullUrl: `${request.baseUrl}/AuditEvent/${event.id}`,
        resource: JSON.stringify(toFhirAuditEvent(event)),
        search: { mode: 'match' },
      }),
    );
    return jsonResponse(200, bundleJson({ type: 'searchset', link }, entries));
  }

  private filterFor(request: FhirRequest, access: AccessContext): AuditEventFilter {
    const token = request.query.find(([name]) => name === '_cursor')?.[1];
    const filter = token === undefined ? this.parse(request.query) : this.resume(token);
    const { principal } = access;
    if (principal.role === 'privacy-officer') return filter;
    if (principal.kind === 'patient') {
      const own = [principal.patientId, ...(principal.proxyForPatientIds ?? [])].filter(
        (id) => id !== undefined,
      );
      if (filter.patientId === undefined || !own.includes(filter.patientId)) {
        throw fhirError(
          'forbidden',
          'Patients can see who looked at their own record: search AuditEvent?patient=<your id>.',
        );
      }
      return filter;
    }
    throw fhirError(
      'forbidden',
      'Only privacy officers, and patients for their own record, may read the audit trail.',
    );
  }

  private parse(query: Array<[string, string]>): AuditEventFilter {
    const problems: Problem[] = [];
    const filter: AuditEventFilter = { count: this.deps.limits.defaultPageSize };
    const bad = (name: string, diagnostics: string) =>
      problems.push({ code: 'invalid-search-value', diagnostics, expression: [name] });
    for (const [name, value] of query) {
      if (name === 'patient') filter.patientId = value.replace(/^Patient\//, '');
      else if (name === 'agent') filter.subject = value;
      else if (name === 'outcome' && OUTCOMES.has(value))
        filter.outcome = value as AuditEventFilter['outcome'] & string;
      else if (name === 'outcome') bad(name, 'outcome must be success, denied or failed.');
      else if (name === 'break-glass' && (value === 'true' || value === 'false'))
        filter.breakGlass = value === 'true';
      else if (name === 'date') {
        const match = /^(ge|gt|le|lt)(\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:\d{2}))?)$/.exec(value);
        const instant = match?.[2] ? new Date(match[2]) : undefined;
        if (!match || !instant || Number.isNaN(instant.getTime()))
          bad(name, 'date takes ge, gt, le or lt and a date, e.g. ge2026-01-01.');
        else if (match[1] === 'ge' || match[1] === 'gt') filter.from = instant;
        else filter.to = instant;
      } else if (name === '_count') {
        const size = pageSize(value, this.deps.limits);
        if (size === undefined || size < 1) bad(name, '_count must be a whole number of at least 1.');
        else filter.count = size;
      } else {
        problems.push({
          code: 'invalid-search-parameter',
          diagnostics: `AuditEvent search supports patient, agent, date, outcome, break-glass and _count, not '${name}'.`,
          expression: [name],
        });
      }
    }
    if (problems.length > 0) throw new FhirError(problems);
    return filter;
  }

  private resume(token: string): AuditEventFilter {
    const cursor = this.deps.tokens.verify(token);
    if (
      !isJsonObject(cursor) ||
      cursor.kind !== 'audit' ||
      !isJsonObject(cursor.filter) ||
      !isJsonObject(cursor.before)
    ) {
      throw invalidCursor('it does not continue an audit search');
    }
    const { filter, before } = cursor as unknown as AuditCursor;
    return {
      ...filter,
      ...(filter.from ? { from: new Date(filter.from) } : {}),
      ...(filter.to ? { to: new Date(filter.to) } : {}),
      before: { recordedAt: new Date(before.recordedAt), id: before.id },
    } as AuditEventFilter;
  }
}
