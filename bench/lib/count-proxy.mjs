// A counting HTTP proxy for the S3 benchmark: forwards every request to the S3 server unchanged (the Host
// header too, so SigV4 signatures stay valid) and appends one line per request to the log file:
// "KIND<TAB>request bytes<TAB>response bytes<TAB>status", KIND being the HTTP method, LIST for a GET
// that lists a bucket (list-type, versions or uploads in the query), or LOCK for a PUT that sets an
// object's retention or legal hold (so PUT counts objects written). Both tools talk to it, so both are
// counted the same way.
// Usage: node bench/lib/count-proxy.mjs LISTEN_PORT TARGET_HOST:PORT LOG_FILE
import { appendFileSync } from 'node:fs';
import http from 'node:http';

const [listenPort, target, logFile] = process.argv.slice(2);
if (!listenPort || !target || !logFile) {
  console.error('usage: count-proxy.mjs LISTEN_PORT TARGET_HOST:PORT LOG_FILE');
  process.exit(2);
}
const [targetHost, targetPort] = target.split(':');
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
let lines = [];
const kindOf = (req) => {
  if (req.method === 'GET' && /[?&](list-type|versions|uploads)(=|&|$)/.test(req.url)) return 'LIST';
  if (req.method === 'PUT' && /[?&](retention|legal-hold)(=|&|$)/.test(req.url)) return 'LOCK';
  return req.method;
};
const flush = () => {
  if (lines.length === 0) return;
  appendFileSync(logFile, lines.join(''));
  lines = [];
};
setInterval(flush, 100).unref();

http
  .createServer((req, res) => {
    let up = 0;
    let down = 0;
    const upstream = http.request(
      { host: targetHost, port: Number(targetPort), method: req.method, path: req.url, headers: req.headers, agent },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.rawHeaders);
        answer.on('data', (chunk) => {
          down += chunk.length;
        });
        answer.pipe(res);
        answer.on('end', () => {
          lines.push(`${kindOf(req)}\t${up}\t${down}\t${answer.statusCode}\n`);
        });
      },
    );
    upstream.on('error', (err) => {
      lines.push(`${kindOf(req)}\t${up}\t0\terror\n`);
      if (!res.headersSent) res.writeHead(502);
      res.end(String(err));
    });
    req.on('data', (chunk) => {
      up += chunk.length;
    });
    req.pipe(upstream);
  })
  .listen(Number(listenPort), '127.0.0.1', () => console.log(`count-proxy on ${listenPort} -> ${target}`));

// The bench asks for the log to be complete before it reads it.
process.on('SIGUSR1', flush);
process.on('SIGTERM', () => {
  flush();
  process.exit(0);
});
