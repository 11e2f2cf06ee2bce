import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cefLine, escapeExtension, escapeHeader } from './cef.js';
import { type AuditEvent, eventHash, GENESIS_HASH } from './event.js';
import { hecBody, hecEvent } from './hec.js';
import { escapeParam, syslogMessage } from './syslog.js';

function event(fields: Partial<AuditEvent> = {}): AuditEvent {
  const body = {
    seq: 42,
    id: '3f1c2a4e-9a7b-4c1d-8e2f-0a1b2c3d4e5f',
    time: '2026-11-02T09:00:01.250Z',
    identity: 'oidc:alice@acme',
    roles: ['restorer', 'viewer'],
    ip: '192.0.2.10',
    userAgent: 'curl/8.5',
    action: 'restore.run',
    target: 'nginx',
    result: 'ok' as const,
    changeId: 'CHG-1042',
    approvalId: null,
    details: {},
    prevHash: GENESIS_HASH,
    ...fields,
  };
  return { ...body, hash: eventHash(body) };
}

describe('CEF', () => {
  it('has the header, the standard extension keys and labelled custom fields', () => {
    const e = event();
    assert.equal(
      cefLine(e, '0.1.0'),
      'CEF:0|Cairn|Cairn|0.1.0|restore.run|restore.run ok|3|rt=1793610001250 ' +
        `externalId=${e.id} suser=oidc:alice@acme spriv=restorer,viewer src=192.0.2.10 ` +
        'requestClientApplication=curl/8.5 act=restore.run outcome=ok cs1Label=changeId cs1=CHG-1042 ' +
        `cs3Label=target cs3=nginx cs5Label=hash cs5=${e.hash} cn1Label=seq cn1=42`,
    );
  });

  it('escapes | and \\ in the header, and \\, = and line breaks in extension values', () => {
    assert.equal(escapeHeader('a|b\\c\nd'), 'a\\|b\\\\c d');
    assert.equal(escapeExtension('a=b\\c|d\r\ne\rf'), 'a\\=b\\\\c|d\\ne\\rf');
    const line = cefLine(event({ target: 'x=1\ny', details: { why: 'a\\b' }, result: 'denied' }), '1|2');
    assert.ok(line.startsWith('CEF:0|Cairn|Cairn|1\\|2|restore.run|restore.run denied|6|'));
    assert.match(line, / cs3=x\\=1\\ny /);
    assert.match(line, / cs4Label=details cs4=\{"why":"a\\\\\\\\b"\} /);
    assert.ok(!line.includes('\n'));
  });

  it('rates anomalies and authentication failures higher', () => {
    assert.match(cefLine(event({ action: 'anomaly.bulk-delete' }), '1'), /\|9\|/);
    assert.match(cefLine(event({ action: 'auth.fail', result: 'denied' }), '1'), /\|7\|/);
    assert.match(cefLine(event({ result: 'failed' }), '1'), /\|5\|/);
  });
});

describe('RFC 5424', () => {
  it('builds a log-audit notice with the audit@32473 structured data', () => {
    const e = event();
    assert.equal(
      syslogMessage(e, { host: 'cairn-1', procId: 4242 }),
      `<109>1 2026-11-02T09:00:01.250Z cairn-1 cairn 4242 AUDIT [audit@32473 seq="42" id="${e.id}" ` +
        `action="restore.run" result="ok" identity="oidc:alice@acme" target="nginx" ip="192.0.2.10" ` +
        `changeId="CHG-1042" hash="${e.hash}"] oidc:alice@acme restore.run nginx: ok`,
    );
  });

  it('is a warning for denied and failed events, escapes SD-PARAM values, and uses - for unknown fields', () => {
    const msg = syslogMessage(event({ result: 'denied', identity: 'token:"x"\\y]', target: null, ip: null }));
    assert.ok(msg.startsWith('<108>1 2026-11-02T09:00:01.250Z - cairn - AUDIT [audit@32473 '));
    assert.match(msg, / identity="token:\\"x\\"\\\\y\\]" /);
    assert.ok(!msg.includes('target='));
    assert.equal(escapeParam('a"b\\c]d'), 'a\\"b\\\\c\\]d');
    assert.ok(!syslogMessage(event({ target: 'a\nb' })).includes('\n'));
  });

  it('can carry the event as CEF in MSG', () => {
    assert.match(
      syslogMessage(event(), { body: 'cef', version: '0.1.0' }),
      /\] CEF:0\|Cairn\|Cairn\|0\.1\.0\|restore\.run\|/,
    );
  });
});

describe('Splunk HEC', () => {
  it('wraps events with epoch seconds, host, source and sourcetype, one JSON object a line', () => {
    const e = event();
    assert.deepEqual(hecEvent(e, 'cairn-1'), {
      time: 1793610001.25,
      host: 'cairn-1',
      source: 'cairn',
      sourcetype: 'cairn:audit',
      event: e,
    });
    const lines = hecBody([e, event({ seq: 43 })], 'h').split('\n');
    assert.deepEqual(
      lines.map((l) => JSON.parse(l).event.seq),
      [42, 43],
    );
  });
});
