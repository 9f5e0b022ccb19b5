import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Bundle, Parameters, Patient } from 'fhir/r4.js';
import type { Browser, Page } from 'playwright-core';
import type { Principal } from '../packages/server/src/access/principal.js';
import { dischargeSummary } from '../packages/server/test/exchange/support.js';
import { expectAccessible, expectErrorSummary, screenshot, signedInPage } from './browser.js';
import { INPATIENTS, startE2e, stopE2e, type E2eServer } from './harness.js';

/**
 * Operations end to end, in headless Chromium against the real server: the letters overview shows
 * what the server counted, and a backlog of held letters is confirmed, released and watched until
 * it has finished. Letters are seeded through the FHIR API as the trust's integration would send them.
 */
const DAY = 86_400_000;
let server: E2eServer;
let browser: Browser;
let ops: Page;

/** The trust's EPR feed: a sending system acting for Kingsmere (RZZ). */
const TRUST_FEED: Principal = {
  kind: 'system',
  subject: 'e2e-trust-feed',
  displayName: 'Kingsmere EPR feed',
  role: 'system',
  clientId: 'e2e-trust-feed',
  organizationId: 'org-rzz',
  odsCode: 'RZZ',
  scopes: [{ context: 'system', resourceType: '*', permissions: new Set(['c', 'r', 'u', 'd', 's']) }],
  patientAccess: 'all',
};

/** Sends a discharge summary about a demo patient; held for a backlog release when `held`. */
async function send(documentId: string, patientId: string, daysAgo: number, held: boolean): Promise<void> {
  const patient = JSON.parse(
    String((await server.fhir(TRUST_FEED, 'GET', `Patient/${patientId}`)).body),
  ) as Patient;
  const nhsNumber = patient.identifier?.find(
    (id) => id.system === 'https://fhir.nhs.uk/Id/nhs-number',
  )?.value;
  const bundle = dischargeSummary({
    documentId,
    nhsNumber: nhsNumber ?? '',
    ...(patient.birthDate === undefined ? {} : { birthDate: patient.birthDate }),
    discharge: new Date(Date.now() - daysAgo * DAY).toISOString(),
    diagnosisText: documentId,
  }) as Bundle;
  const subject = bundle.entry?.find((entry) => entry.resource?.resourceType === 'Patient')
    ?.resource as Patient;
  subject.name = patient.name ?? [];
  const response = await server.fhir(TRUST_FEED, 'POST', '$submit-document', {
    resourceType: 'Parameters',
    parameter: [
      { name: 'document', resource: bundle },
      ...(held ? [{ name: 'hold-for-release', valueBoolean: true }] : []),
    ],
  });
  assert.equal(response.status, 201, String(response.body));
}

describe('Operations', { timeout: 180_000 }, () => {
  before(async () => {
    ({ server, browser } = await startE2e());
    const [first = 'pat-0001', second = 'pat-0007'] = INPATIENTS;
    await send('e2e-ops-delivered-1', first, 2, false);
    await send('e2e-ops-delivered-2', second, 1, false);
    await send('e2e-ops-held-1', first, 9, true);
    await send('e2e-ops-held-2', first, 8, true);
    await send('e2e-ops-held-3', second, 7, true);
    ops = await signedInPage(browser, server.baseUrl, 'demo-ops');
  });
  after(() => stopE2e(server, browser));

  it('shows the letters overview counted by the server, with overdue counts linked to the alarms', async () => {
    await ops.getByRole('heading', { level: 1, name: 'Letters overview' }).waitFor();
    const received = ops.getByRole('table', { name: 'Letters by receiving organisation and status' });
    await received.waitFor();
    const quayside = received.getByRole('row').filter({ hasText: 'Quayside Medical Centre' });
    // Two delivered letters and three held (authorised, not yet delivered).
    assert.match(await quayside.innerText(), /\b5\s*$/);
    const overdue = ops.getByRole('table', { name: 'Overdue letters' });
    await overdue.getByRole('link', { name: /Contractual delivery time passed/ }).waitFor();
    const backlogRow = ops
      .locator('.nhsuk-summary-list__row')
      .filter({ hasText: 'Held letters waiting for release' });
    assert.match(await backlogRow.innerText(), /\b3\b/);
    await expectAccessible(ops, 'operations overview (server counts)');
    await screenshot(ops, 'operations-overview');
  });

  it('confirms, starts and follows a backlog release until it has finished', async () => {
    await ops.getByRole('link', { name: 'Backlog release' }).first().click();
    await ops.getByRole('heading', { level: 1, name: 'Backlog release' }).waitFor();
    const plan = ops.getByRole('table', { name: 'What will be released, by practice' });
    await plan.waitFor();
    assert.match(await plan.innerText(), /Quayside Medical Centre \(Y99901\)\s+3\s+2/);
    await expectAccessible(ops, 'backlog release (plan)');

    // Form discipline: starting without confirming is an error the summary announces.
    await ops.getByRole('button', { name: 'Start release' }).click();
    await expectErrorSummary(ops);
    await expectAccessible(ops, 'backlog release (error)');

    await ops.getByLabel('I have checked the letters each practice will receive').check();
    await ops.getByRole('button', { name: 'Start release' }).click();
    await ops.getByRole('heading', { level: 2, name: 'Release progress' }).waitFor();
    const status = ops.locator('.nhsuk-summary-list__row').filter({ hasText: /^Status/ });
    await status.filter({ hasText: 'Finished' }).waitFor({ timeout: 20_000 });
    assert.equal(await ops.getByRole('status').filter({ hasText: 'Release finished' }).count(), 1);
    const figures = await ops.locator('.nhsuk-summary-list').innerText();
    assert.match(figures, /Planned\s+3/);
    assert.match(figures, /Delivered\s+3/);
    assert.match(figures, /Remaining\s+0/);
    assert.equal(await ops.locator('progress').getAttribute('value'), '3');
    assert.equal(
      await ops.getByRole('button', { name: 'Start release' }).count(),
      0,
      'nothing left to release',
    );
    await expectAccessible(ops, 'backlog release (finished)');
    await screenshot(ops, 'backlog-release');

    // Durable: a reload shows the same finished release.
    await ops.reload();
    await ops
      .locator('.nhsuk-summary-list__row')
      .filter({ hasText: /^Status/ })
      .filter({ hasText: 'Finished' })
      .waitFor();
  });

  it('keeps following a release when progress reads fail, saying so politely', async () => {
    const isStatus = (url: URL) => url.pathname.endsWith('/$backlog-release-status');
    let reads = 0;
    let failing = true;
    await ops.route(isStatus, async (route) => {
      reads += 1;
      if (reads === 1) {
        // The finished release, shown as still running, so that the page follows it.
        const response = await route.fetch();
        const body = (await response.json()) as Parameters;
        body.parameter = body.parameter?.map((part) =>
          part.name === 'status' ? { name: 'status', valueCode: 'running' } : part,
        );
        await route.fulfill({ response, json: body });
      } else if (failing) await route.abort('connectionfailed');
      else await route.continue();
    });
    try {
      await ops.reload();
      const warning = ops.getByRole('heading', { level: 2, name: /Progress not updated/ });
      await warning.waitFor();
      const failedReads = reads;
      await expectAccessible(ops, 'backlog release (a progress read failed)');
      // Still reading: the next tick tries again rather than stopping for good.
      for (let waited = 0; reads <= failedReads; waited += 100) {
        assert.ok(waited < 10_000, 'the progress was not read again after a failed read');
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      failing = false;
      await ops
        .locator('.nhsuk-summary-list__row')
        .filter({ hasText: /^Status/ })
        .filter({ hasText: 'Finished' })
        .waitFor();
      assert.equal(await warning.count(), 0, 'the warning goes once a read succeeds');
    } finally {
      await ops.unroute(isStatus);
    }
  });

  it('tells a practice when its alarms could not be loaded, rather than showing none', async () => {
    const gp = await signedInPage(browser, server.baseUrl, 'demo-gp');
    await gp.route(
      (url) => url.pathname.endsWith('/$exchange-alarms'),
      (route) => route.abort('connectionfailed'),
    );
    await gp.reload();
    await gp.getByRole('heading', { level: 2, name: /Alarms could not be loaded/ }).waitFor();
    // The letters themselves are still listed.
    await gp.getByRole('table', { name: 'Letters received' }).waitFor();
    await expectAccessible(gp, 'inbox (alarms could not be loaded)');
    await gp.context().close();
  });
});
