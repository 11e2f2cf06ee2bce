/**
 * Audit events as JSON over HTTP in the Splunk HTTP Event Collector shape: one POST per batch,
 * `Authorization: Splunk <token>`, the body the messages' texts joined by newlines (each text is
 * one HEC event object, built by the audit layer). A 2xx answer ({"text":"Success","code":0}) is
 * the acknowledgement, so this transport never reports losses; anything else rejects the send.
 */
import { CairnError } from '../errors/index.js';
import { answerReason, assertHttpUrl, type FetchLike, postOnce, redactEndpoint } from './http-post.js';
import { assertMessages, type LostListener, type SiemMessage, type SiemTransport } from './siem-transport.js';

export interface HecTransportOptions {
  /** The collector endpoint, e.g. https://splunk:8088/services/collector/event */
  readonly url: string;
  readonly token: string;
  /** Default 10000. */
  readonly timeoutMs?: number;
  /** For tests and proxies; the global fetch otherwise. */
  readonly fetch?: FetchLike;
}

export class HecTransport implements SiemTransport {
  readonly endpoint: string;
  readonly #url: string;
  readonly #token: string;
  readonly #timeoutMs: number;
  readonly #fetch: FetchLike | undefined;
  #closed = false;

  constructor(options: HecTransportOptions) {
    assertHttpUrl(options.url, 'HEC');
    if (!options.token) throw new CairnError('CAIRN_E_NO_SECRET', 'the HEC transport needs a token');
    this.#url = options.url;
    this.#token = options.token;
    this.#timeoutMs = options.timeoutMs ?? 10_000;
    this.#fetch = options.fetch;
    this.endpoint = redactEndpoint(options.url);
  }

  /** HEC acknowledges every batch, so nothing is ever reported lost. */
  onLost(_listener: LostListener): () => void {
    return () => undefined;
  }

  async send(messages: readonly SiemMessage[]): Promise<void> {
    if (this.#closed) throw new CairnError('CAIRN_E_USAGE', `the HEC transport to ${this.endpoint} is closed`);
    assertMessages(messages);
    if (messages.length === 0) return;
    const answer = await postOnce({
      label: 'HEC receiver',
      url: this.#url,
      body: messages.map((m) => m.text).join('\n'),
      headers: { authorization: `Splunk ${this.#token}`, 'content-type': 'application/json' },
      timeoutMs: this.#timeoutMs,
      ...(this.#fetch ? { fetch: this.#fetch } : {}),
    });
    if (answer.status >= 200 && answer.status < 300) return;
    const hint = answer.status === 401 || answer.status === 403 ? 'check the HEC token' : 'the outbox retries later';
    throw new CairnError(
      'CAIRN_E_SERVER',
      `HEC receiver ${this.endpoint} answered ${answer.status}: ${answerReason(answer, [this.#token])}; ${hint}`,
      { endpoint: this.endpoint, status: answer.status, firstSeq: messages[0]!.seq },
    );
  }

  async close(): Promise<void> {
    this.#closed = true;
  }
}
