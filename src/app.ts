import cookieParser from 'cookie-parser';
import express, { type ErrorRequestHandler, type Express, type RequestHandler } from 'express';
import helmet from 'helmet';
import type { Config } from './config.ts';
import type { Logger } from './logger.ts';
import type { RedisClient } from './store/redis.ts';
import type { VoiceFlows } from './voice/prompts.ts';
import { jsonErrorHandler, jsonNotFound, jsonRequest } from './http/errors.ts';
import { methodNotAllowed } from './http/method-not-allowed.ts';
import { voiceRouter } from './voice/routes.ts';
import { twilioSignatureCheck } from './voice/signature.ts';
import { rejectMalformedApiPaths, rejectMalformedPagePaths } from './http/malformed-path.ts';
import { registrationApiRouter, registrationPagesRouter } from './registration/routes.ts';
import { accountPagesRouter, accountsApiRouter, loadMember } from './accounts/routes.ts';
import { errorPage, homeRouter, notFoundPage } from './web/home.ts';
import { pickLang } from './web/lang.ts';
import { MESSAGES, missingWebTranslations } from './web/messages.ts';
import { missingApiTranslations } from './http/api-text.ts';
import { missingCatalogueTranslations } from './web/catalogue.ts';
import { healthCheck } from './health.ts';
import { carrierEventsRouter } from './charging/carrier-events.ts';
import { requireSameOriginForms } from './web/same-origin.ts';
import { adminApiRouter } from './merchants/routes.ts';
import { merchantApiRouter } from './payments/routes.ts';
import { smsSender, type SmsSender } from './payments/sms.ts';
import { createMailer } from './accounts/mailer.ts';
import { adminConsoleRouter } from './admin/routes.ts';
import { merchantDashboardRouter } from './merchant-dashboard/dashboard-routes.ts';
import { merchantOpenApi } from './merchants/openapi.ts';
import { logActivityFailuresTo } from './observability/activity.ts';
import { requestLogFields } from './http/request-context.ts';
import { redisErrors, timeRequests } from './observability/metrics.ts';
import { metricsEndpoint } from './observability/metrics-route.ts';
import { checkMetricsToken } from './web/sign-in-limit.ts';

export interface AppDeps {
  config: Config;
  redis: RedisClient;
  logger: Logger;
  flows: VoiceFlows;
  /** The clock; tests move it to see access expire. */
  now?: () => number;
  /** Sends payment codes by SMS; default: Twilio when configured, else none. Tests inject a fake. */
  sms?: SmsSender;
  /**
   * Routers the server mounts beside the product's pages (npm start and the tests add the call
   * simulator at /simulator when SIMULATOR_ENABLED), after the page headers and cookies, before
   * the forms' same-origin check. A `jsonApi` path under it answers a broken path in JSON.
   */
  extraRouters?: ExtraRouter[];
}

export interface ExtraRouter {
  path: string;
  router: RequestHandler;
  jsonApi?: string;
}

const ASSETS_DIR = new URL('./web/assets/', import.meta.url).pathname;

/** Builds the whole HTTP app from its dependencies; server.ts only wires and listens. */
export function createApp(appDeps: AppDeps): Express {
  const { config, logger } = appDeps;
  // The voice text is checked when voice-flows/ is loaded; the web and API text here.
  const untranslated = [...missingWebTranslations(), ...missingApiTranslations(), ...missingCatalogueTranslations()];
  if (untranslated.length > 0) throw new Error(`text without a translation: ${untranslated.join(', ')}`);
  const deps = { ...appDeps, now: appDeps.now ?? Date.now, sms: smsSender(config, logger, appDeps.sms), mailer: createMailer(config, logger) };
  const app = express();
  logActivityFailuresTo(deps.redis, logger);
  deps.redis.on('error', () => redisErrors.inc({ where: 'connection' }));
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  // No ETag on dynamic answers: they are POSTs (TwiML, API writes), `no-store` JSON or a member's
  // own page, so no client ever revalidates them, and Express would hash every body (SHA-1) to
  // make one. /assets keeps its ETags (express.static makes its own).
  app.set('etag', false);

  const badPathPage: RequestHandler = (req, res) => {
    const lang = pickLang(req, res, config.defaultLocale);
    res.status(400).send(errorPage(lang, MESSAGES[lang].badAddress));
  };
  // Request ID and timing in one layer (every layer a request passes costs it time).
  app.use(timeRequests(logger));
  const extraRouters = appDeps.extraRouters ?? [];
  app.use(
    rejectMalformedApiPaths({
      signedByTwilio: twilioSignatureCheck(config.twilio.authToken, config.publicBaseUrl),
      jsonApiPaths: ['/api', ...extraRouters.flatMap((extra) => (extra.jsonApi ? [extra.jsonApi] : []))],
    }),
  );
  // The hot paths first (every layer a request passes costs it time): Twilio's webhooks, then the
  // JSON API, which needs no CSP or asset handling; merchant calls need no cookies or session
  // lookup, only what the member routes ask for. Merchant calls are mounted on the app itself,
  // one router deep, with their own JSON error handler; a path they do not answer falls through
  // to /api's not-found answer.
  app.use('/twilio', voiceRouter(deps, logger));
  const jsonBody = jsonRequest(express.json({ limit: '16kb' }));
  app.use('/api/merchant', jsonBody, merchantApiRouter(deps), jsonErrorHandler(logger));
  app.get('/healthz', healthCheck(deps.redis, deps.config.charging));
  // The mobile operator's payment notifications (carrier-billing with CARRIER_BILLING_SINK_TOKEN).
  if (config.charging.carrierBilling?.sinkToken) app.use(carrierEventsRouter(deps));
  app.get('/openapi.json', (_req, res) => void res.json(merchantOpenApi));
  // With METRICS_PORT the metrics are served there (server.ts), not here.
  const metricsToken = config.metrics.token;
  if (metricsToken && !config.metrics.port) app.get('/metrics', metricsEndpoint((given, address) => checkMetricsToken(deps.redis, metricsToken, given, address)));
  else app.get('/metrics', (_req, res) => void res.status(404).type('text/plain').send(config.metrics.port ? `Metrics are served on port ${config.metrics.port}.\n` : 'Metrics are off: set METRICS_TOKEN (or METRICS_PORT) to serve them.\n'));
  const api = express.Router();
  api.use(jsonBody);
  api.use('/admin', adminApiRouter(deps));
  // Member calls (login, logout, PIN) refuse cross-site browser requests, as the forms do.
  api.use(requireSameOriginForms(config.publicBaseUrl, 'json'), cookieParser(config.sessionSecret), loadMember(deps));
  api.use(registrationApiRouter(deps));
  api.use(accountsApiRouter(deps));
  api.use(methodNotAllowed(merchantOpenApi));
  api.use(jsonNotFound);
  api.use(jsonErrorHandler(logger));
  app.use('/api', api);

  // Referrer-Policy same-origin (not helmet's no-referrer): with no-referrer, Chromium sends
  // `Origin: null` on our own form posts and requireSameOriginForms refuses them.
  app.use(helmet({ contentSecurityPolicy: { directives: { 'upgrade-insecure-requests': null } }, referrerPolicy: { policy: 'same-origin' }, strictTransportSecurity: config.publicBaseUrl.startsWith('https://') }));
  app.use(rejectMalformedPagePaths(badPathPage));
  app.use('/assets', express.static(ASSETS_DIR, { maxAge: '1h', index: false }));
  app.use(cookieParser(config.sessionSecret));
  app.use(loadMember(deps));

  for (const extra of extraRouters) app.use(extra.path, extra.router);

  app.use(requireSameOriginForms(config.publicBaseUrl));
  app.use(express.urlencoded({ extended: false, limit: '16kb', parameterLimit: 50 }));
  app.use(homeRouter(config));
  app.use(registrationPagesRouter(deps));
  app.use(accountPagesRouter(deps));
  app.use(adminConsoleRouter(deps));
  app.use(merchantDashboardRouter(deps));
  app.use((req, res) => {
    res.status(404).send(notFoundPage(pickLang(req, res, config.defaultLocale)));
  });
  const htmlErrors: ErrorRequestHandler = (error, req, res, _next) => {
    const status = (error as { status?: number }).status;
    const lang = pickLang(req, res, config.defaultLocale);
    if (status && status >= 400 && status < 500) {
      res.status(status).send(errorPage(lang, MESSAGES[lang].checkWhatYouSent));
      return;
    }
    logger.error({ ...requestLogFields(req, res), err: error, path: req.path }, 'unhandled page error');
    res.status(500).send(errorPage(lang, MESSAGES[lang].somethingWentWrong));
  };
  app.use(htmlErrors);
  return app;
}
