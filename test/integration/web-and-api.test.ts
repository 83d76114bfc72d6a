import { expect } from 'chai';
import { keys } from '../../src/store/keys.ts';
import { formalIds } from '../../src/identifiers/ids.ts';
import { passwordHashingStats } from '../../src/accounts/passwords.ts';
import { jsonRequest, register, startTestApp, type TestApp } from '../support/harness.ts';
import { activeMember } from '../support/member.ts';
import { adminAuth, createMerchant, merchantPost } from '../support/payments.ts';

describe('the web pages and the JSON API', () => {
  let app: TestApp;
  before(async () => {
    app = await startTestApp();
  });
  after(() => app.close());

  describe('registering', () => {
    it('the registration form page is served in Japanese, and in English on request', async () => {
      const ja = await (await fetch(`${app.url}/register`)).text();
      expect(ja).to.include('<html lang="ja">').and.include('name="email"');
      const en = await (await fetch(`${app.url}/register?lang=en`)).text();
      expect(en).to.include('<html lang="en">').and.include('Register and get my provisional ID');
    });

    it('submitting the form shows the provisional ID, the password once, the number to call and how long the ID is valid', async () => {
      const res = await fetch(`${app.url}/register?lang=en`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ name: 'Ken', email: 'ken@example.com', locale: 'en-US' }).toString(),
      });
      expect(res.status).to.equal(201);
      expect(res.headers.get('cache-control')).to.equal('no-store');
      const page = await res.text();
      const provisionalId = /data-testid="provisional-id">(\d+)</.exec(page)?.[1];
      expect(provisionalId).to.match(/^\d{11}$/);
      expect(page).to.match(/data-testid="password">[A-Za-z2-9]{14}</);
      expect(page).to.include('+815000001234').and.include('24 hours');
      // What to key is what the greeting of a line never heard asks for: the ID and #, no menu key first.
      expect(page).to.include(`key your provisional ID ${provisionalId} and then #`);
      // The deadline says its zone (the service's TIME_ZONE, Asia/Tokyo): someone registering from elsewhere is not misled.
      expect(page, 'the valid-until time names its zone').to.match(/Provisional ID valid until<\/dt><dd><time[^>]*>[^<]*\d{1,2}:\d{2}\s?[AP]M JST<\/time>/);
      const ja = await (await fetch(`${app.url}/register`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ name: 'Ken', email: 'ken2@example.com' }).toString() })).text();
      expect(ja).to.match(/仮IDの有効期限<\/dt><dd><time[^>]*>[^<]*\d{1,2}:\d{2}<\/time> JST/);
    });

    it('a form with a bad e-mail is shown again with the error and what was typed', async () => {
      const res = await fetch(`${app.url}/register`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ name: '<b>Ken</b>', email: 'not-an-email' }).toString(),
      });
      expect(res.status).to.equal(422);
      const page = await res.text();
      // The error summary, and the error beside the e-mail field, tied to it.
      expect(page).to.include('data-testid="error-summary"').and.include('&lt;b&gt;Ken&lt;/b&gt;');
      expect(page).to.match(/id="email"[^>]*aria-invalid="true"[^>]*aria-describedby="email-error"/);
      expect(page).to.not.match(/id="name"[^>]*aria-invalid/);
      expect(page).to.not.include('<b>Ken</b>');
    });

    it('a form with a phone language other than Japanese or English is shown again with the error beside the language', async () => {
      const res = await fetch(`${app.url}/register?lang=en`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ name: 'Ken', email: 'ken3@example.com', locale: 'fr-FR' }).toString(),
      });
      expect(res.status).to.equal(422);
      const page = await res.text();
      expect(page).to.include('Choose Japanese or English for the phone.');
      expect(page).to.match(/id="locale"[^>]*aria-invalid="true"[^>]*aria-describedby="locale-error"/);
      expect(page, 'name and e-mail were right').to.not.match(/id="(name|email)"[^>]*aria-invalid/);
    });

    it('the pending registration keeps only an argon2id hash of the password and expires after the configured TTL', async () => {
      const { provisionalId, password } = await register(app);
      const pending = await app.redis.hgetall(keys.pendingRegistration(provisionalId));
      expect(pending.passwordHash).to.match(/^a1\$/);
      expect(Object.values(pending).join(' ')).to.not.include(password);
      const ttl = await app.redis.ttl(keys.pendingRegistration(provisionalId));
      expect(ttl).to.be.within(86_390, 86_400);
    });

    it('POST /api/registrations answers 201 with the contract fields', async () => {
      const res = await jsonRequest(app, 'POST', '/api/registrations', { name: 'Aiko', email: 'aiko@example.com', locale: 'en-US' });
      expect(res.status).to.equal(201);
      expect(res.body).to.have.all.keys('provisionalId', 'password', 'phoneNumber', 'expiresAt');
      expect(Date.parse(res.body.expiresAt)).to.be.greaterThan(Date.now());
    });
  });

  describe('bad input gets a clear JSON error', () => {
    it('malformed JSON is 400 malformed_json', async () => {
      const res = await jsonRequest(app, 'POST', '/api/registrations', '{"name": ');
      expect(res.status).to.equal(400);
      expect(res.body.error).to.include({ code: 'malformed_json' });
    });

    it('JSON that is not an object (null, a string, a number) is 422 invalid_input, not "malformed"', async () => {
      for (const body of ['null', '"Aiko"', '42']) {
        const res = await jsonRequest(app, 'POST', '/api/registrations', body);
        expect(res.status, body).to.equal(422);
        expect(res.body.error).to.deep.equal({ code: 'invalid_input', message: 'The request body must be a JSON object.' });
      }
    });

    it('missing fields are 422 invalid_input naming the field', async () => {
      const res = await jsonRequest(app, 'POST', '/api/registrations', { name: 'Aiko' });
      expect(res.status).to.equal(422);
      expect(res.body.error.code).to.equal('invalid_input');
      expect(res.body.error.message).to.include('email is required').and.not.include('received undefined');
    });

    it('a developer who sends a wrong value reads a plain English sentence, not the validation library\'s words', async () => {
      const shop = await createMerchant(app);
      const said = async (path: string, body: unknown, headers: Record<string, string> = {}) => {
        const res = await jsonRequest(app, 'POST', path, body, headers);
        expect(res.status, JSON.stringify(body)).to.equal(422);
        expect(res.body.error.code).to.equal('invalid_input');
        return res.body.error.message as string;
      };
      const code = '1234567890123450';
      expect(await said('/api/merchant/redemptions', { code, amount: 1.5 }, merchantPost(shop))).to.equal('Please check: amount must be a whole number.');
      expect(await said('/api/merchant/payment-requests', { amount: 1.5, description: 'Tea' }, merchantPost(shop))).to.equal('Please check: amount must be a whole number.');
      expect(await said('/api/merchant/redemptions', { code, amount: '100' }, merchantPost(shop))).to.equal('Please check: amount must be a number.');
      // An array is JSON but not the object every endpoint takes: the same answer as null or 42.
      expect(await said('/api/registrations', [1, 2])).to.equal('The request body must be a JSON object.');
      expect(await said('/api/registrations', { name: 'Aiko', email: 'aiko@example.com', locale: 'fr-FR' })).to.equal('Please check: locale must be one of ja-JP, en-US.');
      expect(await said('/api/admin/merchants', { name: 'Shop', webhookUrl: 'not a url' }, adminAuth(app))).to.equal('Please check: webhookUrl must be a URL.');
      expect(await said('/api/registrations', { name: 7, email: 'aiko@example.com' })).to.equal('Please check: name must be text.');
    });

    it('over-long fields are 422 and an oversized body is 413', async () => {
      const long = await jsonRequest(app, 'POST', '/api/registrations', { name: 'x'.repeat(101), email: 'a@example.com' });
      expect(long.status).to.equal(422);
      const huge = await jsonRequest(app, 'POST', '/api/registrations', { name: 'x'.repeat(20_000), email: 'a@example.com' });
      expect(huge.status).to.equal(413);
      expect(huge.body.error.code).to.equal('payload_too_large');
    });

    it('a body that is not JSON is 415', async () => {
      const res = await fetch(`${app.url}/api/registrations`, { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: 'name=x' });
      expect(res.status).to.equal(415);
      expect(((await res.json()) as { error: { code: string } }).error.code).to.equal('unsupported_media_type');
    });

    it('an unknown API path is a JSON 404', async () => {
      const res = await jsonRequest(app, 'GET', '/api/nothing-here');
      expect(res.status).to.equal(404);
      expect(res.body.error.code).to.equal('not_found');
    });
  });

  describe('logging in', () => {
    it('wrong credentials are 401 and do not say which part was wrong', async () => {
      const member = await activeMember(app);
      const wrongPassword = await jsonRequest(app, 'POST', '/api/login', { formalId: member.formalId, password: 'nope-nope-nope' });
      const unknownId = await jsonRequest(app, 'POST', '/api/login', { formalId: formalIds.generate(), password: member.password });
      expect(wrongPassword.status).to.equal(401);
      expect(unknownId.status).to.equal(401);
      expect(wrongPassword.body).to.deep.equal(unknownId.body);
    });

    it('after LOGIN_MAX_FAILURES failures the formal ID is locked out with 429, even for the right password', async () => {
      const member = await activeMember(app);
      for (let i = 0; i < 9; i++) {
        expect((await jsonRequest(app, 'POST', '/api/login', { formalId: member.formalId, password: `wrong-${i}` })).status).to.equal(401);
      }
      const tenth = await jsonRequest(app, 'POST', '/api/login', { formalId: member.formalId, password: 'wrong-10' });
      expect(tenth.status).to.equal(429);
      const right = await jsonRequest(app, 'POST', '/api/login', { formalId: member.formalId, password: member.password });
      expect(right.status).to.equal(429);
      expect(right.body.error.code).to.equal('locked_out');
      expect(Number(right.headers.get('retry-after'))).to.be.within(1, 900);
    });

    it('GET /api/me without a session is 401, and logout ends the session', async () => {
      expect((await jsonRequest(app, 'GET', '/api/me')).status).to.equal(401);
      const member = await activeMember(app);
      expect((await jsonRequest(app, 'GET', '/api/me', undefined, { Cookie: member.cookie })).status).to.equal(200);
      expect((await jsonRequest(app, 'POST', '/api/logout', undefined, { Cookie: member.cookie })).status).to.equal(204);
      expect((await jsonRequest(app, 'GET', '/api/me', undefined, { Cookie: member.cookie })).status).to.equal(401);
    });

    it('a forged session cookie is ignored', async () => {
      const res = await jsonRequest(app, 'GET', '/api/me', undefined, { Cookie: 'dp_session=s%3Aforged.signature' });
      expect(res.status).to.equal(401);
    });

    it('the web login form signs in and redirects to the member page; a wrong password shows the form again', async () => {
      const member = await activeMember(app);
      const bad = await fetch(`${app.url}/login`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ formalId: member.formalId, password: 'wrong' }).toString(),
      });
      expect(bad.status).to.equal(401);
      expect(await bad.text()).to.include('data-testid="error-summary"').and.match(/id="formalId"[^>]*aria-invalid="true"/);
      const good = await fetch(`${app.url}/login`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ formalId: member.formalId, password: member.password }).toString(),
      });
      expect(good.status).to.equal(303);
      expect(good.headers.get('location')).to.equal('/service');
      const cookie = good.headers.get('set-cookie')!;
      expect(cookie).to.include('HttpOnly').and.include('SameSite=Lax').and.include('Secure');
    });
  });

  describe('logging in with the formal ID as heard', () => {
    it('spaces, hyphens, full-width digits and blanks around it all log in', async () => {
      const member = await activeMember(app);
      const id = member.formalId;
      const fullWidth = id.replace(/\d/g, (d) => String.fromCharCode(0xff10 + Number(d)));
      for (const typed of [`${id.slice(0, 3)} ${id.slice(3, 6)} ${id.slice(6)}`, `${id.slice(0, 3)}-${id.slice(3, 6)}-${id.slice(6)}`, fullWidth, `  ${id}\t`]) {
        const res = await jsonRequest(app, 'POST', '/api/login', { formalId: typed, password: member.password });
        expect(res.status, typed).to.equal(200);
        expect(res.body.formalId).to.equal(id);
      }
    });

    for (const [lang, expected] of [['ja', '9桁の数字'], ['en', '9 digits']] as const) {
      it(`the login page explains its own errors (${lang}), not the registration form's`, async () => {
        const res = await fetch(`${app.url}/login?lang=${lang}`, {
          method: 'POST',
          redirect: 'manual',
          headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ formalId: 'my id', password: 'x' }).toString(),
        });
        expect(res.status).to.equal(422);
        const page = await res.text();
        expect(page).to.include(expected);
        expect(page).to.not.include(lang === 'ja' ? 'メールアドレス' : 'e-mail');
      });
    }
  });

  describe('the member page', () => {
    it('without a session, /service redirects to /login', async () => {
      const res = await fetch(`${app.url}/service`, { redirect: 'manual' });
      expect(res.status).to.equal(303);
      expect(res.headers.get('location')).to.equal('/login');
    });

    it('when access has expired, the page says so plainly and how to renew', async () => {
      const member = await activeMember(app);
      const saved = app.clock.now;
      app.clock.now += 31 * 86_400_000;
      try {
        const page = await (await fetch(`${app.url}/service?lang=en`, { headers: { Cookie: member.cookie } })).text();
        expect(page).to.include('Your access expired on').and.include('press 4');
        expect(page).to.not.include('Members only');
        const me = await jsonRequest(app, 'GET', '/api/me', undefined, { Cookie: member.cookie });
        expect(me.body.active).to.equal(false);
      } finally {
        app.clock.now = saved;
      }
    });

    it('PUT /api/me/pin takes 4 to 8 digits and nothing else', async () => {
      const member = await activeMember(app);
      for (const pin of ['123', '123456789', '12a4', 1234]) {
        const res = await jsonRequest(app, 'PUT', '/api/me/pin', { pin }, { Cookie: member.cookie });
        expect(res.status, `pin ${pin}`).to.equal(422);
      }
      expect((await jsonRequest(app, 'PUT', '/api/me/pin', { pin: '2468' }, { Cookie: member.cookie })).status).to.equal(204);
      expect((await jsonRequest(app, 'PUT', '/api/me/pin', { pin: '2468' })).status).to.equal(401);
      const account = await app.redis.hgetall(keys.account(member.provisionalId));
      expect(account.pinHash).to.be.a('string').and.not.include('2468');
    });

    it('the member page sets the PIN through its form', async () => {
      const member = await activeMember(app);
      const res = await fetch(`${app.url}/service/pin`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', Cookie: member.cookie },
        body: new URLSearchParams({ pin: '97531' }).toString(),
      });
      expect(res.status).to.equal(303);
      const page = await (await fetch(`${app.url}${res.headers.get('location')}&lang=en`, { headers: { Cookie: member.cookie } })).text();
      expect(page).to.include('Your PIN has been set.');
    });

    it('a form posted from another site is refused', async () => {
      const res = await fetch(`${app.url}/login`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: 'https://evil.example' },
        body: new URLSearchParams({ formalId: '123456789', password: 'x' }).toString(),
      });
      expect(res.status).to.equal(403);
    });

    it('a wrong login on the Japanese page is explained in Japanese', async () => {
      const res = await fetch(`${app.url}/login?lang=ja`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ formalId: formalIds.generate(), password: 'x' }).toString(),
      });
      expect(res.status).to.equal(401);
      expect(await res.text()).to.include('正式IDまたはパスワードが違います');
    });

    it('a formal ID with a typo the check digit catches is said to be mistyped, beside the field, and costs no attempt', async () => {
      const member = await activeMember(app);
      const last = Number(member.formalId.at(-1));
      const typo = member.formalId.slice(0, -1) + String((last + 1) % 10);
      const before = passwordHashingStats().verified;
      const api = await jsonRequest(app, 'POST', '/api/login', { formalId: typo, password: member.password });
      expect(api.status).to.equal(422);
      expect(api.body.error.code).to.equal('mistyped_formal_id');
      const page = await fetch(`${app.url}/login?lang=en`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ formalId: typo, password: member.password }).toString() });
      expect(page.status).to.equal(422);
      const html = await page.text();
      expect(html).to.include('check the 9 digits you heard on the phone');
      expect(html).to.match(/id="formalId"[^>]*aria-invalid="true"/);
      expect(passwordHashingStats().verified - before, 'no password was tried').to.equal(0);
      expect(await app.redis.get(keys.loginFailures(typo)), 'no attempt counted').to.equal(null);
    });

    it('the home page explains the service and links to register and log in', async () => {
      const page = await (await fetch(`${app.url}/?lang=en`)).text();
      expect(page).to.include('href="/register"').and.include('href="/login"').and.include('How it works');
    });
  });
});
