/** Restore targets' environment and messages: only PATH, HOME, LANG and CAIRN_ITEM reach a command; no credential in errors. */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { isCairnError } from '../src/errors/index.js';
import { deliverToTarget } from '../src/targets/index.js';

const cwd = mkdtempSync(join(tmpdir(), 'cairn-targets-env-'));
const env = {
  PATH: process.env.PATH ?? '/usr/bin:/bin',
  HOME: '/home/op',
  LANG: 'C.UTF-8',
  KUBECONFIG: '/home/op/.kube/config',
  DEPLOY_TOKEN: 'tok-s3cr3t-value',
};

writeFileSync(join(cwd, 'token.txt'), env.DEPLOY_TOKEN);

describe('restore targets', () => {
  it('gives a command PATH, HOME, LANG and CAIRN_ITEM only', async () => {
    const d = await deliverToTarget(
      { kind: 'command', run: 'cat >/dev/null; env | sort', timeoutMs: 10_000, cwd },
      { item: 'app', bytes: Buffer.from('x') },
      { env },
    );
    const names = (d.output ?? '')
      .split('\n')
      .map((l) => l.split('=')[0])
      .filter((n) => n && !['PWD', 'SHLVL', '_', 'OLDPWD'].includes(n));
    assert.deepEqual(names.sort(), ['CAIRN_ITEM', 'HOME', 'LANG', 'PATH']);
  });

  it('scrubs secret-looking variables of the caller from the stderr in its error', async () => {
    const err = await deliverToTarget(
      {
        kind: 'command',
        run: 'cat >/dev/null; printf "denied for %s\\n" "$(cat token.txt)" >&2; exit 3',
        timeoutMs: 10_000,
        cwd,
      },
      { item: 'app', bytes: Buffer.from('x') },
      { env },
    ).catch((e: unknown) => e);
    assert.ok(isCairnError(err, 'CAIRN_E_TARGET'));
    assert.match(err.message, /exited with code 3; stderr:\ndenied for \*\*\*/);
    assert.doesNotMatch(JSON.stringify(err.details), /s3cr3t/);
  });

  it('names an http target without its URL credentials when the request fails', async () => {
    const err = await deliverToTarget(
      {
        kind: 'http',
        method: 'PUT',
        url: 'http://ops:hunter22@127.0.0.1:1/import?token=abc123',
        headersEnv: {},
        timeoutMs: 5_000,
      },
      { item: 'flags', bytes: Buffer.from('{}') },
      { env },
    ).catch((e: unknown) => e);
    assert.ok(isCairnError(err, 'CAIRN_E_TARGET'));
    assert.doesNotMatch(err.message, /hunter22|abc123/);
    assert.doesNotMatch(JSON.stringify(err.details), /hunter22|abc123/);
  });

  it('stores a long command cut as describeTarget shows it', async () => {
    const { targetLabel } = await import('../src/services/rollback-plan.js');
    const label = targetLabel({
      kind: 'command',
      run: `kubectl apply -f - ${'--flag '.repeat(30)}`,
      timeoutMs: 1,
      cwd,
    });
    assert.ok(label.length < 80, label);
    assert.match(label, /…`$/);
  });
});
