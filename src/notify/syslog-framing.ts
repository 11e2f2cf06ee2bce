/**
 * Where a syslog receiver is and how messages are delimited on its stream (RFC 6587):
 * octet-counting (`<byte length> <message>`, the default: any text is safe) or LF framing (each
 * message ends with a line feed, so a message must not contain one).
 */
import { CairnError } from '../errors/index.js';
import type { SiemMessage } from './siem-transport.js';

export type SyslogFraming = 'octet-counting' | 'lf';

export interface SyslogTarget {
  readonly tls: boolean;
  readonly host: string;
  readonly port: number;
  /** tcp://host:port or tcp+tls://host:port, for messages. */
  readonly endpoint: string;
}

export function parseSyslogUrl(url: string): SyslogTarget {
  const match = /^(tcp|tcp\+tls):\/\/(\[[0-9a-fA-F:.]+\]|[^\s/:@[\]]+):(\d{1,5})\/?$/.exec(url);
  const port = Number(match?.[3]);
  if (!match || port < 1 || port > 65535) {
    throw new CairnError(
      'CAIRN_E_USAGE',
      'a syslog receiver URL must look like tcp://host:port or tcp+tls://host:port',
      { url: url.replace(/\/\/[^@/]*@/, '//***@') },
    );
  }
  const scheme = match[1]!;
  const rawHost = match[2]!;
  return {
    tls: scheme === 'tcp+tls',
    host: rawHost.startsWith('[') ? rawHost.slice(1, -1) : rawHost,
    port,
    endpoint: `${scheme}://${rawHost}:${port}`,
  };
}

/** The bytes of a batch on the wire, in order. */
export function frameBatch(messages: readonly SiemMessage[], framing: SyslogFraming): Buffer {
  const parts: Buffer[] = [];
  for (const { seq, text } of messages) {
    const body = Buffer.from(text, 'utf8');
    if (framing === 'lf') {
      if (body.includes(0x0a)) {
        throw new CairnError(
          'CAIRN_E_USAGE',
          `syslog message seq ${seq} contains a line feed, which LF framing cannot carry; use octet-counting framing`,
          { seq },
        );
      }
      parts.push(body, LF);
    } else {
      parts.push(Buffer.from(`${body.length} `, 'ascii'), body);
    }
  }
  return Buffer.concat(parts);
}

const LF = Buffer.from('\n', 'ascii');
