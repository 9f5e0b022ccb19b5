import type { ErrorCode } from '../fhir/errors.js';
import type { PathSegment } from './fhir-path.js';
import type { ChoiceElementRule } from './generated/r4-structure-rules.js';
import { isJsonObject, type JsonObject } from './json.js';

/**
 * What FHIR requires of one kind of element beyond what the JSON schema checks: minimum cardinality
 * (from the StructureDefinitions), one value per choice element, and the invariants ele-1 and ext-1.
 */
export interface ElementRules {
  /** The element path this definition describes, e.g. `Observation.component`. */
  readonly path: string;
  /** ele-1 applies to datatypes and backbone elements; a resource may be no more than its type. */
  readonly mustHaveContent: boolean;
  /** ext-1 applies to Extension (and so to modifierExtension). */
  readonly isExtension: boolean;
  readonly required: readonly string[];
  readonly choices: readonly ChoiceElementRule[];
  /** Primitive properties, whose arrays may hold null where the `_name` array holds the extensions. */
  readonly primitives: readonly string[];
}

/** A fault inside one element; `child` locates it below the element. */
export interface ElementFault {
  readonly code: ErrorCode;
  readonly diagnostics: string;
  readonly child: readonly PathSegment[];
}

const ELE_1 = 'ele-1: All FHIR elements must have a @value or children';
const EXT_1 = 'ext-1: Must have either extensions or value[x], not both';

/** A property is present in either form: `status`, or `_status` carrying only extensions. */
function isPresent(element: JsonObject, name: string): boolean {
  return element[name] !== undefined || element[`_${name}`] !== undefined;
}

function hasExtension(value: unknown): boolean {
  return isJsonObject(value) && Array.isArray(value['extension']) && value['extension'].length > 0;
}

function baseProperty(jsonProperty: string): string {
  return jsonProperty.startsWith('_') ? jsonProperty.slice(1) : jsonProperty;
}

/** Checks compiled once per schema definition and then run on every element it describes. */
export class ElementChecker {
  private readonly choiceOfProperty = new Map<string, ChoiceElementRule>();
  private readonly primitives: ReadonlySet<string>;

  constructor(private readonly rules: ElementRules) {
    for (const choice of rules.choices) {
      for (const property of choice.properties) this.choiceOfProperty.set(property, choice);
    }
    this.primitives = new Set(rules.primitives);
  }

  faults(element: JsonObject): ElementFault[] {
    const faults: ElementFault[] = [];
    this.checkRequired(element, faults);
    this.checkChoices(element, faults);
    this.checkPrimitivesHaveValueOrExtension(element, faults);
    if (this.rules.mustHaveContent && !Object.keys(element).some((key) => key !== 'id')) {
      faults.push({ code: 'invariant-failed', diagnostics: ELE_1, child: [] });
    }
    if (this.rules.isExtension) this.checkExtensionInvariant(element, faults);
    return faults;
  }

  private checkRequired(element: JsonObject, faults: ElementFault[]): void {
    for (const name of this.rules.required) {
      if (!isPresent(element, name)) {
        faults.push({
          code: 'missing-required-element',
          diagnostics: `Required element '${name}' is missing`,
          child: [name],
        });
      }
    }
  }

  private checkChoices(element: JsonObject, faults: ElementFault[]): void {
    if (this.rules.choices.length === 0) return;
    const given = new Map<ChoiceElementRule, Set<string>>();
    for (const key of Object.keys(element)) {
      const property = baseProperty(key);
      const choice = this.choiceOfProperty.get(property);
      if (choice === undefined) continue;
      const properties = given.get(choice) ?? new Set<string>();
      given.set(choice, properties.add(property));
    }
    for (const choice of this.rules.choices) {
      const properties = given.get(choice);
      if (properties === undefined && choice.required) {
        faults.push({
          code: 'missing-required-element',
          diagnostics: `Required element '${choice.name}' is missing: give one of ${choice.properties.join(', ')}`,
          child: [choice.name],
        });
      } else if (properties !== undefined && properties.size > 1) {
        faults.push({
          code: 'invalid-resource',
          diagnostics: `Only one of ${[...properties].join(', ')} may be given: '${choice.name}' has a single value`,
          child: [choice.name],
        });
      }
    }
  }

  /**
   * ele-1 for primitives: `"_birthDate": {...}` without `birthDate`, or a null in `given`, stands for
   * an element with no value, so it must carry an extension instead.
   */
  private checkPrimitivesHaveValueOrExtension(element: JsonObject, faults: ElementFault[]): void {
    for (const [key, value] of Object.entries(element)) {
      // An unknown `_foo` is reported as unknown by the schema; it is no twin of anything.
      if (key.startsWith('_') && this.primitives.has(key.slice(1))) {
        this.checkExtensionCarrier(key, value, element[key.slice(1)], faults);
      } else if (Array.isArray(value) && this.primitives.has(key) && element[`_${key}`] === undefined) {
        value.forEach((item, index) => {
          if (item === null) {
            faults.push({ code: 'invariant-failed', diagnostics: ELE_1, child: [key, index] });
          }
        });
      }
    }
  }

  private checkExtensionCarrier(key: string, carrier: unknown, value: unknown, faults: ElementFault[]): void {
    if (!Array.isArray(carrier)) {
      if (value === undefined && isJsonObject(carrier) && !hasExtension(carrier)) {
        faults.push({ code: 'invariant-failed', diagnostics: ELE_1, child: [key] });
      }
      return;
    }
    const values: readonly unknown[] = Array.isArray(value) ? value : [];
    if (Array.isArray(value) && value.length !== carrier.length) {
      faults.push({
        code: 'invalid-value',
        diagnostics: `'${key}' must have as many items as '${key.slice(1)}' (${value.length}), not ${carrier.length}`,
        child: [key],
      });
    }
    carrier.forEach((item, index) => {
      const itemValue = values[index];
      if ((itemValue === undefined || itemValue === null) && !hasExtension(item)) {
        faults.push({ code: 'invariant-failed', diagnostics: ELE_1, child: [key, index] });
      }
    });
  }

  private checkExtensionInvariant(element: JsonObject, faults: ElementFault[]): void {
    const hasValue = Object.keys(element).some((key) => baseProperty(key).startsWith('value'));
    if (hasValue === hasExtension(element)) {
      faults.push({ code: 'invariant-failed', diagnostics: EXT_1, child: [] });
    }
  }
}
