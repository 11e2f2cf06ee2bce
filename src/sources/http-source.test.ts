import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { isCairnError } from '../errors/index.js';
import type { HttpSource } from '../policy/index.js';
import { fetchHttpSource } from './http-source.js';

const JSON_BODY = '{"flags":{"checkout":true,"beta":{"on":false}}}';
const YAML_BODY = 'flags:\n  checkout: true\n';
let server: Server;
let other: Server;
let base = '';
let otherBase = '';
const otherSeen: Array<Record<string, string | string[] | undefined>> = [];
let endlessStopped = 0;

/** A chunked body without Content-Length that never ends on its own: 64 KiB chunks until the client goes. */
function endless(res: import('node:http').ServerResponse, status: number): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  const chunk = Buffer.alloc(64 * 1024, 0x20);
  let stopped = false;
  res.on('close', () => {
    if (!stopped) endlessStopped++;
    stopped = true;
  });
  const pump = () => {
    while (!stopped && res.write(chunk));
    if (!stopped) res.once('drain', pump);
  };
  res.write('[');
  pump();
}
const seen: Array<Record<string, string | string[] | undefined>> = [];

before(async () => {
  server = createServer((req, res) => {
    seen.push(req.headers);
    const reply = (status: number, body: string, type = 'application/json') => {
      res.writeHead(status, { 'content-type': type });
      res.end(body);
    };
    if (req.url === '/json') reply(200, JSON_BODY);
    else if (req.url === '/yaml') reply(200, YAML_BODY, 'application/yaml');
    else if (req.url === '/500') reply(500, 'upstream exploded');
    else if (req.url === '/bad-json') reply(200, '{"flags": {"a": 1,}}');
    else if (req.url === '/bad-yaml') reply(200, 'a: [1, 2\nb: x: y\n', 'application/yaml');
    else if (req.url === '/auth') {
      if (req.headers.authorization === 'Bearer flag-token-123') reply(200, JSON_BODY);
      else reply(401, '{"error":"unauthorised"}');
    } else if (req.url === '/slow') setTimeout(() => reply(200, JSON_BODY), 5_000).unref();
    else if (req.url === '/endless' || req.url === '/endless-500') endless(res, req.url === '/endless' ? 200 : 500);
    else if (req.url === '/moved') {
      res.writeHead(302, { location: '/json' });
      res.end();
    } else if (req.url === '/away') {
      res.writeHead(301, { location: `${otherBase}/auth` });
      res.end();
    } else if (req.url?.startsWith('/loop')) {
      res.writeHead(302, { location: `/loop${Number(req.url.slice(5) || '0') + 1}` });
      res.end();
    } else reply(404, 'not found', 'text/plain');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  other = createServer((req, res) => {
    otherSeen.push(req.headers);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON_BODY);
  });
  await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
  otherBase = `http://127.0.0.1:${(other.address() as AddressInfo).port}`;
});
after(() => {
  for (const s of [server, other]) {
    s.closeAllConnections();
    s.close();
  }
});

const src = (path: string, over: Partial<HttpSource> = {}): HttpSource => ({
  kind: 'http',
  url: `${base}${path}`,
  headersEnv: {},
  headers: {},
  timeoutMs: 5_000,
  file: 'flags.json',
  format: 'json',
  ...over,
});

const sourceError = (pattern: RegExp) => (err: unknown) => {
  assert.ok(isCairnError(err, 'CAIRN_E_SOURCE'), String(err));
  assert.match(err.message, pattern);
  return true;
};

describe('http source', () => {
  test('a JSON body is stored byte for byte as received', async () => {
    const r = await fetchHttpSource(src('/json'), 'flags');
    assert.equal(r.entries.length, 1);
    assert.equal(r.entries[0]!.path, 'flags.json');
    assert.equal(r.entries[0]!.content!.toString(), JSON_BODY);
    assert.equal(r.entries[0]!.mtime, 0);
  });

  test('a YAML body with format yaml', async () => {
    const r = await fetchHttpSource(src('/yaml', { format: 'yaml', file: 'flags.yaml' }), 'flags');
    assert.equal(r.entries[0]!.content!.toString(), YAML_BODY);
  });

  test('headers: literal ones and ones from environment variables', async () => {
    const r = await fetchHttpSource(
      src('/auth', { headersEnv: { Authorization: 'FLAGS_TOKEN' }, headers: { Accept: 'application/json' } }),
      'flags',
      { env: { FLAGS_TOKEN: 'Bearer flag-token-123' } },
    );
    assert.equal(r.entries[0]!.content!.toString(), JSON_BODY);
    assert.equal(seen.at(-1)!.accept, 'application/json');
  });

  test('a header variable that is not set is CAIRN_E_SOURCE naming it (nothing is requested)', async () => {
    const before = seen.length;
    await assert.rejects(
      fetchHttpSource(src('/auth', { headersEnv: { Authorization: 'FLAGS_TOKEN' } }), 'flags', { env: {} }),
      sourceError(/environment variable FLAGS_TOKEN \(for header Authorization\) is not set/),
    );
    assert.equal(seen.length, before);
  });

  test('HTTP 500 and 401 are CAIRN_E_SOURCE with the status and the URL', async () => {
    await assert.rejects(
      fetchHttpSource(src('/500'), 'flags'),
      sourceError(new RegExp(`item flags: http GET ${base}/500: answered HTTP 500: upstream exploded`)),
    );
    await assert.rejects(
      fetchHttpSource(src('/auth', { headersEnv: { Authorization: 'T' } }), 'flags', { env: { T: 'wrong' } }),
      sourceError(/answered HTTP 401/),
    );
  });

  test('a body that is not valid JSON / YAML is refused with the parse position', async () => {
    await assert.rejects(fetchHttpSource(src('/bad-json'), 'flags'), sourceError(/not valid JSON: .*position 18/));
    await assert.rejects(
      fetchHttpSource(src('/bad-yaml', { format: 'yaml' }), 'flags'),
      sourceError(/not valid YAML: .*line 2, column 1/),
    );
  });

  test('a slow server is given up on at the timeout', async () => {
    await assert.rejects(
      fetchHttpSource(src('/slow', { timeoutMs: 200 }), 'flags'),
      sourceError(/no complete answer within 200 ms/),
    );
  });

  test('nothing listening is CAIRN_E_SOURCE; a token in the URL is redacted', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    await assert.rejects(
      fetchHttpSource(src('', { url: `http://127.0.0.1:${port}/export?token=abcdef123` }), 'flags'),
      (err) => {
        assert.ok(isCairnError(err, 'CAIRN_E_SOURCE'));
        assert.match(err.message, /request failed: .*ECONNREFUSED/);
        assert.doesNotMatch(err.message, /abcdef123/);
        return true;
      },
    );
  });

  test('a chunked body without Content-Length is cut off at the limit, the connection dropped', async () => {
    await assert.rejects(
      fetchHttpSource(src('/endless', { timeoutMs: 20_000 }), 'flags', {}, 1024 * 1024),
      sourceError(/body is larger than the limit of 1048576 bytes/),
    );
    // The server sees the client go away: nothing keeps reading the endless stream.
    for (let i = 0; i < 100 && endlessStopped === 0; i++) await new Promise((r) => setTimeout(r, 20));
    assert.ok(endlessStopped >= 1);
  });

  test('of a non-2xx answer only the start is read, however long the body', async () => {
    await assert.rejects(
      fetchHttpSource(src('/endless-500', { timeoutMs: 20_000 }), 'flags'),
      sourceError(/answered HTTP 500: \[/),
    );
  });

  test('a same-origin redirect is followed', async () => {
    const r = await fetchHttpSource(src('/moved'), 'flags');
    assert.equal(r.entries[0]!.content!.toString(), JSON_BODY);
  });

  test('a redirect to another origin is refused naming both origins; the secret header never leaves', async () => {
    const before = otherSeen.length;
    await assert.rejects(
      fetchHttpSource(src('/away', { headersEnv: { Authorization: 'T' } }), 'flags', {
        env: { T: 'Bearer flag-token-123' },
      }),
      sourceError(new RegExp(`redirecting from ${base} to another origin, ${otherBase}`)),
    );
    assert.equal(otherSeen.length, before);
  });

  test('more than 5 redirects are refused', async () => {
    await assert.rejects(fetchHttpSource(src('/loop'), 'flags'), sourceError(/more than 5 redirects/));
  });

  test('a token given as the user name of the URL is redacted', async () => {
    await assert.rejects(fetchHttpSource(src('', { url: `http://ghp_usertoken123@127.0.0.1:1/x` }), 'flags'), (err) => {
      assert.ok(isCairnError(err, 'CAIRN_E_SOURCE'));
      assert.doesNotMatch(`${err.message} ${JSON.stringify(err.details)}`, /ghp_usertoken123/);
      return true;
    });
  });
});
