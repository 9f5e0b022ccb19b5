import { useEffect, useRef, type ReactNode } from 'react';
import { t } from '../strings/en-GB';

/**
 * Every screen's frame: the document title (with "Error:" first while the page shows errors, as the
 * NHS.UK and GOV.UK patterns require) and a page heading that takes focus when the page opens, so a
 * screen reader user hears where a link took them (a single-page app does not reload to say so).
 */
export function Page(props: {
  title: string;
  hasErrors?: boolean;
  caption?: string;
  children: ReactNode;
  /** Wider pages (tables) use the full width; forms keep the two-thirds reading column. */
  wide?: boolean;
  before?: ReactNode;
}) {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    document.title = `${props.hasErrors ? `${t.common.errorPrefix} ` : ''}${props.title} – ${t.common.serviceName}`;
  }, [props.title, props.hasErrors]);
  useEffect(() => {
    // The error summary takes focus itself when there are errors; otherwise the heading does.
    if (!document.querySelector('.nhsuk-error-summary')) heading.current?.focus({ preventScroll: false });
  }, [props.title]);
  return (
    <div className="nhsuk-grid-row">
      <div className={props.wide ? 'nhsuk-grid-column-full' : 'nhsuk-grid-column-two-thirds'}>
        {props.before}
        <h1 ref={heading} tabIndex={-1} className="cb-page-heading">
          {props.caption !== undefined && <span className="nhsuk-caption-l">{props.caption}</span>}
          {props.title}
        </h1>
        {props.children}
      </div>
    </div>
  );
}
