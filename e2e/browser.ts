import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';

/**
 * Debian's Chromium driven by playwright-core (browsers cannot be downloaded here), plus the checks
 * every page gets: axe-core against WCAG 2.2 A and AA, and keyboard helpers.
 */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

export async function newUserContext(browser: Browser): Promise<BrowserContext> {
  const context = await browser.newContext({
    viewport: { width: 1280, height: 900 },
    locale: 'en-GB',
    timezoneId: 'Europe/London',
  });
  context.setDefaultTimeout(15_000);
  return context;
}

/** A page in a context of its own, so each user has their own session. */
export async function newUserPage(browser: Browser): Promise<Page> {
  return (await newUserContext(browser)).newPage();
}

/** A page of its own, signed in as `username`. */
export async function signedInPage(browser: Browser, baseUrl: string, username: string): Promise<Page> {
  const page = await newUserPage(browser);
  await signIn(page, baseUrl, username);
  return page;
}

/** Signs in through the embedded provider's own sign-in page, as a person would. */
export async function signIn(page: Page, baseUrl: string, username: string): Promise<void> {
  await page.goto(`${baseUrl}/`);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(/\/auth\/interaction\//);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill('demo');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(
    (url) => !url.pathname.startsWith('/auth') && !url.pathname.startsWith('/app/callback'),
  );
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
}

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const WCAG_22_A_AA = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22a', 'wcag22aa'];

export interface AxeSummary {
  page: string;
  violations: number;
  passes: number;
}

export const axeResults: AxeSummary[] = [];

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: Array<{ target: unknown; failureSummary?: string }>;
}

/**
 * Runs axe-core in the page. It is evaluated through the DevTools protocol, which the page's
 * Content-Security-Policy does not govern, so the app's strict CSP stays on while it is tested.
 */
export async function expectAccessible(page: Page, name: string): Promise<void> {
  await page.waitForLoadState('networkidle');
  await page.evaluate(AXE_SOURCE);
  const result = await page.evaluate(async (tags: string[]) => {
    const axe = (
      window as unknown as {
        axe: {
          run: (context: Document, options: unknown) => Promise<{ violations: unknown[]; passes: unknown[] }>;
        };
      }
    ).axe;
    const outcome = await axe.run(document, {
      runOnly: { type: 'tag', values: tags },
      resultTypes: ['violations'],
    });
    return { violations: outcome.violations, passes: outcome.passes.length };
  }, WCAG_22_A_AA);
  const violations = result.violations as AxeViolation[];
  axeResults.push({ page: name, violations: violations.length, passes: result.passes });
  assert.deepEqual(
    violations.map(
      (violation) =>
        `${violation.id} (${violation.impact ?? ''}): ${violation.help} at ${JSON.stringify(violation.nodes.map((node) => node.target))}`,
    ),
    [],
    `axe found WCAG 2.2 A/AA violations on ${name}`,
  );
}

/** Prints what axe found on each page checked, after a file's tests. */
export function logAxeResults(): void {
  console.log('axe-core (WCAG 2.2 A/AA) results:');
  for (const result of axeResults) console.log(`  ${result.page}: ${result.violations} violations`);
}

/**
 * Waits for the error summary after a refused submit and checks the form discipline every form
 * keeps: the summary takes focus and the title starts "Error:". Returns the summary.
 */
export async function expectErrorSummary(page: Page): Promise<Locator> {
  const summary = page.locator('.nhsuk-error-summary');
  await summary.waitFor();
  assert.equal(await summary.evaluate((element) => element === document.activeElement), true);
  assert.match(await page.title(), /^Error: /);
  return summary;
}

/** Types a date into an NHS.UK date input (`#id`, `#id-month`, `#id-year`); a Date goes in as its UTC day. */
export async function fillDate(
  page: Page,
  id: string,
  date: Date | { day: string; month: string; year: string },
): Promise<void> {
  const parts =
    date instanceof Date
      ? {
          day: String(date.getUTCDate()),
          month: String(date.getUTCMonth() + 1),
          year: String(date.getUTCFullYear()),
        }
      : date;
  await page.locator(`#${id}`).fill(parts.day);
  await page.locator(`#${id}-month`).fill(parts.month);
  await page.locator(`#${id}-year`).fill(parts.year);
}

/** Saves a screenshot when `npm run screenshots` asked for them. */
export async function screenshot(page: Page, name: string): Promise<void> {
  const directory = process.env.SCREENSHOTS_DIR;
  if (directory === undefined) return;
  mkdirSync(directory, { recursive: true });
  await page.screenshot({ path: join(directory, `${name}.png`), fullPage: true });
}

/**
 * Presses Tab until the focused element's accessible text matches, as a keyboard user moves
 * through a page; fails if it is never reached (a control that cannot be reached by keyboard).
 */
export async function tabTo(page: Page, text: RegExp, maxPresses = 80): Promise<void> {
  for (let press = 0; press < maxPresses; press += 1) {
    await page.keyboard.press('Tab');
    const focused = await page.evaluate(() => {
      const element = document.activeElement;
      if (element === null) return '';
      const labelled = element.id
        ? document.querySelector(`label[for="${element.id}"]`)?.textContent
        : undefined;
      return `${element.textContent ?? ''} ${labelled ?? ''} ${element.getAttribute('aria-label') ?? ''}`.trim();
    });
    if (text.test(focused)) return;
  }
  assert.fail(`Could not reach ${String(text)} by keyboard`);
}
