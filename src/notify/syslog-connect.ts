/**
 * Opening one connection to a syslog receiver, plain or TLS, within a deadline. Resolves once the
 * socket is usable (TCP connected, or the TLS handshake done and the certificate verified); every
 * failure becomes a CairnError that names the receiver and what to do, never a raw socket error.
 */
import { readFile } from 'node:fs/promises';
import { isIP, type Socket, connect as tcpConnect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { CairnError, errnoCode } from '../errors/index.js';
import type { SyslogTarget } from './syslog-framing.js';

export interface ConnectOptions {
  readonly ca?: Buffer;
  readonly rejectUnauthorized: boolean;
  readonly connectTimeoutMs: number;
  readonly keepAliveMs: number;
}

export function connectSyslog(target: SyslogTarget, opts: ConnectOptions): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket: Socket = target.tls
      ? tlsConnect({
          host: target.host,
          port: target.port,
          ...(isIP(target.host) ? {} : { servername: target.host }),
          ...(opts.ca ? { ca: opts.ca } : {}),
          rejectUnauthorized: opts.rejectUnauthorized,
        })
      : tcpConnect({ host: target.host, port: target.port });
    const onError = (err: Error) => {
      socket.destroy();
      reject(connectError(target, err));
    };
    const onTimeout = () => {
      socket.destroy();
      reject(
        new CairnError(
          'CAIRN_E_SERVER',
          `syslog receiver ${target.endpoint} did not ${target.tls ? 'complete a TLS handshake' : 'accept a connection'} within ${opts.connectTimeoutMs} ms; the outbox retries later`,
          { endpoint: target.endpoint, timeoutMs: opts.connectTimeoutMs },
        ),
      );
    };
    socket.once('error', onError);
    socket.setTimeout(opts.connectTimeoutMs, onTimeout);
    socket.once(target.tls ? 'secureConnect' : 'connect', () => {
      socket.off('error', onError);
      socket.setTimeout(0);
      socket.removeListener('timeout', onTimeout);
      socket.setKeepAlive(true, opts.keepAliveMs);
      socket.setNoDelay(true); // small batches leave now, not after the next ACK: less in flight at a crash
      resolve(socket);
    });
  });
}

function connectError(target: SyslogTarget, err: Error): CairnError {
  const code = errnoCode(err) ?? 'ERROR';
  const tlsProblem = /CERT|SELF_SIGNED|TLS|SSL|ALTNAME|VERIFY/i.test(code);
  const hint = tlsProblem
    ? 'check that the receiver presents a certificate for this host and that caFile names its CA'
    : 'the outbox retries later';
  return new CairnError(
    'CAIRN_E_SERVER',
    `cannot reach syslog receiver ${target.endpoint}: ${tlsProblem ? 'TLS failed: ' : ''}${code} (${err.message}); ${hint}`,
    { endpoint: target.endpoint, cause: code },
  );
}

/** The PEM bundle of CAs a tcp+tls receiver's certificate must chain to. */
export async function readCaFile(file: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (err) {
    throw new CairnError('CAIRN_E_USAGE', `cannot read the syslog CA file ${file}: ${errnoCode(err) ?? 'error'}`, {
      file,
    });
  }
}
