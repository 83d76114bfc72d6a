import nodemailer, { type Transporter } from 'nodemailer';
import type { Config } from '../config.ts';
import type { Logger } from '../logger.ts';

export interface Mail {
  to: string;
  subject: string;
  text: string;
}

/** Sends e-mail. Resolves true once the mail server took the message (or the log did), false when it could not. */
export interface Mailer {
  /** What members are told: `smtp` and `console` send, `none` (production without SMTP_URL) does not. */
  readonly transport: Config['mail']['transport'];
  send(mail: Mail): Promise<boolean>;
}

/** How long one delivery to the mail server may take: a hung server must not hold a request. */
const SMTP_TIMEOUT_MS = 15_000;

/**
 * E-mail through nodemailer: SMTP to SMTP_URL (the tests run an in-process SMTP receiver on
 * loopback, `smtp-server`), or, with no SMTP_URL outside production, printed to the app's log so
 * `npm start` needs nothing else. nodemailer rather than our own SMTP client: STARTTLS, AUTH
 * methods, MIME encoding of Japanese text and dot-stuffing are its well-tested work.
 */
export function createMailer(config: Config, logger: Logger): Mailer {
  const { transport, smtpUrl, from } = config.mail;
  if (transport === 'none') return { transport, send: async () => false };
  if (transport === 'console') {
    return {
      transport,
      async send(mail) {
        logger.info({ mail: { from, ...mail } }, `mail (printed, not sent: SMTP_URL is empty): ${mail.subject}`);
        return true;
      },
    };
  }
  const url = new URL(smtpUrl!);
  const smtp: Transporter = nodemailer.createTransport({
    host: url.hostname,
    port: Number(url.port) || (url.protocol === 'smtps:' ? 465 : 587),
    secure: url.protocol === 'smtps:',
    auth: url.username ? { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) } : undefined,
    connectionTimeout: SMTP_TIMEOUT_MS,
    greetingTimeout: SMTP_TIMEOUT_MS,
    socketTimeout: SMTP_TIMEOUT_MS,
  });
  return {
    transport,
    async send(mail) {
      try {
        await smtp.sendMail({ from, to: mail.to, subject: mail.subject, text: mail.text });
        return true;
      } catch (error) {
        logger.warn({ err: error }, 'could not send an e-mail');
        return false;
      }
    },
  };
}
