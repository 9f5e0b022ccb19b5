import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { optional, text } from './parameters';

describe('Reading Parameters', () => {
  it('reads a date part as text, like every other simple value', () => {
    const parts = [
      { name: 'day', valueDate: '2026-03-02' },
      { name: 'at', valueInstant: '2026-03-02T10:00:00Z' },
      { name: 'patient', valueReference: { reference: 'Patient/p1' } },
    ];
    assert.equal(text(parts, 'day'), '2026-03-02');
    assert.equal(text(parts, 'at'), '2026-03-02T10:00:00Z');
    assert.equal(text(parts, 'patient'), 'Patient/p1');
    assert.equal(text(parts, 'absent'), undefined);
  });

  it('spreads an optional field only when it has a value', () => {
    assert.deepEqual({ a: 1, ...optional('note', 'kept') }, { a: 1, note: 'kept' });
    assert.deepEqual({ a: 1, ...optional('note', undefined) }, { a: 1 });
    assert.ok(!('note' in { ...optional('note', undefined) }));
  });
});
