import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { get } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { startServer } from './start-server.js';
import { fakeDeps } from './test-support.js';

describe('startServer', () => {
  it('listens on 127.0.0.1 and closes on SIGTERM', async () => {
    const before = process.listenerCount('SIGTERM');
    const server = await startServer(fakeDeps(), { port: 0, logger: false });
    assert.match(server.address, /^http:\/\/127\.0\.0\.1:\d+$/);
    const res = await fetch(`${server.address}/healthz`);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { status: 'ok' });
    const ours = process.listeners('SIGTERM').at(-1) as (s: NodeJS.Signals) => void;
    assert.equal(process.listenerCount('SIGTERM'), before + 1);
    ours('SIGTERM');
    await new Promise((resolve) => server.app.server.once('close', resolve));
    assert.equal(process.listenerCount('SIGTERM'), before, 'signal handlers are removed on close');
    await assert.rejects(fetch(`${server.address}/healthz`));
  });

  it('serves HTTPS with the given certificate and key files', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'cairn-tls-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const certFile = join(dir, 'cert.pem');
    const keyFile = join(dir, 'key.pem');
    try {
      execFileSync(
        'openssl',
        [
          'req',
          '-x509',
          '-newkey',
          'ec',
          '-pkeyopt',
          'ec_paramgen_curve:prime256v1',
          '-nodes',
          '-keyout',
          keyFile,
          '-out',
          certFile,
          '-days',
          '1',
          '-subj',
          '/CN=127.0.0.1',
          '-addext',
          'subjectAltName=IP:127.0.0.1',
        ],
        { stdio: 'ignore' },
      );
    } catch (err) {
      assert.fail(`openssl could not make a test certificate (it is needed for this test): ${String(err)}`);
    }
    const server = await startServer(fakeDeps(), {
      port: 0,
      logger: false,
      tls: { certFile, keyFile },
      handleSignals: false,
    });
    t.after(() => server.close());
    assert.match(server.address, /^https:\/\/127\.0\.0\.1:\d+$/);
    const ca = await readFile(certFile);
    const body = await new Promise<string>((resolve, reject) => {
      get(`${server.address}/healthz`, { ca }, (res) => {
        let text = '';
        res.on('data', (c) => {
          text += c;
        });
        res.on('end', () => resolve(text));
      }).on('error', reject);
    });
    assert.deepEqual(JSON.parse(body), { status: 'ok' });
  });

  it('says which TLS file it cannot read', async () => {
    await assert.rejects(
      startServer(fakeDeps(), { port: 0, logger: false, tls: { certFile: '/nonexistent/cert.pem', keyFile: '/x' } }),
      /TLS certificate file \/nonexistent\/cert.pem cannot be read/,
    );
  });
});
