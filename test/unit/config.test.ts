import { expect } from 'chai';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { renderEnvExample } from '../../scripts/lib/env-example.ts';
import { buildConfig, ConfigError, DEV_ADMIN_TOKEN, ENV_SCHEMA, MIN_SECRET_BITS, secretBits } from '../../src/config.ts';
import { randomBytes } from 'node:crypto';

const ROOT = resolve(import.meta.dirname, '../..');
const sourceFiles = (dir: string): string[] =>
  readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith('.ts') ? [path] : [];
  });

/** Production secrets as an operator makes them (openssl rand -base64 32). */
const strongSecrets = () => ({
  SESSION_SECRET: randomBytes(32).toString('base64'),
  ADMIN_TOKEN: randomBytes(32).toString('base64'),
  HASH_PEPPER: randomBytes(32).toString('base64'),
  TWILIO_AUTH_TOKEN: randomBytes(16).toString('hex'),
});

describe('configuration', () => {
  it('development defaults need nothing set', () => {
    const config = buildConfig({});
    expect(config).to.include({ port: 3000, publicBaseUrl: 'http://localhost:3000', defaultLocale: 'ja-JP', activationCharge: 300, currency: 'JPY' });
    expect(config.simulatorEnabled).to.equal(true);
  });

  it('speech: on, the PIN keys only, and per language a model Twilio lists, a whole-second pause and hints, by default; anything else Twilio refuses stops the start', () => {
    const { speech } = buildConfig({});
    expect(speech).to.deep.include({ enabled: true, pin: false, minConfidence: 0.4 });
    expect(speech.byLocale['ja-JP']).to.include({ model: 'numbers_and_commands', timeout: 2 });
    expect(speech.byLocale['en-US'].hints).to.include.members(['yes', 'activate', 'Japanese']);
    expect(speech.byLocale['ja-JP'].hints).to.include.members(['はい', '登録', 'イングリッシュ']);
    const set = buildConfig({ SPEECH_INPUT: 'false', SPEECH_PIN: 'true', SPEECH_MODEL_EN: 'phone_call', SPEECH_TIMEOUT_JA: '3', SPEECH_HINTS_EN: 'yes, no,, menu ' });
    expect(set.speech).to.deep.include({ enabled: false, pin: true });
    expect(set.speech.byLocale['en-US']).to.deep.equal({ model: 'phone_call', timeout: 2, hints: ['yes', 'no', 'menu'] });
    expect(set.speech.byLocale['ja-JP'].timeout).to.equal(3);
    for (const wrong of [{ SPEECH_MODEL_JA: 'whisper' }, { SPEECH_TIMEOUT_EN: 'auto' }, { SPEECH_MIN_CONFIDENCE: '1.5' }, { SPEECH_HINTS_JA: 'x'.repeat(101) }]) {
      expect(() => buildConfig(wrong), JSON.stringify(wrong)).to.throw(ConfigError).with.property('message').that.includes(Object.keys(wrong)[0]!);
    }
  });

  it('PUBLIC_BASE_URL follows PORT unless set, and loses a trailing slash', () => {
    expect(buildConfig({ PORT: '8080' }).publicBaseUrl).to.equal('http://localhost:8080');
    expect(buildConfig({ PUBLIC_BASE_URL: 'https://x.example/' }).publicBaseUrl).to.equal('https://x.example');
  });

  it('a wrong value stops start-up with a message naming every bad key', () => {
    expect(() => buildConfig({ PORT: 'eighty', DEFAULT_LOCALE: 'fr-FR', CURRENCY: 'yen' }))
      .to.throw(ConfigError)
      .with.property('message')
      .that.includes('PORT')
      .and.includes('DEFAULT_LOCALE')
      .and.includes('CURRENCY');
  });

  it('production refuses to start without its secrets', () => {
    expect(() => buildConfig({ NODE_ENV: 'production' }))
      .to.throw(ConfigError)
      .with.property('message')
      .that.includes('SESSION_SECRET')
      .and.includes('ADMIN_TOKEN')
      .and.includes('TWILIO_AUTH_TOKEN')
      .and.includes('CHARGE_METHOD')
      .and.includes('PUBLIC_BASE_URL')
      .and.includes('SERVICE_PHONE_NUMBER');
  });

  it('production refuses published development values and low-entropy secrets, naming the key and never the value', () => {
    const base = { NODE_ENV: 'production', CHARGE_METHOD: 'premium-rate', CHARGE_METHOD_CODES: 'card', CHARGE_METHOD_APPROVALS: 'card', PUBLIC_BASE_URL: 'https://dialpass.example', SERVICE_PHONE_NUMBER: '+815012345678' };
    expect(buildConfig({ ...base, ...strongSecrets() }).env).to.equal('production');
    const refused = (overrides: Record<string, string>) => {
      try {
        buildConfig({ ...base, ...strongSecrets(), ...overrides });
      } catch (error) {
        expect(error).to.be.instanceOf(ConfigError);
        for (const value of Object.values(overrides)) expect((error as Error).message, 'the value is never printed').to.not.include(value);
        return (error as Error).message;
      }
      return 'accepted';
    };
    expect(refused({ ADMIN_TOKEN: DEV_ADMIN_TOKEN })).to.match(/ADMIN_TOKEN: is a published development value/);
    expect(refused({ SESSION_SECRET: 'aaaaaaaaaaaaaaaaaaaa' })).to.match(/SESSION_SECRET: is too easy to guess/);
    expect(refused({ HASH_PEPPER: 'abababababababababababab' })).to.match(/HASH_PEPPER: is too easy to guess/);
    expect(refused({ TWILIO_AUTH_TOKEN: 'test-auth-token-0123456789abcdef' })).to.match(/TWILIO_AUTH_TOKEN: is a published/);
    expect(refused({ METRICS_TOKEN: 'metricsmetricsmetrics' })).to.match(/METRICS_TOKEN: is too easy to guess/);
    expect(refused({ ADMIN_TOKEN: 'correct-horse-battery' })).to.match(/ADMIN_TOKEN: is too easy to guess/);
    // Development keeps its defaults: nothing to set to try it.
    expect(buildConfig({ ADMIN_TOKEN: DEV_ADMIN_TOKEN }).adminToken).to.equal(DEV_ADMIN_TOKEN);
    expect(secretBits(randomBytes(32).toString('base64'))).to.be.above(MIN_SECRET_BITS);
  });

  it('development needs no charge method: activation and renewal on premium-rate (SERVICE_PHONE_NUMBER billing ACTIVATION_CHARGE per call), codes and approvals a demo', () => {
    const { charging } = buildConfig({});
    expect(charging.methods).to.deep.equal({ activation: 'premium-rate', renewal: 'premium-rate', codes: 'none', approvals: 'none' });
    expect(charging.premiumNumbers).to.deep.equal([{ to: '+815000000000', amount: 300, per: 'call', dial: '050-0000-0000' }]);
    expect(buildConfig({ CHARGE_METHOD: 'card' }).charging.methods).to.deep.equal({ activation: 'card', renewal: 'card', codes: 'card', approvals: 'card' });
    expect(buildConfig({ CHARGE_METHOD: 'card', CHARGE_METHOD_ACTIVATION: 'premium-rate', CHARGE_METHOD_RENEWAL: 'premium-rate' }).charging.methods).to.deep.include({ activation: 'premium-rate', codes: 'card' });
    expect(() => buildConfig({ CHARGE_METHOD: 'cash' })).to.throw(ConfigError).with.property('message').that.includes('CHARGE_METHOD');
  });

  it('production must choose how each kind is collected: CHARGE_METHOD, or every CHARGE_METHOD_<KIND>', () => {
    const secrets = { ...strongSecrets(), PUBLIC_BASE_URL: 'https://dialpass.example', SERVICE_PHONE_NUMBER: '+815012345678' };
    expect(buildConfig({ NODE_ENV: 'production', CHARGE_METHOD: 'none', ...secrets }).charging.methods.codes).to.equal('none');
    const perKind = { CHARGE_METHOD_ACTIVATION: 'premium-rate', CHARGE_METHOD_RENEWAL: 'premium-rate', CHARGE_METHOD_CODES: 'card', CHARGE_METHOD_APPROVALS: 'card' };
    expect(buildConfig({ NODE_ENV: 'production', ...perKind, ...secrets }).charging.methods).to.deep.equal({ activation: 'premium-rate', renewal: 'premium-rate', codes: 'card', approvals: 'card' });
    const { CHARGE_METHOD_APPROVALS: _left, ...missingOne } = perKind;
    expect(() => buildConfig({ NODE_ENV: 'production', ...missingOne, ...secrets })).to.throw(ConfigError).with.property('message').that.includes('CHARGE_METHOD:');
  });

  it('start-up refuses, with one line naming the key, a price its method cannot collect', () => {
    const refusal = (env: Record<string, string>) => {
      try {
        buildConfig(env);
      } catch (error) {
        return (error as Error).message.split('\n').slice(1).map((l) => l.trim());
      }
      return [];
    };
    // A premium-rate number bills one tariff: the code amounts need numbers of their own.
    expect(refusal({ CHARGE_METHOD: 'premium-rate', CHARGE_METHOD_APPROVALS: 'card' })).to.deep.equal([
      'CHARGE_METHOD_CODES: premium-rate cannot collect codes of 500, 1000, 3000, 5000: no number in PREMIUM_RATE_NUMBERS bills that per call (add one per amount, or set CHARGE_METHOD_CODES=card or none)',
    ]);
    // A merchant asks any amount: never premium-rate by default.
    expect(refusal({ CHARGE_METHOD: 'premium-rate', CHARGE_METHOD_CODES: 'card' })[0]).to.match(/^CHARGE_METHOD_APPROVALS: required when CHARGE_METHOD=premium-rate/);
    // The activation fee needs a number that bills it.
    expect(refusal({ PREMIUM_RATE_NUMBERS: '+815012341000=1000/call' })).to.deep.equal([
      'CHARGE_METHOD_ACTIVATION: premium-rate cannot collect ACTIVATION_CHARGE (300): no number in PREMIUM_RATE_NUMBERS bills 300/call',
      'CHARGE_METHOD_RENEWAL: premium-rate cannot collect ACTIVATION_CHARGE (300): no number in PREMIUM_RATE_NUMBERS bills 300/call',
    ]);
    // A per-minute number bills by the call's length: it collects no fixed price.
    expect(refusal({ PREMIUM_RATE_NUMBERS: '+815012340300=300/minute' })[0]).to.match(/^CHARGE_METHOD_ACTIVATION: premium-rate cannot collect/);
    expect(refusal({ PREMIUM_RATE_NUMBERS: '+815012340300=300/call,0990=5/call' })[0]).to.match(/^PREMIUM_RATE_NUMBERS: "0990=5\/call" is not TO=AMOUNT\/call/);
    expect(refusal({ CHARGE_METHOD: 'card', CARD_PROCESSOR: 'stripe' })).to.deep.equal(['STRIPE_SECRET_KEY: required when CARD_PROCESSOR=stripe']);
    // Carrier billing needs the operator's API and the client it issued.
    expect(refusal({ CHARGE_METHOD_CODES: 'carrier-billing' })).to.deep.equal([
      'CARRIER_BILLING_API_URL: required when a charge is carrier-billing',
      'CARRIER_BILLING_TOKEN_URL: required when a charge is carrier-billing',
      'CARRIER_BILLING_CLIENT_ID: required when a charge is carrier-billing',
      'CARRIER_BILLING_CLIENT_SECRET: required when a charge is carrier-billing',
    ]);
    const operator = { CARRIER_BILLING_API_URL: 'https://op.example/carrier-billing/v0.5', CARRIER_BILLING_TOKEN_URL: 'https://op.example/token', CARRIER_BILLING_CLIENT_ID: 'c', CARRIER_BILLING_CLIENT_SECRET: 's' };
    expect(buildConfig({ CHARGE_METHOD: 'carrier-billing', ...operator }).charging.carrierBilling).to.include({ apiUrl: 'https://op.example/carrier-billing/v0.5', simSwap: undefined });
    expect(buildConfig({ CHARGE_METHOD: 'carrier-billing', ...operator, SIM_SWAP_API_URL: 'https://op.example/sim-swap/v1' }).charging.carrierBilling!.simSwap).to.deep.equal({ apiUrl: 'https://op.example/sim-swap/v1', maxAgeHours: 240 });
  });

  it('PREMIUM_RATE_NUMBERS: each number Twilio routes here, its tariff per call or per started minute, and the number callers dial', () => {
    const { charging } = buildConfig({
      PREMIUM_RATE_NUMBERS: '+815012340300=300/call@0990-50-0300, +81 50 1234 1000=1000/call@0990-50-1000,+815012340100=100/minute',
      CHARGE_METHOD_CODES: 'premium-rate',
      CODE_DENOMINATIONS: '1000',
    });
    expect(charging.premiumNumbers).to.deep.equal([
      { to: '+815012340300', amount: 300, per: 'call', dial: '0990-50-0300' },
      { to: '+815012341000', amount: 1000, per: 'call', dial: '0990-50-1000' },
      { to: '+815012340100', amount: 100, per: 'minute', dial: '050-1234-0100' },
    ]);
  });

  it('the simulator is off in production unless enabled', () => {
    const secrets = { ...strongSecrets(), CHARGE_METHOD: 'card', PUBLIC_BASE_URL: 'https://dialpass.example', SERVICE_PHONE_NUMBER: '+815012345678' };
    expect(buildConfig({ NODE_ENV: 'production', ...secrets }).simulatorEnabled).to.equal(false);
    expect(buildConfig({ NODE_ENV: 'production', SIMULATOR_ENABLED: 'true', ...secrets }).simulatorEnabled).to.equal(true);
  });

  it('webhooks may reach loopback in development and test, not in production unless OUTBOUND_ALLOW_LOOPBACK says so', () => {
    const secrets = { ...strongSecrets(), CHARGE_METHOD: 'card', PUBLIC_BASE_URL: 'https://dialpass.example', SERVICE_PHONE_NUMBER: '+815012345678' };
    expect(buildConfig({}).outboundAllowLoopback).to.equal(true);
    expect(buildConfig({ NODE_ENV: 'test' }).outboundAllowLoopback).to.equal(true);
    expect(buildConfig({ NODE_ENV: 'production', ...secrets }).outboundAllowLoopback).to.equal(false);
    expect(buildConfig({ NODE_ENV: 'production', OUTBOUND_ALLOW_LOOPBACK: 'true', ...secrets }).outboundAllowLoopback).to.equal(true);
  });

  it('Redis cluster nodes are parsed and checked', () => {
    expect(buildConfig({ REDIS_CLUSTER_NODES: 'a:7000, b:7001' }).redis.clusterNodes).to.deep.equal([
      { host: 'a', port: 7000 },
      { host: 'b', port: 7001 },
    ]);
    expect(() => buildConfig({ REDIS_CLUSTER_NODES: 'nonsense' })).to.throw(ConfigError);
  });

  describe('one schema documents every key', () => {
    const schemaKeys = Object.keys(ENV_SCHEMA.shape);
    const example = readFileSync(join(ROOT, '.env.example'), 'utf8');

    it('every key has a description (.describe())', () => {
      const undocumented = schemaKeys.filter((key) => !ENV_SCHEMA.shape[key as keyof typeof ENV_SCHEMA.shape].description?.trim());
      expect(undocumented).to.deep.equal([]);
    });

    it('.env.example names every key and no other', () => {
      const exampleKeys = [...example.matchAll(/^([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]);
      expect(exampleKeys.filter((key) => !schemaKeys.includes(key!)), 'keys the schema does not know').to.deep.equal([]);
      expect(schemaKeys.filter((key) => !exampleKeys.includes(key)), 'keys .env.example leaves out').to.deep.equal([]);
    });

    it('.env.example says what the schema says, default values included (npm run env:example writes it)', () => {
      expect(example, 'run `npm run env:example`').to.equal(renderEnvExample());
    });

    it('nothing but src/config.ts reads process.env', () => {
      const readers = ['src', 'scripts', 'simulator', 'test']
        .flatMap((dir) => sourceFiles(join(ROOT, dir)))
        .filter((file) => !file.endsWith('src/config.ts') && file !== import.meta.filename && readFileSync(file, 'utf8').includes('process.env'))
        .map((file) => relative(ROOT, file));
      expect(readers).to.deep.equal([]);
    });
  });
});
