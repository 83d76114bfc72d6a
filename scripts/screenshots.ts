// npm run screenshots: a scripted day of activity against a throwaway Redis, then every page of the
// member history, the operator console and the merchant dashboard in Debian's Chromium, at 1280 px
// and 390 px wide, in Japanese and English, saved to docs/screenshots/ (JPEG, whole page). A page
// that scrolls sideways (wider than the window) fails the run, naming the page and by how much.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { startManagedRedis } from './lib/managed-redis.ts';
import { ensureChromium } from './lib/ensure-chromium.ts';
import { processEnv } from '../src/config.ts';

// The scripted day is played with the tests' own helpers (the call simulator, signed requests);
// they register a mocha root hook, which a script without mocha answers with nothing.
(globalThis as { after?: unknown }).after ??= () => undefined;
const { launchBrowser } = await import('../test/support/browser.ts');
const { jsonRequest, register, startTestApp } = await import('../test/support/harness.ts');
const { activeMember } = await import('../test/support/member.ts');
const { adminAuth, buyOnCall, merchantPost, signInToBuy } = await import('../test/support/payments.ts');
const { decideByPhone } = await import('../test/support/surfaces.ts');

const OUT = join(import.meta.dirname, '..', 'docs', 'screenshots');
const PIN = '2468';
const WIDTHS = [1280, 390] as const;
const LANGS = ['ja', 'en'] as const;

/** Japanese pages need a Japanese font; Debian's Noto CJK is installed (as root) when none is there. */
function ensureJapaneseFont(): void {
  const hasFont = () => spawnSync('fc-list', [':lang=ja'], { encoding: 'utf8' }).stdout?.trim();
  if (hasFont()) return;
  console.log('screenshots: no Japanese font; installing fonts-noto-cjk (apt-get)…');
  spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'fonts-noto-cjk'], { stdio: 'inherit', env: { ...processEnv(), DEBIAN_FRONTEND: 'noninteractive' } });
  if (!hasFont()) throw new Error('screenshots: no Japanese font (install fonts-noto-cjk), so the ja pages would show empty boxes');
}

async function main(): Promise<void> {
  ensureChromium((line) => console.log(line));
  ensureJapaneseFont();
  const redis = await startManagedRedis({ log: (line) => console.log(line) });
  const app = await startTestApp({ REDIS_URL: redis.url, CODE_DENOMINATIONS: '500,1000,3000', MONTHLY_SPENDING_CAP: '10000', WEBHOOK_MAX_ATTEMPTS: '1' });
  const browser = await launchBrowser();
  try {
    // A scripted day: yesterday one member joins; today another, who buys codes, has them
    // redeemed (one redemption voided) and decides two payment requests; a third registers.
    app.clock.now = Date.parse('2026-12-09T03:00:00Z');
    await activeMember(app, { pin: PIN });
    app.clock.now = Date.parse('2026-12-10T01:00:00Z');
    const member = await activeMember(app, { pin: PIN });
    await register(app, 'Jiro Suzuki', 'jiro@example.com');
    const shop = (await jsonRequest(app, 'POST', '/api/admin/merchants', { name: 'Kissa Hoshi', webhookUrl: 'http://127.0.0.1:9/hook' }, adminAuth(app))).body;
    const later = () => (app.clock.now += 17 * 60_000);
    later();
    const code = await buyOnCall(await signInToBuy(app, member, PIN), '2');
    later();
    await buyOnCall(await signInToBuy(app, member, PIN), '1', shop.merchantId);
    later();
    await jsonRequest(app, 'POST', '/api/merchant/redemptions', { code, amount: 400, orderId: 'A-1001' }, merchantPost(shop));
    const second = await jsonRequest(app, 'POST', '/api/merchant/redemptions', { code, amount: 100, orderId: 'A-1002' }, merchantPost(shop));
    await jsonRequest(app, 'POST', `/api/merchant/redemptions/${second.body.redemptionId}/void`, undefined, merchantPost(shop));
    for (const [amount, key] of [
      [1200, '1'],
      [300, '2'],
    ] as const) {
      later();
      const made = await jsonRequest(app, 'POST', '/api/merchant/payment-requests', { amount, description: amount > 1000 ? 'Lunch set' : 'Coffee' }, merchantPost(shop));
      await decideByPhone(app, member, PIN, made.body.number, key);
    }
    await jsonRequest(app, 'POST', '/api/merchant/payment-requests', { amount: 700, description: 'Cake' }, merchantPost(shop));
    await new Promise((r) => setTimeout(r, 500)); // the worker tries the webhooks (the endpoint is closed: they fail)

    mkdirSync(OUT, { recursive: true });
    for (const file of readdirSync(OUT)) if (file.endsWith('.jpg')) rmSync(join(OUT, file));
    const page = await browser.context.newPage();
    const signIn = async (path: string, field: string, secret: string) => {
      await page.context().clearCookies();
      await page.goto(`${app.url}${path}`);
      await page.fill(field, secret);
      await Promise.all([page.waitForLoadState(), page.click('button[type=submit]')]);
    };
    const sideways: string[] = [];
    const shoot = async (name: string, path: string) => {
      for (const lang of LANGS) {
        for (const width of WIDTHS) {
          await page.setViewportSize({ width, height: width > 500 ? 900 : 844 });
          await page.goto(`${app.url}${path}${path.includes('?') ? '&' : '?'}lang=${lang}`);
          const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
          if (overflow > 0) sideways.push(`${name} (${lang}, ${width} px) scrolls sideways by ${overflow} px`);
          await page.screenshot({ path: join(OUT, `${name}-${lang}-${width}.jpg`), fullPage: true, type: 'jpeg', quality: 70 });
        }
      }
      console.log(`screenshots: ${name}`);
    };
    await page.context().clearCookies();
    for (const [name, path] of [
      ['home', '/'],
      ['register', '/register'],
      ['login', '/login'],
      ['forgot-password', '/password/forgot'],
      ['simulator', '/simulator'],
    ] as const) {
      await shoot(name, path);
    }

    await page.context().clearCookies();
    await page.goto(`${app.url}/login`);
    await page.fill('#formalId', member.formalId);
    await page.fill('#password', member.password);
    await Promise.all([page.waitForURL(`${app.url}/service`), page.click('button[type=submit]')]);
    await shoot('member-history', '/service');

    await signIn('/admin', '#token', app.config.adminToken);
    for (const [name, path] of [
      ['admin-overview', '/admin'],
      ['admin-members', '/admin/members'],
      ['admin-charges', '/admin/ledger'],
      ['admin-calls', '/admin/calls'],
      ['admin-codes', '/admin/codes'],
      ['admin-merchants', '/admin/merchants'],
      ['admin-merchant', `/admin/merchants/${shop.merchantId}`],
      ['admin-audit', '/admin/audit'],
    ] as const) {
      await shoot(name, path);
    }

    await signIn('/merchant', '#apiKey', shop.apiKey);
    for (const [name, path] of [
      ['merchant-owed', '/merchant'],
      ['merchant-redemptions', '/merchant/redemptions'],
      ['merchant-requests', '/merchant/requests'],
      ['merchant-webhooks', '/merchant/webhooks'],
      ['merchant-api-key', '/merchant/api-key'],
    ] as const) {
      await shoot(name, path);
    }
    console.log(`screenshots: written to ${OUT}`);
    if (sideways.length) throw new Error(`screenshots: pages that scroll sideways:\n  ${sideways.join('\n  ')}`);
  } finally {
    await browser.close();
    await app.close();
    await redis.stop();
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
