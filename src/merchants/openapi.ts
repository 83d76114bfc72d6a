/**
 * The merchant API described in OpenAPI 3.1, served at GET /openapi.json. Written by hand next to
 * the routes (routes.ts); test/integration/openapi.test.ts holds it to them: every route is
 * described, every example validates against its schema, and the app's real answers do too.
 */
const isoTime = { type: 'string', format: 'date-time' } as const;
const amount = { type: 'integer', minimum: 1, maximum: 1_000_000_000, description: 'In the smallest unit of the currency (yen for JPY)' } as const;

const errorResponse = (description: string, code: string, message: string) => ({
  description,
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' }, example: { error: { code, message } } } },
});

const idempotencyKey = {
  name: 'Idempotency-Key',
  in: 'header',
  required: true,
  description: 'Required on every money-moving POST. The same key with the same body returns the first answer again (with `Idempotent-Replayed: true`); with another body it is 422.',
  schema: { type: 'string', minLength: 1, maxLength: 255 },
  example: '6f1c2a8e-1d7b-4f0e-9a51-0c1f3f1b7a10',
} as const;

const unauthorized = errorResponse('No valid API key', 'invalid_api_key', 'Send a valid merchant API key as "Authorization: Bearer <apiKey>".');
const invalidInput = errorResponse('The body does not fit the schema', 'invalid_input', 'Please check: amount must be positive.');
const noKey = errorResponse('No Idempotency-Key', 'idempotency_key_required', 'Send an Idempotency-Key header (1 to 255 characters, e.g. a UUID) so this request can be retried safely.');

const redemption = { redemptionId: 'rd_V1StGXR8_Z5jdHi6B-myTg', amount: 400, currency: 'JPY', remaining: 600 };
const paymentRequest = {
  id: 'pr_48213570V1StGXR8_Z5jdH',
  number: '52814736',
  status: 'pending',
  amount: 1200,
  currency: 'JPY',
  description: 'Ramen set',
  orderId: 'A-1001',
  createdAt: '2026-12-10T01:00:00.000Z',
  expiresAt: '2026-12-10T01:15:00.000Z',
};
const delivery = {
  eventId: 'evt_3JqZk5hX2m0b9YwVt7LpQa',
  type: 'redemption.created',
  createdAt: '2026-12-10T01:02:00.000Z',
  status: 'failed',
  attempts: 8,
  lastAttemptAt: '2026-12-11T01:02:00.000Z',
  lastResponseStatus: 500,
  lastError: 'answered 500',
  nextAttemptAt: null,
};

export const merchantOpenApi = {
  openapi: '3.1.0',
  info: {
    title: 'dialpass merchant API',
    version: '1.0.0',
    description:
      'Redeem one-time payment codes that members buy by phone, and ask members to approve payments by phone. Amounts are integers in the smallest unit of the currency. Errors are `{"error": {"code", "message"}}`. Webhooks are described in docs/MERCHANT-API.md.',
  },
  servers: [{ url: '/api/merchant' }],
  security: [{ apiKey: [] }],
  paths: {
    '/codes/{code}': {
      get: {
        operationId: 'checkCode',
        summary: "A payment code's balance (rate-limited per merchant)",
        parameters: [{ name: 'code', in: 'path', required: true, schema: { type: 'string', maxLength: 40 }, example: '1234 5678 9012 3452' }],
        responses: {
          '200': {
            description: 'The balance',
            content: {
              'application/json': {
                schema: { $ref: '#/components/schemas/CodeBalance' },
                example: { amount: 1000, remaining: 600, currency: 'JPY', expiresAt: '2027-03-10T01:00:00.000Z', status: 'active' },
              },
            },
          },
          '401': unauthorized,
          '403': errorResponse('Restricted to another merchant', 'wrong_merchant', 'This code can only be used at another merchant.'),
          '404': errorResponse('No such code', 'unknown_code', 'There is no such payment code.'),
          '422': errorResponse('Not a well-formed code (check digit)', 'invalid_code', 'This is not a valid payment code: please check the digits.'),
          '429': errorResponse('Too many checks', 'rate_limited', 'Too many code checks; try again shortly.'),
        },
      },
    },
    '/redemptions': {
      post: {
        operationId: 'redeemCode',
        summary: 'Spend an amount from a payment code',
        parameters: [idempotencyKey],
        requestBody: {
          required: true,
          content: { 'application/json': { schema: { $ref: '#/components/schemas/RedemptionInput' }, example: { code: '1234567890123452', amount: 400, orderId: 'A-1001' } } },
        },
        responses: {
          '201': { description: 'Redeemed', content: { 'application/json': { schema: { $ref: '#/components/schemas/Redemption' }, example: redemption } } },
          '400': noKey,
          '401': unauthorized,
          '403': errorResponse('Restricted to another merchant', 'wrong_merchant', 'This code can only be used at another merchant.'),
          '404': errorResponse('No such code', 'unknown_code', 'There is no such payment code.'),
          '409': errorResponse('Not enough left, or spent', 'insufficient_balance', 'Only 600 is left on this payment code.'),
          '410': errorResponse('Expired', 'expired', 'This payment code has expired.'),
          '422': invalidInput,
          '429': errorResponse('Too many failed attempts', 'rate_limited', 'Too many failed attempts; try again later.'),
        },
      },
    },
    '/redemptions/{redemptionId}/void': {
      post: {
        operationId: 'voidRedemption',
        summary: 'Put a redemption back on its code (within VOID_WINDOW_HOURS)',
        parameters: [{ name: 'redemptionId', in: 'path', required: true, schema: { type: 'string', pattern: '^rd_[A-Za-z0-9_-]{22}$' }, example: redemption.redemptionId }, idempotencyKey],
        responses: {
          '200': { description: 'Voided', content: { 'application/json': { schema: { $ref: '#/components/schemas/VoidedRedemption' }, example: { ...redemption, status: 'voided', amount: 400, remaining: 1000 } } } },
          '400': noKey,
          '401': unauthorized,
          '404': errorResponse('No such redemption of this merchant', 'unknown_redemption', 'There is no such redemption.'),
          '409': errorResponse('Past the void window', 'void_window_passed', 'A redemption can only be voided within 24 hours.'),
          '422': errorResponse('The Idempotency-Key was used with another request', 'idempotency_key_reused', 'This Idempotency-Key was used with a different request.'),
        },
      },
    },
    '/payment-requests': {
      post: {
        operationId: 'createPaymentRequest',
        summary: 'Ask a member to approve a payment by phone (they key the number in menu 3)',
        parameters: [idempotencyKey],
        requestBody: {
          required: true,
          content: { 'application/json': { schema: { $ref: '#/components/schemas/PaymentRequestInput' }, example: { amount: 1200, description: 'Ramen set', orderId: 'A-1001' } } },
        },
        responses: {
          '201': { description: 'Created, pending', content: { 'application/json': { schema: { $ref: '#/components/schemas/PaymentRequest' }, example: paymentRequest } } },
          '400': noKey,
          '401': unauthorized,
          '422': {
            ...invalidInput,
            description:
              'The body does not fit the schema (invalid_input); or, where members pay requests on their phone bill (CHARGE_METHOD_APPROVALS=premium-rate), no premium-rate number bills this amount (amount_not_payable)',
          },
        },
      },
    },
    '/payment-requests/{id}': {
      get: {
        operationId: 'getPaymentRequest',
        summary: 'A payment request and its status',
        parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' }, example: paymentRequest.id }],
        responses: {
          '200': {
            description: 'The request',
            content: { 'application/json': { schema: { $ref: '#/components/schemas/PaymentRequest' }, example: { ...paymentRequest, status: 'approved', decidedAt: '2026-12-10T01:03:00.000Z' } } },
          },
          '401': unauthorized,
          '404': errorResponse('No such request of this merchant', 'unknown_payment_request', 'There is no such payment request.'),
        },
      },
    },
    '/webhook-deliveries': {
      get: {
        operationId: 'listWebhookDeliveries',
        summary: 'Webhook deliveries, newest first',
        parameters: [
          { name: 'cursor', in: 'query', required: false, schema: { type: 'string', pattern: '^\\d{1,15}$' }, description: "The previous page's nextCursor" },
          { name: 'limit', in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: 100, default: 20 } },
        ],
        responses: {
          '200': {
            description: 'A page',
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  required: ['deliveries', 'nextCursor'],
                  additionalProperties: false,
                  properties: { deliveries: { type: 'array', items: { $ref: '#/components/schemas/Delivery' } }, nextCursor: { type: ['string', 'null'] } },
                },
                example: { deliveries: [delivery], nextCursor: null },
              },
            },
          },
          '401': unauthorized,
          '422': errorResponse('A bad cursor or limit', 'invalid_input', 'limit must be a whole number from 1 to 100.'),
        },
      },
    },
    '/webhook-deliveries/{eventId}/retry': {
      post: {
        operationId: 'retryWebhookDelivery',
        summary: 'One more attempt at a delivered or failed event, now',
        parameters: [{ name: 'eventId', in: 'path', required: true, schema: { type: 'string' }, example: delivery.eventId }],
        responses: {
          '202': { description: 'Scheduled now', content: { 'application/json': { schema: { $ref: '#/components/schemas/Delivery' }, example: { ...delivery, status: 'pending', nextAttemptAt: '2026-12-11T02:00:00.000Z' } } } },
          '401': unauthorized,
          '404': errorResponse('No such event', 'unknown_event', 'There is no such webhook event.'),
          '409': errorResponse('Still being delivered', 'delivery_pending', 'This event is still being delivered; its next attempt is scheduled.'),
        },
      },
    },
    '/settlement': {
      get: {
        operationId: 'getSettlement',
        summary: 'What the merchant is owed, per calendar day (TIME_ZONE)',
        responses: {
          '200': {
            description: 'Per day, oldest first',
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  required: ['merchantId', 'currency', 'days'],
                  additionalProperties: false,
                  properties: { merchantId: { type: 'string', pattern: '^\\d{8}$' }, currency: { type: 'string' }, days: { type: 'array', items: { $ref: '#/components/schemas/SettlementDay' } } },
                },
                example: { merchantId: '48213570', currency: 'JPY', days: [{ date: '2026-12-10', redemptions: 2, redeemed: 500, approvals: 1, approved: 1200, voided: 100, adjustments: 0, net: 1600 }] },
              },
            },
          },
          '401': unauthorized,
        },
      },
    },
  },
  components: {
    securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'The API key from the operator: `dpk_<merchantId>_<secret>`' } },
    schemas: {
      Error: {
        type: 'object',
        required: ['error'],
        additionalProperties: false,
        properties: { error: { type: 'object', required: ['code', 'message'], additionalProperties: false, properties: { code: { type: 'string' }, message: { type: 'string' } } } },
      },
      CodeBalance: {
        type: 'object',
        required: ['amount', 'remaining', 'currency', 'expiresAt', 'status'],
        additionalProperties: false,
        properties: { amount, remaining: { type: 'integer', minimum: 0 }, currency: { type: 'string' }, expiresAt: isoTime, status: { enum: ['active', 'redeemed', 'expired'] } },
      },
      RedemptionInput: {
        type: 'object',
        required: ['code', 'amount'],
        properties: { code: { type: 'string', maxLength: 40, description: '16 digits, optionally grouped with spaces or hyphens' }, amount, orderId: { type: 'string', minLength: 1, maxLength: 100 } },
      },
      Redemption: {
        type: 'object',
        required: ['redemptionId', 'amount', 'currency', 'remaining'],
        additionalProperties: false,
        properties: { redemptionId: { type: 'string', pattern: '^rd_[A-Za-z0-9_-]{22}$' }, amount, currency: { type: 'string' }, remaining: { type: 'integer', minimum: 0 } },
      },
      VoidedRedemption: {
        type: 'object',
        required: ['redemptionId', 'status', 'amount', 'currency', 'remaining'],
        additionalProperties: false,
        properties: { redemptionId: { type: 'string' }, status: { const: 'voided' }, amount, currency: { type: 'string' }, remaining: { type: 'integer', minimum: 0 } },
      },
      PaymentRequestInput: {
        type: 'object',
        required: ['amount', 'description'],
        properties: {
          amount,
          description: { type: 'string', minLength: 1, maxLength: 140, description: 'Read to the member in the call' },
          orderId: { type: 'string', minLength: 1, maxLength: 100 },
          webhookUrl: { type: 'string', format: 'uri', maxLength: 500, description: "This request's events go here instead of the merchant's webhook URL" },
        },
      },
      PaymentRequest: {
        type: 'object',
        required: ['id', 'number', 'status', 'amount', 'currency', 'description', 'createdAt', 'expiresAt'],
        additionalProperties: false,
        properties: {
          id: { type: 'string', pattern: '^pr_\\d{8}[A-Za-z0-9_-]{14}$' },
          number: { type: 'string', pattern: '^\\d{8}$', description: 'What the member keys in the call' },
          status: { enum: ['pending', 'approved', 'declined', 'expired'] },
          amount,
          currency: { type: 'string' },
          description: { type: 'string' },
          orderId: { type: 'string' },
          createdAt: isoTime,
          expiresAt: isoTime,
          decidedAt: isoTime,
        },
      },
      Delivery: {
        type: 'object',
        required: ['eventId', 'type', 'createdAt', 'status', 'attempts', 'lastAttemptAt', 'lastResponseStatus', 'lastError', 'nextAttemptAt'],
        additionalProperties: false,
        properties: {
          eventId: { type: 'string', pattern: '^evt_' },
          type: { enum: ['payment_request.approved', 'payment_request.declined', 'payment_request.expired', 'redemption.created', 'redemption.voided'] },
          createdAt: isoTime,
          status: { enum: ['pending', 'delivered', 'failed'] },
          attempts: { type: 'integer', minimum: 0 },
          lastAttemptAt: { type: ['string', 'null'], format: 'date-time' },
          lastResponseStatus: { type: ['integer', 'null'] },
          lastError: { type: ['string', 'null'] },
          nextAttemptAt: { type: ['string', 'null'], format: 'date-time' },
        },
      },
      SettlementDay: {
        type: 'object',
        required: ['date', 'redemptions', 'redeemed', 'approvals', 'approved', 'voided', 'adjustments', 'net'],
        additionalProperties: false,
        properties: { date: { type: 'string', format: 'date' }, redemptions: { type: 'integer', minimum: 0 }, redeemed: { type: 'integer', minimum: 0 }, approvals: { type: 'integer', minimum: 0, description: 'payment requests members approved by phone on this day' }, approved: { type: 'integer', minimum: 0, description: 'their amounts: charged to the members, owed to you' }, voided: { type: 'integer', minimum: 0, description: 'voided on the redemption’s own day, while it was open' }, adjustments: { type: 'integer', minimum: 0, description: 'taken off on this day for voids of redemptions of earlier, closed days' }, net: { type: 'integer', description: 'what you are owed for the day: redeemed + approved − voided − adjustments' } },
      },
    },
  },
} as const;
