import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EMPTY_DATE } from '../../components/fields';
import { emptyFigures } from '../../domain';
import { FhirError } from '../../fhir/client';
import type { RequestAlarmEntry, RequestSummary, WorkloadLedger } from '../../fhir/requests';
import {
  ageInDays,
  categoryChart,
  filtersFrom,
  lastChanged,
  ledgerForm,
  ledgerQueryFrom,
  ledgerSearch,
  ownerAlarms,
  receipt,
  receivesOnOpening,
  searchFrom,
  senderChart,
  trendChart,
  validateLedgerForm,
  validateCancel,
  validateDecline,
  validateNewRequest,
  type NewRequestForm,
} from './request-data';

const request = (overrides: Partial<RequestSummary> = {}): RequestSummary => ({
  id: 'task-1',
  status: 'requested',
  category: 'fit-note',
  categoryDisplay: 'Issue a fit note',
  priority: 'routine',
  requester: 'Organization/org-rzz',
  requesterName: 'Kingsmere',
  requestingPerson: 'Dr Ada Jones',
  owner: 'Organization/org-y99901',
  ownerName: 'Quayside',
  specialty: 'Cardiology',
  reason: 'Fit note',
  circumstances: [],
  flagged: false,
  responsibility: { responsible: 'owner', placesOnRequester: false, explanation: '' },
  estimatedMinutes: 10,
  created: '2026-03-02T10:00:00.000Z',
  allowedActions: [],
  alarms: [],
  events: [],
  ...overrides,
});

describe('Request screens: the owner receiving a request by opening it', () => {
  it('records receipt only when the owner’s side opens a request the server still lets it receive', () => {
    const waiting = request({ allowedActions: ['receive', 'accept', 'decline'] });
    assert.equal(receivesOnOpening({ side: 'owner', request: waiting }), true);
    assert.equal(receivesOnOpening({ side: 'requester', request: waiting }), false);
    // Operations watch without a side; a request already received offers no `receive`.
    assert.equal(receivesOnOpening({ request: waiting }), false);
    const received = request({ status: 'received', allowedActions: ['accept', 'decline'] });
    assert.equal(receivesOnOpening({ side: 'owner', request: received }), false);
  });

  it('says who received the request and when, from the receipt in its history', () => {
    const event = (name: string, to: string, who: string, at: string) => ({ event: name, to, who, at });
    const seen = request({
      events: [
        event('create', 'requested', 'Dr Ada Jones', '2026-03-02T10:00:00.000Z'),
        event('receive', 'received', 'Dr Sam Patel', '2026-03-02T11:30:00.000Z'),
        event('accept', 'accepted', 'Dr Lee', '2026-03-02T12:00:00.000Z'),
      ],
    });
    assert.deepEqual(receipt(seen), { who: 'Dr Sam Patel', at: '2026-03-02T11:30:00.000Z' });
    assert.equal(receipt(request()), undefined);
  });
});

describe('Request screens: lists', () => {
  it('reads status filters and the cursor from the address, ignoring anything that is not a status', () => {
    const filters = filtersFrom(new URLSearchParams('status=declined,bogus,accepted&cursor=41'));
    assert.deepEqual(filters, { statuses: ['declined', 'accepted'], cursor: '41' });
    assert.equal(searchFrom(filters).toString(), 'status=declined%2Caccepted&cursor=41');
    assert.deepEqual(filtersFrom(new URLSearchParams('cursor=drop table')), { statuses: [] });
  });

  it('ages a request in whole days and says when it last changed', () => {
    const now = new Date('2026-03-05T09:00:00.000Z');
    // London calendar days: made on 2 March, seen on 5 March, is 3 days old whatever the hour.
    assert.equal(ageInDays('2026-03-02T10:00:00.000Z', now), 3);
    assert.equal(ageInDays('2026-03-05T08:00:00.000Z', now), 0);
    assert.equal(ageInDays('not a date', now), 0);
    const moved = request({
      events: [
        { to: 'requested', event: 'create', at: '2026-03-02T10:00:00.000Z', who: 'A' },
        { from: 'requested', to: 'declined', event: 'decline', at: '2026-03-03T11:00:00.000Z', who: 'B' },
      ],
    });
    assert.equal(lastChanged(moved), '2026-03-03T11:00:00.000Z');
    assert.equal(lastChanged(request()), '2026-03-02T10:00:00.000Z');
  });
});

describe('Request screens: ages in London days', () => {
  it('counts a request made before midnight as a day old just after it, in winter and in summer', () => {
    assert.equal(ageInDays('2026-01-05T23:50:00.000Z', new Date('2026-01-06T00:10:00.000Z')), 1);
    // In summer London midnight is 23:00 UTC: 22:50 to 23:10 UTC on 30 June crosses it, and 23:10 UTC
    // on 30 June to 22:50 UTC on 1 July is all 1 July in London.
    assert.equal(ageInDays('2026-06-30T22:50:00.000Z', new Date('2026-06-30T23:10:00.000Z')), 1);
    assert.equal(ageInDays('2026-06-30T23:10:00.000Z', new Date('2026-07-01T22:50:00.000Z')), 0);
  });

  it('counts days, not 24-hour blocks, across the clocks changing', () => {
    // Clocks forward on 29 March 2026: Saturday 23:00 GMT to Monday 00:00 BST is 24 hours, 2 days.
    assert.equal(ageInDays('2026-03-28T23:00:00.000Z', new Date('2026-03-29T23:00:00.000Z')), 2);
    // Clocks back on 25 October 2026: 00:30 BST to 23:30 GMT that Sunday is 24 hours, the same day.
    assert.equal(ageInDays('2026-10-24T23:30:00.000Z', new Date('2026-10-25T23:30:00.000Z')), 0);
  });
});

describe('Request screens: alarms', () => {
  const alarm = (party: string, mustAct: boolean): RequestAlarmEntry => ({
    code: 'request-unanswered',
    severity: 'warning',
    party,
    mustAct,
    message: 'Unanswered',
    request: 'task-1',
    status: 'requested',
    category: 'fit-note',
  });

  it('keeps only the alarms the owner must act on', async () => {
    const load = await ownerAlarms(async () => [
      alarm('owner', true),
      alarm('owner', false),
      alarm('requester', true),
    ]);
    assert.equal(load.status, 'ready');
    assert.equal(load.status === 'ready' ? load.data.length : -1, 1);
  });

  it('keeps a failure to load them, so the worklist says so instead of showing none', async () => {
    const failure = new FhirError(500, undefined);
    const load = await ownerAlarms(() => Promise.reject(failure));
    assert.deepEqual(load, { status: 'error', error: failure });
  });
});

describe('Request screens: form checks', () => {
  const form = (overrides: Partial<NewRequestForm> = {}): NewRequestForm => ({
    patient: 'pat-0001',
    owner: 'Organization/org-y99901',
    category: 'fit-note',
    circumstances: [],
    careContext: '',
    specialty: '',
    priority: 'routine',
    reason: 'Fit note for 4 weeks',
    due: EMPTY_DATE,
    ...overrides,
  });

  it('names every missing field of a new request, in the order of the form', () => {
    const errors = validateNewRequest(
      form({ patient: '', owner: '', category: '', reason: ' ' }),
      '2026-03-02',
    );
    assert.deepEqual(
      errors.map((error) => error.field),
      ['patient', 'owner', 'category', 'reason'],
    );
    assert.deepEqual(validateNewRequest(form(), '2026-03-02'), []);
  });

  it('refuses a due date that is not a real date or is in the past, and accepts none at all', () => {
    const due = (day: string, month: string, year: string) =>
      validateNewRequest(form({ due: { day, month, year } }), '2026-03-02').map((error) => error.field);
    assert.deepEqual(due('31', '2', '2026'), ['due']);
    assert.deepEqual(due('1', '3', '2026'), ['due']);
    assert.deepEqual(due('2', '3', '2026'), []);
    assert.deepEqual(due('20', '3', '2026'), []);
  });

  it('lets a decline citing the clause go with no note, but a decline of the owner’s own must say why', () => {
    assert.deepEqual(validateDecline('cite', ''), []);
    assert.deepEqual(
      validateDecline('reason', '  ').map((error) => error.field),
      ['decline-reason'],
    );
    assert.deepEqual(
      validateDecline('cite', 'x'.repeat(1001)).map((error) => error.field),
      ['decline-note'],
    );
    assert.deepEqual(
      validateCancel('').map((error) => error.field),
      ['cancel-reason'],
    );
    assert.deepEqual(validateCancel('Done in clinic'), []);
  });
});

describe('Request screens: the ledger’s charts', () => {
  const figures = emptyFigures();
  const group = (requester: string, category: string, accepted: number, declined: number) => ({
    ...figures,
    requests: accepted + declined,
    accepted,
    declined,
    requester: `Organization/${requester}`,
    requesterName: requester === 'rzz' ? 'Kingsmere' : 'Riverside',
    specialty: 'Cardiology',
    category,
    categoryDisplay: category,
  });
  const ledger: WorkloadLedger = {
    period: 'month',
    from: '2026-01-01',
    to: '2026-03-31',
    totals: { ...figures, requests: 6, accepted: 2, declined: 4 },
    groups: [
      group('rzz', 'fit-note', 0, 2),
      group('rzz', 'arrange-test', 1, 1),
      group('ryy', 'fit-note', 1, 1),
    ],
    trend: [
      { ...figures, period: '2026-02', requests: 2, accepted: 1, declined: 1 },
      { ...figures, period: '2026-03', requests: 4, accepted: 1, declined: 3, pending: 0 },
    ],
  };

  it('sums accepted and declined by sending organisation and by category, busiest first', () => {
    const senders = senderChart(ledger);
    assert.deepEqual(
      senders.categories.map((category) => category.label),
      ['Kingsmere', 'Riverside'],
    );
    assert.deepEqual(
      senders.series.map((series) => [series.key, series.values]),
      [
        ['accepted', [1, 1]],
        ['declined', [3, 1]],
      ],
    );
    const categories = categoryChart(ledger);
    assert.deepEqual(
      categories.categories.map((category) => category.label),
      ['Issue a fit note', 'Arrange a test'],
    );
    assert.deepEqual(categories.series[1]?.values, [3, 1]);
  });

  it('charts the trend per period with accepted, declined and not yet answered', () => {
    const trend = trendChart(ledger, (period) => `P ${period}`);
    assert.deepEqual(
      trend.categories.map((category) => [category.label, category.tick]),
      [
        ['P 2026-02', '2026-02'],
        ['P 2026-03', '2026-03'],
      ],
    );
    assert.deepEqual(
      trend.series.map((series) => series.key),
      ['accepted', 'declined', 'pending'],
    );
    assert.deepEqual(trend.series[1]?.values, [1, 3]);
  });
});

describe('Request screens: filtering the workload ledger', () => {
  const date = (day: string, month: string, year: string) => ({ day, month, year });

  it('reads the period, range and sending organisation from the address, leaving out anything else', () => {
    const query = ledgerQueryFrom(
      new URLSearchParams('period=week&from=2026-01-01&to=2026-03-31&requester=Organization/org-rzz'),
    );
    assert.deepEqual(query, {
      period: 'week',
      from: '2026-01-01',
      to: '2026-03-31',
      requester: 'Organization/org-rzz',
    });
    assert.equal(
      ledgerSearch(query).toString(),
      'period=week&from=2026-01-01&to=2026-03-31&requester=Organization%2Forg-rzz',
    );
    assert.deepEqual(ledgerQueryFrom(new URLSearchParams('period=year&from=1 March&requester=x')), {
      period: 'month',
    });
    assert.deepEqual(ledgerForm(query).from, date('1', '1', '2026'));
  });

  it('asks for the range the form gives, and for the server’s default when the dates are blank', () => {
    const form = { period: 'month' as const, from: date('1', '1', '2026'), to: date('31', '3', '2026') };
    assert.deepEqual(validateLedgerForm({ ...form, requester: 'Organization/org-rzz' }), {
      errors: [],
      query: { period: 'month', from: '2026-01-01', to: '2026-03-31', requester: 'Organization/org-rzz' },
    });
    assert.deepEqual(validateLedgerForm({ ...form, from: EMPTY_DATE, to: EMPTY_DATE, requester: '' }), {
      errors: [],
      query: { period: 'month' },
    });
  });

  it('ties an unreal date, and a range that runs backwards, to the field at fault', () => {
    const fields = (from: ReturnType<typeof date>, to: ReturnType<typeof date>) =>
      validateLedgerForm({ period: 'month', from, to, requester: '' }).errors.map((error) => error.field);
    assert.deepEqual(fields(date('31', '2', '2026'), EMPTY_DATE), ['ledger-from']);
    assert.deepEqual(fields(date('1', '', '2026'), date('1', '13', '2026')), ['ledger-from', 'ledger-to']);
    assert.deepEqual(fields(date('1', '4', '2026'), date('31', '3', '2026')), ['ledger-to']);
    assert.equal(
      validateLedgerForm({ period: 'month', from: date('x', '1', '2026'), to: EMPTY_DATE, requester: '' })
        .query,
      undefined,
    );
  });
});
