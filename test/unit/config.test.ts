import { expect } from 'chai';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { renderEnvExample } from '../../scripts/lib/env-example.ts';
import { buildConfig, ConfigError, ENV_SCHEMA } from '../../src/config.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const sourceFiles = (dir: string): string[] =>
  readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith('.ts') ? [path] : [];
  });

describe('configuration', () => {
  it('development defaults need nothing set', () => {
    const config = buildConfig({});
    expect(config).to.include({ port: 3000, publicBaseUrl: 'http://localhost:3000', defaultLocale: 'ja-JP', activationCharge: 300, currency: 'JPY' });
    expect(config.simulatorEnabled).to.equal(true);
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

  it('CHARGE_METHOD is premium-rate in development, must be chosen in production, and is checked', () => {
    const secrets = { SESSION_SECRET: 's'.repeat(20), ADMIN_TOKEN: 'a'.repeat(20), HASH_PEPPER: 'p'.repeat(20), TWILIO_AUTH_TOKEN: 't'.repeat(32), PUBLIC_BASE_URL: 'https://dialpass.example', SERVICE_PHONE_NUMBER: '+815012345678' };
    expect(buildConfig({}).chargeMethod).to.equal('premium-rate');
    expect(buildConfig({ CHARGE_METHOD: 'card' }).chargeMethod).to.equal('card');
    expect(buildConfig({ NODE_ENV: 'production', CHARGE_METHOD: 'none', ...secrets }).chargeMethod).to.equal('none');
    expect(() => buildConfig({ CHARGE_METHOD: 'cash' })).to.throw(ConfigError).with.property('message').that.includes('CHARGE_METHOD');
  });

  it('the simulator is off in production unless enabled', () => {
    const secrets = { SESSION_SECRET: 's'.repeat(20), ADMIN_TOKEN: 'a'.repeat(20), HASH_PEPPER: 'p'.repeat(20), TWILIO_AUTH_TOKEN: 't'.repeat(32), CHARGE_METHOD: 'premium-rate', PUBLIC_BASE_URL: 'https://dialpass.example', SERVICE_PHONE_NUMBER: '+815012345678' };
    expect(buildConfig({ NODE_ENV: 'production', ...secrets }).simulatorEnabled).to.equal(false);
    expect(buildConfig({ NODE_ENV: 'production', SIMULATOR_ENABLED: 'true', ...secrets }).simulatorEnabled).to.equal(true);
  });

  it('webhooks may reach loopback in development and test, not in production unless OUTBOUND_ALLOW_LOOPBACK says so', () => {
    const secrets = { SESSION_SECRET: 's'.repeat(20), ADMIN_TOKEN: 'a'.repeat(20), HASH_PEPPER: 'p'.repeat(20), TWILIO_AUTH_TOKEN: 't'.repeat(32), CHARGE_METHOD: 'premium-rate', PUBLIC_BASE_URL: 'https://dialpass.example', SERVICE_PHONE_NUMBER: '+815012345678' };
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
