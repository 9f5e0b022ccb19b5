import { isJsonObject } from '../fhir/resource.js';
import { odsCodeKind } from '../identifiers/ods-code.js';
import {
  CARE_CONTEXTS,
  REQUEST_CATEGORY_CODES,
  REQUEST_CIRCUMSTANCES,
  type RequestCategory,
} from './categories.js';
import {
  effectiveRules,
  type CareSetting,
  type LocalAgreement,
  type LocalAgreements,
  type Responsibility,
  type ResponsibilityRule,
} from './responsibility.js';

/**
 * Commissioners' local agreements as an operator writes them (JSON, in a file or the environment):
 * an object of commissioner ODS code → the agreements in the order they apply, each exactly a
 * {@link LocalAgreement}. Read once at start, so a mistake stops the server with the path of the fault
 * instead of misjudging every request for that commissioner's practices.
 */
export class LocalAgreementsError extends RangeError {
  constructor(
    /** Where in the document the fault is: `QE1[0].rule.category`, or `(top level)`. */
    readonly path: string,
    problem: string,
  ) {
    super(`${path}: ${problem}`);
    this.name = 'LocalAgreementsError';
  }
}

const CARE_SETTINGS: readonly CareSetting[] = ['hospital', 'practice', 'other'];
const RESPONSIBILITIES: readonly Responsibility[] = ['requester', 'owner-by-agreement', 'owner'];
const AGREEMENT_KEYS = {
  replace: ['kind', 'name', 'ruleId', 'rule'],
  disable: ['kind', 'name', 'ruleId'],
  add: ['kind', 'name', 'rule'],
} as const satisfies Record<LocalAgreement['kind'], readonly string[]>;
const RULE_KEYS = [
  'id',
  'category',
  'requester',
  'owner',
  'all',
  'any',
  'none',
  'careContexts',
  'responsible',
  'clause',
  'summary',
  'source',
] as const satisfies ReadonlyArray<keyof ResponsibilityRule>;

/** Checks a parsed JSON document against the domain's types and the rules it names. */
export function parseLocalAgreements(document: unknown): LocalAgreements {
  const entries = Object.entries(object(document, '(top level)'));
  return Object.fromEntries(
    entries.map(([commissioner, agreements]) => {
      checkCommissioner(commissioner);
      return [commissioner, commissionerAgreements(commissioner, agreements)];
    }),
  );
}

/** A commissioner is an ICB (or sub-ICB location): an ODS code, but never a practice's or a trust's. */
function checkCommissioner(code: string): void {
  const kind = odsCodeKind(code);
  if (kind === 'other') return;
  throw new LocalAgreementsError(
    code,
    kind === undefined
      ? `'${code}' is not an ODS code; key each commissioner's agreements by its ODS code, such as QE1.`
      : `'${code}' is the ODS code of a ${kind.replace(/-/g, ' ')}, not of a commissioner (an ICB such as QE1).`,
  );
}

function commissionerAgreements(commissioner: string, value: unknown): LocalAgreement[] {
  if (!Array.isArray(value)) {
    throw new LocalAgreementsError(commissioner, 'must be an array of agreements, in the order they apply.');
  }
  const agreements: LocalAgreement[] = [];
  value.forEach((item, index) => {
    const path = `${commissioner}[${index}]`;
    const agreement = localAgreement(item, path);
    agreements.push(agreement);
    checkRulesInForce(commissioner, agreements, agreement, path);
  });
  return agreements;
}

function localAgreement(value: unknown, path: string): LocalAgreement {
  const item = object(value, path);
  const kind = item.kind;
  if (kind !== 'replace' && kind !== 'disable' && kind !== 'add') {
    throw new LocalAgreementsError(`${path}.kind`, `must be replace, disable or add, not ${shown(kind)}.`);
  }
  onlyKeys(item, AGREEMENT_KEYS[kind], path);
  const name = text(item.name, `${path}.name`);
  if (kind === 'add') return { kind, name, rule: rule(item.rule, `${path}.rule`) };
  const ruleId = text(item.ruleId, `${path}.ruleId`);
  if (kind === 'disable') return { kind, name, ruleId };
  return { kind, name, ruleId, rule: rule(item.rule, `${path}.rule`) };
}

/**
 * Applies the agreements so far exactly as requests will see them (effectiveRules), so a fault is
 * reported at the agreement that causes it: the last one, since those before it applied cleanly.
 */
function checkRulesInForce(
  commissioner: string,
  agreements: readonly LocalAgreement[],
  last: LocalAgreement,
  path: string,
): void {
  let rules: ResponsibilityRule[];
  try {
    rules = effectiveRules(commissioner, { [commissioner]: agreements });
  } catch (error) {
    // effectiveRules refuses only a replace or disable naming no rule in force.
    if (!(error instanceof RangeError) || last.kind === 'add') throw error;
    throw new LocalAgreementsError(
      `${path}.ruleId`,
      `names no rule in force '${last.ruleId}' (a national rule, or one an earlier agreement added).`,
    );
  }
  // A decline cites a rule by its id, so two rules in force may never share one.
  const ids = rules.map((rule) => rule.id);
  const repeated = ids.find((id, index) => ids.indexOf(id) !== index);
  if (repeated !== undefined) {
    throw new LocalAgreementsError(
      `${path}.rule.id`,
      `'${repeated}' is already a rule in force; replace that rule instead.`,
    );
  }
}

function rule(value: unknown, path: string): ResponsibilityRule {
  const item = object(value, path);
  onlyKeys(item, RULE_KEYS, path);
  const circumstances = (name: 'all' | 'any' | 'none') =>
    item[name] === undefined ? {} : { [name]: codes(item[name], REQUEST_CIRCUMSTANCES, `${path}.${name}`) };
  return {
    id: text(item.id, `${path}.id`),
    category: oneOf<RequestCategory>(item.category, REQUEST_CATEGORY_CODES, `${path}.category`),
    requester: oneOf(item.requester, CARE_SETTINGS, `${path}.requester`),
    owner: oneOf(item.owner, CARE_SETTINGS, `${path}.owner`),
    ...circumstances('all'),
    ...circumstances('any'),
    ...circumstances('none'),
    ...(item.careContexts === undefined
      ? {}
      : { careContexts: codes(item.careContexts, CARE_CONTEXTS, `${path}.careContexts`) }),
    responsible: oneOf(item.responsible, RESPONSIBILITIES, `${path}.responsible`),
    clause: text(item.clause, `${path}.clause`),
    summary: text(item.summary, `${path}.summary`),
    source: text(item.source, `${path}.source`),
  };
}

function object(value: unknown, path: string): Record<string, unknown> {
  if (isJsonObject(value)) return value;
  throw new LocalAgreementsError(path, `must be a JSON object, not ${shown(value)}.`);
}

/** Nothing an operator wrote is silently ignored: a misspelt key is a fault, not a no-op. */
function onlyKeys(item: Record<string, unknown>, allowed: readonly string[], path: string): void {
  const unknown = Object.keys(item).find((key) => !allowed.includes(key));
  if (unknown !== undefined) {
    throw new LocalAgreementsError(
      `${path}.${unknown}`,
      `is not a field here; the fields are ${allowed.join(', ')}.`,
    );
  }
}

function text(value: unknown, path: string): string {
  if (typeof value === 'string' && value.trim() !== '') return value;
  throw new LocalAgreementsError(path, `must be a non-empty string, not ${shown(value)}.`);
}

function oneOf<T extends string>(value: unknown, allowed: readonly T[], path: string): T {
  if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T;
  throw new LocalAgreementsError(path, `must be one of ${allowed.join(', ')}, not ${shown(value)}.`);
}

function codes<T extends string>(value: unknown, allowed: readonly T[], path: string): T[] {
  if (!Array.isArray(value)) throw new LocalAgreementsError(path, `must be an array, not ${shown(value)}.`);
  return value.map((item, index) => oneOf(item, allowed, `${path}[${index}]`));
}

function shown(value: unknown): string {
  return value === undefined ? 'missing' : JSON.stringify(value);
}
