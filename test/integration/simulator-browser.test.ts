import { expect } from 'chai';
import type { Page } from 'playwright-core';
import { launchBrowser, type TestBrowser } from '../support/browser.ts';
import { startTestApp, type TestApp } from '../support/harness.ts';

/** Waits until the phone is waiting for keys again, after `answered` entries in the transcript. */
async function waitForKeys(page: Page, answered: number) {
  await page.waitForFunction(
    (n) => document.getElementById('simulator')!.dataset.state === 'waiting' && document.querySelectorAll('#transcript li.keys').length === n,
    answered,
    { timeout: 15_000 },
  );
}

describe('the call simulator in a real browser (headless Chromium)', function () {
  this.timeout(90_000);
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

  it('a person registers, calls from the keypad, reads the formal ID in the transcript, and logs in with it', async () => {
    const page = await browser.context.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    // Nothing the pages ask for is missing (the browser's own /favicon.ico included).
    page.on('response', (response) => void (response.status() >= 400 && pageErrors.push(`${response.status()} ${response.url()}`)));
    // Records what the page hands to speech synthesis, to check the language of each prompt.
    await page.addInitScript(() => {
      const spoken: { text: string; lang: string }[] = [];
      (window as unknown as { spoken: typeof spoken }).spoken = spoken;
      speechSynthesis.speak = (u: SpeechSynthesisUtterance) => void spoken.push({ text: u.text, lang: u.lang });
    });

    await page.goto(`${app.url}/register?lang=en`);
    await page.fill('#name', 'Taro Browser');
    await page.fill('#email', 'taro@example.com');
    await page.click('button[type=submit]');
    const provisionalId = (await page.textContent('[data-testid=provisional-id]'))!.trim();
    const password = (await page.textContent('[data-testid=password]'))!.trim();
    expect(provisionalId).to.match(/^\d{11}$/);

    await page.goto(`${app.url}/simulator?lang=en`);
    // Read-aloud is off unless asked for (a screen reader already reads the live transcript).
    expect(await page.isChecked('#speak')).to.equal(false);
    expect(await page.getAttribute('#transcript', 'aria-live')).to.equal('polite');
    await page.check('#speak');
    expect(await page.getAttribute('#transcript', 'aria-live'), 'never both').to.equal('off');
    await page.click('[data-testid=call]');
    await waitForKeys(page, 0);
    expect(await page.textContent('[data-testid=transcript]')).to.include('ダイヤルパス');
    expect(await page.textContent('#status'), 'the one-key language menu').to.equal('Press 1 key');

    await page.click('[data-testid=key-1]');
    await waitForKeys(page, 1);
    // The provisional ID from the keyboard, a key at a time, then # ends the entry.
    await page.keyboard.type(`${provisionalId}#`, { delay: 20 });
    await waitForKeys(page, 2);

    const transcript = (await page.textContent('[data-testid=transcript]'))!;
    // Registered on the English page, the member hears the rest of the call in English, and the
    // ID digit by digit in groups, as a caller hears it.
    const heard = /Your formal ID is (\d \d \d, \d \d \d, \d \d \d)/.exec(transcript);
    expect(heard, transcript).to.not.equal(null);
    const formalId = heard![1]!.replace(/[ ,]/g, '');
    expect(await page.locator('#transcript li.say[data-numbers]').evaluateAll((lis) => lis.map((li) => (li as HTMLElement).dataset.numbers))).to.include(`${formalId} ${formalId}`);

    const spoken = await page.evaluate(() => (window as unknown as { spoken: { text: string; lang: string }[] }).spoken);
    expect(spoken.length).to.be.greaterThan(3);
    expect(new Set(spoken.map((s) => s.lang))).to.deep.equal(new Set(['ja-JP', 'en-US']));
    expect(spoken.find((s) => s.text.includes('Your formal ID'))!.text, 'the browser speaks the ID digit by digit').to.include(formalId.slice(0, 3).split('').join(' '));

    await page.click('[data-testid=hangup]');
    await page.waitForFunction(() => document.getElementById('simulator')!.dataset.state === 'ended');
    expect(await page.textContent('#transcript li.ended')).to.include('completed');

    await page.goto(`${app.url}/login?lang=en`);
    await page.fill('#formalId', formalId);
    await page.fill('#password', password);
    await Promise.all([page.waitForURL(`${app.url}/service`), page.click('button[type=submit]')]);
    expect(await page.textContent('main')).to.not.include('error');
    expect(pageErrors).to.deep.equal([]);
  });

  it('the Japanese simulator page asks for one key in natural Japanese, and names an empty icon of its own, so a browser asks for no /favicon.ico (which the site does not serve)', async () => {
    const page = await browser.context.newPage();
    await page.goto(`${app.url}/simulator?lang=ja`);
    expect(await page.getAttribute('head link[rel=icon]', 'href')).to.equal('data:,');
    await page.click('[data-testid=call]');
    await waitForKeys(page, 0);
    expect(await page.textContent('#status')).to.equal('キーを1つ押してください');
    await page.click('[data-testid=hangup]');
    await page.waitForFunction(() => document.getElementById('simulator')!.dataset.state === 'ended');
    await page.close();
  });
});
