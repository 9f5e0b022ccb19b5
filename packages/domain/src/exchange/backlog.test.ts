import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { testRangeNhsNumbers } from '../identifiers/nhs-number.js';
import { latenessLabel, planBacklogRelease, type DelayedDocument } from './backlog.js';

const NOW = new Date('2026-03-20T12:00:00Z');

function delayed(overrides: Partial<DelayedDocument> & { documentId: string }): DelayedDocument {
  return {
    kind: 'inpatient-discharge',
    eventAt: new Date('2026-03-01T15:00:00Z'),
    patientNhsNumber: '9990000018',
    practiceOds: 'A12345',
    contentHash: `hash-${overrides.documentId}`,
    hasMedicationChanges: false,
    hasActions: false,
    ...overrides,
  };
}

describe('Backlog release', () => {
  it('says how many whole days late each letter is against its delivery SLA', () => {
    const plan = planBacklogRelease(
      [
        delayed({ documentId: 'discharge', eventAt: new Date('2026-03-17T11:00:00Z') }),
        delayed({
          documentId: 'clinic',
          kind: 'outpatient-letter',
          eventAt: new Date('2026-03-10T10:00:00Z'),
        }),
        delayed({ documentId: 'recent', eventAt: new Date('2026-03-20T09:00:00Z') }),
      ],
      new Map(),
      NOW,
    );
    const items = new Map(plan.patients.flatMap((p) => p.items).map((item) => [item.documentId, item]));
    // Due 18 March 11:00; 2 days 1 hour later.
    assert.equal(items.get('discharge')?.daysLate, 2);
    assert.equal(items.get('discharge')?.lateness, 'delayed: 2 days late');
    // Due 17 March 10:00; 3 days 2 hours later.
    assert.equal(items.get('clinic')?.lateness, 'delayed: 3 days late');
    assert.equal(items.get('recent')?.lateness, 'on time');
    assert.equal(latenessLabel(1, true), 'delayed: 1 day late');
    assert.equal(latenessLabel(0, true), 'delayed: less than a day late');
  });

  it('leaves out letters whose content the recipient already has, and folds duplicates among the backlog', () => {
    const plan = planBacklogRelease(
      [
        delayed({ documentId: 'sent-already', contentHash: 'h1' }),
        delayed({ documentId: 'original', contentHash: 'h2', eventAt: new Date('2026-03-01T10:00:00Z') }),
        delayed({ documentId: 'resend', contentHash: 'h2', eventAt: new Date('2026-03-02T10:00:00Z') }),
        delayed({ documentId: 'other-practice', contentHash: 'h1', practiceOds: 'B23456' }),
      ],
      new Map([['A12345', new Set(['h1'])]]),
      NOW,
    );
    assert.deepEqual(
      plan.alreadyDelivered.map((d) => d.documentId),
      ['sent-already'],
    );
    assert.equal(plan.duplicatesFolded, 1);
    const released = plan.patients.flatMap((p) => p.items);
    assert.deepEqual(released.map((i) => i.documentId).sort(), ['original', 'other-practice']);
    assert.deepEqual(released.find((i) => i.documentId === 'original')?.duplicates, ['resend']);
  });

  it("groups each patient's letters in date order, oldest patient first", () => {
    const plan = planBacklogRelease(
      [
        delayed({
          documentId: 'p2-new',
          patientNhsNumber: '9990000026',
          eventAt: new Date('2026-03-05T10:00:00Z'),
        }),
        delayed({ documentId: 'p1-new', eventAt: new Date('2026-03-04T10:00:00Z') }),
        delayed({
          documentId: 'p2-old',
          patientNhsNumber: '9990000026',
          eventAt: new Date('2026-02-01T10:00:00Z'),
        }),
        delayed({ documentId: 'p1-old', eventAt: new Date('2026-02-10T10:00:00Z') }),
      ],
      new Map(),
      NOW,
    );
    assert.deepEqual(
      plan.patients.map((p) => [p.patientNhsNumber, p.items.map((i) => i.documentId)]),
      [
        ['9990000026', ['p2-old', 'p2-new']],
        ['9990000018', ['p1-old', 'p1-new']],
      ],
    );
  });

  it('puts letters with medication changes or actions first in each practice triage', () => {
    const plan = planBacklogRelease(
      [
        delayed({ documentId: 'routine-oldest', eventAt: new Date('2026-01-01T10:00:00Z') }),
        delayed({ documentId: 'action', hasActions: true }),
        delayed({ documentId: 'meds', hasMedicationChanges: true }),
        delayed({
          documentId: 'both',
          hasMedicationChanges: true,
          hasActions: true,
          patientNhsNumber: '9990000026',
        }),
      ],
      new Map(),
      NOW,
    );
    const [practice] = plan.practices;
    assert.equal(practice?.practiceOds, 'A12345');
    assert.deepEqual(
      practice?.items.map((i) => i.documentId),
      ['both', 'meds', 'action', 'routine-oldest'],
    );
    assert.equal(practice?.withMedicationChanges, 2);
    assert.equal(practice?.withActions, 2);
    assert.equal(practice?.patients, 2);
    assert.equal(practice?.total, 4);
  });

  it('plans a 32,619-letter backlog quickly', () => {
    const numbers = testRangeNhsNumbers();
    const patients: string[] = [];
    for (let i = 0; i < 9_000; i++) patients.push(numbers.next().value ?? '');
    const documents: DelayedDocument[] = [];
    for (let i = 0; i < 32_619; i++) {
      // Every 50th letter is a resend of the one before it, to the same patient and practice.
      const base = i % 50 === 49 ? i - 1 : i;
      documents.push(
        delayed({
          documentId: `doc-${i}`,
          kind: i % 3 === 0 ? 'outpatient-letter' : 'inpatient-discharge',
          eventAt: new Date(Date.UTC(2025, 0, 1) + ((i * 7_919) % 400) * 86_400_000),
          patientNhsNumber: patients[base % patients.length] ?? '',
          practiceOds: `A${String(10_000 + (base % 120))}`,
          contentHash: `hash-${base}`,
          hasMedicationChanges: i % 7 === 0,
          hasActions: i % 11 === 0,
        }),
      );
    }
    const delivered = new Map([['A10000', new Set(['hash-0', 'hash-120'])]]);
    const started = performance.now();
    const plan = planBacklogRelease(documents, delivered, new Date('2026-06-01T09:00:00Z'));
    const elapsed = performance.now() - started;
    const released = plan.practices.reduce((sum, practice) => sum + practice.total, 0);
    assert.equal(plan.alreadyDelivered.length, 2);
    assert.equal(released + plan.alreadyDelivered.length + plan.duplicatesFolded, 32_619);
    assert.equal(plan.duplicatesFolded, 652);
    assert.equal(plan.practices.length, 120);
    assert.ok(elapsed < 2_000, `planned in ${elapsed.toFixed(0)} ms`);
  });
});
