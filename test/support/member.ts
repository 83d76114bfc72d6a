import { expect } from 'chai';
import { register, type TestApp } from './harness.ts';
import { TestCall } from './call.ts';
import { spokenNumbers } from './twiml.ts';

export interface ActiveMember {
  provisionalId: string;
  password: string;
  formalId: string;
  cookie: string;
}

/** Registers, activates by a signed call, and logs in: a member as a real person gets one. */
export async function activeMember(app: TestApp, options: { pin?: string; from?: string; locale?: 'ja-JP' | 'en-US' } = {}): Promise<ActiveMember> {
  const { provisionalId, password } = await register(app, undefined, undefined, options.locale);
  const call = new TestCall(app, options.from);
  await call.dial();
  await call.press('1');
  const formalId = spokenNumbers((await call.press(`${provisionalId}#`)).verbs)[0]!;
  const login = await fetch(`${app.url}/api/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ formalId, password }),
  });
  expect(login.status).to.equal(200);
  const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
  if (options.pin) {
    const res = await fetch(`${app.url}/api/me/pin`, { method: 'PUT', headers: { 'Content-Type': 'application/json', Cookie: cookie }, body: JSON.stringify({ pin: options.pin }) });
    expect(res.status).to.equal(204);
  }
  return { provisionalId, password, formalId, cookie };
}
