import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import {
  expectAccessible,
  expectErrorSummary,
  fillDate,
  newUserPage,
  screenshot,
  signIn,
  signedInPage,
  tabTo,
} from './browser.js';
import { pickCodedEntry } from './coded-entries.js';
import { startE2e, stopE2e, type E2eServer } from './harness.js';

/**
 * The clinician workspace end to end, in headless Chromium against the real server: a consultant
 * writes and authorises a discharge summary with a medication change, the GP files it, and the
 * consultant sees it filed; a GP rejects a clinic letter by keyboard alone; an alarm appears once
 * the clock passes its threshold. Every page visited is checked with axe (WCAG 2.2 A and AA).
 */
const DAY = 86_400_000;
let server: E2eServer;
let browser: Browser;
let consultantPage: Page;
let consultant: Page;
let gp: Page;

/** Writes a letter (as the consultant unless told) and returns its document id (from the tracking page's URL). */
async function writeLetter(
  kind: 'discharge' | 'clinic',
  patientLabel: RegExp,
  author?: Page,
): Promise<string> {
  const consultant = author ?? consultantPage;
  const authorises = author === undefined;
  await consultant.getByRole('link', { name: 'Write a letter' }).first().click();
  await consultant.getByRole('heading', { level: 1, name: 'Write a letter' }).waitFor();
  await consultant
    .getByLabel(kind === 'discharge' ? 'Inpatient discharge summary' : 'Outpatient clinic letter')
    .check();
  const option = await consultant
    .locator('#inpatient option')
    .filter({ hasText: patientLabel })
    .first()
    .getAttribute('value');
  await consultant.locator('#inpatient').selectOption(option ?? '');
  const today = new Date();
  if (kind === 'discharge') {
    await fillDate(consultant, 'discharged', today);
    await consultant
      .getByLabel('Clinical summary')
      .fill('Admitted with central chest pain. Primary PCI to the left anterior descending artery.');
    await pickCodedEntry(consultant, 'diagnosis-pick', 'Myocardial infarction');
    await consultant.getByRole('button', { name: 'Add diagnosis' }).click();
    await pickCodedEntry(consultant, 'allergy-pick', 'Allergy to penicillin');
    await consultant.getByRole('button', { name: 'Add allergy' }).click();
    await pickCodedEntry(consultant, 'medicine-pick', 'Atorvastatin 80mg tablets');
    await consultant.getByLabel('Started').check();
    await consultant
      .getByLabel('Reason for the change')
      .fill('Secondary prevention after myocardial infarction');
    await consultant.getByRole('button', { name: 'Add medicine' }).click();
    await consultant
      .getByLabel('Plan and requested actions')
      .fill('Please review the statin dose in 6 weeks.');
  } else {
    await fillDate(consultant, 'attended', today);
    await consultant
      .getByLabel('Attendance details')
      .fill('Cardiology outpatient clinic, Kingsmere General.');
    await consultant.getByLabel('Clinical summary').fill('Seen in the cardiology clinic. Stable.');
    await pickCodedEntry(consultant, 'diagnosis-pick', 'Atrial fibrillation');
    await consultant.getByRole('button', { name: 'Add diagnosis' }).click();
    await pickCodedEntry(consultant, 'allergy-pick', 'No known allergy');
    await consultant.getByRole('button', { name: 'Add allergy' }).click();
  }
  await expectAccessible(consultant, `compose (${kind})`);
  if (authorises) await screenshot(consultant, `compose-${kind}`);
  await consultant
    .getByRole('button', { name: authorises ? 'Authorise and send' : 'Send for authorisation' })
    .click();
  await consultant
    .getByRole('heading', {
      name: authorises ? 'Letter authorised and sent' : 'Letter sent for authorisation',
    })
    .first()
    .waitFor();
  await consultant.getByRole('link', { name: 'Track this letter' }).click();
  await consultant.getByRole('heading', { level: 2, name: 'Where it went' }).waitFor();
  return decodeURIComponent(new URL(consultant.url()).pathname.split('/')[2] ?? '');
}

async function openInInbox(documentId: string): Promise<void> {
  await gp.getByRole('link', { name: 'Inbox' }).first().click();
  await gp.getByRole('heading', { level: 1, name: /Inbox/ }).waitFor();
  await gp.locator(`a[href="/inbox/${encodeURIComponent(documentId)}"]`).click();
  await gp.getByRole('heading', { level: 2, name: 'Patient demographics' }).waitFor();
}

describe('Clinician workspace', { timeout: 240_000 }, () => {
  before(async () => {
    ({ server, browser } = await startE2e());
    consultantPage = await newUserPage(browser);
    consultant = consultantPage;
    gp = await newUserPage(browser);
  });

  after(() => stopE2e(server, browser));

  it('shows the start page, signs in with code + PKCE and offers each role its own menu', async () => {
    await consultant.goto(`${server.baseUrl}/`);
    await expectAccessible(consultant, 'start page');
    await screenshot(consultant, 'start');
    await signIn(consultant, server.baseUrl, 'demo-consultant');
    assert.equal(new URL(consultant.url()).pathname, '/letters');
    await consultant.getByRole('link', { name: 'Write a letter' }).first().waitFor();
    await expectAccessible(consultant, 'sent letters (empty)');
    await signIn(gp, server.baseUrl, 'demo-gp');
    assert.equal(new URL(gp.url()).pathname, '/inbox');
    assert.equal(await gp.getByRole('link', { name: 'Write a letter' }).count(), 0);
  });

  it('refuses an incomplete letter with an error summary that takes focus', async () => {
    await consultant.getByRole('link', { name: 'Write a letter' }).first().click();
    await consultant.getByLabel('Inpatient discharge summary').check();
    await consultant.getByRole('button', { name: 'Authorise and send' }).click();
    const summary = await expectErrorSummary(consultant);
    assert.match(await summary.innerText(), /Enter the patient’s NHS number/);
    assert.equal(
      await consultant.locator('#nhs-number').getAttribute('aria-describedby'),
      'nhs-number-hint nhs-number-error',
    );
    await expectAccessible(consultant, 'compose with errors');
    await screenshot(consultant, 'compose-errors');
  });

  let filedId = '';

  it('a consultant writes and authorises a discharge summary with a medication change', async () => {
    filedId = await writeLetter('discharge', /HARGREAVES/);
    assert.match(await consultant.locator('.nhsuk-card').first().innerText(), /Delivered/);
    await expectAccessible(consultant, 'tracking (delivered)');
    await screenshot(consultant, 'tracking-delivered');
  });

  it('the GP sees it in the inbox, reads every section and files it', async () => {
    await gp.reload();
    await gp.getByRole('button', { name: 'Sign out' }).waitFor();
    await gp.locator(`a[href="/inbox/${encodeURIComponent(filedId)}"]`).waitFor();
    assert.match(await gp.locator('main').innerText(), /Medication changes/);
    await expectAccessible(gp, 'inbox');
    await screenshot(gp, 'inbox');
    await openInInbox(filedId);
    const text = await gp.locator('main').innerText();
    for (const heading of [
      'Clinical summary',
      'Diagnoses',
      'Allergies and adverse reactions',
      'Medications and medical devices',
      'GP practice',
      'Person completing record',
    ]) {
      assert.match(text, new RegExp(heading));
    }
    assert.match(text, /Atorvastatin 80mg tablets/);
    assert.match(text, /Change: Started/);
    await expectAccessible(gp, 'letter');
    await screenshot(gp, 'letter');
    await gp.getByRole('link', { name: 'File this letter' }).click();
    await gp.getByRole('heading', { level: 1, name: 'File this letter' }).waitFor();
    await gp.getByRole('button', { name: 'File letter' }).click();
    await gp.locator('.nhsuk-error-summary').waitFor();
    assert.match(await gp.title(), /^Error: /);
    await expectAccessible(gp, 'file letter with errors');
    for (const radio of await gp.getByLabel('Add to record').all()) await radio.check();
    await screenshot(gp, 'file-letter');
    await gp.getByRole('button', { name: 'File letter' }).click();
    await gp.getByRole('heading', { level: 2, name: 'Letter filed' }).waitFor();
    assert.match(await gp.locator('main').innerText(), /3 entries were added/);
    await gp.getByRole('link', { name: 'View patient summary' }).click();
    await gp.getByRole('heading', { level: 2, name: 'Medicines' }).waitFor();
    const summary = await gp.locator('main').innerText();
    assert.match(summary, /Atorvastatin 80mg tablets/);
    assert.match(summary, /Allergy to penicillin/);
    await expectAccessible(gp, 'patient summary');
    await screenshot(gp, 'patient-summary');
  });

  it('the consultant sees the letter filed, with the time of each step', async () => {
    await consultant.reload();
    const card = consultant.locator('.nhsuk-card').first();
    await card.getByText('Filed', { exact: true }).first().waitFor();
    const text = await card.innerText();
    for (const step of ['Authorised', 'Delivered', 'Opened', 'Filed'])
      assert.match(text, new RegExp(`${step}\\s+\\d{1,2} \\w{3} \\d{4}`));
    await expectAccessible(consultant, 'tracking (filed)');
    await screenshot(consultant, 'tracking-filed');
    await consultant.getByRole('link', { name: 'View the letter' }).click();
    await consultant.getByRole('heading', { level: 2, name: 'Clinical summary' }).waitFor();
    await expectAccessible(consultant, 'letter as sent');
    await consultant.getByRole('link', { name: 'Sent letters' }).first().click();
    await consultant.getByRole('table').waitFor();
    assert.match(await consultant.locator('main').innerText(), /HARGREAVES, Eleanor Mary/);
    await expectAccessible(consultant, 'sent letters');
    await screenshot(consultant, 'sent-letters');
  });

  it('a secretary’s letter waits for the consultant, who authorises it', async () => {
    const secretary = await signedInPage(browser, server.baseUrl, 'demo-secretary');
    const documentId = await writeLetter('clinic', /HARGREAVES/, secretary);
    assert.match(await secretary.locator('main').innerText(), /Awaiting authorisation/);
    assert.equal(await secretary.getByRole('button', { name: 'Authorise and send' }).count(), 0);
    await consultant.goto(`${server.baseUrl}/letters/${encodeURIComponent(documentId)}`);
    await consultant.getByRole('button', { name: 'Sign out' }).waitFor();
    await expectAccessible(consultant, 'tracking (awaiting authorisation)');
    await consultant.getByRole('button', { name: 'Authorise and send' }).click();
    await consultant.getByRole('heading', { name: 'Letter authorised and sent' }).waitFor();
    await consultant.locator('.nhsuk-card').first().getByText('Delivered', { exact: true }).first().waitFor();
    await secretary.context().close();
  });

  let rejectedId = '';

  it('the GP rejects a clinic letter with a reason, by keyboard alone', async () => {
    rejectedId = await writeLetter('clinic', /SMITH/);
    await openInInbox(rejectedId);
    await tabTo(gp, /^Reject this letter$/);
    await gp.keyboard.press('Enter');
    await gp.getByRole('heading', { level: 1, name: 'Reject this letter' }).waitFor();
    await tabTo(gp, /^Reject letter$/);
    await gp.keyboard.press('Enter');
    await gp.locator('.nhsuk-error-summary').waitFor();
    assert.equal(
      await gp.locator('.nhsuk-error-summary').evaluate((element) => element === document.activeElement),
      true,
    );
    await expectAccessible(gp, 'reject with errors');
    await screenshot(gp, 'reject-errors');
    await tabTo(gp, /Patient not registered at this practice/);
    // Arrow keys move through a radio group, as in any browser.
    for (let step = 0; step < 3; step += 1) await gp.keyboard.press('ArrowDown');
    assert.equal(await gp.getByLabel('The letter is incomplete or cannot be read').isChecked(), true);
    await tabTo(gp, /Give details/);
    await gp.keyboard.type('The discharge medication list is missing.');
    await tabTo(gp, /^Reject letter$/);
    await gp.keyboard.press('Enter');
    await gp.getByRole('heading', { level: 2, name: 'Letter rejected' }).waitFor();
    await consultant.reload();
    const card = consultant.locator('.nhsuk-card').first();
    await card
      .getByText('The letter is incomplete or cannot be read: The discharge medication list is missing.')
      .waitFor();
    await expectAccessible(consultant, 'tracking (rejected)');
    await screenshot(consultant, 'tracking-rejected');
  });

  it('raises alarms once the clock passes their thresholds', async () => {
    await consultant.getByRole('link', { name: 'Alarms' }).first().click();
    await consultant.getByRole('heading', { level: 1, name: 'Alarms' }).waitFor();
    assert.doesNotMatch(await consultant.locator('main').innerText(), /rejected/i);
    // A week on: the rejection is unresolved (1 working day) for the hospital.
    server.clock.advance(7 * DAY);
    await consultant.reload();
    await consultant.getByRole('table').waitFor();
    const alarms = await consultant.locator('main').innerText();
    assert.match(alarms, new RegExp(rejectedId.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
    assert.match(alarms, /Urgent/);
    await expectAccessible(consultant, 'alarms (sender)');
    await screenshot(consultant, 'alarms');
    // The GP has not filed the letter the secretary wrote: after 2 working days that is an alarm.
    await gp.getByRole('link', { name: 'Inbox' }).first().click();
    await gp.getByText('1 letter has not been filed in time').waitFor();
    await expectAccessible(gp, 'inbox with alarms');
    await gp.getByRole('link', { name: 'Alarms' }).first().click();
    await gp.getByRole('heading', { level: 1, name: 'Alarms' }).waitFor();
    await gp
      .getByText('Delivered but not filed', { exact: false })
      .or(gp.getByText('Warning', { exact: true }))
      .first()
      .waitFor();
    assert.match(await gp.locator('main').innerText(), /Warning/);
    await expectAccessible(gp, 'alarms (recipient)');
  });

  it('shows operations and privacy officers their dashboards', async () => {
    const ops = await signedInPage(browser, server.baseUrl, 'demo-ops');
    await ops.getByRole('heading', { level: 1, name: 'Letters overview' }).waitFor();
    await ops.getByRole('table').first().waitFor();
    assert.match(await ops.locator('main').innerText(), /Quayside Medical Centre/);
    await expectAccessible(ops, 'operations overview');
    await screenshot(ops, 'operations');
    const privacy = await signedInPage(browser, server.baseUrl, 'demo-privacy-officer');
    await privacy.getByRole('heading', { level: 1, name: 'Break-glass reviews' }).waitFor();
    await expectAccessible(privacy, 'break-glass reviews');
    await privacy.getByRole('link', { name: 'Audit search' }).click();
    await privacy.getByLabel('Username').fill('demo-gp');
    await privacy.getByRole('button', { name: 'Search' }).click();
    await privacy.getByRole('table').waitFor();
    assert.match(await privacy.locator('main').innerText(), /\$file-document/);
    await expectAccessible(privacy, 'audit search');
    await screenshot(privacy, 'audit-search');
  });
});
