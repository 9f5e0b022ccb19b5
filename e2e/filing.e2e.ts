import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { expectAccessible, fillDate, screenshot, signedInPage } from './browser.js';
import { pickCodedEntry } from './coded-entries.js';
import { startE2e, stopE2e, type E2eServer } from './harness.js';

/**
 * Coded entries end to end: a consultant picks them with the search picker (ValueSet/$expand over
 * the seeded demonstration subset), and the GP files the letter adding its diagnosis as a different
 * concept; the patient summary then shows the concept the GP chose, not the one the hospital sent.
 */
let server: E2eServer;
let browser: Browser;
let consultant: Page;
let gp: Page;
let documentId = '';

describe('Coded entries: picking and amending while filing', { timeout: 180_000 }, () => {
  before(async () => {
    ({ server, browser } = await startE2e());
    consultant = await signedInPage(browser, server.baseUrl, 'demo-consultant');
    gp = await signedInPage(browser, server.baseUrl, 'demo-gp');
  });

  after(() => stopE2e(server, browser));

  it('a consultant finds coded entries by typing part of a word, and sends the letter', async () => {
    await consultant.getByRole('link', { name: 'Write a letter' }).first().click();
    await consultant.getByLabel('Inpatient discharge summary').check();
    const option = await consultant
      .locator('#inpatient option')
      .filter({ hasText: /HARGREAVES/ })
      .first()
      .getAttribute('value');
    await consultant.locator('#inpatient').selectOption(option ?? '');
    await fillDate(consultant, 'discharged', new Date());
    await consultant.getByLabel('Clinical summary').fill('Admitted with palpitations and chest pain.');
    // Search as you type: part of a word is enough, and the matches say how many there are.
    await consultant.locator('#diagnosis-pick').fill('myocard');
    await consultant.getByRole('status').filter({ hasText: '1 match. Choose one.' }).waitFor();
    await consultant.getByRole('button', { name: 'Add diagnosis' }).click();
    await consultant.getByText('Choose an item to add').first().waitFor();
    await consultant.getByRole('button', { name: 'Myocardial infarction', exact: true }).click();
    await consultant.getByRole('button', { name: 'Add diagnosis' }).click();
    await pickCodedEntry(consultant, 'allergy-pick', 'No known allergy');
    await consultant.getByRole('button', { name: 'Add allergy' }).click();
    await pickCodedEntry(consultant, 'medicine-pick', 'Apixaban 5mg tablets');
    await consultant.getByLabel('Started').check();
    await consultant.getByRole('button', { name: 'Add medicine' }).click();
    await consultant.getByLabel('Plan and requested actions').fill('Review anticoagulation in 3 months.');
    await expectAccessible(consultant, 'compose with coded entries picked');
    await consultant.getByRole('button', { name: 'Authorise and send' }).click();
    await consultant.getByRole('heading', { name: 'Letter authorised and sent' }).first().waitFor();
    await consultant.getByRole('link', { name: 'Track this letter' }).click();
    await consultant.getByRole('heading', { level: 2, name: 'Where it went' }).waitFor();
    documentId = decodeURIComponent(new URL(consultant.url()).pathname.split('/')[2] ?? '');
    assert.notEqual(documentId, '');
  });

  it('the GP files the diagnosis as a different concept, and the patient summary shows it', async () => {
    await gp.goto(`${server.baseUrl}/inbox/${encodeURIComponent(documentId)}`);
    await gp.getByRole('link', { name: 'File this letter' }).click();
    await gp.getByRole('heading', { level: 1, name: 'File this letter' }).waitFor();
    // The heading shows while the letter still loads; `all()` does not wait, so wait for the form.
    await gp.getByRole('button', { name: 'File letter' }).waitFor();
    for (const radio of await gp.getByLabel('Add to record').all()) await radio.check();
    await gp
      .getByRole('group', { name: 'Diagnosis: Myocardial infarction' })
      .getByLabel('Add as a different concept')
      .check();
    // Amending needs a concept: asked for by name, in the error summary.
    await gp.getByRole('button', { name: 'File letter' }).click();
    const summary = gp.locator('.nhsuk-error-summary');
    await summary.getByText('Choose the concept to add instead of Myocardial infarction').waitFor();
    await expectAccessible(gp, 'file letter: amend without a concept');
    const search = gp.getByLabel('Find the concept to add instead of Myocardial infarction');
    await pickCodedEntry(gp, (await search.getAttribute('id')) ?? '', 'Atrial fibrillation');
    await expectAccessible(gp, 'file letter: amending a diagnosis');
    await screenshot(gp, 'file-letter-amend');
    await gp.getByRole('button', { name: 'File letter' }).click();
    await gp.getByRole('heading', { level: 2, name: 'Letter filed' }).waitFor();
    await gp.getByRole('heading', { level: 2, name: 'Added as a different concept' }).waitFor();
    assert.match(await gp.locator('main').innerText(), /Myocardial infarction: added as Atrial fibrillation/);
    await expectAccessible(gp, 'letter filed with an amendment');
    await gp.getByRole('link', { name: 'View patient summary' }).click();
    await gp.getByRole('heading', { level: 2, name: 'Medicines' }).waitFor();
    const text = await gp.locator('main').innerText();
    assert.match(text, /Atrial fibrillation/);
    assert.match(text, /Apixaban 5mg tablets/);
    assert.doesNotMatch(text, /Myocardial infarction/);
  });
});
