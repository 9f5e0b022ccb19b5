import { useEffect, useRef } from 'react';
import { t } from '../strings/en-GB';

export interface FieldError {
  /** The id of the field to correct: the summary links to it. */
  field: string;
  message: string;
}

/**
 * The NHS.UK error summary: at the top of the page, takes focus whenever the errors change (so a
 * screen reader announces them), and each message links to the field it is about.
 */
export function ErrorSummary({ errors }: { errors: readonly FieldError[] }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (errors.length > 0) box.current?.focus();
  }, [errors]);
  if (errors.length === 0) return null;
  return (
    <div
      className="nhsuk-error-summary"
      aria-labelledby="error-summary-title"
      role="alert"
      tabIndex={-1}
      ref={box}
    >
      <h2 className="nhsuk-error-summary__title" id="error-summary-title">
        {t.common.errorSummaryTitle}
      </h2>
      <div className="nhsuk-error-summary__body">
        <ul className="nhsuk-list nhsuk-error-summary__list">
          {errors.map((error) => (
            <li key={`${error.field}:${error.message}`}>
              <a
                href={`#${error.field}`}
                onClick={(event) => {
                  // A fragment link scrolls but does not move focus into the field; this does both.
                  const target = document.getElementById(error.field);
                  if (target === null) return;
                  event.preventDefault();
                  target.scrollIntoView({ block: 'center' });
                  target.focus();
                }}
              >
                {error.message}
              </a>
            </li>
          ))}
        </ul>
      </div>
    </div>
  );
}

export function errorFor(errors: readonly FieldError[], field: string): string | undefined {
  return errors.find((error) => error.field === field)?.message;
}
