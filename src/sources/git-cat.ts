import { spawn } from 'node:child_process';

export interface CatOptions {
  readonly timeoutMs: number;
  /** A blob larger than this stops the read (the caller checks the sizes of ls-tree first; this is the backstop). */
  readonly maxFile: number;
  readonly signal?: AbortSignal;
}

/**
 * The contents of many blobs from ONE `git cat-file --batch` process: object ids in on stdin,
 * "<oid> <type> <size>\n<bytes>\n" records out, parsed as they stream (bodies copied once).
 * Any problem (a malformed header, a blob over maxFile, cancellation) kills git and rejects.
 */
export function catBlobs(
  gitDir: string,
  oids: readonly string[],
  env: Readonly<Record<string, string>>,
  opts: CatOptions,
): Promise<Map<string, Buffer>> {
  return new Promise((resolve, reject) => {
    const out = new Map<string, Buffer>();
    if (oids.length === 0) {
      resolve(out);
      return;
    }
    if (opts.signal?.aborted) {
      reject(new Error('cancelled'));
      return;
    }
    const child = spawn('git', ['-C', gitDir, 'cat-file', '--batch'], { env: { ...env }, stdio: 'pipe' });
    let stderr = '';
    let header: Buffer[] = [];
    let headerBytes = 0;
    let body: { oid: string; buf: Buffer; filled: number } | undefined;
    let skipNewline = false;
    let failure: Error | undefined;
    const stop = (err: Error) => {
      failure ??= err;
      child.kill('SIGKILL');
    };
    const timer = setTimeout(
      () => stop(new Error(`git cat-file did not finish within ${opts.timeoutMs} ms`)),
      opts.timeoutMs,
    );
    const onAbort = () => stop(new Error('cancelled'));
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    const onHeader = (line: string) => {
      const [oid, type, sizeText] = line.split(' ');
      if (type === 'missing') throw new Error(`object ${oid} is missing from the repository`);
      const size = Number(sizeText);
      if (!oid || !sizeText || !Number.isSafeInteger(size) || size < 0) {
        throw new Error(`git cat-file gave an unreadable header: ${JSON.stringify(line.slice(0, 200))}`);
      }
      if (size > opts.maxFile) throw new Error(`object ${oid} is ${size} bytes, over the limit of ${opts.maxFile}`);
      body = { oid, buf: Buffer.allocUnsafe(size), filled: 0 };
      if (size === 0) {
        out.set(body.oid, body.buf);
        body = undefined;
        skipNewline = true;
      }
    };
    const onData = (chunk: Buffer) => {
      let pos = 0;
      while (pos < chunk.length) {
        if (skipNewline) {
          skipNewline = false;
          pos++;
        } else if (body) {
          const n = Math.min(body.buf.length - body.filled, chunk.length - pos);
          chunk.copy(body.buf, body.filled, pos, pos + n);
          body.filled += n;
          pos += n;
          if (body.filled === body.buf.length) {
            out.set(body.oid, body.buf);
            body = undefined;
            skipNewline = true;
          }
        } else {
          const nl = chunk.indexOf(10, pos);
          const end = nl < 0 ? chunk.length : nl;
          headerBytes += end - pos;
          if (headerBytes > 4096) throw new Error('git cat-file gave a header line over 4096 bytes');
          header.push(chunk.subarray(pos, end));
          pos = end;
          if (nl >= 0) {
            const line = Buffer.concat(header).toString('utf8');
            header = [];
            headerBytes = 0;
            pos = nl + 1;
            onHeader(line);
          }
        }
      }
    };
    child.stdout.on('data', (chunk: Buffer) => {
      if (failure) return;
      try {
        onData(chunk);
      } catch (err) {
        stop(err instanceof Error ? err : new Error(String(err)));
      }
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr = (stderr + d).slice(-8192);
    });
    child.stdin.on('error', () => undefined);
    child.on('error', (err) => {
      failure ??= err;
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      if (!failure && code !== 0) failure = new Error(`git cat-file exited with code ${code}: ${stderr.trim()}`);
      if (!failure && out.size < new Set(oids).size)
        failure = new Error('git cat-file ended before every object was read');
      if (failure) reject(failure);
      else resolve(out);
    });
    child.stdin.end(`${[...new Set(oids)].join('\n')}\n`);
  });
}
