import { spawn } from 'node:child_process';

/**
 * The contents of many blobs from ONE `git cat-file --batch` process: object ids in on stdin,
 * "<oid> <type> <size>\n<bytes>\n" records out, parsed as they stream (bodies copied once).
 */
export function catBlobs(
  gitDir: string,
  oids: readonly string[],
  env: Readonly<Record<string, string>>,
  timeoutMs: number,
): Promise<Map<string, Buffer>> {
  return new Promise((resolve, reject) => {
    const out = new Map<string, Buffer>();
    if (oids.length === 0) {
      resolve(out);
      return;
    }
    const child = spawn('git', ['-C', gitDir, 'cat-file', '--batch'], { env: { ...env }, stdio: 'pipe' });
    let stderr = '';
    let header: Buffer[] = [];
    let body: { oid: string; buf: Buffer; filled: number } | undefined;
    let skipNewline = false;
    let failure: Error | undefined;
    const timer = setTimeout(() => {
      failure = new Error(`git cat-file did not finish within ${timeoutMs} ms`);
      child.kill('SIGKILL');
    }, timeoutMs);
    const onHeader = (line: string) => {
      const [oid, type, size] = line.split(' ');
      if (type === 'missing' || size === undefined) {
        failure ??= new Error(`object ${oid} is missing from the repository`);
        return;
      }
      body = { oid: oid!, buf: Buffer.allocUnsafe(Number(size)), filled: 0 };
      if (body.buf.length === 0) {
        out.set(body.oid, body.buf);
        body = undefined;
        skipNewline = true;
      }
    };
    child.stdout.on('data', (chunk: Buffer) => {
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
          if (nl < 0) {
            header.push(chunk.subarray(pos));
            pos = chunk.length;
          } else {
            header.push(chunk.subarray(pos, nl));
            onHeader(Buffer.concat(header).toString('utf8'));
            header = [];
            pos = nl + 1;
          }
        }
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
      if (!failure && code !== 0) failure = new Error(`git cat-file exited with code ${code}: ${stderr.trim()}`);
      if (!failure && out.size < new Set(oids).size)
        failure = new Error('git cat-file ended before every object was read');
      if (failure) reject(failure);
      else resolve(out);
    });
    child.stdin.end(`${[...new Set(oids)].join('\n')}\n`);
  });
}
