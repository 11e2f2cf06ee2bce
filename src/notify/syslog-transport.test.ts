/**
 * SyslogTransport against a local TCP endpoint: framing on the wire, lazy connect and reconnect,
 * the onLost contract (who is reported after a drop, who is not), timeouts, close. The real
 * rsyslog, and TLS, are in test/siem-rsyslog.test.ts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isCairnError } from '../errors/index.js';
import { SyslogTransport } from './syslog-transport.js';
import { freePort, splitOctetCounted, startTcpCollector } from './test-support.js';

const msgs = (from: number, n: number, text = (seq: number) => `<110>1 - - - - - - m${seq}`) =>
  Array.from({ length: n }, (_, i) => ({ seq: from + i, text: text(from + i) }));

const waitFor = async (cond: () => boolean, what: string, ms = 3000) => {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe('SyslogTransport', () => {
  it('frames with octet counting by default: byte lengths, UTF-8 and line feeds intact', async () => {
    const rx = await startTcpCollector();
    const t = new SyslogTransport({ url: `tcp://127.0.0.1:${rx.port}` });
    const batch = [
      { seq: 1, text: '<110>1 - - - - - [x@1 k="é\\"\\]\\\\"] ünïcödé ✓' },
      { seq: 2, text: 'two\nlines' },
    ];
    await t.send(batch);
    const bytes = batch.reduce(
      (n, m) => n + Buffer.byteLength(m.text) + String(Buffer.byteLength(m.text)).length + 1,
      0,
    );
    await rx.waitForBytes(bytes);
    assert.deepEqual(
      splitOctetCounted(rx.streams[0]!),
      batch.map((m) => m.text),
    );
    await t.close();
    await rx.close();
  });

  it('frames with LF when asked, and refuses a message with a line feed before writing anything', async () => {
    const rx = await startTcpCollector();
    const t = new SyslogTransport({ url: `tcp://127.0.0.1:${rx.port}`, framing: 'lf' });
    await t.send(msgs(1, 2));
    await rx.waitForBytes(2 * '<110>1 - - - - - - m1\n'.length);
    assert.equal(rx.streams[0]!.toString(), '<110>1 - - - - - - m1\n<110>1 - - - - - - m2\n');
    await assert.rejects(
      t.send([{ seq: 3, text: 'a\nb' }]),
      (e) => isCairnError(e, 'CAIRN_E_USAGE') && /seq 3/.test(e.message),
    );
    await t.close();
    assert.equal(rx.streams[0]!.length, 2 * '<110>1 - - - - - - m1\n'.length);
    await rx.close();
  });

  it('rejects while the receiver is down and connects on the next send once it is up', async () => {
    const port = await freePort();
    const t = new SyslogTransport({ url: `tcp://127.0.0.1:${port}` });
    await assert.rejects(t.send(msgs(1, 1)), (e) => {
      assert.ok(isCairnError(e, 'CAIRN_E_SERVER'));
      assert.match(e.message, new RegExp(`tcp://127\\.0\\.0\\.1:${port}: ECONNREFUSED`));
      return true;
    });
    const rx = await startTcpCollector(port);
    await t.send(msgs(1, 1));
    await rx.waitForBytes(1);
    await t.close();
    await rx.close();
  });

  it('reports the first seq written in the loss window when the peer drops the connection, then reconnects', async () => {
    const rx = await startTcpCollector();
    const t = new SyslogTransport({ url: `tcp://127.0.0.1:${rx.port}`, lostWindowMs: 400 });
    const lost: number[] = [];
    t.onLost((from) => lost.push(from));
    await t.send(msgs(1, 3));
    await t.send(msgs(4, 3));
    await waitFor(() => rx.sockets.length === 1, 'a connection');
    rx.sockets[0]!.destroy();
    await waitFor(() => lost.length === 1, 'onLost');
    assert.deepEqual(lost, [1]);

    // Written long before the drop: counted as delivered, nothing reported.
    await t.send(msgs(7, 2));
    await new Promise((r) => setTimeout(r, 600));
    rx.sockets[1]!.destroy();
    await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual(lost, [1]);

    await t.send(msgs(9, 1));
    await waitFor(() => rx.sockets.length === 3, 'a third connection');
    await t.close();
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(lost, [1], 'close() reports no loss');
    await rx.close();
  });

  it('rejects a send the receiver does not read within writeTimeoutMs, and reports it lost', async () => {
    const rx = await startTcpCollector(0, (socket) => socket.pause());
    const t = new SyslogTransport({ url: `tcp://127.0.0.1:${rx.port}`, writeTimeoutMs: 300 });
    const lost: number[] = [];
    t.onLost((from) => lost.push(from));
    const big = 'x'.repeat(64 * 1024 * 1024);
    await assert.rejects(t.send([{ seq: 42, text: big }]), (e) => {
      assert.ok(isCairnError(e, 'CAIRN_E_SERVER'));
      assert.match(e.message, /did not take \d+ bytes within 300 ms/);
      return true;
    });
    await waitFor(() => lost.length === 1, 'onLost');
    assert.deepEqual(lost, [42]);
    await t.close();
    await rx.close();
  });

  it('gives up on a TLS handshake that does not finish within connectTimeoutMs', async () => {
    const silent = await startTcpCollector(); // reads the ClientHello, never answers
    const t = new SyslogTransport({ url: `tcp+tls://127.0.0.1:${silent.port}`, connectTimeoutMs: 200 });
    await assert.rejects(t.send(msgs(1, 1)), /did not complete a TLS handshake within 200 ms/);
    await t.close();
    await silent.close();
  });

  it('refuses malformed URLs and an unreadable CA file, sends nothing for an empty batch, rejects sends after close', async () => {
    for (const url of ['udp://h:514', 'tcp://h', 'tcp://h:0', 'tcp://h:70000', 'tcp+tls://:514', 'http://h:1']) {
      assert.throws(
        () => new SyslogTransport({ url }),
        (e) => isCairnError(e, 'CAIRN_E_USAGE'),
        url,
      );
    }
    assert.equal(new SyslogTransport({ url: 'tcp+tls://[::1]:6514' }).endpoint, 'tcp+tls://[::1]:6514');
    const noCa = new SyslogTransport({ url: 'tcp+tls://127.0.0.1:6514', caFile: '/nonexistent/ca.pem' });
    await assert.rejects(noCa.send(msgs(1, 1)), (e) => isCairnError(e, 'CAIRN_E_USAGE') && /ENOENT/.test(e.message));
    const t = new SyslogTransport({ url: `tcp://127.0.0.1:${await freePort()}` });
    await t.send([]);
    await t.close();
    await assert.rejects(t.send(msgs(1, 1)), (e) => isCairnError(e, 'CAIRN_E_USAGE') && /closed/.test(e.message));
  });
});
