/**
 * SIEM transports from the policy's `audit.siem` entries: syslog URLs and CA files pass through,
 * the HEC token comes from the variable tokenEnv names, and a missing token fails at setup.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isCairnError } from '../errors/index.js';
import { siemTransportFromPolicy } from './from-policy.js';
import { HecTransport } from './hec-transport.js';
import { SyslogTransport } from './syslog-transport.js';

describe('siemTransportFromPolicy', () => {
  it('makes a SyslogTransport for syslog sinks and a HecTransport with the token from tokenEnv for http sinks', () => {
    const syslog = siemTransportFromPolicy({ kind: 'syslog', url: 'tcp+tls://siem.example:6514', format: 'rfc5424' });
    assert.ok(syslog instanceof SyslogTransport);
    assert.equal(syslog.endpoint, 'tcp+tls://siem.example:6514');
    const hec = siemTransportFromPolicy(
      { kind: 'http', url: 'https://splunk.example:8088/services/collector', tokenEnv: 'HEC_TOKEN' },
      { env: { HEC_TOKEN: 't0ken' } },
    );
    assert.ok(hec instanceof HecTransport);
    assert.equal(hec.endpoint, 'https://splunk.example:8088/…');
  });

  it('fails at setup, naming the variable, when the HEC token is missing', () => {
    assert.throws(
      () =>
        siemTransportFromPolicy(
          { kind: 'http', url: 'https://s:8088/services/collector', tokenEnv: 'HEC_TOKEN' },
          { env: {} },
        ),
      (e) => isCairnError(e, 'CAIRN_E_NO_SECRET') && /set HEC_TOKEN/.test(e.message),
    );
    assert.throws(
      () => siemTransportFromPolicy({ kind: 'http', url: 'https://s:8088/services/collector' }, { env: {} }),
      (e) => isCairnError(e, 'CAIRN_E_NO_SECRET') && /tokenEnv/.test(e.message),
    );
  });
});
