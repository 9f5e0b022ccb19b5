import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { daysInMonth, hasRealCalendarDate, isLeapYear } from './calendar.js';
import { fhirPathOfPointer, fhirPathOfSegments } from './fhir-path.js';
import { findNestingTooDeep } from './json-depth.js';
import { ukCoreIdentifierFault } from './uk-core-identifiers.js';
import { NHS_NUMBER_SYSTEM, ODS_SITE_CODE_SYSTEM } from '../identifiers/systems.js';

describe('calendar dates', () => {
  it('knows the Gregorian leap years', () => {
    assert.deepEqual([1900, 2000, 2023, 2024].map(isLeapYear), [false, true, false, true]);
    assert.equal(daysInMonth(2024, 2), 29);
    assert.equal(daysInMonth(2023, 4), 30);
  });

  it('checks the date part of dates, dateTimes and instants, and leaves partial dates alone', () => {
    assert.equal(hasRealCalendarDate('2023-02-30'), false);
    assert.equal(hasRealCalendarDate('2023-06-31T10:00:00Z'), false);
    assert.equal(hasRealCalendarDate('2024-02-29T23:59:60.5+14:00'), true);
    assert.equal(hasRealCalendarDate('2023-02'), true);
    assert.equal(hasRealCalendarDate('not a date'), true, 'the pattern, not this check, reports the form');
  });
});

describe('FHIRPath of a JSON location', () => {
  it('turns a JSON pointer into a path with indexes', () => {
    assert.equal(fhirPathOfPointer('Patient', '/name/0/given/1'), 'Patient.name[0].given[1]');
    assert.equal(
      fhirPathOfPointer('Bundle.entry[2].resource', '/birthDate'),
      'Bundle.entry[2].resource.birthDate',
    );
    assert.equal(fhirPathOfPointer('Patient', ''), 'Patient');
  });

  it('names an extension twin after its primitive', () => {
    assert.equal(fhirPathOfPointer('Patient', '/_birthDate/extension/0'), 'Patient.birthDate.extension[0]');
    assert.equal(fhirPathOfSegments('Patient', ['name', 0, '_given', 1]), 'Patient.name[0].given[1]');
  });

  it('unescapes JSON pointer segments', () => {
    assert.equal(fhirPathOfPointer('X', '/a~1b/c~0d'), 'X.a/b.c~d');
  });
});

describe('nesting depth', () => {
  it('counts the resource as level 1 and every object and array below it', () => {
    const value = { a: [{ b: 1 }] };
    assert.equal(findNestingTooDeep(value, 3), undefined);
    assert.deepEqual(findNestingTooDeep(value, 2), ['a', 0]);
    assert.equal(findNestingTooDeep('scalar', 1), undefined);
  });

  it('walks a million-level chain without overflowing the stack', () => {
    let value: unknown = {};
    for (let level = 0; level < 1_000_000; level++) value = { child: value };
    assert.equal(findNestingTooDeep(value, 40)?.length, 40);
  });
});

describe('UK Core identifiers', () => {
  it('ignores systems without a rule and values that are not strings', () => {
    assert.equal(ukCoreIdentifierFault('https://example.org', 'x'), undefined);
    assert.equal(ukCoreIdentifierFault(NHS_NUMBER_SYSTEM, undefined), undefined);
  });

  it('names the fault of a bad NHS number or ODS site code', () => {
    assert.equal(ukCoreIdentifierFault(NHS_NUMBER_SYSTEM, '1234567890')?.code, 'invalid-nhs-number');
    assert.equal(ukCoreIdentifierFault(ODS_SITE_CODE_SYSTEM, 'r1a')?.code, 'invalid-ods-code');
  });
});
