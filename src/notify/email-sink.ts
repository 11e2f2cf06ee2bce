/**
 * E-mail over SMTP (nodemailer): one plain-text message per deliver, to every address in `to`.
 * smtp://host[:port] (default 587) upgrades with STARTTLS when the server offers it; smtps://
 * (default 465) is TLS from the start. The subject is `[Cairn] <SEVERITY> <kind>: <summary>`,
 * prefixed ACK:/RESOLVED:/ESCALATED: for those events, and every event of one incident carries
 * the same References header so mail clients thread them. Failures: a 4xx reply or no working
 * connection (refused, reset, timed out, DNS) is transient; a 5xx reply (refused recipient,
 * failed login) is permanent. The password never appears in the name or an error.
 */
import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import { createTransport } from 'nodemailer';
import { CairnError } from '../errors/index.js';
import type { AlertCategory } from '../policy/index.js';
import type { Alert, AlertSink } from './alert.js';
import { detailText, eventPrefix, oneLine } from './alert-text.js';
import { acceptsFor } from './sink-filter.js';

export interface EmailSinkOptions {
  /** smtp://host[:port] or smtps://host[:port]; no credentials in it. */
  readonly smtp: string;
  readonly to: readonly string[];
  /** Default "cairn@<this host's name>". */
  readonly from?: string;
  readonly user?: string;
  readonly password?: string;
  /** Connection, greeting and socket timeouts; default 10000. */
  readonly timeoutMs?: number;
  /** The policy's `for:`; absent = every alert. */
  readonly for?: readonly AlertCategory[];
}

type Transporter = ReturnType<typeof createTransport>;

/** Errors without an SMTP reply that another attempt may get past. */
const TRANSIENT_CODES = new Set(['ECONNECTION', 'ETIMEDOUT', 'ESOCKET', 'EDNS', 'ECONNREFUSED', 'ECONNRESET']);

export class EmailSink implements AlertSink {
  readonly name: string;
  readonly accepts?: (alert: Alert) => boolean;
  readonly #transport: Transporter;
  readonly #from: string;
  readonly #to: readonly string[];
  readonly #secrets: readonly string[];

  constructor(options: EmailSinkOptions) {
    const { host, port, secure } = parseSmtpUrl(options.smtp);
    if (options.to.length === 0)
      throw new CairnError('CAIRN_E_USAGE', 'an e-mail alert sink needs at least one `to` address');
    this.name = `email ${secure ? 'smtps' : 'smtp'}://${host}:${port}`;
    this.#from = options.from ?? `cairn@${hostname()}`;
    this.#to = [...options.to];
    const timeout = options.timeoutMs ?? 10_000;
    const auth = options.user !== undefined ? { user: options.user, pass: options.password ?? '' } : undefined;
    this.#secrets = auth?.pass ? secretForms(auth.user, auth.pass) : [];
    this.#transport = createTransport({
      host,
      port,
      secure,
      requireTLS: false,
      ...(auth ? { auth } : {}),
      connectionTimeout: timeout,
      greetingTimeout: timeout,
      socketTimeout: timeout,
    });
    const accepts = acceptsFor(options.for);
    if (accepts) this.accepts = accepts;
  }

  async deliver(alert: Alert): Promise<void> {
    const incident = createHash('sha256').update(alert.dedupKey, 'utf8').digest('hex').slice(0, 24);
    const event = alert.event ?? 'trigger';
    let info: { rejected?: unknown[]; rejectedErrors?: unknown[] };
    try {
      info = await this.#transport.sendMail({
        from: this.#from,
        to: [...this.#to],
        subject: emailSubject(alert),
        text: emailText(alert),
        references: `<incident-${incident}@cairn>`,
        headers: {
          'X-Cairn-Event': event,
          'X-Cairn-Dedup-Key': oneLine(alert.dedupKey, 255),
          ...(alert.id ? { 'X-Cairn-Alert-Id': alert.id } : {}),
        },
      });
    } catch (err) {
      throw this.#failure(err);
    }
    const rejected = (info.rejected ?? []).map(String);
    if (rejected.length > 0) {
      // Some recipients took it and some did not: report it, so the alert is retried (the ones
      // who got it may get it twice — better than never for the others).
      const first = (info.rejectedErrors?.[0] ?? {}) as { responseCode?: number; response?: string };
      throw this.#failure(
        Object.assign(new Error('recipients rejected'), {
          responseCode: first.responseCode,
          response: `${first.response ?? 'rejected'} (for ${rejected.join(', ')})`,
        }),
      );
    }
  }

  /** Closes the pooled state nodemailer keeps (none for single connections; harmless). */
  close(): void {
    this.#transport.close();
  }

  #failure(err: unknown): CairnError {
    const e = (err ?? {}) as { code?: unknown; responseCode?: unknown; response?: unknown; originalCode?: unknown };
    const status = typeof e.responseCode === 'number' ? e.responseCode : undefined;
    const code = typeof e.code === 'string' ? e.code : undefined;
    let reason: string;
    let transient: boolean;
    if (status !== undefined) {
      transient = status >= 400 && status < 500;
      reason = typeof e.response === 'string' && e.response ? e.response : `SMTP ${status}`;
      if (code === 'EAUTH') reason = `login refused: ${reason}`;
    } else {
      // nodemailer wraps a socket error as ESOCKET and keeps the system's code in originalCode.
      const errno = typeof e.originalCode === 'string' ? e.originalCode : undefined;
      transient = TRANSIENT_CODES.has(code ?? '') || TRANSIENT_CODES.has(errno ?? '');
      reason = errno && errno !== code ? `${code ?? 'error'} (${errno})` : (code ?? 'unexpected error');
      if (code === 'ETIMEDOUT') reason = 'timed out';
      else if (errno === 'ECONNREFUSED') reason = 'connection refused';
    }
    for (const secret of this.#secrets) reason = reason.split(secret).join('***');
    return new CairnError('CAIRN_E_SERVER', `${this.name} did not take the message: ${oneLine(reason, 300)}`, {
      sink: this.name,
      transient,
      ...(status !== undefined ? { status } : {}),
      ...(code ? { smtpError: code } : {}),
    });
  }
}

/** smtp://host[:port] or smtps://host[:port]; refuses credentials in the URL (use userEnv/passwordEnv). */
export function parseSmtpUrl(url: string): { host: string; port: number; secure: boolean } {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new CairnError(
      'CAIRN_E_USAGE',
      'the e-mail sink `smtp` must be a URL: smtp://host:port or smtps://host:port',
    );
  }
  if (u.protocol !== 'smtp:' && u.protocol !== 'smtps:') {
    throw new CairnError(
      'CAIRN_E_USAGE',
      `the e-mail sink \`smtp\` must start smtp:// or smtps://, not ${u.protocol}//`,
    );
  }
  if (u.username || u.password) {
    throw new CairnError(
      'CAIRN_E_USAGE',
      'put no credentials in the e-mail sink `smtp` URL: use userEnv and passwordEnv',
    );
  }
  if (!u.hostname) throw new CairnError('CAIRN_E_USAGE', 'the e-mail sink `smtp` URL has no host');
  const secure = u.protocol === 'smtps:';
  return { host: u.hostname.replace(/^\[(.*)\]$/, '$1'), port: u.port ? Number(u.port) : secure ? 465 : 587, secure };
}

export function emailSubject(alert: Alert): string {
  const line = `${eventPrefix(alert.event)}[Cairn] ${alert.severity.toUpperCase()} ${alert.kind}: ${alert.summary}`;
  return oneLine(line, 200);
}

export function emailText(alert: Alert): string {
  const rows: Array<[string, string | undefined]> = [
    ['Event', alert.event ?? 'trigger'],
    ['Kind', alert.kind],
    ['Category', alert.category],
    ['Severity', alert.severity],
    ['Time', alert.time],
    ['Alert id', alert.id],
    ['Dedup key', alert.dedupKey],
    ['Link', alert.url],
  ];
  const lines = [alert.summary, ''];
  for (const [label, value] of rows) if (value) lines.push(`${`${label}:`.padEnd(11)}${value}`);
  const details = Object.entries(alert.details ?? {});
  if (details.length > 0) {
    lines.push('', 'Details:');
    for (const [key, value] of details) lines.push(`  ${key}: ${detailText(value).replace(/\n/g, '\n    ')}`);
  }
  if (alert.id && (alert.event ?? 'trigger') !== 'resolve') lines.push('', `Acknowledge: cairn alerts ack ${alert.id}`);
  return `${lines.join('\n')}\n`;
}

/** The password as it may appear on the wire: plain, base64 alone (LOGIN) and in AUTH PLAIN. */
function secretForms(user: string, pass: string): string[] {
  return [
    pass,
    Buffer.from(pass).toString('base64'),
    Buffer.from(`\u0000${user}\u0000${pass}`).toString('base64'),
  ].filter((s) => s.length >= 4);
}
