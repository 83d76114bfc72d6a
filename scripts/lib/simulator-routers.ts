import type { ExtraRouter } from '../../src/app.ts';
import type { Config } from '../../src/config.ts';
import type { Logger } from '../../src/logger.ts';
import { simulatorRouter } from '../../simulator/routes.ts';

/**
 * The Pay Connector the simulated Twilio account has: with CARD_PROCESSOR=stripe and a Stripe API
 * of our own (STRIPE_API_URL, a stand-in), a Stripe connector there, as Twilio's would tokenize.
 */
export function payConnectorsFor(config: Config) {
  const stripe = config.charging.stripe;
  return config.charging.cardProcessor === 'stripe' && stripe?.apiUrl ? { [config.payConnector]: { stripe: { url: stripe.apiUrl, secretKey: stripe.secretKey } } } : undefined;
}

/**
 * The browser call simulator at /simulator, when SIMULATOR_ENABLED: the server mounts it beside
 * the app (src/ never imports simulator/). It is told only the app's public face: the base URL it
 * signs for, the Twilio auth token, the number to dial and the default page language.
 */
export function simulatorRouters(config: Config, logger: Logger): ExtraRouter[] {
  if (!config.simulatorEnabled) return [];
  const router = simulatorRouter({
    publicBaseUrl: config.publicBaseUrl,
    authToken: config.twilio.authToken,
    servicePhoneNumber: config.servicePhoneNumber,
    defaultLang: config.defaultLocale === 'en-US' ? 'en' : 'ja',
    payConnectors: payConnectorsFor(config),
    reportError: (err, path) => logger.error({ err, path }, 'unhandled simulator error'),
  });
  return [{ path: '/simulator', router, jsonApi: '/simulator/api' }];
}
