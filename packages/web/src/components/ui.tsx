import type { FormEvent, ReactNode } from 'react';
import { Link } from 'react-router';
import type { LedgerState } from '../domain';
import { t } from '../strings/en-GB';

/** Small NHS.UK building blocks used across features. */

export type TagColour =
  'white' | 'grey' | 'green' | 'aqua-green' | 'blue' | 'purple' | 'pink' | 'red' | 'orange' | 'yellow';

export function Tag({ colour, children }: { colour?: TagColour; children: ReactNode }) {
  return <strong className={`nhsuk-tag${colour ? ` nhsuk-tag--${colour}` : ''}`}>{children}</strong>;
}

const STATE_COLOURS: Record<LedgerState, TagColour> = {
  draft: 'grey',
  'awaiting-authorisation': 'yellow',
  final: 'blue',
  queued: 'blue',
  delivered: 'purple',
  opened: 'aqua-green',
  filed: 'green',
  rejected: 'red',
  superseded: 'grey',
  withdrawn: 'grey',
  duplicate: 'grey',
  rerouted: 'blue',
};

export function StateTag({ state }: { state: string }) {
  const known = Object.hasOwn(STATE_COLOURS, state) ? (state as LedgerState) : undefined;
  return <Tag colour={known ? STATE_COLOURS[known] : 'grey'}>{known ? t.states[known] : state}</Tag>;
}

export function BackLink({ to, children }: { to: string; children: ReactNode }) {
  return (
    <div className="nhsuk-back-link">
      <Link className="nhsuk-back-link__link" to={to}>
        {children}
      </Link>
    </div>
  );
}

export function SummaryList({ rows }: { rows: ReadonlyArray<readonly [string, ReactNode]> }) {
  return (
    <dl className="nhsuk-summary-list">
      {rows.map(([key, value]) => (
        <div className="nhsuk-summary-list__row" key={key}>
          <dt className="nhsuk-summary-list__key">{key}</dt>
          <dd className="nhsuk-summary-list__value">{value}</dd>
        </div>
      ))}
    </dl>
  );
}

export function InsetText({ children }: { children: ReactNode }) {
  return <div className="nhsuk-inset-text">{children}</div>;
}

export function WarningCallout({ heading, children }: { heading: string; children: ReactNode }) {
  return (
    <div className="nhsuk-warning-callout">
      <h2 className="nhsuk-warning-callout__label">
        <span className="nhsuk-u-visually-hidden">{t.common.important}: </span>
        {heading}
      </h2>
      {children}
    </div>
  );
}

export function Panel({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="nhsuk-panel nhsuk-panel--confirmation" role="status">
      <h2 className="nhsuk-panel__title">{title}</h2>
      {children !== undefined && <div className="nhsuk-panel__body">{children}</div>}
    </div>
  );
}

/** A table with a caption; screen readers announce the caption as the table's name. */
export function Table({
  caption,
  head,
  rows,
  captionSize = 'm',
}: {
  caption: string;
  head: readonly string[];
  rows: ReadonlyArray<{ key: string; cells: readonly ReactNode[] }>;
  captionSize?: 's' | 'm' | 'l';
}) {
  return (
    <table className="nhsuk-table-responsive">
      <caption className={`nhsuk-table__caption nhsuk-table__caption--${captionSize}`}>{caption}</caption>
      <thead className="nhsuk-table__head">
        <tr>
          {head.map((heading) => (
            <th scope="col" className="nhsuk-table__header" key={heading}>
              {heading}
            </th>
          ))}
        </tr>
      </thead>
      <tbody className="nhsuk-table__body">
        {rows.map((row) => (
          <tr className="nhsuk-table__row" key={row.key}>
            {row.cells.map((cell, index) => (
              <td className="nhsuk-table__cell" key={head[index] ?? index}>
                <span className="nhsuk-table-responsive__heading" aria-hidden="true">
                  {head[index]}{' '}
                </span>
                {cell}
              </td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/**
 * A list's filters behind a disclosure, open while any is applied, with the button that applies
 * them. `onApply` gets the submit event, so the caller stops the page reloading.
 */
export function FilterDetails(props: {
  title: string;
  open: boolean;
  apply: string;
  onApply: (event: FormEvent) => void;
  children: ReactNode;
}) {
  return (
    <details className="nhsuk-details" open={props.open}>
      <summary className="nhsuk-details__summary">
        <span className="nhsuk-details__summary-text">{props.title}</span>
      </summary>
      <div className="nhsuk-details__text">
        <form onSubmit={props.onApply} noValidate>
          {props.children}
          <button className="nhsuk-button nhsuk-button--secondary" type="submit">
            {props.apply}
          </button>
        </form>
      </div>
    </details>
  );
}
