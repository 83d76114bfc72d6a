import { expect } from 'chai';
import type { Page } from 'playwright-core';
import { launchBrowser, type TestBrowser } from '../support/browser.ts';
import { startTestApp, type TestApp } from '../support/harness.ts';

/** Presses Tab (or Shift+Tab) until the element matching `selector` has focus, as a keyboard user would; fails after `max` presses. */
async function tabTo(page: Page, selector: string, max = 60, backwards = false): Promise<void> {
  for (let i = 0; i < max; i++) {
    if (await page.evaluate((s) => document.activeElement?.matches(s) ?? false, selector)) return;
    await page.keyboard.press(backwards ? 'Shift+Tab' : 'Tab');
  }
  throw new Error(`${selector} never took focus after ${max} Tab presses (focus is on ${await page.evaluate(() => document.activeElement?.outerHTML.slice(0, 120))})`);
}

const focused = (page: Page) => page.evaluate(() => ({ id: document.activeElement?.id ?? '', testId: (document.activeElement as HTMLElement | null)?.dataset.testid ?? '', tag: document.activeElement?.tagName ?? '' }));
const waitForKeys = (page: Page, answered: number) =>
  page.waitForFunction((n) => document.getElementById('simulator')!.dataset.state === 'waiting' && document.querySelectorAll('#transcript li.keys').length === n, answered, { timeout: 30_000 });

describe('a keyboard alone: register → activate on the browser phone → log in → change the PIN, with a mistake → log out (headless Chromium, no mouse)', function () {
  this.timeout(180_000);
  let app: TestApp;
  let browser: TestBrowser;
  before(async () => {
    app = await startTestApp();
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await app?.close();
  });

  it('every step is reached with Tab, typed, and sent with Enter; focus is never lost to the page', async () => {
    const page = await browser.context.newPage();
    await page.setViewportSize({ width: 390, height: 844 });
    // The first Tab on a page reaches the skip link, which takes focus to the main content.
    await page.goto(`${app.url}/register?lang=en`);
    await page.keyboard.press('Tab');
    expect((await focused(page)).tag).to.equal('A');
    expect(await page.evaluate(() => document.activeElement!.getAttribute('href'))).to.equal('#main');
    await page.keyboard.press('Enter');
    await tabTo(page, '#name');
    await page.keyboard.type('Kei Keyboard');
    await tabTo(page, '#email');
    await page.keyboard.type('kei@example.com');
    await tabTo(page, 'main button[type=submit]');
    await Promise.all([page.waitForURL(`${app.url}/register`), page.keyboard.press('Enter')]);
    const provisionalId = (await page.textContent('[data-testid=provisional-id]'))!.trim();
    const password = (await page.textContent('[data-testid=password]'))!.trim();

    // The browser phone: Enter on "Call", then the keys typed; focus stays on the keypad throughout.
    await page.goto(`${app.url}/simulator?lang=en`);
    await tabTo(page, '[data-testid=call]');
    await page.keyboard.press('Enter');
    await waitForKeys(page, 0);
    expect((await focused(page)).testId, 'the call starts with focus on the keypad').to.match(/^key-/);
    await page.keyboard.press('1');
    await waitForKeys(page, 1);
    expect((await focused(page)).testId, 'a key that sends keeps focus on the keypad').to.match(/^key-/);
    await page.keyboard.type(`${provisionalId}#`, { delay: 15 });
    await waitForKeys(page, 2);
    expect((await focused(page)).testId).to.match(/^key-/);
    const transcript = (await page.textContent('[data-testid=transcript]'))!;
    const formalId = /Your formal ID is (\d \d \d, \d \d \d, \d \d \d)/.exec(transcript)![1]!.replace(/[ ,]/g, '');
    const langs = await page.locator('#transcript li').evaluateAll((lis) => lis.map((li) => li.getAttribute('lang')));
    expect(langs.every((l) => l === 'ja-JP' || l === 'en-US' || l === 'en' || l === 'ja'), `every transcript line has its language: ${langs.join(',')}`).to.equal(true);
    const lastSaid = await page.locator('#transcript li.say').last().evaluate((li) => li.lastChild!.textContent);
    expect(await page.textContent('[data-testid=prompt]'), 'the latest prompt is shown above the keypad').to.equal(lastSaid);
    // On this phone-sized window the prompt and the whole keypad are on screen together while keying.
    const onScreen = await page.evaluate(() => {
      const prompt = document.querySelector('[data-testid=prompt]')!.getBoundingClientRect();
      const keypad = document.querySelector('.keypad')!.getBoundingClientRect();
      return { above: prompt.bottom <= keypad.top, visible: prompt.top >= 0 && keypad.bottom <= window.innerHeight };
    });
    expect(onScreen).to.deep.equal({ above: true, visible: true });
    // Back past the say field and its button (beside the keypad), to Hang up.
    await tabTo(page, '[data-testid=hangup]', 14, true);
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => document.getElementById('simulator')!.dataset.state === 'ended');
    expect((await focused(page)).testId, 'after hanging up, focus goes to "Call"').to.equal('call');

    await page.goto(`${app.url}/login?lang=en`);
    await tabTo(page, '#formalId');
    await page.keyboard.type(formalId);
    await tabTo(page, '#password');
    await page.keyboard.type(password);
    await Promise.all([page.waitForURL(`${app.url}/service`), page.keyboard.press('Enter')]);

    // A PIN of two digits: the same page at the same address, the error summary focused, the error beside the field.
    await tabTo(page, '#pin', 120);
    await page.keyboard.type('12');
    await Promise.all([page.waitForLoadState('load'), page.waitForEvent('framenavigated'), page.keyboard.press('Enter')]);
    expect(new URL(page.url()).pathname).to.equal('/service');
    // The summary takes focus by autofocus once the page is parsed, which on a loaded machine can come after 'load' resolves here.
    await page.waitForFunction(() => (document.activeElement as HTMLElement | null)?.dataset.testid === 'error-summary', null, { timeout: 15_000 }).catch(() => undefined);
    expect((await focused(page)).testId, 'focus on the error summary').to.equal('error-summary');
    expect(await page.getAttribute('#pin', 'aria-invalid')).to.equal('true');
    expect(await page.getAttribute('#pin', 'aria-describedby')).to.equal('pin-error');
    expect(await page.textContent('#pin-error')).to.include('4 to 8 digits');
    expect(await page.locator('[data-testid=charge]').count(), 'the history is still on the page').to.equal(1);
    // The summary's link leads to the field.
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.getAttribute('href'))).to.equal('#pin');
    await tabTo(page, '#pin', 120);
    await page.keyboard.type('2468');
    await Promise.all([page.waitForURL(`${app.url}/service?pin=saved`), page.keyboard.press('Enter')]);

    // Log out: back to the header, Shift+Tab from the top.
    await page.keyboard.press('Tab');
    await tabTo(page, 'header button[type=submit]', 200, true);
    await Promise.all([page.waitForURL(`${app.url}/`), page.keyboard.press('Enter')]);
    const after = await page.goto(`${app.url}/service`);
    expect(new URL(after!.url()).pathname, 'logged out').to.equal('/login');
    await page.close();
  });
});
