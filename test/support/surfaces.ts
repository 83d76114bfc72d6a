import type { Page } from 'playwright-core';
import type { TestApp } from './harness.ts';
import { TestCall } from './call.ts';
import type { ActiveMember } from './member.ts';

/** Logs the member in through the login form, as a person would. */
export async function logInInBrowser(page: Page, app: TestApp, member: Pick<ActiveMember, 'formalId' | 'password'>, lang: 'ja' | 'en') {
  await page.context().clearCookies();
  await page.goto(`${app.url}/login?lang=${lang}`);
  await page.fill('#formalId', member.formalId);
  await page.fill('#password', member.password);
  await Promise.all([page.waitForURL(`${app.url}/service`), page.click('button[type=submit]')]);
}

/** Keys a payment request's number in menu 3 and presses 1 (approve) or 2 (decline). */
export async function decideByPhone(app: TestApp, member: ActiveMember, pin: string, number: string, key: '1' | '2', options: { twilioRetries?: boolean } = {}) {
  const call = new TestCall(app);
  await call.dial();
  await call.press('3');
  await call.press(`${member.formalId}#`);
  await call.press(`${pin}#`);
  await call.press(`${number}#`);
  await call.press(key);
  if (options.twilioRetries) await call.twilioRetriesLastRequest();
  await call.hangUp();
}

/** The data-* attributes and text of every element with this data-testid. */
export const rows = (page: Page, testId: string): Promise<Record<string, string>[]> =>
  page.locator(`[data-testid=${testId}]`).evaluateAll((trs) => trs.map((tr) => ({ ...(tr as HTMLElement).dataset, text: tr.textContent ?? '' }) as Record<string, string>));

