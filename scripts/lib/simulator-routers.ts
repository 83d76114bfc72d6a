import type { ExtraRouter } from '../../src/app.ts';
import type { Config } from '../../src/config.ts';
import type { Logger } from '../../src/logger.ts';
import { simulatorRouter } from '../../simulator/routes.ts';

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
    reportError: (err, path) => logger.error({ err, path }, 'unhandled simulator error'),
  });
  return [{ path: '/simulator', router, jsonApi: '/simulator/api' }];
}
