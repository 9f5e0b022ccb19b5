import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  csvCell,
  periodOf,
  periodsBetween,
  workloadCsv,
  workloadLedger,
  type WorkloadRow,
} from './workload.js';

function row(overrides: Partial<WorkloadRow>): WorkloadRow {
  return {
    requesterId: 'trust',
    requesterName: 'Kingsmere Hospitals',
    requesterOds: 'RZZ',
    specialty: 'Cardiology',
    category: 'arrange-test',
    status: 'requested',
    estimatedMinutes: 20,
    flagged: true,
    declinedCitingRule: false,
    createdAt: new Date('2026-03-03T10:00:00Z'),
    ...overrides,
  };
}

describe('Workload-transfer ledger', () => {
  it('counts accepted, declined, pending and cancelled with their estimated GP minutes', () => {
    const ledger = workloadLedger(
      [
        row({ status: 'accepted' }),
        row({ status: 'completed' }),
        row({ status: 'declined', declinedCitingRule: true }),
        row({ status: 'received' }),
        row({ status: 'cancelled', flagged: false }),
      ],
      'week',
    );
    assert.deepEqual(ledger.totals, {
      requests: 5,
      accepted: 2,
      declined: 1,
      declinedCitingRule: 1,
      pending: 1,
      cancelled: 1,
      flagged: 4,
      minutesRequested: 100,
      minutesAccepted: 40,
      minutesDeclined: 20,
    });
  });

  it('groups by sending organisation, specialty and category, busiest first', () => {
    const ledger = workloadLedger(
      [
        row({}),
        row({ category: 'fit-note', estimatedMinutes: 10 }),
        row({ category: 'fit-note', estimatedMinutes: 10 }),
        row({ requesterId: 'other', requesterName: 'Riverside', specialty: 'Dermatology' }),
      ],
      'month',
    );
    assert.deepEqual(
      ledger.groups.map((g) => [g.requesterName, g.specialty, g.category, g.requests, g.minutesRequested]),
      [
        ['Kingsmere Hospitals', 'Cardiology', 'fit-note', 2, 20],
        ['Kingsmere Hospitals', 'Cardiology', 'arrange-test', 1, 20],
        ['Riverside', 'Dermatology', 'arrange-test', 1, 20],
      ],
    );
  });

  it('buckets by London week (Monday) and month, filling quiet periods with zeros', () => {
    // 23:30 UTC on Sunday 29 March 2026 is already Monday 30 March in London (BST).
    assert.equal(periodOf(new Date('2026-03-29T23:30:00Z'), 'week'), '2026-03-30');
    assert.equal(periodOf(new Date('2026-03-29T22:30:00Z'), 'week'), '2026-03-23');
    assert.equal(periodOf(new Date('2026-03-31T23:30:00Z'), 'month'), '2026-04');
    assert.deepEqual(periodsBetween('2026-03-04', '2026-03-20', 'week'), [
      '2026-03-02',
      '2026-03-09',
      '2026-03-16',
    ]);
    assert.deepEqual(periodsBetween('2026-01-31', '2026-03-01', 'month'), ['2026-01', '2026-02', '2026-03']);
    const ledger = workloadLedger(
      [row({}), row({ createdAt: new Date('2026-03-17T10:00:00Z'), status: 'declined' })],
      'week',
      { from: '2026-03-02', to: '2026-03-22' },
    );
    assert.deepEqual(
      ledger.trend.map((p) => [p.period, p.requests, p.declined]),
      [
        ['2026-03-02', 1, 0],
        ['2026-03-09', 0, 0],
        ['2026-03-16', 1, 1],
      ],
    );
  });

  it('exports CSV a spreadsheet cannot turn into a formula', () => {
    const csv = workloadCsv(
      workloadLedger(
        [row({ requesterName: '=HYPERLINK("x")', specialty: 'Ear, nose and throat', status: 'accepted' })],
        'month',
      ),
    );
    const [header, line, end] = csv.split('\r\n');
    assert.match(header ?? '', /^period,sending_organisation,sending_ods,specialty,category/);
    assert.equal(
      line,
      `2026-03,"'=HYPERLINK(""x"")",RZZ,"Ear, nose and throat",arrange-test,Arrange a test,1,1,0,0,0,0,1,20,20,0`,
    );
    assert.equal(end, '');
    assert.equal(csvCell('-1'), "'-1");
    assert.equal(csvCell(-1), '-1');
  });
});
