import { expect } from 'chai';
import type { Page } from 'playwright-core';
import { launchBrowser, type TestBrowser } from '../support/browser.ts';
import { jsonRequest, startTestApp, type TestApp } from '../support/harness.ts';
import { activeMember, type ActiveMember } from '../support/member.ts';
import { adminAuth, codeBoughtByPhone, merchantPost, type TestMerchant } from '../support/payments.ts';
import { decideByPhone, logInInBrowser } from '../support/surfaces.ts';
import { Mailbox } from '../support/mailbox.ts';
import { TestCall } from '../support/call.ts';
import { axeViolations, sidewaysOverflow } from '../support/axe.ts';

const PIN = '2468';
const WIDTHS = [1280, 390] as const;
const LANGS = ['ja', 'en'] as const;

/** A page of the product and how a person gets to it (a link, or a form sent). */
interface Visit {
  name: string;
  go(page: Page, lang: 'ja' | 'en'): Promise<unknown>;
}

const submit = async (page: Page, selector = 'main button[type=submit]') => {
  await Promise.all([page.waitForLoadState('load'), page.waitForEvent('framenavigated'), page.click(selector)]);
};

describe('every page reads and works for everyone: axe-core finds nothing at 1280 and 390 px, and nothing scrolls sideways (headless Chromium)', function () {
  this.timeout(600_000);
  let app: TestApp;
  let browser: TestBrowser;
  let mailbox: Mailbox;
  let member: ActiveMember;
  let shop: TestMerchant;
  let redemptionId: string;
  let callSid: string;

  before(async () => {
    mailbox = new Mailbox();
    app = await startTestApp({ SMTP_URL: await mailbox.start(), CODE_DENOMINATIONS: '500,1000,3000', WEBHOOK_MAX_ATTEMPTS: '1', PASSWORD_RESETS_PER_DAY: '100', PASSWORD_RESETS_PER_ADDRESS_PER_HOUR: '10000' });
    browser = await launchBrowser();
    // Something in every table: a member with charges, codes and decided requests; a merchant with
    // redemptions (one voided), requests and failed webhook deliveries.
    member = await activeMember(app, { pin: PIN });
    shop = (await jsonRequest(app, 'POST', '/api/admin/merchants', { name: 'Kissa Hoshi', webhookUrl: 'http://127.0.0.1:9/hook' }, adminAuth(app))).body;
    const code = await codeBoughtByPhone(app, member, PIN, '2', shop.merchantId);
    const first = await jsonRequest(app, 'POST', '/api/merchant/redemptions', { code, amount: 400, orderId: 'A-1001' }, merchantPost(shop));
    redemptionId = first.body.redemptionId;
    const second = await jsonRequest(app, 'POST', '/api/merchant/redemptions', { code, amount: 100, orderId: 'A-1002' }, merchantPost(shop));
    await jsonRequest(app, 'POST', `/api/merchant/redemptions/${second.body.redemptionId}/void`, undefined, merchantPost(shop));
    const made = await jsonRequest(app, 'POST', '/api/merchant/payment-requests', { amount: 1200, description: 'Lunch set' }, merchantPost(shop));
    await decideByPhone(app, member, PIN, made.body.number, '1');
    const call = new TestCall(app);
    await call.dial();
    await call.hangUp();
    callSid = call.callSid;
    // The deliveries fail (nothing listens): wait until the worker has tried each one.
    const deadline = Date.now() + 60_000;
    for (;;) {
      const list = await jsonRequest(app, 'GET', '/api/merchant/webhook-deliveries', undefined, { Authorization: `Bearer ${shop.apiKey}` });
      if (list.body.deliveries.length >= 3 && list.body.deliveries.every((d: { status: string }) => d.status !== 'pending')) break;
      if (Date.now() > deadline) throw new Error(`webhook deliveries still pending: ${JSON.stringify(list.body)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  });
  after(async () => {
    await browser?.close();
    await app?.close();
    await mailbox?.close();
  });

  const goto = (path: string) => (page: Page, lang: 'ja' | 'en') => page.goto(`${app.url}${path}${path.includes('?') ? '&' : '?'}lang=${lang}`);
  /** Opens a page in the language, then sends its form with these fields. */
  const sent = (path: string, fields: Record<string, string>, button?: string) => async (page: Page, lang: 'ja' | 'en') => {
    await goto(path)(page, lang);
    for (const [selector, value] of Object.entries(fields)) await page.fill(selector, value);
    await submit(page, button);
  };
  const signIn = async (page: Page, path: string, field: string, secret: string) => {
    await page.context().clearCookies();
    await page.goto(`${app.url}${path}`);
    await page.fill(field, secret);
    await submit(page);
  };

  const publicPages: Visit[] = [
    { name: 'home', go: goto('/') },
    { name: 'register', go: goto('/register') },
    { name: 'register, errors', go: sent('/register', { '#name': '', '#email': 'not-an-address' }) },
    { name: 'registered', go: sent('/register', { '#name': 'Aiko Sato', '#email': 'aiko@example.com' }) },
    { name: 'login', go: goto('/login') },
    { name: 'login, wrong password', go: sent('/login', { '#formalId': '123456789', '#password': 'nope' }) },
    { name: 'forgot password', go: goto('/password/forgot') },
    { name: 'forgot password, errors', go: sent('/password/forgot', { '#formalId': '1', '#email': 'x' }) },
    { name: 'forgot password, sent', go: sent('/password/forgot', { '#formalId': '123456789', '#email': 'nobody@example.com' }) },
    { name: 'reset link, bad', go: goto('/password/reset?token=nope') },
    { name: 'not found', go: goto('/no-such-page') },
    { name: 'browser phone', go: goto('/simulator') },
    {
      name: 'browser phone, in a call',
      go: async (page, lang) => {
        await goto('/simulator')(page, lang);
        await page.click('[data-testid=call]');
        await page.waitForFunction(() => document.getElementById('simulator')!.dataset.state === 'waiting', undefined, { timeout: 30_000 });
      },
    },
  ];
  const memberPages: Visit[] = [
    { name: 'member page', go: goto('/service') },
    { name: 'member page, PIN error', go: sent('/service', { '#pin': '12' }, '#phone-pin button[type=submit]') },
  ];
  const resetPages: Visit[] = [
    {
      name: 'reset link and new password',
      go: async (page, lang) => {
        await sent('/password/forgot', { '#formalId': member.formalId, '#email': 'hanako@example.com' })(page, lang);
        const link = /https:\/\/dialpass\.example\.test(\/password\/reset\?token=[A-Za-z0-9_-]{43})/.exec((await mailbox.next()).text)![1]!;
        await page.goto(`${app.url}${link}&lang=${lang}`);
        await check(page, lang, 'reset link');
        await submit(page);
        member.password = (await page.textContent('[data-testid=new-password]'))!.trim();
      },
    },
  ];
  const adminPages: Visit[] = [
    { name: 'console overview', go: goto('/admin') },
    { name: 'console members', go: goto('/admin/members') },
    { name: 'console member search', go: goto('/admin/members?q=hanako') },
    { name: 'console charges', go: goto('/admin/ledger') },
    { name: 'console charges, bad range', go: goto('/admin/ledger.csv?from=2026-12-31&to=2026-01-01') },
    { name: 'console member ledger', go: async (p, l) => goto(`/admin/ledger?member=${member.provisionalId}`)(p, l) },
    { name: 'console calls', go: goto('/admin/calls') },
    { name: 'console call', go: async (p, l) => goto(`/admin/calls/${callSid}`)(p, l) },
    { name: 'console codes', go: goto('/admin/codes') },
    { name: 'console merchants', go: goto('/admin/merchants') },
    { name: 'console merchant', go: async (p, l) => goto(`/admin/merchants/${shop.merchantId}`)(p, l) },
    { name: 'console audit', go: goto('/admin/audit') },
  ];
  const merchantPages: Visit[] = [
    { name: 'dashboard owed', go: goto('/merchant') },
    { name: 'dashboard owed, bad range', go: goto('/merchant/settlement.csv?from=2026-13-01') },
    { name: 'dashboard redemptions', go: goto('/merchant/redemptions') },
    { name: 'dashboard void, confirm', go: async (p, l) => { await goto('/merchant/redemptions')(p, l); await submit(p, `tr[data-id="${redemptionId}"] [data-testid=void]`); } },
    { name: 'dashboard requests', go: goto('/merchant/requests') },
    { name: 'dashboard webhooks', go: goto('/merchant/webhooks') },
    { name: 'dashboard event', go: async (p, l) => { await goto('/merchant/webhooks')(p, l); await Promise.all([p.waitForEvent('framenavigated'), p.click('[data-testid=event-link] >> nth=0')]); } },
    { name: 'dashboard API key', go: goto('/merchant/api-key') },
    { name: 'dashboard API key, confirm', go: async (p, l) => { await goto('/merchant/api-key')(p, l); await submit(p, '[data-testid=rotate]'); } },
  ];

  const problems: string[] = [];
  async function check(page: Page, lang: string, name: string) {
    const width = page.viewportSize()!.width;
    for (const v of await axeViolations(page)) problems.push(`${name} (${lang}, ${width} px): ${v.id} — ${v.help}: ${v.nodes.slice(0, 3).join(' | ')}`);
    const overflow = await sidewaysOverflow(page);
    if (overflow > 0) problems.push(`${name} (${lang}, ${width} px): scrolls sideways by ${overflow} px`);
  }

  async function sweep(visits: Visit[], before?: (page: Page) => Promise<void>) {
    const page = await browser.context.newPage();
    try {
      if (before) await before(page);
      for (const width of WIDTHS) {
        await page.setViewportSize({ width, height: width > 500 ? 900 : 844 });
        for (const lang of LANGS) {
          for (const visit of visits) {
            await visit.go(page, lang);
            await check(page, lang, visit.name);
          }
        }
      }
    } finally {
      await page.close();
    }
  }

  it('the check can fail: axe-core reports a nameless button and low contrast, and a wide table is seen scrolling sideways', async () => {
    const page = await browser.context.newPage();
    try {
      await page.setViewportSize({ width: 390, height: 844 });
      await page.setContent('<!doctype html><html lang="en"><head><title>t</title></head><body><main><button></button><p style="color:#bbb;background:#fff">faint</p><div style="width:900px">wide</div></main></body></html>');
      const ids = (await axeViolations(page)).map((v) => v.id);
      expect(ids).to.include('button-name').and.include('color-contrast');
      expect(await sidewaysOverflow(page)).to.be.greaterThan(400);
    } finally {
      await page.close();
    }
  });

  it('the public pages, the browser phone and the password reset', async () => {
    await sweep(publicPages, (page) => page.context().clearCookies());
    await sweep(resetPages);
    expect(problems).to.deep.equal([]);
  });

  it('the member page', async () => {
    await sweep(memberPages, (page) => logInInBrowser(page, app, member, 'ja'));
    expect(problems).to.deep.equal([]);
  });

  it('the operator console', async () => {
    await sweep(adminPages, (page) => signIn(page, '/admin', '#token', app.config.adminToken));
    expect(problems).to.deep.equal([]);
  });

  it('the merchant dashboard', async () => {
    await sweep(merchantPages, (page) => signIn(page, '/merchant', '#apiKey', shop.apiKey));
    expect(problems).to.deep.equal([]);
  });
});
