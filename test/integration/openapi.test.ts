import { expect } from 'chai';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { merchantApiRouter } from '../../src/payments/routes.ts';
import { merchantOpenApi } from '../../src/merchants/openapi.ts';
import { jsonRequest, startTestApp, type TestApp } from '../support/harness.ts';
import { activeMember } from '../support/member.ts';
import { codeBoughtByPhone, createMerchant, merchantAuth, merchantPost, type TestMerchant } from '../support/payments.ts';

type Spec = typeof merchantOpenApi;
type Operation = { parameters?: readonly { in: string; example?: unknown; schema: object }[]; requestBody?: { content: Record<string, { schema: object; example: unknown }> }; responses: Record<string, { content?: Record<string, { schema: object; example: unknown }> }> };

/** A validator for schemas of this document (its components resolvable by $ref). */
function validatorFor(spec: Spec) {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  (addFormats as unknown as (a: Ajv2020) => void)(ajv);
  ajv.addSchema({ $id: 'openapi.json', components: spec.components } as object);
  return (schema: object, value: unknown) => {
    const validate = ajv.compile(JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', '"openapi.json#/components/')));
    return validate(value) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
  };
}

const operations = (spec: Spec) =>
  Object.entries(spec.paths).flatMap(([path, methods]) => Object.entries(methods as Record<string, Operation>).map(([method, op]) => ({ path, method: method.toUpperCase(), op })));

describe('the merchant API in OpenAPI 3.1 (/openapi.json)', function () {
  this.timeout(120_000);
  let app: TestApp;
  let shop: TestMerchant;
  const spec = merchantOpenApi;
  const validate = validatorFor(spec);

  before(async () => {
    app = await startTestApp({ CODE_DENOMINATIONS: '500,1000' });
    shop = await createMerchant(app, 'Spec Shop');
  });
  after(() => app.close());

  it('is served as JSON and says it is OpenAPI 3.1', async () => {
    const res = await jsonRequest(app, 'GET', '/openapi.json');
    expect(res.status).to.equal(200);
    expect(res.body).to.deep.equal(JSON.parse(JSON.stringify(spec)));
    expect(res.body.openapi).to.match(/^3\.1\./);
  });

  it('describes every route the merchant router answers, and no other', () => {
    const router = merchantApiRouter({ config: app.config, redis: app.redis, now: () => app.clock.now });
    const routes = router.stack
      .filter((layer) => layer.route)
      .flatMap((layer) => Object.keys((layer.route as unknown as { methods: Record<string, boolean> }).methods).map((m) => `${m.toUpperCase()} ${layer.route!.path}`));
    const described = operations(spec).map(({ method, path }) => `${method} ${path.replace(/\{(\w+)\}/g, ':$1')}`);
    expect(described.sort()).to.deep.equal(routes.sort());
  });

  it('every example validates against its schema', () => {
    let checked = 0;
    for (const { method, path, op } of operations(spec)) {
      const where = `${method} ${path}`;
      for (const p of op.parameters ?? []) {
        if (p.example === undefined) continue;
        expect(validate(p.schema, p.example), `${where} parameter`).to.deep.equal([]);
        checked++;
      }
      for (const media of Object.values(op.requestBody?.content ?? {})) {
        expect(validate(media.schema, media.example), `${where} request`).to.deep.equal([]);
        checked++;
      }
      for (const [status, response] of Object.entries(op.responses)) {
        for (const media of Object.values(response.content ?? {})) {
          expect(media.example, `${where} ${status} has an example`).to.not.equal(undefined);
          expect(validate(media.schema, media.example), `${where} ${status}`).to.deep.equal([]);
          checked++;
        }
      }
    }
    expect(checked).to.be.greaterThan(30);
  });

  it("the app's real answers, successes and errors, fit the described schema for their status", async () => {
    const schemaFor = (method: string, path: string, status: number) => {
      const op = (spec.paths as Record<string, Record<string, Operation>>)[path]![method.toLowerCase()]!;
      const response = op.responses[String(status)];
      expect(response, `${method} ${path} does not describe ${status}`).to.not.equal(undefined);
      return response!.content!['application/json']!.schema;
    };
    const seen: string[] = [];
    const check = async (method: string, template: string, url: string, body?: unknown, headers: Record<string, string> = merchantAuth(shop)) => {
      const res = await jsonRequest(app, method, `/api/merchant${url}`, body, headers);
      expect(validate(schemaFor(method, template, res.status), res.body), `${method} ${url} → ${res.status} ${JSON.stringify(res.body)}`).to.deep.equal([]);
      seen.push(`${method} ${template} ${res.status}`);
      return res;
    };
    const member = await activeMember(app, { pin: '7531' });
    const code = await codeBoughtByPhone(app, member, '7531', '2');

    await check('GET', '/codes/{code}', `/codes/${code}`);
    await check('GET', '/codes/{code}', '/codes/1234567890123456');
    const redeemed = await check('POST', '/redemptions', '/redemptions', { code, amount: 400, orderId: 'S-1' }, merchantPost(shop));
    await check('POST', '/redemptions', '/redemptions', { code, amount: 4000 }, merchantPost(shop));
    await check('POST', '/redemptions', '/redemptions', { code, amount: -1 }, merchantPost(shop));
    await check('POST', '/redemptions', '/redemptions', { code, amount: 1 });
    await check('POST', '/redemptions', '/redemptions', { code, amount: 1 }, { Authorization: 'Bearer nope', 'Idempotency-Key': 'k' });
    await check('POST', '/redemptions/{redemptionId}/void', `/redemptions/${redeemed.body.redemptionId}/void`, undefined, merchantPost(shop));
    await check('POST', '/redemptions/{redemptionId}/void', '/redemptions/rd_0000000000000000000000/void', undefined, merchantPost(shop));
    const created = await check('POST', '/payment-requests', '/payment-requests', { amount: 900, description: 'Spec lunch', orderId: 'S-2' }, merchantPost(shop));
    await check('POST', '/payment-requests', '/payment-requests', { amount: 900 }, merchantPost(shop));
    await check('GET', '/payment-requests/{id}', `/payment-requests/${created.body.id}`);
    await check('GET', '/payment-requests/{id}', '/payment-requests/pr_nope');
    await check('GET', '/webhook-deliveries', '/webhook-deliveries?limit=5');
    await check('GET', '/webhook-deliveries', '/webhook-deliveries?limit=500');
    await check('POST', '/webhook-deliveries/{eventId}/retry', '/webhook-deliveries/evt_unknown/retry');
    await check('GET', '/settlement', '/settlement');
    expect(seen).to.include.members(['GET /codes/{code} 200', 'POST /redemptions 201', 'POST /redemptions 409', 'POST /redemptions 422', 'POST /redemptions 400', 'POST /redemptions 401', 'POST /redemptions/{redemptionId}/void 200', 'POST /payment-requests 201', 'GET /settlement 200']);
  });
});
