import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { jsonRequest, type TestApp } from './harness.ts';
import { TestCall } from './call.ts';
import type { ActiveMember } from './member.ts';

export interface TestMerchant {
  merchantId: string;
  apiKey: string;
  webhookSecret: string;
}

export const adminAuth = (app: TestApp) => ({ Authorization: `Bearer ${app.config.adminToken}` });
export const merchantAuth = (merchant: TestMerchant, extra: Record<string, string> = {}) => ({ Authorization: `Bearer ${merchant.apiKey}`, ...extra });

/** Headers of a money-moving merchant POST: the API key and a fresh Idempotency-Key (required). */
export const merchantPost = (merchant: TestMerchant, extra: Record<string, string> = {}) => merchantAuth(merchant, { 'Idempotency-Key': randomUUID(), ...extra });

export async function createMerchant(app: TestApp, name = 'Corner Café'): Promise<TestMerchant> {
  const res = await jsonRequest<TestMerchant>(app, 'POST', '/api/admin/merchants', { name }, adminAuth(app));
  expect(res.status, JSON.stringify(res.body)).to.equal(201);
  return res.body;
}

/** Menu 2 from pick-up: formal ID, PIN, then the payment-code menu. Leaves the call at the amount menu. */
export async function signInToBuy(app: TestApp, member: ActiveMember, pin: string, from?: string): Promise<TestCall> {
  const call = new TestCall(app, from);
  await call.dial();
  await call.press('2');
  await call.press(`${member.formalId}#`);
  await call.press(`${pin}#`);
  return call;
}

/**
 * From the amount menu: picks the amount by its key, the merchant (or # alone for any), hears the
 * price, confirms with 1, and returns the code as heard (read twice, the same both times).
 */
export async function buyOnCall(call: TestCall, amountKey: string, merchantId?: string): Promise<string> {
  // A code only one merchant takes: 9 and its number first; then the amount.
  if (merchantId) {
    await call.press('9');
    await call.press(`${merchantId}#`);
  }
  await call.press(amountKey);
  expect(call.gatherAction(), call.last.body).to.include('/twilio/voice/pay/confirm');
  await call.press('1');
  const numbers = call.heardNumbers();
  expect(numbers.length, call.last.body).to.be.at.least(2);
  expect(numbers[0]).to.match(/^\d{16}$/);
  expect(numbers[1]).to.equal(numbers[0]);
  return numbers[0]!;
}

/** A whole call that buys one code; for tests about the merchant API. */
export async function codeBoughtByPhone(app: TestApp, member: ActiveMember, pin: string, amountKey: string, merchantId?: string): Promise<string> {
  const call = await signInToBuy(app, member, pin);
  return buyOnCall(call, amountKey, merchantId);
}
