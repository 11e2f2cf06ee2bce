/**
 * SIEM forwarding against a real rsyslog 8 (Debian's rsyslog + rsyslog-gnutls), started by
 * scripts/rsyslog-up.sh on free ports in a scratch directory: RFC 5424 over TCP with octet-counting
 * and LF framing, and over TLS trusting the generated CA. Messages with `"`, `]`, `\` and UTF-8 in
 * structured data (escaped by the audit layer's escapeParam) must arrive byte for byte and parse:
 * rsyslog's mmpstrucdata reads the values back.
 * Then rsyslog dies (SIGKILL) or is stopped during traffic and comes back: driven like the audit
 * outbox drives it — retry on reject, rewind on onLost — the transport gets every seq through at
 * least once. Without rsyslogd these tests fail, they do not skip.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { escapeParam, SD_ID } from '../src/audit/index.js';
import { isCairnError } from '../src/errors/index.js';
import { type SiemMessage, SyslogTransport, type SyslogTransportOptions } from '../src/notify/index.js';
import { freePort } from '../src/notify/test-support.js';
import { ROOT } from './helpers.js';

const run = promisify(execFile);
const RUN = `r${process.pid}-${Date.now()}`;

class Rsyslog {
  readonly dir = mkdtempSync(join(tmpdir(), 'cairn-rsyslog-'));
  tcpPort = 0;
  tlsPort = 0;

  get env() {
    const env = { ...process.env, RSYSLOG_DIR: this.dir };
    return { ...env, RSYSLOG_TCP_PORT: String(this.tcpPort), RSYSLOG_TLS_PORT: String(this.tlsPort) };
  }

  async up(): Promise<void> {
    try {
      const { stdout, stderr } = await run('bash', [join(ROOT, 'scripts/rsyslog-up.sh')], { env: this.env });
      assert.equal(stdout + stderr, '', 'rsyslog-up.sh prints nothing when it succeeds');
    } catch (err) {
      const e = err as { stderr?: string; message: string };
      throw new Error(`scripts/rsyslog-up.sh failed: ${e.stderr?.trim() || e.message}`);
    }
  }

  async down(): Promise<void> {
    await run('bash', [join(ROOT, 'scripts/rsyslog-down.sh')], { env: this.env });
  }

  async kill(): Promise<void> {
    const pid = Number(readFileSync(join(this.dir, 'rsyslogd.pid'), 'utf8'));
    process.kill(pid, 'SIGKILL');
    while (existsSync(`/proc/${pid}`) && !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z')) await sleep(10);
  }

  /** rsyslog's own parse of each message's structured data, for this test run. */
  parsedSd(variant: string): Record<string, string>[] {
    const file = join(this.dir, 'parsed.jsonl');
    if (!existsSync(file)) return [];
    return readFileSync(file, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => (JSON.parse(line) as { 'rfc5424-sd'?: Record<string, Record<string, string>> })['rfc5424-sd'])
      .map((sd) => sd?.[SD_ID] ?? {})
      .filter((p) => p.run === RUN && p.variant === variant);
  }

  /** Raw lines (%rawmsg%) that carry this variant's tag. */
  raw(variant: string): string[] {
    const file = join(this.dir, 'received.log');
    if (!existsSync(file)) return [];
    return readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => l.includes(`run="${RUN}"`) && l.includes(`variant="${variant}"`));
  }
}

/** An RFC 5424 message with the audit layer's SD-ID and escaping, as the audit layer builds them. */
function message(variant: string, seq: number, extra: Record<string, string> = {}): SiemMessage {
  const params = { run: RUN, variant, seq: String(seq), ...extra };
  const sd = Object.entries(params)
    .map(([name, value]) => ` ${name}="${escapeParam(value)}"`)
    .join('');
  const time = new Date().toISOString();
  return { seq, text: `<109>1 ${time} cairn-test cairn ${process.pid} AUDIT [${SD_ID}${sd}] event ${seq} ü` };
}

async function until<T>(what: string, probe: () => T, done: (v: T) => boolean, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = probe();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

describe('SyslogTransport against rsyslog (scripts/rsyslog-up.sh)', () => {
  const rsyslog = new Rsyslog();
  const transports: SyslogTransport[] = [];
  const open = (opts: Partial<SyslogTransportOptions> & { tls?: boolean }) => {
    const { tls, ...rest } = opts;
    const port = tls ? rsyslog.tlsPort : rsyslog.tcpPort;
    const t = new SyslogTransport({ url: `${tls ? 'tcp+tls' : 'tcp'}://127.0.0.1:${port}`, ...rest });
    transports.push(t);
    return t;
  };

  before(async () => {
    rsyslog.tcpPort = await freePort();
    rsyslog.tlsPort = await freePort();
    await rsyslog.up();
  });

  after(async () => {
    await Promise.all(transports.map((t) => t.close()));
    await rsyslog.down();
    rmSync(rsyslog.dir, { recursive: true, force: true });
  });

  const TRICKY = {
    quote: 'say "hi"',
    bracket: 'a]b[c]',
    backslash: 'C:\\cairn\\ends with \\',
    all: '"]\\"]\\',
    utf8: 'Zürich – 東京 ✓ 🚀',
  };

  for (const variant of ['tcp-octet', 'tcp-lf', 'tls-octet']) {
    it(`${variant}: SD params with ", ], \\ and UTF-8 arrive byte for byte and parse`, async () => {
      const t = open({
        tls: variant.startsWith('tls'),
        framing: variant.endsWith('lf') ? 'lf' : 'octet-counting',
        caFile: join(rsyslog.dir, 'ca.pem'),
      });
      const sent = [1, 2, 3].map((seq) => message(variant, seq, TRICKY));
      await t.send(sent.slice(0, 1));
      await t.send(sent.slice(1));
      const raw = await until(
        `3 ${variant} messages`,
        () => rsyslog.raw(variant),
        (r) => r.length >= 3,
      );
      assert.deepEqual(
        raw,
        sent.map((m) => m.text),
      );
      const parsed = rsyslog.parsedSd(variant);
      assert.deepEqual(
        parsed,
        [1, 2, 3].map((seq) => ({ run: RUN, variant, seq: String(seq), ...TRICKY })),
      );
    });
  }

  it('TLS: refuses a receiver whose CA is not trusted, unless rejectUnauthorized is false', async () => {
    await assert.rejects(open({ tls: true }).send([message('tls-untrusted', 1)]), (e) => {
      assert.ok(isCairnError(e, 'CAIRN_E_SERVER'));
      assert.match(e.message, /TLS failed: .*caFile/);
      return true;
    });
    await open({ tls: true, rejectUnauthorized: false }).send([message('tls-unverified', 1)]);
    await until(
      'the unverified message',
      () => rsyslog.raw('tls-unverified'),
      (r) => r.length === 1,
    );
  });

  const outages = [
    { variant: 'tcp-outage', tls: false, how: 'SIGKILL', stop: () => rsyslog.kill() },
    { variant: 'tls-outage', tls: true, how: 'rsyslog-down.sh', stop: () => rsyslog.down() },
  ];
  for (const { variant, tls, how, stop } of outages) {
    it(`${tls ? 'TLS' : 'TCP'}: rsyslog stopped by ${how} during traffic and restarted → every seq arrives`, async (ctx) => {
      const N = 600;
      const t = open({ tls, caFile: join(rsyslog.dir, 'ca.pem'), connectTimeoutMs: 1000 });
      // The audit outbox, reduced to its cursor: retry on reject, rewind on onLost.
      let next = 1;
      let rewindTo: number | undefined;
      const lost: number[] = [];
      t.onLost((from) => {
        lost.push(from);
        rewindTo = Math.min(rewindTo ?? from, from);
      });
      let outage: Promise<void> | undefined;
      let rejected = 0;
      let sends = 0;
      while (next <= N) {
        if (!outage && next > N / 3) outage = stop().then(() => sleep(700).then(() => rsyslog.up()));
        const batch = Array.from({ length: Math.min(10, N - next + 1) }, (_, i) => message(variant, next + i));
        try {
          await t.send(batch);
          next += batch.length;
          sends++;
        } catch {
          rejected++;
          await sleep(50);
        }
        if (rewindTo !== undefined) {
          next = Math.min(next, rewindTo);
          rewindTo = undefined;
        }
        await sleep(5);
      }
      await outage;
      const seen = await until(
        `all ${N} seqs of ${variant}`,
        () => new Set(rsyslog.parsedSd(variant).map((p) => Number(p.seq))),
        (s) => s.size >= N,
      ).catch(() => new Set(rsyslog.parsedSd(variant).map((p) => Number(p.seq))));
      const missing = Array.from({ length: N }, (_, i) => i + 1).filter((seq) => !seen.has(seq));
      const received = rsyslog.parsedSd(variant).length;
      ctx.diagnostic(
        `sends=${sends} rejected=${rejected} onLost=${JSON.stringify(lost)} received=${received} (${received - seen.size} duplicates)`,
      );
      assert.ok(rejected > 0, 'the outage was noticed: sends rejected while rsyslog was down');
      assert.deepEqual(missing, [], `seqs missing after rsyslog came back`);
    });
  }
});
