import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { dateRange } from './date-range.js';
import { decimalRange } from './decimal-range.js';
import { normaliseSearchText, splitUnescaped, truncateUtf8, unescapeSearchValue } from './text.js';

describe('dateRange', () => {
  it('covers a whole year, month or day for partial dates, in UTC', () => {
    assert.deepEqual(dateRange('2024'), {
      low: '2024-01-01T00:00:00.000Z',
      high: '2025-01-01T00:00:00.000Z',
    });
    assert.deepEqual(dateRange('2024-02'), {
      low: '2024-02-01T00:00:00.000Z',
      high: '2024-03-01T00:00:00.000Z',
    });
    assert.deepEqual(dateRange('2024-12-31'), {
      low: '2024-12-31T00:00:00.000Z',
      high: '2025-01-01T00:00:00.000Z',
    });
  });

  it('covers a second, or the fraction written, for times, converted to UTC', () => {
    assert.deepEqual(dateRange('2024-03-01T10:00:00+01:00'), {
      low: '2024-03-01T09:00:00.000Z',
      high: '2024-03-01T09:00:01.000Z',
    });
    assert.deepEqual(dateRange('2024-03-01T10:00:00.12Z'), {
      low: '2024-03-01T10:00:00.120Z',
      high: '2024-03-01T10:00:00.130Z',
    });
    assert.deepEqual(dateRange('2024-03-01T10:00Z'), {
      low: '2024-03-01T10:00:00.000Z',
      high: '2024-03-01T10:01:00.000Z',
    });
  });

  it('handles years below 100 without the Date.UTC 1900 offset', () => {
    assert.deepEqual(dateRange('0050'), {
      low: '0050-01-01T00:00:00.000Z',
      high: '0051-01-01T00:00:00.000Z',
    });
  });

  it('rejects impossible dates', () => {
    for (const text of [
      '2024-02-30',
      '2023-02-29',
      '2024-13',
      '0000',
      '2024-01-01T24:00:00Z',
      '2024-01-01T10:00:00+15:00',
      '20240101',
      '2024-1-1',
    ]) {
      assert.equal(dateRange(text), undefined, text);
    }
  });
});

describe('decimalRange', () => {
  it('spans half a unit of the last digit either side, exactly', () => {
    assert.deepEqual(decimalRange('100'), { value: '100', low: '99.5', high: '100.5' });
    assert.deepEqual(decimalRange('1.50'), { value: '1.5', low: '1.495', high: '1.505' });
    assert.deepEqual(decimalRange('-0.1'), { value: '-0.1', low: '-0.15', high: '-0.05' });
    assert.deepEqual(decimalRange('1e2'), { value: '100', low: '50', high: '150' });
    assert.deepEqual(decimalRange('2.5e-3'), { value: '0.0025', low: '0.00245', high: '0.00255' });
  });

  it('rejects non-numbers and absurd sizes', () => {
    for (const text of ['', '.', '-', '1,5', 'NaN', 'Infinity', '0x10', '1e9999', '1'.repeat(65)]) {
      assert.equal(decimalRange(text), undefined, text);
    }
  });
});

describe('search text helpers', () => {
  it('normalises case, accents and whitespace the same way for index and search', () => {
    assert.equal(normaliseSearchText('  Zoë\tÓ   BRIAIN '), 'zoe o briain');
    assert.equal(normaliseSearchText('İstanbul'), 'istanbul');
  });

  it('splits on unescaped separators and then unescapes', () => {
    assert.deepEqual(splitUnescaped('a\\,b,c\\\\,d', ','), ['a\\,b', 'c\\\\', 'd']);
    assert.deepEqual(splitUnescaped('a\\,b,c\\\\,d', ',').map(unescapeSearchValue), ['a,b', 'c\\', 'd']);
    assert.equal(unescapeSearchValue('C:\\temp\\$x'), 'C:\\temp$x');
  });

  it('truncates on a code point boundary', () => {
    assert.equal(truncateUtf8('a😀b', 4), 'a');
    assert.equal(truncateUtf8('a😀b', 5), 'a😀');
  });
});
