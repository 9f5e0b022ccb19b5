import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import {
  expectAccessible,
  expectErrorSummary,
  fillDate,
  screenshot,
  signedInPage,
  tabTo,
} from './browser.js';
import { INPATIENTS, startE2e, stopE2e, type E2eServer } from './harness.js';

/**
 * Requests with an owner (issue 6), end to end in headless Chromium against the real server: the
 * hospital consultant asks the patient's GP practice for a fit note, which the NHS Standard Contract
 * (SC11.11) makes the hospital's own work; it lands flagged in the practice's worklist; the GP
 * declines it in one step citing the clause, by keyboard alone; the consultant's tracker shows the
 * decline with the clause; and the workload ledger counts it. A request the rules do not flag is
 * accepted and completed. Every page visited is checked with axe (WCAG 2.2 A and AA).
 */
const CLAUSE = 'NHS Standard Contract SC11.11';
let server: E2eServer;
let browser: Browser;
let consultant: Page;
let gp: Page;

async function openMenu(page: Page, name: string, heading: RegExp): Promise<void> {
  await page.getByRole('navigation').getByRole('link', { name, exact: true }).first().click();
  await page.getByRole('heading', { level: 1, name: heading }).waitFor();
}

/** Makes a request as the consultant, for the first demo inpatient registered with the demo GP. */
async function makeRequest(category: string, reason: string): Promise<void> {
  await openMenu(consultant, 'Requests sent', /Requests sent/);
  await consultant.getByRole('link', { name: 'Make a new request' }).click();
  await consultant.getByRole('heading', { level: 1, name: 'Make a request' }).waitFor();
  await consultant.locator('#patient').selectOption(INPATIENTS[0]);
  // The patient's registered practice is the one organisation to ask, so it is chosen for them.
  await consultant
    .locator('#owner option', { hasText: /registered GP practice/ })
    .waitFor({ state: 'attached' });
  assert.notEqual(await consultant.locator('#owner').inputValue(), '');
  await consultant.getByLabel(category, { exact: true }).check();
  await consultant.getByLabel('Specialty (optional)').fill('Orthopaedics');
  await consultant.getByLabel('What do you need, and why?').fill(reason);
  await consultant.getByRole('button', { name: 'Send request' }).click();
  await consultant.getByRole('heading', { level: 2, name: /^Request sent to / }).waitFor();
}

describe('Requests between hospital and GP', { timeout: 240_000 }, () => {
  before(async () => {
    ({ server, browser } = await startE2e());
    consultant = await signedInPage(browser, server.baseUrl, 'demo-consultant');
    gp = await signedInPage(browser, server.baseUrl, 'demo-gp');
  });

  after(() => stopE2e(server, browser));

  it('refuses an incomplete request with an error summary that takes focus', async () => {
    await openMenu(consultant, 'Requests sent', /Requests sent/);
    await expectAccessible(consultant, 'requests sent (empty)');
    await consultant.getByRole('link', { name: 'Make a new request' }).click();
    await consultant.getByRole('heading', { level: 1, name: 'Make a request' }).waitFor();
    await expectAccessible(consultant, 'new request');
    await consultant.getByRole('button', { name: 'Send request' }).click();
    const summary = await expectErrorSummary(consultant);
    const text = await summary.innerText();
    for (const message of ['Choose the patient', 'Choose who you are asking', 'Enter what you need and why'])
      assert.match(text, new RegExp(message));
    assert.match(
      (await consultant.locator('#reason').getAttribute('aria-describedby')) ?? '',
      /reason-error/,
    );
    await expectAccessible(consultant, 'new request with errors');
    await screenshot(consultant, 'request-new-errors');
  });

  it('the consultant asks the GP for a fit note, and is told plainly the contract makes it the hospital’s', async () => {
    await makeRequest('Issue a fit note', 'Fit note for 6 weeks after a hip replacement, please.');
    const main = await consultant.locator('main').innerText();
    assert.match(main, /The contract places this work on you/);
    assert.match(main, new RegExp(`citing ${CLAUSE}`));
    await expectAccessible(consultant, 'request sent (flagged)');
    await screenshot(consultant, 'request-sent-flagged');
  });

  it('the request lands in the GP’s worklist flagged with the clause; the GP declines it in one step, by keyboard alone', async () => {
    await gp.reload();
    await gp.getByRole('button', { name: 'Sign out' }).waitFor();
    // From the inbox to the decline without a mouse.
    await tabTo(gp, /^Requests$/);
    await gp.keyboard.press('Enter');
    await gp.getByRole('heading', { level: 1, name: /Requests/ }).waitFor();
    await gp.getByRole('table').waitFor();
    const row = gp.getByRole('row', { name: /Issue a fit note/ });
    assert.match(
      await row.innerText(),
      new RegExp(`The contract places this on the requester \\(${CLAUSE}\\)`),
    );
    assert.match(await row.innerText(), /Kingsmere/);
    await expectAccessible(gp, 'requests worklist');
    await screenshot(gp, 'requests-worklist');
    await tabTo(gp, /^Issue a fit note$/);
    await gp.keyboard.press('Enter');
    await gp.getByRole('heading', { level: 1, name: /Issue a fit note/ }).waitFor();
    await gp.getByRole('heading', { level: 2, name: 'History' }).waitFor();
    const page = await gp.locator('main').innerText();
    assert.match(page, /The contract places this work on the requester/);
    // Opening it is the practice receiving it: recorded once, with who and when, for both sides to see.
    assert.match(page, /Received by .+ at /);
    await gp.getByRole('cell', { name: /^Received by .+ at / }).waitFor();
    // The clause is chosen already: declining it is one press of one button.
    assert.equal(await gp.getByLabel(`${CLAUSE} says this is for the requester`).isChecked(), true);
    await expectAccessible(gp, 'request (owner, flagged)');
    await screenshot(gp, 'request');
    await tabTo(gp, new RegExp(`^Decline: ${CLAUSE} says this is for the requester$`));
    await gp.keyboard.press('Enter');
    await gp.getByRole('heading', { level: 2, name: 'Request declined' }).waitFor();
    assert.match(await gp.locator('main').innerText(), /has been told, with your reason/);
    await gp.getByRole('cell', { name: new RegExp(`Citing ${CLAUSE}`) }).waitFor();
    await expectAccessible(gp, 'request declined (owner)');
  });

  it('the consultant’s tracker shows the decline with the clause, and the consultant takes the work back', async () => {
    await openMenu(consultant, 'Requests sent', /Requests sent/);
    await consultant.getByRole('table').waitFor();
    const row = consultant.getByRole('row', { name: /Issue a fit note/ });
    const text = await row.innerText();
    assert.match(text, /Declined/);
    assert.match(text, new RegExp(`Declined citing ${CLAUSE}`));
    assert.match(await consultant.locator('main').innerText(), /1 request was declined and is back with you/);
    await expectAccessible(consultant, 'requests sent (declined)');
    await screenshot(consultant, 'requests-tracker');
    await row.getByRole('link', { name: 'Issue a fit note' }).click();
    await consultant.getByRole('heading', { level: 2, name: /declined this request/ }).waitFor();
    const declinedPage = await consultant.locator('main').innerText();
    assert.match(declinedPage, new RegExp(`They cited ${CLAUSE}`));
    assert.match(declinedPage, /Received by .+ at /);
    await expectAccessible(consultant, 'request (requester, declined)');
    await screenshot(consultant, 'request-declined');
    await consultant.getByRole('button', { name: 'I have taken this work back' }).click();
    await consultant.getByRole('heading', { level: 2, name: 'You have taken this work back' }).waitFor();
    await consultant.getByRole('cell', { name: 'Work taken back by the requester' }).waitFor();
    // The server's count of declines back with the consultant is now exactly none.
    await openMenu(consultant, 'Requests sent', /Requests sent/);
    await consultant.getByRole('table').waitFor();
    assert.doesNotMatch(await consultant.locator('main').innerText(), /declined and (is|are) back with you/);
  });

  it('a request the rules do not flag is accepted, started and completed, and the requester sees it done', async () => {
    await makeRequest('Other', 'Please review the wound at the practice nurse clinic in 2 weeks.');
    assert.match(await consultant.locator('main').innerText(), /No contract rule places this work with you/);
    await consultant.getByRole('link', { name: 'View this request' }).click();
    await consultant.getByRole('heading', { level: 2, name: 'Cancel this request' }).waitFor();
    // The requester can tell nobody at the practice has opened it yet.
    assert.match(await consultant.locator('main').innerText(), /Not yet opened by anyone at /);
    await expectAccessible(consultant, 'request (requester, open)');
    await openMenu(gp, 'Requests', /Requests/);
    await gp.getByRole('row', { name: /Other/ }).getByRole('link', { name: 'Other' }).click();
    await gp.getByRole('heading', { level: 2, name: 'Your answer' }).waitFor();
    assert.equal(await gp.getByLabel('Another reason').count(), 0);
    await gp.getByRole('button', { name: 'Decline request' }).click();
    await gp.locator('.nhsuk-error-summary').waitFor();
    assert.match(await gp.title(), /^Error: /);
    assert.match(
      await gp.locator('.nhsuk-error-summary').innerText(),
      /Enter why you are declining the request/,
    );
    await expectAccessible(gp, 'request decline with errors');
    await gp.getByRole('button', { name: 'Accept request' }).click();
    await gp.getByRole('heading', { level: 2, name: 'Request accepted' }).waitFor();
    await gp.getByRole('button', { name: 'Mark as in progress' }).click();
    await gp.getByRole('heading', { level: 2, name: 'Request marked as in progress' }).waitFor();
    await gp.getByRole('button', { name: 'Mark as completed' }).click();
    await gp.getByRole('heading', { level: 2, name: 'Request completed' }).waitFor();
    await expectAccessible(gp, 'request completed (owner)');
    await openMenu(consultant, 'Requests sent', /Requests sent/);
    assert.match(await consultant.getByRole('row', { name: /Other/ }).innerText(), /Completed/);
  });

  it('the workload ledger counts the decline, in charts and tables, and exports it as CSV', async () => {
    await openMenu(gp, 'Workload ledger', /Workload ledger/);
    await gp.getByRole('heading', { level: 2, name: 'Totals' }).waitFor();
    const totals = await gp.locator('.nhsuk-summary-list').innerText();
    assert.match(totals, /Requests\s+2/);
    assert.match(totals, /Accepted\s+1/);
    assert.match(totals, /Declined\s+1/);
    assert.match(totals, /Declined citing a contract rule\s+1/);
    assert.match(totals, /Estimated GP time handed back\s+10 minutes/);
    assert.equal(await gp.getByRole('img', { name: /Accepted and declined by category/ }).count(), 1);
    const table = await gp
      .getByRole('table', { name: 'By sending organisation, specialty and category' })
      .innerText();
    assert.match(table, /Kingsmere.*Orthopaedics\s+Issue a fit note\s+1\s+0\s+1\s+1/s);
    await expectAccessible(gp, 'workload ledger');
    await screenshot(gp, 'workload-ledger');
    const [download] = await Promise.all([
      gp.waitForEvent('download'),
      gp.getByRole('button', { name: 'Download CSV' }).click(),
    ]);
    assert.match(download.suggestedFilename(), /^workload-ledger-.*\.csv$/);
    const csv = readFileSync((await download.path()) ?? '', 'utf8');
    assert.match(csv, /fit-note|Issue a fit note/);
    // Operations read the ledger across every organisation.
    const ops = await signedInPage(browser, server.baseUrl, 'demo-ops');
    await openMenu(ops, 'Workload ledger', /Workload ledger/);
    await ops.getByRole('heading', { level: 2, name: 'Totals' }).waitFor();
    assert.match(await ops.locator('.nhsuk-summary-list').innerText(), /Declined citing a contract rule\s+1/);
    await ops.getByRole('radio', { name: 'Week' }).check();
    await ops.getByRole('button', { name: 'Show', exact: true }).click();
    await ops.waitForURL(/period=week/);
    await ops.getByRole('img', { name: /Requests over time/ }).waitFor();
    await expectAccessible(ops, 'workload ledger (operations, weekly)');
    await ops.context().close();
  });

  it('the ledger filters by dates and sending organisation, with errors tied to the fields at fault', async () => {
    await openMenu(gp, 'Workload ledger', /Workload ledger/);
    await gp.getByRole('heading', { level: 2, name: 'Totals' }).waitFor();
    await fillDate(gp, 'ledger-from', { day: '31', month: '2', year: '2026' });
    await fillDate(gp, 'ledger-to', { day: '1', month: '1', year: '2026' });
    await gp.getByRole('button', { name: 'Show', exact: true }).click();
    const summary = await expectErrorSummary(gp);
    assert.match(await summary.innerText(), /Enter a real date for ‘From’/);
    const fromGroup = gp.getByRole('group', { name: 'From' });
    assert.match((await fromGroup.getAttribute('aria-describedby')) ?? '', /ledger-from-error/);
    await expectAccessible(gp, 'workload ledger filters with errors');
    await fillDate(gp, 'ledger-from', { day: '1', month: '2', year: '2026' });
    await gp.getByRole('button', { name: 'Show', exact: true }).click();
    assert.match(await summary.innerText(), /‘To’ must be the same as or after ‘From’/);
    // The default range, from the one hospital that sent requests.
    await fillDate(gp, 'ledger-from', { day: '', month: '', year: '' });
    await fillDate(gp, 'ledger-to', { day: '', month: '', year: '' });
    const kingsmere = gp.locator('#ledger-requester option', { hasText: /Kingsmere/ });
    await gp.locator('#ledger-requester').selectOption((await kingsmere.getAttribute('value')) ?? '');
    await gp.getByRole('button', { name: 'Show', exact: true }).click();
    await gp.waitForURL(/requester=Organization/);
    await gp.getByText(/Requests sent by Kingsmere.* only\./).waitFor();
    assert.equal(await summary.count(), 0);
    assert.match(await gp.locator('.nhsuk-summary-list').innerText(), /Requests\s+2/);
    // A range before any request: nothing counted.
    await gp.locator('#ledger-requester').selectOption('');
    await fillDate(gp, 'ledger-from', { day: '1', month: '1', year: '2020' });
    await fillDate(gp, 'ledger-to', { day: '31', month: '1', year: '2020' });
    await gp.getByRole('button', { name: 'Show', exact: true }).click();
    await gp.waitForURL(/from=2020-01-01&to=2020-01-31/);
    await gp.getByText('No requests were made in this period.').waitFor();
    await expectAccessible(gp, 'workload ledger (filtered)');
  });

  it('the worklist says plainly when its alarms could not be loaded, and still lists the requests', async () => {
    const alarms = /\/fhir\/\$request-alarms/;
    await gp.route(alarms, (route) =>
      route.fulfill({
        status: 500,
        contentType: 'application/fhir+json',
        body: JSON.stringify({
          resourceType: 'OperationOutcome',
          issue: [{ severity: 'error', code: 'exception', diagnostics: 'Simulated failure' }],
        }),
      }),
    );
    try {
      await openMenu(gp, 'Requests', /Requests/);
      const warning = gp.getByRole('heading', { level: 2, name: /Alarms could not be loaded/ });
      await warning.waitFor();
      assert.match(
        await gp.locator('main').innerText(),
        /could not check which of your requests need attention/,
      );
      await gp.getByText('Filter requests').click();
      await gp.getByLabel('Declined', { exact: true }).check();
      await gp.getByRole('button', { name: 'Apply filters' }).click();
      await gp.waitForURL(/status=declined/);
      await gp.getByRole('row', { name: /Issue a fit note/ }).waitFor();
      await warning.waitFor();
      await expectAccessible(gp, 'requests worklist (alarms failed)');
    } finally {
      await gp.unroute(alarms);
    }
  });
});
