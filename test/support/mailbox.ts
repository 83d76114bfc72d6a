import type { AddressInfo } from 'node:net';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  to: string;
  subject: string;
  text: string;
}

/**
 * A real SMTP receiver on loopback, in this process (the `smtp-server` package): the app sends to
 * it through nodemailer exactly as it would to a mail provider (SMTP_URL=smtp://127.0.0.1:<port>).
 * `next()` waits, event-driven, for the next mail to arrive.
 */
export class Mailbox {
  private readonly received: ReceivedMail[] = [];
  private readonly waiting: ((mail: ReceivedMail) => void)[] = [];
  private server: SMTPServer;
  port = 0;

  constructor() {
    this.server = new SMTPServer({
      authOptional: true,
      // No TLS on loopback: the test server offers no STARTTLS, as a local relay would not.
      disabledCommands: ['STARTTLS'],
      logger: false,
      onData: (stream, session, callback) => {
        simpleParser(stream).then(
          (parsed) => {
            const mail = { to: session.envelope.rcptTo.map((r) => r.address).join(','), subject: parsed.subject ?? '', text: parsed.text ?? '' };
            const waiter = this.waiting.shift();
            if (waiter) waiter(mail);
            else this.received.push(mail);
            callback();
          },
          (error: Error) => callback(error),
        );
      },
    });
  }

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.server.address() as AddressInfo).port;
    return `smtp://127.0.0.1:${this.port}`;
  }

  /** The next mail (already received, or the next to arrive), within `timeoutMs`. */
  next(timeoutMs = 30_000): Promise<ReceivedMail> {
    const mail = this.received.shift();
    if (mail) return Promise.resolve(mail);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no mail arrived within ${timeoutMs} ms`)), timeoutMs);
      this.waiting.push((m) => {
        clearTimeout(timer);
        resolve(m);
      });
    });
  }

  /** Mails received and not yet taken. */
  get pending(): number {
    return this.received.length;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
