/**
 * The embedded provider's pages, server-rendered with the NHS.UK frontend's markup and CSS (served
 * from our own origin: no CDN, no third-party fonts). Every interpolated value is escaped.
 */
export interface PageOptions {
  /** The asset prefix, e.g. "/auth/assets". */
  assets: string;
  title: string;
  /** When true, the title starts "Error:" as the NHS.UK and GOV.UK patterns require. */
  hasErrors?: boolean;
  body: string;
}

const NHS_LOGO = `<svg class="nhsuk-header__logo" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 200 80" height="40" width="100" focusable="false" role="img" aria-label="NHS"><title>NHS</title><path fill="currentcolor" d="M200 0v80H0V0h200Zm-27.5 5.5c-14.5 0-29 5-29 22 0 10.2 7.7 13.5 14.7 16.3l.7.3c5.4 2 10.1 3.9 10.1 8.4 0 6.5-8.5 7.5-14 7.5s-12.5-1.5-16-3.5L135 70c5.5 2 13.5 3.5 20 3.5 15.5 0 32-4.5 32-22.5 0-19.5-25.5-16.5-25.5-25.5 0-5.5 5.5-6.5 12.5-6.5a35 35 0 0 1 14.5 3l4-13.5c-4.5-2-12-3-20-3Zm-131 2h-22l-14 65H22l9-45h.5l13.5 45h21.5l14-65H64l-9 45h-.5l-13-45Zm63 0h-18l-13 65h17l6-28H117l-5.5 28H129l13.5-65H125L119.5 32h-20l5-24.5Z"/></svg>`;

export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

export function page(options: PageOptions): string {
  const title = `${options.hasErrors ? 'Error: ' : ''}${options.title} – Carebridge`;
  return `<!DOCTYPE html>
<html lang="en-GB">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>${escapeHtml(title)}</title>
  <link rel="icon" href="${options.assets}/images/favicon.ico" sizes="48x48">
  <link rel="icon" href="${options.assets}/images/favicon.svg" type="image/svg+xml">
  <link rel="stylesheet" href="${options.assets}/nhsuk-frontend.min.css">
  <script type="module" src="${options.assets}/init.js"></script>
</head>
<body>
  <a class="nhsuk-skip-link" data-module="nhsuk-skip-link" href="#maincontent">Skip to main content</a>
  <header class="nhsuk-header" data-module="nhsuk-header" role="banner">
    <div class="nhsuk-header__container nhsuk-width-container">
      <div class="nhsuk-header__service">
        ${NHS_LOGO}
        <span class="nhsuk-header__service-name">Carebridge</span>
      </div>
    </div>
  </header>
  <div class="nhsuk-width-container">
    <main class="nhsuk-main-wrapper" id="maincontent">
      <div class="nhsuk-grid-row">
        <div class="nhsuk-grid-column-two-thirds">
${options.body}
        </div>
      </div>
    </main>
  </div>
  <footer class="nhsuk-footer" role="contentinfo">
    <div class="nhsuk-width-container">
      <div class="nhsuk-footer__meta">
        <p class="nhsuk-body-s">Carebridge: open-source software for NHS care hand-offs.</p>
      </div>
    </div>
  </footer>
</body>
</html>`;
}

export interface FieldError {
  /** The id of the field the message is about (the error summary links to it). */
  field: 'username' | 'password';
  message: string;
}

export interface SignInPageOptions {
  assets: string;
  formAction: string;
  /** Who is asking the user to sign in (the OAuth client's name). */
  clientName: string;
  /** The form's CSRF token, sent back in a hidden field. */
  csrfToken: string;
  username?: string;
  errors?: readonly FieldError[];
  /** Demo usernames to list, when demo data is enabled. */
  demoAccounts?: ReadonlyArray<{ username: string; description: string }>;
  /** The sign-in was throttled: shown as a page-level error, with no field to correct. */
  throttled?: boolean;
}

export function signInPage(options: SignInPageOptions): string {
  const errors = options.errors ?? [];
  const hasErrors = errors.length > 0 || options.throttled === true;
  const errorFor = (field: FieldError['field']) => errors.find((error) => error.field === field);
  const summary = hasErrors ? errorSummary(errors, options.throttled === true) : '';
  const body = `          ${summary}
          <h1>Sign in</h1>
          <p>Sign in to continue to ${escapeHtml(options.clientName)}.</p>
          <form method="post" action="${escapeHtml(options.formAction)}" novalidate>
            <input type="hidden" name="_csrf" value="${escapeHtml(options.csrfToken)}">
            ${textField({
              id: 'username',
              label: 'Username',
              hint: 'The username you were given, for example demo-gp',
              type: 'text',
              autocomplete: 'username',
              value: options.username ?? '',
              error: errorFor('username'),
            })}
            ${textField({
              id: 'password',
              label: 'Password',
              type: 'password',
              autocomplete: 'current-password',
              value: '',
              error: errorFor('password'),
            })}
            <button class="nhsuk-button" data-module="nhsuk-button" type="submit">Sign in</button>
          </form>
          ${options.demoAccounts?.length ? demoAccountsDetails(options.demoAccounts) : ''}`;
  return page({ assets: options.assets, title: 'Sign in', hasErrors, body });
}

function errorSummary(errors: readonly FieldError[], throttled: boolean): string {
  const items = throttled
    ? '<li>Too many attempts to sign in. Wait 15 minutes, then try again.</li>'
    : errors
        .map((error) => `<li><a href="#${error.field}">${escapeHtml(error.message)}</a></li>`)
        .join('\n                ');
  // tabindex and autofocus put focus here on load even before (or without) the NHS.UK script.
  return `<div class="nhsuk-error-summary" data-module="nhsuk-error-summary" tabindex="-1" autofocus aria-labelledby="error-summary-title">
            <div role="alert">
              <h2 class="nhsuk-error-summary__heading" id="error-summary-title">There is a problem</h2>
              <div class="nhsuk-error-summary__body">
                <ul class="nhsuk-list nhsuk-error-summary__list">
                ${items}
                </ul>
              </div>
            </div>
          </div>`;
}

interface TextFieldOptions {
  id: FieldError['field'];
  label: string;
  hint?: string;
  type: 'text' | 'password';
  autocomplete: string;
  value: string;
  error: FieldError | undefined;
}

function textField(options: TextFieldOptions): string {
  const hintId = `${options.id}-hint`;
  const errorId = `${options.id}-error`;
  const describedBy = [options.hint ? hintId : undefined, options.error ? errorId : undefined]
    .filter((id) => id !== undefined)
    .join(' ');
  const groupClass = `nhsuk-form-group${options.error ? ' nhsuk-form-group--error' : ''}`;
  const inputClass = `nhsuk-input nhsuk-input--width-20${options.error ? ' nhsuk-input--error' : ''}`;
  return `<div class="${groupClass}">
              <label class="nhsuk-label" for="${options.id}">${escapeHtml(options.label)}</label>
              ${options.hint ? `<div class="nhsuk-hint" id="${hintId}">${escapeHtml(options.hint)}</div>` : ''}
              ${
                options.error
                  ? `<span class="nhsuk-error-message" id="${errorId}"><span class="nhsuk-u-visually-hidden">Error: </span>${escapeHtml(options.error.message)}</span>`
                  : ''
              }
              <input class="${inputClass}" id="${options.id}" name="${options.id}" type="${options.type}" autocomplete="${options.autocomplete}" spellcheck="false" autocapitalize="none"${
                options.value ? ` value="${escapeHtml(options.value)}"` : ''
              }${describedBy ? ` aria-describedby="${describedBy}"` : ''}>
            </div>`;
}

function demoAccountsDetails(accounts: ReadonlyArray<{ username: string; description: string }>): string {
  const rows = accounts
    .map(
      (account) =>
        `<li><strong>${escapeHtml(account.username)}</strong>: ${escapeHtml(account.description)}</li>`,
    )
    .join('\n                ');
  return `<details class="nhsuk-details">
            <summary class="nhsuk-details__summary"><span class="nhsuk-details__summary-text">Demo accounts</span></summary>
            <div class="nhsuk-details__text">
              <p>This server runs with demonstration data. Every demo account uses the password <strong>demo</strong>.</p>
              <ul>
                ${rows}
              </ul>
            </div>
          </details>`;
}

export function messagePage(
  assets: string,
  title: string,
  paragraphs: readonly string[],
  isError: boolean,
): string {
  const body = `          <h1>${escapeHtml(title)}</h1>
          ${paragraphs.map((text) => `<p>${escapeHtml(text)}</p>`).join('\n          ')}`;
  return page({ assets, title, hasErrors: isError, body });
}

export function signOutPage(assets: string, form: string): string {
  // `form` is oidc-provider's own hidden form (with its anti-forgery token); the buttons submit it.
  const body = `          <h1>Sign out</h1>
          <p>Do you want to sign out of Carebridge?</p>
          ${form}
          <div class="nhsuk-button-group">
            <button class="nhsuk-button" data-module="nhsuk-button" type="submit" form="op.logoutForm" name="logout" value="yes">Sign out</button>
            <button class="nhsuk-button nhsuk-button--secondary" data-module="nhsuk-button" type="submit" form="op.logoutForm">Stay signed in</button>
          </div>`;
  return page({ assets, title: 'Sign out', body });
}
