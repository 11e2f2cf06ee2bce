/**
 * A real SMTP server for tests (test/smtp-server.py on Debian's python3-aiosmtpd) and a small parser
 * for the single-part text messages it stores. startSmtpServer() resolves once it listens;
 * stop() sends SIGTERM and waits for the exit. Every test that starts one must stop it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SCRIPT = join(dirname(fileURLToPath(import.meta.url)), 'smtp-server.py');
/** Debian's interpreter, where python3-aiosmtpd is installed (not a pyenv python on PATH). */
const PYTHON = process.env.CAIRN_TEST_PYTHON ?? '/usr/bin/python3';

export interface SmtpServerOptions {
  /** Refuse this many messages first (default 0). */
  readonly refuseFirst?: number;
  /** The refusal: 451 temporary (default) or 550 permanent. */
  readonly code?: 451 | 550;
  /** Where to refuse: at RCPT TO (default) or after DATA. */
  readonly refuseAt?: 'rcpt' | 'data';
  /** Require AUTH (PLAIN or LOGIN) with these credentials. */
  readonly user?: string;
  readonly password?: string;
}

export interface ParsedMail {
  /** Envelope (MAIL FROM, RCPT TO) and the AUTH login used, if any. */
  readonly envelope: { readonly from: string; readonly to: readonly string[] };
  readonly authUser: string | null;
  /** Header names lower-cased, values unfolded and RFC 2047-decoded. */
  readonly headers: Readonly<Record<string, string>>;
  readonly from: string;
  readonly to: string;
  readonly subject: string;
  /** The body, transfer-decoded. */
  readonly text: string;
  readonly raw: string;
}

export interface SmtpServer {
  readonly port: number;
  /** smtp://127.0.0.1:port */
  readonly url: string;
  /** Messages accepted so far, in arrival order. */
  messages(): Promise<ParsedMail[]>;
  stop(): Promise<void>;
}

export async function startSmtpServer(o: SmtpServerOptions = {}): Promise<SmtpServer> {
  const maildir = await mkdtemp(join(tmpdir(), 'cairn-smtp-'));
  const args = [SCRIPT, '--maildir', maildir, '--refuse-first', String(o.refuseFirst ?? 0)];
  args.push('--code', String(o.code ?? 451), '--refuse-at', o.refuseAt ?? 'rcpt');
  if (o.user !== undefined) args.push('--user', o.user, '--password', o.password ?? '');
  const child = spawn(PYTHON, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const port = await listening(child);
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  return {
    port,
    url: `smtp://127.0.0.1:${port}`,
    async messages() {
      const names = (await readdir(maildir)).filter((n) => n.endsWith('.json')).sort();
      return Promise.all(names.map(async (n) => parseStored(await readFile(join(maildir, n), 'utf8'))));
    },
    async stop() {
      child.kill('SIGTERM');
      await exited;
      await rm(maildir, { recursive: true, force: true });
    },
  };
}

function listening(child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stderr!.on('data', (c: Buffer) => {
      err += c.toString();
    });
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /listening (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`smtp-server.py exited (${code}) before listening: ${err.trim()}`)));
  });
}

function parseStored(json: string): ParsedMail {
  const stored = JSON.parse(json) as { mail_from: string; rcpt_tos: string[]; auth_user: string | null; data: string };
  const mail = parseMail(stored.data);
  return { ...mail, envelope: { from: stored.mail_from, to: stored.rcpt_tos }, authUser: stored.auth_user };
}

/** A single-part RFC 5322 message: headers unfolded and decoded, body by Content-Transfer-Encoding. */
export function parseMail(raw: string): Omit<ParsedMail, 'envelope' | 'authUser'> {
  const text = raw.replace(/\r\n/g, '\n');
  const split = text.indexOf('\n\n');
  const head = split < 0 ? text : text.slice(0, split);
  const body = split < 0 ? '' : text.slice(split + 2);
  const headers: Record<string, string> = {};
  for (const line of head.replace(/\n[ \t]+/g, ' ').split('\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = decodeWords(line.slice(colon + 1).trim());
  }
  const cte = (headers['content-transfer-encoding'] ?? '7bit').toLowerCase();
  let decoded = body;
  if (cte === 'quoted-printable') decoded = decodeQp(body).toString('utf8');
  else if (cte === 'base64') decoded = Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  return {
    headers,
    from: headers.from ?? '',
    to: headers.to ?? '',
    subject: headers.subject ?? '',
    text: decoded,
    raw,
  };
}

function decodeWords(value: string): string {
  return value
    .replace(/\?=\s+=\?/g, '?==?')
    .replace(/=\?([^?]+)\?([bBqQ])\?([^?]*)\?=/g, (_m, _charset: string, enc: string, data: string) =>
      enc.toUpperCase() === 'B'
        ? Buffer.from(data, 'base64').toString('utf8')
        : decodeQp(data.replace(/_/g, ' ')).toString('utf8'),
    );
}

function decodeQp(s: string): Buffer {
  const unwrapped = s.replace(/=\n/g, '');
  const bytes: number[] = [];
  for (let i = 0; i < unwrapped.length; i++) {
    const c = unwrapped[i]!;
    if (c === '=' && /^[0-9A-Fa-f]{2}$/.test(unwrapped.slice(i + 1, i + 3))) {
      bytes.push(Number.parseInt(unwrapped.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      for (const b of Buffer.from(c, 'utf8')) bytes.push(b);
    }
  }
  return Buffer.from(bytes);
}
