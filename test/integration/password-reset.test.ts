import { expect } from 'chai';
import { startTestApp, type TestApp } from '../support/harness.ts';
import { activeMember, type ActiveMember } from '../support/member.ts';
import { Mailbox } from '../support/mailbox.ts';
import { buildConfig } from '../../src/config.ts';
import { forgotPage } from '../../src/accounts/reset-pages.ts';

const form = (app: TestApp, path: string, fields: Record<string, string>, cookie?: string) =>
  fetch(`${app.url}${path}`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...(cookie ? { Cookie: cookie } : {}) },
    body: new URLSearchParams(fields).toString(),
  });

const LINK = /https:\/\/dialpass\.example\.test(\/password\/reset\?token=([A-Za-z0-9_-]{43})(?:&lang=(ja|en))?)/;

/** Asks for a link as the member would, and takes it out of the mail the SMTP receiver got. */
async function linkByMail(app: TestApp, mailbox: Mailbox, member: ActiveMember, email = 'hanako@example.com'): Promise<{ path: string; token: string; lang?: string; text: string }> {
  const asked = await form(app, '/password/forgot?lang=en', { formalId: member.formalId, email });
  expect(asked.status).to.equal(200);
  expect(await asked.text()).to.include('data-testid="reset-sent"');
  const mail = await mailbox.next();
  expect(mail.to).to.equal(email);
  const match = LINK.exec(mail.text);
  expect(match, mail.text).to.not.equal(null);
  return { path: match![1]!, token: match![2]!, lang: match![3], text: mail.text };
}

const newPasswordOf = (html: string) => /data-testid="new-password">([^<]+)</.exec(html)?.[1];
const apiLogin = (app: TestApp, formalId: string, password: string) =>
  fetch(`${app.url}/api/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ formalId, password }) });
const serviceStatus = async (app: TestApp, cookie: string) => (await fetch(`${app.url}/service`, { redirect: 'manual', headers: { Cookie: cookie } })).status;

describe('a member who forgot the password gets back in by e-mail, and nobody else can', function () {
  this.timeout(120_000);
  let app: TestApp;
  let mailbox: Mailbox;
  before(async () => {
    mailbox = new Mailbox();
    const smtpUrl = await mailbox.start();
    app = await startTestApp({ SMTP_URL: smtpUrl, MAIL_FROM: 'dialpass <no-reply@dialpass.example.test>', PASSWORD_RESETS_PER_DAY: '3', PASSWORD_RESETS_PER_ADDRESS_PER_HOUR: '1000' });
  });
  after(async () => {
    await app?.close();
    await mailbox?.close();
  });

  it('a link mailed to the registered address sets a new password shown once, ends every old session, and works only once', async () => {
    const member = await activeMember(app, { locale: 'en-US' });
    // A second session, as on another device.
    const other = (await apiLogin(app, member.formalId, member.password)).headers.get('set-cookie')!.split(';')[0]!;
    expect(await serviceStatus(app, member.cookie)).to.equal(200);
    expect(await serviceStatus(app, other)).to.equal(200);

    const link = await linkByMail(app, mailbox, member);
    expect(link.text, 'the mail never carries the formal ID').to.not.include(member.formalId);
    expect(link.text).to.include('30 minutes');
    // Opening the link changes nothing (mail scanners open links): a form to press.
    const opened = await fetch(`${app.url}${link.path}`);
    expect(opened.status).to.equal(200);
    expect(await opened.text()).to.include('data-testid="issue-password"');
    expect(await serviceStatus(app, member.cookie), 'nothing ends before the button is pressed').to.equal(200);

    const issued = await form(app, '/password/reset', { token: link.token });
    expect(issued.status).to.equal(200);
    const password = newPasswordOf(await issued.text());
    expect(password).to.match(/^[A-Za-z2-9]{14}$/);

    expect(await serviceStatus(app, member.cookie), 'the first session ended').to.equal(303);
    expect(await serviceStatus(app, other), 'the other device\'s session ended').to.equal(303);
    expect((await apiLogin(app, member.formalId, member.password)).status, 'the old password no longer works').to.equal(401);
    expect((await apiLogin(app, member.formalId, password!)).status).to.equal(200);

    const again = await form(app, '/password/reset', { token: link.token });
    expect(again.status, 'a link works once').to.equal(404);
    expect(await again.text()).to.include('data-testid="bad-link"');
  });

  it('a member who registered in English opens the mailed link in a browser that asks for no language and reads the page in English; a Japanese member in Japanese', async () => {
    for (const [locale, lang, words] of [['en-US', 'en', 'Issue a new password'], ['ja-JP', 'ja', 'パスワード']] as const) {
      const member = await activeMember(app, { locale });
      const link = await linkByMail(app, mailbox, member);
      expect(link.lang, `the link carries the member's language (${locale})`).to.equal(lang);
      // No Accept-Language, no language cookie: only the link can say which language.
      const opened = await fetch(`${app.url}${link.path}`, { headers: { 'Accept-Language': '' } });
      expect(opened.status).to.equal(200);
      const html = await opened.text();
      expect(html).to.match(new RegExp(`<html lang="${lang}`));
      expect(html).to.include(words);
    }
  });

  it('a formal ID with another address gets the same answer and no mail; a wrong or made-up link does nothing', async () => {
    const member = await activeMember(app);
    const wrong = await form(app, '/password/forgot', { formalId: member.formalId, email: 'someone-else@example.com' });
    expect(wrong.status).to.equal(200);
    expect(await wrong.text(), 'the same page whether or not they matched').to.include('data-testid="reset-sent"');
    // The next mail to arrive is the matching request's: the wrong one sent nothing.
    const link = await linkByMail(app, mailbox, member);
    expect(mailbox.pending).to.equal(0);

    const madeUp = `${link.token.slice(0, -4)}${link.token.endsWith('AAAA') ? 'BBBB' : 'AAAA'}`;
    for (const token of [madeUp, 'not-a-token', '']) {
      const res = await form(app, '/password/reset', { token });
      expect(res.status, token).to.equal(404);
    }
    expect((await fetch(`${app.url}/password/reset?token=${madeUp}`)).status).to.equal(404);
    expect((await apiLogin(app, member.formalId, member.password)).status, 'the password is unchanged').to.equal(200);
  });

  it('only the newest link works, and a link expires after PASSWORD_RESET_TTL_MINUTES', async () => {
    const member = await activeMember(app);
    const first = await linkByMail(app, mailbox, member);
    const second = await linkByMail(app, mailbox, member);
    expect((await form(app, '/password/reset', { token: first.token })).status, 'replaced by the newer link').to.equal(404);
    app.clock.now += 30 * 60_000 + 1000;
    const late = await form(app, '/password/reset', { token: second.token });
    expect(late.status).to.equal(410);
    expect(await late.text()).to.include('data-testid="bad-link"');
    expect((await apiLogin(app, member.formalId, member.password)).status, 'nothing changed').to.equal(200);
  });

  it('at most PASSWORD_RESETS_PER_DAY mails per formal ID', async () => {
    const member = await activeMember(app);
    for (let i = 0; i < 3; i++) await linkByMail(app, mailbox, member);
    const fourth = await form(app, '/password/forgot', { formalId: member.formalId, email: 'hanako@example.com' });
    expect(fourth.status).to.equal(429);
    expect(Number(fourth.headers.get('retry-after'))).to.be.greaterThan(0);
    expect(mailbox.pending).to.equal(0);
  });

  it('a form with a malformed ID or address keeps its page, each error beside its field', async () => {
    const res = await form(app, '/password/forgot?lang=en', { formalId: '12', email: 'not an address' });
    expect(res.status).to.equal(422);
    const html = await res.text();
    expect(html).to.include('data-testid="error-summary"');
    expect(html).to.match(/id="formalId"[^>]*aria-invalid="true"[^>]*aria-describedby="formalId-hint formalId-error"/);
    expect(html).to.match(/id="email"[^>]*aria-invalid="true"[^>]*aria-describedby="email-error"/);
    expect(html).to.include('value="not an address"');
  });
});

describe('reset links guessed from one address are limited', function () {
  this.timeout(60_000);
  let app: TestApp;
  let mailbox: Mailbox;
  before(async () => {
    mailbox = new Mailbox();
    app = await startTestApp({ SMTP_URL: await mailbox.start(), PASSWORD_RESETS_PER_ADDRESS_PER_HOUR: '5' });
  });
  after(async () => {
    await app?.close();
    await mailbox?.close();
  });

  it('past PASSWORD_RESETS_PER_ADDRESS_PER_HOUR wrong links, even a right one is refused (429) from that address', async () => {
    const member = await activeMember(app);
    const link = await linkByMail(app, mailbox, member);
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await form(app, '/password/reset', { token: `${'x'.repeat(39)}${String(i).padStart(4, '0')}` })).status);
    expect(statuses).to.deep.equal([404, 404, 404, 404, 429]);
    const right = await form(app, '/password/reset', { token: link.token });
    expect(right.status).to.equal(429);
    expect((await apiLogin(app, member.formalId, member.password)).status, 'nothing changed').to.equal(200);
  });
});

describe('where mail can go, and where it cannot', () => {
  const production = {
    NODE_ENV: 'production',
    PUBLIC_BASE_URL: 'https://dialpass.example.test',
    SERVICE_PHONE_NUMBER: '+815000001234',
    CHARGE_METHOD: 'none',
    TWILIO_AUTH_TOKEN: 'prod-twilio-token-0123456789abcdef',
    SESSION_SECRET: 'prod-session-secret-0123456789',
    ADMIN_TOKEN: 'prod-admin-token-0123456789',
    HASH_PEPPER: 'prod-hash-pepper-0123456789',
  };

  it('production without SMTP_URL offers no reset by e-mail: the page says to ask the operator and has no form', () => {
    const config = buildConfig(production);
    expect(config.mail.transport).to.equal('none');
    const page = forgotPage('en', config);
    expect(page).to.include('does not reset passwords by e-mail').and.not.include('action="/password/forgot"');
  });

  it('production with SMTP_URL sends by SMTP; development without it prints the mail to the log', () => {
    expect(buildConfig({ ...production, SMTP_URL: 'smtps://user:pass@mail.example.test:465' }).mail.transport).to.equal('smtp');
    expect(buildConfig({ NODE_ENV: 'development' }).mail.transport).to.equal('console');
    expect(() => buildConfig({ SMTP_URL: 'http://mail.example.test' })).to.throw(/SMTP_URL/);
  });
});
