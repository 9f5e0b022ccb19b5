import { randomUUID } from 'node:crypto';
import type { AccessControl } from '../access/access-control.js';
import type { Principal } from '../access/principal.js';
import type { AuditEntry } from '../audit/audit-entry.js';
import type { Database } from '../store/database.js';
import type { FhirInteractions } from './interactions.js';
import { routeInteraction, type FhirMethod, type FhirRequest, type FhirResponse } from './request.js';
import type { AuditRecorder } from './routes.js';

/**
 * FHIR calls made by Carebridge itself (demo seeding; later the document pipeline and jobs): the
 * same dispatcher, access rules and audit trail as any client, under an explicit internal
 * principal rather than an HTTP credential.
 */
export class InternalFhirClient {
  constructor(
    private readonly deps: {
      interactions: FhirInteractions;
      access: AccessControl;
      audit: AuditRecorder;
      db: Database;
      baseUrl: string;
    },
  ) {}

  async call(
    principal: Principal,
    method: FhirMethod,
    path: string,
    body?: unknown,
    headers: FhirRequest['headers'] = {},
  ): Promise<FhirResponse> {
    const audit: AuditEntry[] = [];
    const request: FhirRequest = {
      method,
      path,
      query: [],
      headers,
      ...(body === undefined ? {} : { body }),
      baseUrl: this.deps.baseUrl,
      context: {
        access: await this.deps.access.contextFor(this.deps.db, principal),
        requestId: headers.requestId ?? randomUUID(),
        source: 'api',
        audit,
      },
    };
    try {
      return await this.deps.interactions.handle(request, routeInteraction(method, path));
    } finally {
      await Promise.all(audit.map((entry) => this.deps.audit.record(entry)));
    }
  }
}
