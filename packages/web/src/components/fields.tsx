import { useState, type ReactNode } from 'react';
import { t } from '../strings/en-GB';
import { errorFor, type FieldError } from './ErrorSummary';

/**
 * NHS.UK form fields. Each ties its hint and error message to the control with aria-describedby,
 * and an error adds the design system's red border and the visually hidden "Error:" prefix.
 */

function describedBy(id: string, hint: ReactNode | undefined, error: string | undefined): string | undefined {
  const ids = [
    hint === undefined ? undefined : `${id}-hint`,
    error === undefined ? undefined : `${id}-error`,
  ];
  const joined = ids.filter((value) => value !== undefined).join(' ');
  return joined === '' ? undefined : joined;
}

function Hint({ id, hint }: { id: string; hint: ReactNode | undefined }) {
  return hint === undefined ? null : (
    <div className="nhsuk-hint" id={`${id}-hint`}>
      {hint}
    </div>
  );
}

function ErrorMessage({ id, error }: { id: string; error: string | undefined }) {
  return error === undefined ? null : (
    <span className="nhsuk-error-message" id={`${id}-error`}>
      <span className="nhsuk-u-visually-hidden">{t.common.errorPrefix} </span>
      {error}
    </span>
  );
}

const groupClass = (error: string | undefined): string =>
  `nhsuk-form-group${error === undefined ? '' : ' nhsuk-form-group--error'}`;

interface BaseProps {
  id: string;
  label: ReactNode;
  hint?: ReactNode;
  error?: string | undefined;
}

/** A single control in its form group, under its label, hint and error message. */
function LabelledGroup(props: BaseProps & { labelSize?: 's'; children: ReactNode }) {
  return (
    <div className={groupClass(props.error)}>
      <label
        className={`nhsuk-label${props.labelSize === undefined ? '' : ` nhsuk-label--${props.labelSize}`}`}
        htmlFor={props.id}
      >
        {props.label}
      </label>
      <Hint id={props.id} hint={props.hint} />
      <ErrorMessage id={props.id} error={props.error} />
      {props.children}
    </div>
  );
}

/** A group of controls in a fieldset whose legend, hint and error message describe them all. */
function FieldsetGroup(
  props: BaseProps & { legendSize?: 's' | 'm' | 'l'; role?: 'group'; children: ReactNode },
) {
  return (
    <div className={groupClass(props.error)}>
      <fieldset
        className="nhsuk-fieldset"
        role={props.role}
        aria-describedby={describedBy(props.id, props.hint, props.error)}
      >
        <legend className={`nhsuk-fieldset__legend nhsuk-fieldset__legend--${props.legendSize ?? 's'}`}>
          {props.label}
        </legend>
        <Hint id={props.id} hint={props.hint} />
        <ErrorMessage id={props.id} error={props.error} />
        {props.children}
      </fieldset>
    </div>
  );
}

export function TextInput(
  props: BaseProps & {
    value: string;
    onChange: (value: string) => void;
    width?: 2 | 3 | 4 | 5 | 10 | 20 | 30;
    type?: 'text' | 'search';
    inputMode?: 'numeric' | 'text';
    autoComplete?: string;
  },
) {
  return (
    <LabelledGroup {...props}>
      <input
        className={`nhsuk-input${props.width ? ` nhsuk-input--width-${props.width}` : ''}${props.error ? ' nhsuk-input--error' : ''}`}
        id={props.id}
        name={props.id}
        type={props.type ?? 'text'}
        value={props.value}
        inputMode={props.inputMode}
        autoComplete={props.autoComplete ?? 'off'}
        spellCheck={false}
        aria-describedby={describedBy(props.id, props.hint, props.error)}
        onChange={(event) => props.onChange(event.target.value)}
      />
    </LabelledGroup>
  );
}

export function Textarea(
  props: BaseProps & { value: string; onChange: (value: string) => void; rows?: number },
) {
  return (
    <LabelledGroup {...props} labelSize="s">
      <textarea
        className={`nhsuk-textarea${props.error ? ' nhsuk-textarea--error' : ''}`}
        id={props.id}
        name={props.id}
        rows={props.rows ?? 3}
        value={props.value}
        aria-describedby={describedBy(props.id, props.hint, props.error)}
        onChange={(event) => props.onChange(event.target.value)}
      />
    </LabelledGroup>
  );
}

export interface Option {
  value: string;
  label: string;
  hint?: string;
}

export function Select(
  props: BaseProps & { value: string; onChange: (value: string) => void; options: readonly Option[] },
) {
  return (
    <LabelledGroup {...props}>
      <select
        className={`nhsuk-select${props.error ? ' nhsuk-select--error' : ''}`}
        id={props.id}
        name={props.id}
        value={props.value}
        aria-describedby={describedBy(props.id, props.hint, props.error)}
        onChange={(event) => props.onChange(event.target.value)}
      >
        {props.options.map((option) => (
          <option key={option.value} value={option.value}>
            {option.label}
          </option>
        ))}
      </select>
    </LabelledGroup>
  );
}

/**
 * The radios or checkboxes of a group. The first carries the group's id, so an error summary link to
 * the group lands on a control that can take focus; an option's hint describes its own control.
 */
function Choices(props: {
  id: string;
  type: 'radio' | 'checkbox';
  modifiers: ReadonlyArray<string | false | undefined>;
  options: readonly Option[];
  isChecked: (value: string) => boolean;
  onChange: (value: string, checked: boolean) => void;
}) {
  const block = props.type === 'radio' ? 'nhsuk-radios' : 'nhsuk-checkboxes';
  const modifiers = props.modifiers.filter((modifier) => typeof modifier === 'string');
  return (
    <div className={[block, ...modifiers.map((modifier) => `${block}--${modifier}`)].join(' ')}>
      {props.options.map((option, index) => {
        const id = index === 0 ? props.id : `${props.id}-${index + 1}`;
        return (
          <div className={`${block}__item`} key={option.value}>
            <input
              className={`${block}__input`}
              id={id}
              name={props.id}
              type={props.type}
              value={option.value}
              checked={props.isChecked(option.value)}
              aria-describedby={option.hint === undefined ? undefined : `${id}-item-hint`}
              onChange={(event) => props.onChange(option.value, event.target.checked)}
            />
            <label className={`nhsuk-label ${block}__label`} htmlFor={id}>
              {option.label}
            </label>
            {option.hint !== undefined && (
              <div className={`nhsuk-hint ${block}__hint`} id={`${id}-item-hint`}>
                {option.hint}
              </div>
            )}
          </div>
        );
      })}
    </div>
  );
}

export function Radios(
  props: BaseProps & {
    value: string;
    onChange: (value: string) => void;
    options: readonly Option[];
    inline?: boolean;
    legendSize?: 's' | 'm' | 'l';
    small?: boolean;
  },
) {
  return (
    <FieldsetGroup {...props}>
      <Choices
        id={props.id}
        type="radio"
        modifiers={[props.inline && 'inline', props.small && 'small']}
        options={props.options}
        isChecked={(value) => props.value === value}
        onChange={(value) => props.onChange(value)}
      />
    </FieldsetGroup>
  );
}

export function Checkboxes(
  props: BaseProps & {
    values: readonly string[];
    onChange: (values: string[]) => void;
    options: readonly Option[];
    small?: boolean;
  },
) {
  return (
    <FieldsetGroup {...props}>
      <Choices
        id={props.id}
        type="checkbox"
        modifiers={[props.small && 'small']}
        options={props.options}
        isChecked={(value) => props.values.includes(value)}
        onChange={(value, checked) =>
          props.onChange(
            checked ? [...props.values, value] : props.values.filter((existing) => existing !== value),
          )
        }
      />
    </FieldsetGroup>
  );
}

export interface DateParts {
  day: string;
  month: string;
  year: string;
}

export const EMPTY_DATE: DateParts = { day: '', month: '', year: '' };

/** The NHS.UK date input: three numeric boxes in a fieldset; the day box carries the group's id. */
export function DateInput(props: BaseProps & { value: DateParts; onChange: (value: DateParts) => void }) {
  const box = (part: keyof DateParts, label: string, width: 2 | 4) => {
    const id = part === 'day' ? props.id : `${props.id}-${part}`;
    return (
      <div className="nhsuk-date-input__item">
        <div className="nhsuk-form-group">
          <label className="nhsuk-label nhsuk-date-input__label" htmlFor={id}>
            {label}
          </label>
          <input
            className={`nhsuk-input nhsuk-date-input__input nhsuk-input--width-${width}${props.error ? ' nhsuk-input--error' : ''}`}
            id={id}
            name={id}
            type="text"
            inputMode="numeric"
            value={props.value[part]}
            onChange={(event) => props.onChange({ ...props.value, [part]: event.target.value })}
          />
        </div>
      </div>
    );
  };
  return (
    <FieldsetGroup {...props} role="group">
      <div className="nhsuk-date-input">
        {box('day', t.common.day, 2)}
        {box('month', t.common.month, 2)}
        {box('year', t.common.year, 4)}
      </div>
    </FieldsetGroup>
  );
}

/** A date from the three boxes as YYYY-MM-DD, or undefined when it is not a real date. */
export function isoDate(parts: DateParts): string | undefined {
  const [day, month, year] = [parts.day, parts.month, parts.year].map((value) => value.trim());
  if (!/^\d{1,2}$/.test(day ?? '') || !/^\d{1,2}$/.test(month ?? '') || !/^\d{4}$/.test(year ?? ''))
    return undefined;
  const iso = `${year}-${(month ?? '').padStart(2, '0')}-${(day ?? '').padStart(2, '0')}`;
  const date = new Date(`${iso}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().startsWith(iso) ? iso : undefined;
}

export function dateParts(iso: string | undefined): DateParts {
  const match = /^(\d{4})-(\d{2})-(\d{2})/.exec(iso ?? '');
  return match
    ? { year: match[1] ?? '', month: String(Number(match[2])), day: String(Number(match[3])) }
    : EMPTY_DATE;
}

/**
 * A form's values with a setter for each, and `bind(key, id)`: what ties a field to one value — its
 * id, the value, the change handler and the error (found by the field's id) — to spread onto it.
 */
export function useFormFields<F extends object>(initial: F | (() => F), errors: readonly FieldError[]) {
  const [form, setForm] = useState<F>(initial);
  const update = <K extends keyof F>(key: K, value: F[K]): void =>
    setForm((current) => ({ ...current, [key]: value }));
  const bind = <K extends keyof F & string>(key: K, id: string = key) => ({
    id,
    value: form[key],
    onChange: (value: F[K]) => update(key, value),
    error: errorFor(errors, id),
  });
  return { form, setForm, update, bind };
}
