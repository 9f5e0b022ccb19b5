import { Link } from 'react-router';
import { t } from '../strings/en-GB';

/**
 * Keyset paging as the server's cursors allow it: back to the first page, and on to the next. Each
 * is a query string for the current path (or undefined when there is no such page).
 */
export function Pager({ first, next }: { first: string | undefined; next: string | undefined }) {
  if (first === undefined && next === undefined) return null;
  return (
    <nav className="nhsuk-pagination" role="navigation" aria-label={t.common.pagination}>
      <ul className="nhsuk-list nhsuk-pagination__list">
        {first !== undefined && (
          <li className="nhsuk-pagination-item--previous">
            <Link className="nhsuk-pagination__link nhsuk-pagination__link--prev" to={{ search: first }}>
              <span className="nhsuk-pagination__title">{t.common.firstPage}</span>
            </Link>
          </li>
        )}
        {next !== undefined && (
          <li className="nhsuk-pagination-item--next">
            <Link className="nhsuk-pagination__link nhsuk-pagination__link--next" to={{ search: next }}>
              <span className="nhsuk-pagination__title">{t.common.nextPage}</span>
            </Link>
          </li>
        )}
      </ul>
    </nav>
  );
}
