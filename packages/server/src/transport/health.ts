import type { Database, SqlExecutor } from '../store/database.js';
import { toDate } from './outbox-store.js';
import type { Alert, AlertSink, Destination, DestinationKind, EndpointHealth } from './types.js';

/**
 * Endpoint health: what each destination endpoint last did, kept for alerts and the operations
 * dashboard, and the alerts themselves. A transient failure (no answer, 5xx, 429) extends the
 * endpoint's failure streak; a success ends it; a refusal (4xx) also ends it, since the receiver
 * answered (the refused message is alerted on its own when it goes dead).
 */

export interface EndpointOutcome {
  destination: Destination;
  at: Date;
  result: 'success' | 'failure' | 'refusal';
  error?: string;
}

/** A sink that writes each alert as one warning line (pino-style `warn(object, message)` or console). */
export function loggingAlertSink(
  logger: { warn(object: object, message: string): void } = {
    warn: (object, message) => console.warn(JSON.stringify({ level: 'warn', msg: message, ...object })),
  },
): AlertSink {
  return {
    raise(alert) {
      logger.warn(
        { alert: { ...alert, raisedAt: alert.raisedAt.toISOString() } },
        `transport alert: ${alert.summary}`,
      );
    },
  };
}

/** Raises every alert, never letting a failing sink break delivery (its failures go to `onError`). */
export async function raiseAll(
  sink: AlertSink,
  alerts: readonly Alert[],
  onError: (error: unknown) => void,
): Promise<void> {
  for (const alert of alerts) {
    try {
      await sink.raise(alert);
    } catch (error) {
      onError(error);
    }
  }
}

/**
 * Folds attempt outcomes into each endpoint's health, one short transaction per endpoint, and
 * returns the "not acknowledging" alerts due: an endpoint failing for at least `alertAfterMs` that
 * has not been alerted for this outage yet.
 */
export async function recordEndpointOutcomes(
  db: Database,
  outcomes: readonly EndpointOutcome[],
  now: Date,
  alertAfterMs: number,
): Promise<Alert[]> {
  const byEndpoint = new Map<string, EndpointOutcome[]>();
  for (const outcome of outcomes) {
    const list = byEndpoint.get(outcome.destination.endpointId) ?? [];
    list.push(outcome);
    byEndpoint.set(outcome.destination.endpointId, list);
  }
  const alerts: Alert[] = [];
  for (const list of byEndpoint.values()) {
    list.sort((a, b) => a.at.getTime() - b.at.getTime());
    const alert = await db.transaction((tx) => foldOutcomes(tx, list, now, alertAfterMs));
    if (alert) alerts.push(alert);
  }
  return alerts;
}

async function foldOutcomes(
  tx: SqlExecutor,
  outcomes: readonly EndpointOutcome[],
  now: Date,
  alertAfterMs: number,
): Promise<Alert | undefined> {
  const { destination } = outcomes[0] as EndpointOutcome;
  const health = await lockEndpoint(tx, destination);
  for (const outcome of outcomes) {
    health.lastAttemptAt = outcome.at;
    if (outcome.result === 'failure') {
      health.consecutiveFailures += 1;
      health.failingSince ??= outcome.at;
      health.lastFailureAt = outcome.at;
      health.lastError = outcome.error ?? null;
    } else {
      if (outcome.result === 'success') health.lastSuccessAt = outcome.at;
      else health.lastError = outcome.error ?? null;
      health.consecutiveFailures = 0;
      health.failingSince = null;
      health.alertedAt = null;
    }
  }
  const alert = dueEndpointAlert(health, now, alertAfterMs);
  if (alert) health.alertedAt = now;
  await saveEndpoint(tx, health);
  return alert;
}

/** A mailbox acknowledgement is a success of its endpoint; call it in the acknowledging transaction. */
export async function recordMailboxAcknowledgement(
  tx: SqlExecutor,
  destination: Destination,
  at: Date,
): Promise<void> {
  const health = await lockEndpoint(tx, destination);
  health.lastAttemptAt = at;
  health.lastSuccessAt = at;
  health.consecutiveFailures = 0;
  health.failingSince = null;
  health.alertedAt = null;
  await saveEndpoint(tx, health);
}

/**
 * Time-based alert checks that need no attempt to trigger them: HTTP endpoints failing for at least
 * `endpointAlertAfterMs`, and mailboxes holding a message unacknowledged for at least
 * `mailboxAlertAfterMs`. Each outage is alerted once (until the endpoint next succeeds).
 */
export async function sweepForAlerts(
  db: Database,
  now: Date,
  options: { endpointAlertAfterMs: number; mailboxAlertAfterMs: number },
): Promise<Alert[]> {
  return db.transaction(async (tx) => {
    const alerts: Alert[] = [];
    const mailboxCutoff = new Date(now.getTime() - options.mailboxAlertAfterMs).toISOString();
    const stale = await tx.query<{
      endpoint_id: string;
      address: string;
      recipient_ods: string;
      oldest: Date | string;
      waiting: number;
    }>(
      `select o.endpoint_id, min(o.address) as address, min(o.recipient_ods) as recipient_ods,
         min(m.placed_at) as oldest, count(*)::integer as waiting
       from mailbox_message m join outbox_message o on o.message_id = m.message_id
       where m.acknowledged_at is null and m.placed_at <= $1::timestamptz
       group by o.endpoint_id
       order by o.endpoint_id`,
      [mailboxCutoff],
    );
    for (const row of stale.rows) {
      const destination: Destination = {
        kind: 'mailbox',
        endpointId: row.endpoint_id,
        address: row.address,
        recipientOds: row.recipient_ods,
      };
      const health = await lockEndpoint(tx, destination);
      const oldest = toDate(row.oldest) as Date;
      if (health.failingSince === null || health.failingSince > oldest) health.failingSince = oldest;
      if (health.alertedAt === null) {
        health.alertedAt = now;
        alerts.push({
          kind: 'mailbox-not-acknowledging',
          severity: 'critical',
          summary:
            `Mailbox ${row.recipient_ods} (endpoint ${row.endpoint_id}) has ${row.waiting} message(s) ` +
            `unacknowledged since ${oldest.toISOString()}`,
          raisedAt: now,
          endpointId: row.endpoint_id,
          recipientOds: row.recipient_ods,
        });
      }
      await saveEndpoint(tx, health);
    }
    const failing = await tx.query<HealthRow>(
      `select ${HEALTH_COLUMNS} from outbox_endpoint
       where failing_since <= $1::timestamptz and alerted_at is null and destination_kind <> 'mailbox'
       order by endpoint_id
       for update`,
      [new Date(now.getTime() - options.endpointAlertAfterMs).toISOString()],
    );
    for (const row of failing.rows) {
      const health = toHealth(row);
      const alert = dueEndpointAlert(health, now, options.endpointAlertAfterMs);
      if (!alert) continue;
      health.alertedAt = now;
      alerts.push(alert);
      await saveEndpoint(tx, health);
    }
    return alerts;
  });
}

/**
 * What each endpoint has left unacknowledged, as the exchange alarms need it
 * (`endpoint-not-acknowledging`): messages still pending or delivering (sent, or in a mailbox, but
 * not acknowledged), the oldest of them, and the endpoint's last success or mailbox acknowledgement.
 * Only endpoints with something waiting: one with nothing to acknowledge is quiet, not broken.
 */
export async function endpointAcknowledgements(db: SqlExecutor): Promise<
  Array<{
    endpointId: string;
    kind: DestinationKind;
    recipientOds: string;
    pendingMessages: number;
    oldestPendingSince: Date;
    lastAcknowledgementAt: Date | null;
  }>
> {
  const { rows } = await db.query<{
    endpoint_id: string;
    kind: DestinationKind;
    recipient_ods: string;
    pending: number;
    oldest: Date | string;
    last_success_at: Date | string | null;
  }>(
    `select o.endpoint_id, min(o.destination_kind) as kind, min(o.recipient_ods) as recipient_ods,
       count(*)::integer as pending, min(o.created_at) as oldest, min(e.last_success_at) as last_success_at
     from outbox_message o left join outbox_endpoint e on e.endpoint_id = o.endpoint_id
     where o.status in ('pending', 'delivering')
     group by o.endpoint_id
     order by o.endpoint_id`,
  );
  return rows.map((row) => ({
    endpointId: row.endpoint_id,
    kind: row.kind,
    recipientOds: row.recipient_ods,
    pendingMessages: row.pending,
    oldestPendingSince: toDate(row.oldest) as Date,
    lastAcknowledgementAt: toDate(row.last_success_at),
  }));
}

/** Every endpoint's health, the failing ones first (longest outage first), then by id. */
export async function endpointHealth(db: SqlExecutor): Promise<EndpointHealth[]> {
  const { rows } = await db.query<HealthRow>(
    `select ${HEALTH_COLUMNS} from outbox_endpoint order by failing_since nulls last, endpoint_id`,
  );
  return rows.map(toHealth);
}

function dueEndpointAlert(health: EndpointHealth, now: Date, alertAfterMs: number): Alert | undefined {
  if (health.failingSince === null || health.alertedAt !== null) return undefined;
  if (now.getTime() - health.failingSince.getTime() < alertAfterMs) return undefined;
  return {
    kind: 'endpoint-not-acknowledging',
    severity: 'critical',
    summary:
      `Endpoint ${health.endpointId} (${health.kind}) has not acknowledged anything since ` +
      `${health.failingSince.toISOString()} (${health.consecutiveFailures} failed attempts); ` +
      'messages for it are kept and retried',
    raisedAt: now,
    endpointId: health.endpointId,
  };
}

interface HealthRow {
  endpoint_id: string;
  destination_kind: DestinationKind;
  address: string;
  last_attempt_at: Date | string | null;
  last_success_at: Date | string | null;
  last_failure_at: Date | string | null;
  consecutive_failures: number;
  failing_since: Date | string | null;
  last_error: string | null;
  alerted_at: Date | string | null;
}

const HEALTH_COLUMNS = `endpoint_id, destination_kind, address, last_attempt_at, last_success_at, last_failure_at,
  consecutive_failures, failing_since, last_error, alerted_at`;

async function lockEndpoint(tx: SqlExecutor, destination: Destination): Promise<EndpointHealth> {
  await tx.query(
    `insert into outbox_endpoint (endpoint_id, destination_kind, address) values ($1, $2, $3)
     on conflict (endpoint_id) do nothing`,
    [destination.endpointId, destination.kind, destination.address],
  );
  const { rows } = await tx.query<HealthRow>(
    `select ${HEALTH_COLUMNS} from outbox_endpoint where endpoint_id = $1 for update`,
    [destination.endpointId],
  );
  return toHealth(rows[0] as HealthRow);
}

async function saveEndpoint(tx: SqlExecutor, health: EndpointHealth): Promise<void> {
  const iso = (value: Date | null) => (value === null ? null : value.toISOString());
  await tx.query(
    `update outbox_endpoint set last_attempt_at = $2::timestamptz, last_success_at = $3::timestamptz,
       last_failure_at = $4::timestamptz, consecutive_failures = $5, failing_since = $6::timestamptz,
       last_error = $7, alerted_at = $8::timestamptz
     where endpoint_id = $1`,
    [
      health.endpointId,
      iso(health.lastAttemptAt),
      iso(health.lastSuccessAt),
      iso(health.lastFailureAt),
      health.consecutiveFailures,
      iso(health.failingSince),
      health.lastError,
      iso(health.alertedAt),
    ],
  );
}

function toHealth(row: HealthRow): EndpointHealth {
  return {
    endpointId: row.endpoint_id,
    kind: row.destination_kind,
    address: row.address,
    lastAttemptAt: toDate(row.last_attempt_at),
    lastSuccessAt: toDate(row.last_success_at),
    lastFailureAt: toDate(row.last_failure_at),
    consecutiveFailures: row.consecutive_failures,
    failingSince: toDate(row.failing_since),
    lastError: row.last_error,
    alertedAt: toDate(row.alerted_at),
  };
}
