import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

/**
 * The shapes of CAMARA's Carrier Billing API (camaraproject/CarrierBillingCheckOut,
 * `code/API_definitions/carrier-billing.yaml` and `carrier-billing-refund.yaml`, Apache 2.0),
 * written from the specification's schemas for what dialpass sends and receives: every request
 * the operator stand-in gets and every answer it gives are checked against them, so neither side
 * drifts from the published spec.
 */
const E164 = '^\\+[1-9][0-9]{4,14}$';
const amount = { type: 'number', minimum: 0.001, multipleOf: 0.001 };
const chargingInformation = {
  type: 'object',
  required: ['amount', 'currency', 'description'],
  properties: { amount, currency: { type: 'string' }, description: { type: 'string' }, isTaxIncluded: { type: 'boolean' }, taxAmount: { type: 'number', minimum: 0 } },
};
const paymentAmount = {
  type: 'object',
  required: ['chargingInformation'],
  properties: {
    chargingInformation,
    chargingMetaData: {
      type: 'object',
      properties: { merchantName: { type: 'string' }, merchantIdentifier: { type: 'string' }, channel: { type: 'string' }, serviceId: { type: 'string' }, productId: { type: 'string' }, purchaseCategoryCode: { type: 'string' }, fee: { type: 'number' } },
    },
  },
};
const sinkCredential = {
  type: 'object',
  required: ['credentialType', 'accessToken', 'accessTokenExpiresUtc', 'accessTokenType'],
  properties: { credentialType: { const: 'ACCESSTOKEN' }, accessToken: { type: 'string' }, accessTokenExpiresUtc: { type: 'string', format: 'date-time' }, accessTokenType: { const: 'bearer' } },
};
const amountTransactionInput = {
  type: 'object',
  required: ['paymentAmount', 'referenceCode'],
  properties: { phoneNumber: { type: 'string', pattern: E164 }, clientCorrelator: { type: 'string' }, paymentAmount, referenceCode: { type: 'string' } },
};
const amountTransaction = {
  type: 'object',
  required: ['phoneNumber', 'paymentAmount', 'referenceCode'],
  properties: { ...amountTransactionInput.properties, resourceURL: { type: 'string' }, serverReferenceCode: { type: 'string' } },
};
const status = { enum: ['processing', 'pending_validation', 'denied', 'reserved', 'succeeded', 'cancelled'] };
const payment = {
  type: 'object',
  required: ['amountTransaction', 'paymentId', 'paymentStatus', 'paymentCreationDate'],
  properties: {
    paymentId: { type: 'string' },
    amountTransaction,
    paymentStatus: status,
    paymentCreationDate: { type: 'string', format: 'date-time' },
    paymentDate: { type: 'string', format: 'date-time' },
    sink: { type: 'string', pattern: '^https:\\/\\/.+$' },
    validationInfo: {
      type: 'object',
      required: ['action'],
      properties: { action: { enum: ['open', 'validate'] }, authorizationId: { type: 'string' }, validationURL: { type: 'string' } },
    },
  },
};
const errorInfo = { type: 'object', required: ['status', 'code', 'message'], properties: { status: { type: 'integer' }, code: { type: 'string' }, message: { type: 'string' } } };

export const CAMARA_SCHEMAS = {
  prepareRequest: {
    type: 'object',
    required: ['amountTransaction'],
    properties: { amountTransaction: amountTransactionInput, sink: { type: 'string', pattern: '^https:\\/\\/.+$' }, sinkCredential },
  },
  payment,
  paymentList: { type: 'array', items: payment },
  phoneNumber: { type: 'object', properties: { phoneNumber: { type: 'string', pattern: E164 } } },
  validateRequest: { type: 'object', required: ['authorizationId', 'code'], properties: { authorizationId: { type: 'string' }, code: { type: 'string' } } },
  refundRequest: {
    type: 'object',
    required: ['type', 'amountTransaction'],
    properties: {
      type: { enum: ['total', 'partial'] },
      reason: { type: 'string' },
      amountTransaction: { type: 'object', required: ['refundAmount', 'referenceCode'], properties: { clientCorrelator: { type: 'string' }, referenceCode: { type: 'string' }, refundAmount: { type: 'object' } } },
    },
  },
  refund: {
    type: 'object',
    required: ['refundId', 'refundStatus', 'refundCreationDate', 'type'],
    properties: { refundId: { type: 'string' }, refundStatus: { enum: ['processing', 'denied', 'succeeded'] }, refundCreationDate: { type: 'string', format: 'date-time' }, type: { enum: ['total', 'partial'] } },
  },
  errorInfo,
  cloudEvent: {
    type: 'object',
    required: ['id', 'source', 'specversion', 'type', 'time'],
    properties: {
      id: { type: 'string', minLength: 1 },
      source: { type: 'string', minLength: 1 },
      type: { type: 'string', minLength: 25 },
      specversion: { type: 'string', minLength: 3 },
      datacontenttype: { type: 'string' },
      time: { type: 'string', format: 'date-time' },
      data: { type: 'object', required: ['paymentId', 'status', 'description'], properties: { paymentId: { type: 'string' }, status: { enum: ['succeeded', 'failed'] }, description: { type: 'string' } } },
    },
  },
} as const;

const ajv = new Ajv2020({ allErrors: true, strict: false });
(addFormats as unknown as (a: Ajv2020) => void)(ajv);
const validators = Object.fromEntries(Object.entries(CAMARA_SCHEMAS).map(([name, schema]) => [name, ajv.compile(schema)])) as Record<keyof typeof CAMARA_SCHEMAS, ReturnType<typeof ajv.compile>>;

/** What a value breaks of a schema ([] when it fits). */
export function camaraProblems(schema: keyof typeof CAMARA_SCHEMAS, value: unknown): string[] {
  const validate = validators[schema];
  return validate(value) ? [] : (validate.errors ?? []).map((e) => `${schema}${e.instancePath}: ${e.message}`);
}

/** Every exchange with the operator stand-in checked against the spec: the request and the answer of each endpoint dialpass uses. */
export function exchangeProblems(exchanges: { method: string; path: string; request: unknown; status: number; response: unknown }[]): string[] {
  return exchanges.flatMap(({ method, path, request, status, response }) => {
    const where = `${method} ${path} → ${status}`;
    const problems: string[] = [];
    if (path.endsWith('/token')) return [];
    if (status >= 400) problems.push(...camaraProblems('errorInfo', response));
    else if (method === 'POST' && path.endsWith('/payments/prepare')) problems.push(...camaraProblems('prepareRequest', request), ...camaraProblems('payment', response));
    else if (method === 'POST' && /\/payments\/[^/]+\/(confirm|cancel)$/.test(path)) problems.push(...camaraProblems('phoneNumber', request));
    else if (method === 'POST' && path.endsWith('/validate')) problems.push(...camaraProblems('validateRequest', request));
    else if (method === 'POST' && path.endsWith('/refunds')) problems.push(...camaraProblems('refundRequest', request), ...camaraProblems('refund', response));
    else if (method === 'GET' && /\/payments\/[^/]+$/.test(path)) problems.push(...camaraProblems('payment', response));
    else if (method === 'GET' && path.endsWith('/payments')) problems.push(...camaraProblems('paymentList', response));
    return problems.map((p) => `${where}: ${p}`);
  });
}
