/**
 * `cairn serve` flags end to end: HTTPS with --tls-cert/--tls-key (a certificate made here with
 * openssl), /metrics without a token under --metrics-anonymous, and --body-limit; bad flags are usage
 * errors before anything is opened.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Fixture, fixture } from './helpers.js';
import { localToken, type ServeProcess, startServe } from './serve-support.js';

/** A self-signed certificate for 127.0.0.1; openssl missing fails the test. */
function selfSigned(f: Fixture): { cert: string; key: string } {
  const cert = join(f.dir, 'cert.pem');
  const key = join(f.dir, 'key.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      key,
      '-out',
      cert,
    ],
    { stdio: 'pipe' },
  );
  return { cert, key };
}

function get(url: string, ca: Buffer, opts: { method?: string; body?: string; token?: string } = {}) {
  return new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = request(
      url,
      {
        ca,
        method: opts.method ?? 'GET',
        headers: {
          'content-type': 'application/json',
          ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}),
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (d: string) => {
          text += d;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

describe('cairn serve flags', () => {
  let f: Fixture;
  let server: ServeProcess;
  let ca: Buffer;
  let operator = '';

  before(async () => {
    f = fixture();
    const { cert, key } = selfSigned(f);
    ca = readFileSync(cert);
    operator = localToken(f, 'operator', ['operator']);
    server = await startServe(f, ['--tls-cert', cert, '--tls-key', key, '--metrics-anonymous', '--body-limit', '200']);
  });
  after(async () => {
    await server?.stop();
  });

  it('serves HTTPS with the certificate given, /metrics to anyone, and refuses bodies over the limit', async () => {
    assert.match(server.url, /^https:\/\/127\.0\.0\.1:\d+$/);
    assert.deepEqual(await get(`${server.url}/healthz`, ca), { status: 200, text: '{"status":"ok"}' });
    const metrics = await get(`${server.url}/metrics`, ca);
    assert.equal(metrics.status, 200);
    assert.match(metrics.text, /^# TYPE cairn_snapshots gauge$/m);
    const big = await get(`${server.url}/api/v1/snapshots`, ca, {
      method: 'POST',
      body: JSON.stringify({ release: 'x'.repeat(300) }),
      token: operator,
    });
    assert.equal(big.status, 413, big.text);
  });

  it('refuses bad flags as usage errors', () => {
    for (const args of [
      ['--port', 'http'],
      ['--tls-cert', 'cert.pem'],
      ['--restore-root', 'no-such-folder'],
      ['--body-limit', '0'],
    ]) {
      const r = f.cli(['serve', ...args, '--json']);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
      assert.equal(r.json<{ error: { code: string } }>().error.code, 'CAIRN_E_USAGE');
    }
  });
});
