import type { Page } from 'playwright-core';

/**
 * Picks a coded entry with the search picker: types the term into the search box `#id` and chooses
 * the exact match from the server's answer (ValueSet/$expand). The caller then adds it, as a user would.
 */
export async function pickCodedEntry(page: Page, id: string, display: string): Promise<void> {
  await page.locator(`#${id}`).fill(display);
  await page.getByRole('button', { name: display, exact: true }).click();
  await page.getByText(display, { exact: true }).and(page.locator('strong')).waitFor();
}
