import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { validateResource } from '@carebridge/domain';
import { createTestDatabase, testDatabaseKinds, type TestDatabase } from '../../test/support/databases.js';
import type { AuditEntry } from './audit-entry.js';
import { searchAuditEvents, type AuditEventFilter } from './audit-search.js';
import { sampleAuditEntry } from '../../test/support/audit-fixtures.js';
import { AuditTrail } from './audit-trail.js';
import { toFhirAuditEvent } from './fhir-audit-event.js';

const T0 = Date.UTC(2026, 3, 1, 9, 0, 0);

/** Twelve events, one a minute, differing in who, which patient, outcome and break-glass. */
function fixtureEntries(): AuditEntry[] {
  return Array.from({ length: 12 }, (_, minute) => {
    const isSecondUser = minute % 3 === 0;
    return sampleAuditEntry({
      requestId: `search-${minute}`,
      recordedAt: new Date(T0 + minute * 60_000),
      principal: {
        subject: isSecondUser ? 'user-consultant' : 'user-gp-1',
        displayName: isSecondUser ? 'Mr Consultant' : 'Dr Ada Lovelace',
        role: isSecondUser ? 'consultant' : 'gp',
        organizationId: isSecondUser ? 'org-hospital' : 'org-practice-1',
        clientId: 'carebridge-ui',
      },
      patientIds: minute % 2 === 0 ? ['patient-even', 'patient-any'] : ['patient-odd', 'patient-any'],
      outcome: minute === 5 ? 'denied' : 'success',
      httpStatus: minute === 5 ? 403 : 200,
      breakGlass: minute === 7,
      purposeOfUse: minute === 7 ? 'ETREAT' : 'TREAT',
    });
  });
}

for (const kind of testDatabaseKinds()) {
  describe(`searchAuditEvents on ${kind}`, () => {
    let testDb: TestDatabase;
    const entries = fixtureEntries();

    before(async () => {
      testDb = await createTestDatabase(kind);
      const trail = new AuditTrail(testDb.db);
      // Two identical timestamps test the id tie-break of keyset paging.
      await Promise.all(
        [
          ...entries,
          sampleAuditEntry({
            requestId: 'search-tie',
            recordedAt: new Date(T0 + 4 * 60_000),
            patientIds: ['patient-any'],
          }),
        ].map((entry) => trail.record(entry)),
      );
      await trail.stop();
    });
    after(async () => {
      await testDb.drop();
    });

    const minutes = async (filter: Omit<AuditEventFilter, 'count'>) =>
      (await searchAuditEvents(testDb.db, { count: 100, ...filter })).map((event) => event.requestId);

    it('answers "who looked at my record" for one patient, newest first', async () => {
      assert.deepEqual(await minutes({ patientId: 'patient-odd' }), [
        'search-11',
        'search-9',
        'search-7',
        'search-5',
        'search-3',
        'search-1',
      ]);
    });

    it('filters by subject, organisation, outcome, break-glass and time range, combined', async () => {
      assert.deepEqual(await minutes({ subject: 'user-consultant' }), [
        'search-9',
        'search-6',
        'search-3',
        'search-0',
      ]);
      assert.deepEqual(await minutes({ organizationId: 'org-hospital', patientId: 'patient-even' }), [
        'search-6',
        'search-0',
      ]);
      assert.deepEqual(await minutes({ outcome: 'denied' }), ['search-5']);
      assert.deepEqual(await minutes({ breakGlass: true }), ['search-7']);
      assert.equal((await minutes({ breakGlass: false, patientId: 'patient-any' })).length, 12);
      assert.deepEqual(await minutes({ from: new Date(T0 + 2 * 60_000), to: new Date(T0 + 4 * 60_000) }), [
        'search-3',
        'search-2',
      ]);
    });

    it('pages with a keyset through every event exactly once, ties on recorded_at included', async () => {
      const seen: string[] = [];
      let before: AuditEventFilter['before'];
      for (;;) {
        const page = await searchAuditEvents(testDb.db, {
          patientId: 'patient-any',
          count: 5,
          ...(before ? { before } : {}),
        });
        seen.push(...page.map((event) => event.requestId));
        const last = page.at(-1);
        if (page.length < 5 || last === undefined) break;
        before = { recordedAt: last.recordedAt, id: last.id };
      }
      assert.equal(seen.length, 13);
      assert.equal(new Set(seen).size, 13);
      assert.deepEqual(seen.slice(0, 2), ['search-11', 'search-10']);
    });

    it('returns stored entries that round-trip every field and map to valid AuditEvents', async () => {
      const [event] = await searchAuditEvents(testDb.db, { breakGlass: true, count: 1 });
      assert.ok(event);
      const original = entries[7];
      assert.ok(original);
      assert.deepEqual({ ...event, id: 0 }, { ...original, id: 0, patientIds: [...original.patientIds] });
      assert.deepEqual(validateResource(toFhirAuditEvent(event)), []);
    });

    it('refuses a page size out of range', async () => {
      await assert.rejects(searchAuditEvents(testDb.db, { count: 0 }), RangeError);
      await assert.rejects(searchAuditEvents(testDb.db, { count: 1_001 }), RangeError);
    });
  });
}
