import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { isCairnError } from '../../errors/index.js';
import { PolicySource } from './policy-source.js';
import { policyView } from './policy-view.js';

const policy = (items: string[], extra = '') =>
  `version: 1\n${extra}tiers:\n  t: {}\nitems:\n${items
    .map(
      (name) =>
        `  - name: ${name}\n    owner: o@example.com\n    tier: t\n    sources:\n      - files: { root: src }\n`,
    )
    .join('')}`;

describe('PolicySource', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cairn-policy-source-'));
  const file = join(dir, 'cairn.yaml');
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses to start on a policy that does not load', async () => {
    writeFileSync(file, 'version: 1\nitems: [{ name: x }]\n');
    await assert.rejects(PolicySource.open(file), (e) => isCairnError(e, 'CAIRN_E_POLICY_INVALID'));
    await assert.rejects(PolicySource.open(join(dir, 'none.yaml')), (e) => isCairnError(e, 'CAIRN_E_POLICY_NOT_FOUND'));
  });

  it('takes in a changed file, keeps the last good policy when a change does not load, and says so once', async () => {
    writeFileSync(file, policy(['a']));
    const errors: unknown[] = [];
    const source = await PolicySource.open(file, (err) => errors.push(err));
    const names = async () => (await source.current()).items.map((i) => i.name);
    assert.deepEqual(await names(), ['a']);
    writeFileSync(file, policy(['a', 'b']));
    assert.deepEqual(await names(), ['a', 'b']);
    assert.equal(source.generation, 1);
    writeFileSync(file, `${policy(['a', 'b'])}  - name: c\n`);
    assert.deepEqual(await names(), ['a', 'b']);
    assert.deepEqual(await names(), ['a', 'b']);
    assert.equal(errors.length, 1);
    assert.ok(isCairnError(errors[0], 'CAIRN_E_POLICY_INVALID'));
    rmSync(file);
    assert.deepEqual(await names(), ['a', 'b']);
    assert.equal(errors.length, 2);
    writeFileSync(file, policy(['d']));
    assert.deepEqual(await names(), ['d']);
    assert.equal(source.generation, 2);
  });
});

describe('policyView', () => {
  it('shows the policy without webhook paths, secret-named fields or URL passwords', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cairn-policy-view-'));
    const file = join(dir, 'cairn.yaml');
    const alerts =
      'alerts:\n  sinks:\n    - slack: { url: "https://hooks.slack.example/services/T000/B000/XXXXSECRET" }\n';
    writeFileSync(file, policy(['a'], alerts).replace('tier: t\n', 'tier: t\n    secrets: redact\n'));
    try {
      const loaded = await (await PolicySource.open(file)).current();
      const withExtra = {
        ...loaded,
        extra: { vault: { token: 'hvs.secret', url: 'postgres://u:pw@db/x', tokenEnv: 'VAULT_TOKEN' } },
      };
      const text = JSON.stringify(policyView(withExtra));
      assert.ok(!text.includes('XXXXSECRET') && !text.includes('hvs.secret') && !text.includes(':pw@'), text);
      assert.match(text, /"url":"https:\/\/hooks\.slack\.example\/…"/);
      assert.match(text, /"token":"\[REDACTED\]"/);
      assert.match(text, /postgres:\/\/u:\*\*\*@db\/x/);
      assert.match(text, /"tokenEnv":"VAULT_TOKEN"/);
      assert.match(text, /"secrets":"redact"/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
