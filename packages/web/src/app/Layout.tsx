import type { ReactNode } from 'react';
import { Link, NavLink } from 'react-router';
import { useUser } from '../auth/AuthContext';
import { signOut } from '../auth/session';
import { t } from '../strings/en-GB';
import { navigationFor } from './navigation';

const NHS_LOGO_PATH =
  'M200 0v80H0V0h200Zm-27.5 5.5c-14.5 0-29 5-29 22 0 10.2 7.7 13.5 14.7 16.3l.7.3c5.4 2 10.1 3.9 10.1 8.4 0 6.5-8.5 7.5-14 7.5s-12.5-1.5-16-3.5L135 70c5.5 2 13.5 3.5 20 3.5 15.5 0 32-4.5 32-22.5 0-19.5-25.5-16.5-25.5-25.5 0-5.5 5.5-6.5 12.5-6.5a35 35 0 0 1 14.5 3l4-13.5c-4.5-2-12-3-20-3Zm-131 2h-22l-14 65H22l9-45h.5l13.5 45h21.5l14-65H64l-9 45h-.5l-13-45Zm63 0h-18l-13 65h17l6-28H117l-5.5 28H129l13.5-65H125L119.5 32h-20l5-24.5Z';

/** The NHS.UK header (service name, account, menu by role), main landmark and footer. */
export function Layout({ children }: { children: ReactNode }) {
  const user = useUser();
  const items = user ? navigationFor(user.role) : [];
  return (
    <>
      <a className="nhsuk-skip-link" href="#maincontent">
        {t.common.skipLink}
      </a>
      <header className="nhsuk-header" role="banner">
        <div className="nhsuk-header__container nhsuk-width-container">
          <div className="nhsuk-header__service">
            <Link
              className="nhsuk-header__service-logo"
              to="/"
              aria-label={`NHS ${t.common.serviceName} homepage`}
            >
              <svg
                className="nhsuk-header__logo"
                xmlns="http://www.w3.org/2000/svg"
                viewBox="0 0 200 80"
                height="40"
                width="100"
                focusable="false"
                aria-hidden="true"
              >
                <path fill="currentcolor" d={NHS_LOGO_PATH} />
              </svg>
              <span className="nhsuk-header__service-name">{t.common.serviceName}</span>
            </Link>
          </div>
          {user && (
            <nav className="nhsuk-header__account" aria-label={t.common.accountLabel}>
              <ul className="nhsuk-header__account-list">
                <li className="nhsuk-header__account-item">
                  {t.common.signedInAs(user.name, user.odsCode ?? user.role)}
                </li>
                <li className="nhsuk-header__account-item">
                  <button className="nhsuk-header__account-button" type="button" onClick={signOut}>
                    {t.common.signOut}
                  </button>
                </li>
              </ul>
            </nav>
          )}
        </div>
        {items.length > 0 && (
          <nav className="nhsuk-header__navigation" aria-label={t.common.navigationLabel}>
            <div className="nhsuk-header__navigation-container nhsuk-width-container">
              <ul className="nhsuk-header__navigation-list">
                {items.map((item) => (
                  <li className="nhsuk-header__navigation-item" key={item.to}>
                    <NavLink className="nhsuk-header__navigation-link" to={item.to} end>
                      {item.label}
                    </NavLink>
                  </li>
                ))}
              </ul>
            </div>
          </nav>
        )}
      </header>
      <div className="nhsuk-width-container">
        <main className="nhsuk-main-wrapper" id="maincontent">
          {children}
        </main>
      </div>
      <footer className="nhsuk-footer" role="contentinfo">
        <div className="nhsuk-width-container">
          <div className="nhsuk-footer__meta">
            <p className="nhsuk-body-s">{t.common.footer}</p>
          </div>
        </div>
      </footer>
    </>
  );
}
