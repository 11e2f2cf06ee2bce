/**
 * SIEM forwarding from a running `cairn serve` to a real rsyslog (scripts/rsyslog-up.sh, RFC 5424
 * over TCP), configured in the policy's governance.audit.siem. rsyslog is stopped for a while during
 * traffic and started again: every audit sequence number, from the first CLI command to the last
 * request, arrives (at least once; deduplicated here by seq). Without rsyslogd this test fails.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { SD_ID } from '../src/audit/index.js';
import { freePort } from '../src/notify/test-support.js';
import { type Fixture, fixture, ROOT, SMALL_POLICY } from './helpers.js';
import { client, localToken, type ServeProcess, startServe, until } from './serve-support.js';

const run = promisify(execFile);

class Rsyslog {
  readonly dir = mkdtempSync(join(tmpdir(), 'cairn-serve-rsyslog-'));
  tcpPort = 0;
  tlsPort = 0;

  #script(name: string) {
    const env = { ...process.env, RSYSLOG_DIR: this.dir };
    const ports = { RSYSLOG_TCP_PORT: String(this.tcpPort), RSYSLOG_TLS_PORT: String(this.tlsPort) };
    return run('bash', [join(ROOT, 'scripts', name)], { env: { ...env, ...ports } }).catch(
      (err: { stderr?: string }) => {
        throw new Error(`scripts/${name} failed: ${err.stderr ?? String(err)}`);
      },
    );
  }
  up = () => this.#script('rsyslog-up.sh');
  down = () => this.#script('rsyslog-down.sh');

  /** The structured data of every message rsyslog parsed, in arrival order. */
  received(): Array<Record<string, string>> {
    const file = join(this.dir, 'parsed.jsonl');
    if (!existsSync(file)) return [];
    return readFileSync(file, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => (JSON.parse(line) as { 'rfc5424-sd'?: Record<string, Record<string, string>> })['rfc5424-sd'])
      .map((sd) => sd?.[SD_ID] ?? {});
  }
}

describe('cairn serve: audit events to rsyslog through an outage', () => {
  const rsyslog = new Rsyslog();
  let f: Fixture;
  let server: ServeProcess;
  const t: Record<string, string> = {};
  const seqs = () => new Set(rsyslog.received().map((p) => Number(p.seq)));

  before(async () => {
    rsyslog.tcpPort = await freePort();
    rsyslog.tlsPort = await freePort();
    await rsyslog.up();
    const siem = `  audit:\n    siem:\n      - syslog: { url: "tcp://127.0.0.1:${rsyslog.tcpPort}" }\n`;
    f = fixture({ policy: SMALL_POLICY.replace('    short: { keep: 0d }\n', `    short: { keep: 0d }\n${siem}`) });
    t.operator = localToken(f, 'operator', ['operator']);
    t.auditor = localToken(f, 'auditor', ['auditor']);
    server = await startServe(f);
  });
  after(async () => {
    await server?.stop();
    await rsyslog.down();
    rmSync(rsyslog.dir, { recursive: true, force: true });
  });

  it('delivers every sequence number, including those recorded while rsyslog was down', async (ctx) => {
    const op = client(server.url, t.operator);
    const traffic = async (n: number) => {
      for (let i = 0; i < n; i++) await op.ok(op.get(`/api/v1/snapshots?limit=${i + 1}`));
    };
    await op.ok(op.post('/api/v1/snapshots', { release: '1.0.0' }));
    await traffic(20);
    await until('the first events at rsyslog', seqs, (s) => s.has(1) && s.size >= 20);

    await rsyslog.down();
    const during = Date.now();
    while (Date.now() - during < 2500) {
      await traffic(5);
      await sleep(100);
    }
    await rsyslog.up();
    await traffic(20);

    const auditor = client(server.url, t.auditor);
    const newest = await auditor.ok<{ events: Array<{ seq: number }> }>(
      auditor.get('/api/v1/audit/events?order=newest&limit=1'),
    );
    const head = newest.events[0]!.seq;
    const all = Array.from({ length: head }, (_, i) => i + 1);
    const seen = await until(`every seq up to ${head}`, seqs, (s) => all.every((n) => s.has(n)), 90_000).catch(() =>
      seqs(),
    );
    const received = rsyslog.received();
    ctx.diagnostic(`head=${head} received=${received.length} distinct=${seen.size}`);
    assert.deepEqual(
      all.filter((n) => !seen.has(n)),
      [],
      'sequence numbers missing at rsyslog',
    );
    assert.match(server.log(), /audit forwarding to syslog:tcp:\/\/127\.0\.0\.1:\d+/, 'the outage was noticed');
    const start = received.find((p) => p.action === 'server.start');
    assert.ok(start?.identity?.startsWith('local:') && start.result === 'ok', JSON.stringify(start));
    const search = received.find((p) => p.action === 'snapshots.search');
    assert.deepEqual([search?.identity, search?.ip, search?.result], ['token:operator', '127.0.0.1', 'ok']);
  });
});
