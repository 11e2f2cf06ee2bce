/**
 * HecTransport against a local HTTP receiver that behaves like Splunk's collector: it checks the
 * `Authorization: Splunk <token>` header, stores the events, answers {"text":"Success","code":0},
 * and can be made busy (503), slow, or absent. No error message may carry the token or the path.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isCairnError } from '../errors/index.js';
import { HecTransport } from './hec-transport.js';
import { freePort, type ReceivedRequest, startHttpReceiver } from './test-support.js';

const TOKEN = '8f14e45f-ceea-467f-a0e6-secret-token';
const PATH = '/services/collector/event';

const events = (from: number, n: number) =>
  Array.from({ length: n }, (_, i) => ({
    seq: from + i,
    text: JSON.stringify({
      time: 1700000000 + i,
      sourcetype: 'cairn:audit',
      event: { seq: from + i, action: 'ü"]\\' },
    }),
  }));

/** Splunk's collector: right token → stored and Success; wrong token → 401 Invalid token. */
function collector(stored: unknown[], busyFor = 0) {
  return (req: ReceivedRequest, n: number) => {
    if (req.headers.authorization !== `Splunk ${TOKEN}`)
      return { status: 401, body: { text: 'Invalid token', code: 4 } };
    if (n <= busyFor) return { status: 503, body: { text: 'Server is busy', code: 9 } };
    for (const line of req.body.split('\n')) stored.push(JSON.parse(line));
    return { status: 200, body: { text: 'Success', code: 0 } };
  };
}

const noSecrets = (e: unknown) => {
  assert.ok(isCairnError(e, 'CAIRN_E_SERVER'), String(e));
  assert.doesNotMatch(e.message, /secret-token|services|collector/);
  assert.doesNotMatch(JSON.stringify(e.toJSON()), /secret-token|services|collector/);
  return true;
};

describe('HecTransport', () => {
  it('POSTs the batch as newline-joined events with the Splunk token header, and resolves on Success', async () => {
    const stored: unknown[] = [];
    const rx = await startHttpReceiver(collector(stored));
    const t = new HecTransport({ url: `${rx.origin}${PATH}`, token: TOKEN });
    const batch = events(1, 3);
    await t.send(batch);
    assert.equal(rx.requests.length, 1);
    assert.equal(rx.requests[0]!.method, 'POST');
    assert.equal(rx.requests[0]!.path, PATH);
    assert.equal(rx.requests[0]!.headers['content-type'], 'application/json');
    assert.deepEqual(
      stored,
      batch.map((m) => JSON.parse(m.text)),
    );
    assert.equal(t.endpoint, `${rx.origin}/…`);
    await t.send([]);
    assert.equal(rx.requests.length, 1, 'an empty batch sends nothing');
    await rx.close();
  });

  it('rejects while the receiver answers 503, then succeeds once it answers 200; nothing stored twice', async () => {
    const stored: unknown[] = [];
    const rx = await startHttpReceiver(collector(stored, 2));
    const t = new HecTransport({ url: `${rx.origin}${PATH}?channel=x`, token: TOKEN });
    for (let i = 0; i < 2; i++) {
      await assert.rejects(t.send(events(1, 2)), (e) => {
        noSecrets(e);
        assert.match((e as Error).message, /answered 503: Server is busy \(code 9\); the outbox retries later/);
        assert.equal((e as { details: { status: number } }).details.status, 503);
        return true;
      });
    }
    await t.send(events(1, 2));
    assert.deepEqual(
      stored.map((e) => (e as { event: { seq: number } }).event.seq),
      [1, 2],
    );
    await rx.close();
  });

  it('rejects a wrong token with 401 and says to check it, without quoting it', async () => {
    const rx = await startHttpReceiver(collector([]));
    const t = new HecTransport({ url: `${rx.origin}${PATH}`, token: 'wrong-secret-token' });
    await assert.rejects(
      t.send(events(1, 1)),
      (e) => noSecrets(e) && /401: Invalid token.*check the HEC token/.test((e as Error).message),
    );
    await rx.close();
  });

  it('rejects on a timeout, a refused connection and a redirect', async () => {
    const slow = await startHttpReceiver(() => ({ status: 200, hang: true }));
    const t1 = new HecTransport({ url: `${slow.origin}${PATH}`, token: TOKEN, timeoutMs: 200 });
    await assert.rejects(
      t1.send(events(1, 1)),
      (e) => noSecrets(e) && /did not answer: timed out after 200 ms/.test((e as Error).message),
    );
    await slow.close();

    const t2 = new HecTransport({ url: `http://127.0.0.1:${await freePort()}${PATH}`, token: TOKEN });
    await assert.rejects(
      t2.send(events(1, 1)),
      (e) => noSecrets(e) && /did not answer: ECONNREFUSED/.test((e as Error).message),
    );

    const moved = await startHttpReceiver(() => ({ status: 307 }));
    const t3 = new HecTransport({ url: `${moved.origin}${PATH}`, token: TOKEN });
    await assert.rejects(t3.send(events(1, 1)), (e) => noSecrets(e) && /answered 307/.test((e as Error).message));
    await moved.close();
  });

  it('refuses a non-HTTP URL or a missing token without echoing them, and sends nothing after close', async () => {
    assert.throws(
      () => new HecTransport({ url: 'ftp://x/services/collector', token: TOKEN }),
      (e) => isCairnError(e, 'CAIRN_E_USAGE') && !/collector/.test(e.message),
    );
    assert.throws(
      () => new HecTransport({ url: 'https://splunk:8088/', token: '' }),
      (e) => isCairnError(e, 'CAIRN_E_NO_SECRET'),
    );
    const t = new HecTransport({ url: 'https://splunk:8088/services/collector', token: TOKEN });
    let called = false;
    t.onLost(() => {
      called = true;
    })();
    await t.close();
    await assert.rejects(t.send(events(1, 1)), (e) => isCairnError(e, 'CAIRN_E_USAGE'));
    assert.equal(called, false);
  });
});
