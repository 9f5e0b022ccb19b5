import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DOCUMENT_KINDS } from './document-definitions.js';
import { LEDGER_STATES } from './ledger.js';
import {
  DEFAULT_ALARM_CONFIG,
  alarmConfig,
  alarmCutoffs,
  latestStartDue,
  type AlarmClock,
  evaluateAlarms,
  nextAlarmDueAt,
  type AlarmSnapshot,
  type LedgerRowSnapshot,
} from './alarms.js';

const at = (iso: string): Date => new Date(iso);

function row(overrides: Partial<LedgerRowSnapshot>): LedgerRowSnapshot {
  return {
    documentId: 'doc-1',
    recipient: 'A12345',
    kind: 'inpatient-discharge',
    state: 'draft',
    createdAt: at('2026-03-02T09:00:00Z'),
    ...overrides,
  };
}

const codes = (snapshot: AlarmSnapshot, now: string): string[] =>
  evaluateAlarms(snapshot, at(now)).map((alarm) => alarm.code);

describe('Ageing alarms', () => {
  it('raises an unauthorised discharge summary after 24 hours, for the sender', () => {
    const snapshot = { documents: [row({ state: 'awaiting-authorisation' })] };
    assert.deepEqual(codes(snapshot, '2026-03-03T08:59:59Z'), []);
    const [alarm] = evaluateAlarms(snapshot, at('2026-03-03T09:00:00Z'));
    assert.equal(alarm?.code, 'authorisation-overdue');
    assert.equal(alarm?.party, 'sender');
    assert.equal(alarm?.dueAt.toISOString(), '2026-03-03T09:00:00.000Z');
  });

  it('gives a clinic letter 5 days to be authorised', () => {
    const snapshot = { documents: [row({ kind: 'outpatient-letter' })] };
    assert.deepEqual(codes(snapshot, '2026-03-07T08:59:00Z'), []);
    assert.deepEqual(codes(snapshot, '2026-03-07T09:00:00Z'), ['authorisation-overdue']);
  });

  it('raises an authorised document not delivered within 15 minutes, for operations', () => {
    const snapshot = { documents: [row({ state: 'queued', authorisedAt: at('2026-03-02T10:00:00Z') })] };
    assert.deepEqual(codes(snapshot, '2026-03-02T10:14:59Z'), []);
    const [alarm] = evaluateAlarms(snapshot, at('2026-03-02T10:15:00Z'));
    assert.equal(alarm?.code, 'not-delivered');
    assert.equal(alarm?.party, 'operations');
  });

  it('raises a delivered letter not filed after 2 working days, skipping the weekend, for the recipient', () => {
    // Delivered Friday 6 March 2026 16:00 GMT: due Tuesday 10 March 16:00.
    const snapshot = { documents: [row({ state: 'opened', deliveredAt: at('2026-03-06T16:00:00Z') })] };
    assert.deepEqual(codes(snapshot, '2026-03-09T16:00:00Z'), []);
    const [alarm] = evaluateAlarms(snapshot, at('2026-03-10T16:00:00Z'));
    assert.equal(alarm?.code, 'not-filed');
    assert.equal(alarm?.party, 'recipient');
    assert.equal(alarm?.dueAt.toISOString(), '2026-03-10T16:00:00.000Z');
  });

  it('raises the contractual breach 24 hours after discharge while the summary is undelivered, naming SC11.5', () => {
    const snapshot = {
      documents: [
        row({ state: 'draft', createdAt: at('2026-03-02T09:00:00Z'), eventAt: at('2026-03-01T15:30:00Z') }),
      ],
    };
    const alarms = evaluateAlarms(snapshot, at('2026-03-02T15:30:00Z'));
    assert.deepEqual(
      alarms.map((a) => a.code),
      ['delivery-sla-breached'],
    );
    assert.equal(alarms[0]?.severity, 'critical');
    assert.equal(alarms[0]?.party, 'sender');
    assert.match(alarms[0]?.message ?? '', /SC11\.5/);
  });

  it('stops the contractual clock once the document is delivered', () => {
    const snapshot = {
      documents: [
        row({
          state: 'delivered',
          deliveredAt: at('2026-03-02T10:00:00Z'),
          eventAt: at('2026-03-01T15:30:00Z'),
        }),
      ],
    };
    assert.deepEqual(codes(snapshot, '2026-03-02T16:00:00Z'), []);
  });

  it('gives a clinic letter 7 days from attendance', () => {
    const snapshot = {
      documents: [
        row({
          kind: 'outpatient-letter',
          state: 'queued',
          authorisedAt: at('2026-03-09T09:00:00Z'),
          eventAt: at('2026-03-02T10:00:00Z'),
        }),
      ],
    };
    const due = nextAlarmDueAt(snapshot, DEFAULT_ALARM_CONFIG, at('2026-03-09T09:15:00Z'));
    assert.equal(due?.toISOString(), '2026-03-09T10:00:00.000Z');
  });

  it('raises an endpoint that has acknowledged nothing for 30 minutes while messages wait', () => {
    const endpoint = {
      endpoint: 'MESH:A12345OT001',
      pendingMessages: 4,
      oldestPendingSince: at('2026-03-02T10:00:00Z'),
      lastAcknowledgementAt: at('2026-03-02T10:10:00Z'),
    };
    assert.deepEqual(codes({ endpoints: [endpoint] }, '2026-03-02T10:39:59Z'), []);
    const [alarm] = evaluateAlarms({ endpoints: [endpoint] }, at('2026-03-02T10:40:00Z'));
    assert.equal(alarm?.code, 'endpoint-not-acknowledging');
    assert.equal(alarm?.endpoint, 'MESH:A12345OT001');
    assert.deepEqual(codes({ endpoints: [{ ...endpoint, pendingMessages: 0 }] }, '2026-03-03T00:00:00Z'), []);
  });

  it('raises nothing for settled documents', () => {
    const snapshot = {
      documents: [
        row({ state: 'filed', eventAt: at('2026-01-01T00:00:00Z') }),
        row({ state: 'withdrawn' }),
        row({ state: 'superseded' }),
      ],
    };
    assert.deepEqual(codes(snapshot, '2027-01-01T00:00:00Z'), []);
    assert.equal(nextAlarmDueAt(snapshot), undefined);
  });

  it('orders alarms most severe first', () => {
    const snapshot = {
      documents: [
        row({ documentId: 'unfiled', state: 'delivered', deliveredAt: at('2026-03-02T09:00:00Z') }),
        row({
          documentId: 'late',
          state: 'queued',
          authorisedAt: at('2026-03-02T09:00:00Z'),
          eventAt: at('2026-03-01T09:00:00Z'),
        }),
      ],
    };
    assert.deepEqual(
      evaluateAlarms(snapshot, at('2026-03-10T00:00:00Z')).map((a) => `${a.documentId}:${a.code}`),
      ['late:delivery-sla-breached', 'late:not-delivered', 'unfiled:not-filed'],
    );
  });

  it('tells the scheduler when the next alarm falls due', () => {
    const snapshot = {
      documents: [
        row({ documentId: 'a', state: 'queued', authorisedAt: at('2026-03-02T10:00:00Z') }),
        row({ documentId: 'b', state: 'draft', createdAt: at('2026-03-02T09:00:00Z') }),
      ],
    };
    assert.equal(nextAlarmDueAt(snapshot)?.toISOString(), '2026-03-02T10:15:00.000Z');
    assert.equal(
      nextAlarmDueAt(snapshot, DEFAULT_ALARM_CONFIG, at('2026-03-02T10:15:00Z'))?.toISOString(),
      '2026-03-03T09:00:00.000Z',
    );
  });

  it('takes configured thresholds and holiday lists instead of the defaults', () => {
    const config = alarmConfig({
      notFiled: { amount: 1, unit: 'working-days' },
      authorisation: { 'inpatient-discharge': { amount: 2, unit: 'hours' } },
      bankHolidays: ['2026-03-09'],
    });
    assert.deepEqual(
      config.authorisation['outpatient-letter'],
      DEFAULT_ALARM_CONFIG.authorisation['outpatient-letter'],
    );
    const snapshot = {
      documents: [
        row({ documentId: 'draft', createdAt: at('2026-03-06T09:00:00Z') }),
        row({ documentId: 'unfiled', state: 'delivered', deliveredAt: at('2026-03-06T16:00:00Z') }),
      ],
    };
    const alarms = evaluateAlarms(snapshot, at('2026-03-10T16:00:00Z'), config);
    assert.equal(
      alarms.find((a) => a.documentId === 'draft')?.dueAt.toISOString(),
      '2026-03-06T11:00:00.000Z',
    );
    // Monday 9 March is a holiday in this list, so one working day after Friday is Tuesday.
    assert.equal(
      alarms.find((a) => a.documentId === 'unfiled')?.dueAt.toISOString(),
      '2026-03-10T16:00:00.000Z',
    );
  });
  it('raises a document held for review after 1 working day, for operations', () => {
    // Held Friday 6 March 2026 15:00 GMT: due Monday 9 March 15:00.
    const snapshot: AlarmSnapshot = {
      held: [
        {
          documentId: 'held-1',
          kind: 'inpatient-discharge',
          heldAt: at('2026-03-06T15:00:00Z'),
          reason: 'demographics-mismatch',
        },
      ],
    };
    assert.deepEqual(codes(snapshot, '2026-03-09T14:59:00Z'), []);
    const [alarm] = evaluateAlarms(snapshot, at('2026-03-09T15:00:00Z'));
    assert.equal(alarm?.code, 'held-for-review');
    assert.equal(alarm?.party, 'operations');
    assert.equal(alarm?.documentId, 'held-1');
    assert.match(alarm?.message ?? '', /demographics-mismatch/);
    assert.equal(nextAlarmDueAt(snapshot)?.toISOString(), '2026-03-09T15:00:00.000Z');
  });
});

describe('Alarm cut-offs (what a database counts)', () => {
  const clockOf = (snapshot: LedgerRowSnapshot, clock: AlarmClock): Date | undefined => {
    switch (clock) {
      case 'created':
        return snapshot.createdAt;
      case 'authorised-or-created':
        return snapshot.authorisedAt ?? snapshot.createdAt;
      case 'delivered':
        return snapshot.deliveredAt;
      case 'rejected-or-created':
        return snapshot.rejectedAt ?? snapshot.createdAt;
      case 'event':
        return snapshot.eventAt;
    }
  };
  const counted = (snapshot: LedgerRowSnapshot, now: Date): string[] =>
    alarmCutoffs(now)
      .rows.filter((rule) => {
        const from = clockOf(snapshot, rule.clock);
        return (
          rule.states.includes(snapshot.state) &&
          from !== undefined &&
          from.getTime() <= rule.dueFrom[snapshot.kind].getTime()
        );
      })
      .map((rule) => rule.code)
      .sort();
  // Deterministic pseudo-random instants across two years, weekends, bank holidays and clock changes.
  let seed = 20_260_301;
  const next = () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
    return seed / 2_147_483_648;
  };
  const start = Date.parse('2025-03-01T00:00:00Z');
  const instant = (within: number) => new Date(start + Math.floor(next() * within));
  const YEARS = 2 * 365 * 86_400_000;
  const repeatedOctoberHour = (date: Date | undefined) =>
    date !== undefined &&
    ['2025-10-25T23:00:00Z', '2026-10-24T23:00:00Z'].some((hour) => {
      const from = Date.parse(hour);
      return date.getTime() >= from && date.getTime() < from + 2 * 3_600_000;
    });

  it('count exactly the alarms evaluated row by row, for every state and kind', () => {
    let compared = 0;
    for (let sample = 0; sample < 800; sample++) {
      const createdAt = instant(YEARS);
      const later = (from: Date) => new Date(from.getTime() + Math.floor(next() * 20 * 86_400_000));
      const authorisedAt = later(createdAt);
      const deliveredAt = later(authorisedAt);
      const snapshot = row({
        state: LEDGER_STATES[Math.floor(next() * LEDGER_STATES.length)] ?? 'draft',
        kind: DOCUMENT_KINDS[Math.floor(next() * DOCUMENT_KINDS.length)] ?? 'inpatient-discharge',
        createdAt,
        eventAt: new Date(createdAt.getTime() - Math.floor(next() * 3 * 86_400_000)),
        ...(next() < 0.8 ? { authorisedAt } : {}),
        ...(next() < 0.8 ? { deliveredAt } : {}),
        ...(next() < 0.5 ? { rejectedAt: deliveredAt } : {}),
      });
      const now = later(deliveredAt);
      // Limits in calendar days repeat an hour in October (calendar.ts): the one place the bisection can differ.
      if (repeatedOctoberHour(snapshot.eventAt)) continue;
      const expected = evaluateAlarms({ documents: [snapshot] }, now)
        .map((alarm) => alarm.code)
        .sort();
      assert.deepEqual(counted(snapshot, now), expected, JSON.stringify({ snapshot, now }));
      compared++;
    }
    assert.ok(compared > 780);
  });

  it('finds the exact millisecond a limit is passed, across a weekend and a bank holiday', () => {
    const holidays = new Set(DEFAULT_ALARM_CONFIG.bankHolidays);
    const now = at('2026-04-07T10:00:00Z'); // Tuesday after Easter Monday (6 April) and Good Friday (3 April)
    const due = latestStartDue({ amount: 2, unit: 'working-days' }, now, holidays);
    assert.equal(due.toISOString(), '2026-04-01T10:00:00.000Z');
    assert.equal(
      latestStartDue({ amount: 15, unit: 'minutes' }, now, holidays).toISOString(),
      '2026-04-07T09:45:00.000Z',
    );
  });
});
