/**
 * drift-compare: whether two versions of a file differ outside an item's ignore rules, and what the
 * detail says (keys, or lines; values only when the item's secrets mode allows them).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compareContent, compileRules, DETAIL_LIMIT, formatOf } from '../src/services/drift-compare.js';

const rules = (ignore: string[] = [], ignoreLines: string[] = []) => compileRules({ ignore, ignoreLines }, 'app');
const b = (s: string) => Buffer.from(s);
const cmp = (
  path: string,
  before: string,
  after: string,
  r = rules(),
  showValues = false,
  format?: 'json' | 'yaml' | 'text',
) => compareContent(path, b(before), b(after), r, { showValues, ...(format ? { format } : {}) });

describe('drift compare: JSON', () => {
  const before = JSON.stringify({ metadata: { name: 'a', resourceVersion: '1' }, spec: { replicas: 3 } });

  it('an edit only in an ignored dotted path is not a change', () => {
    const after = JSON.stringify({ metadata: { name: 'a', resourceVersion: '2' }, spec: { replicas: 3 } });
    assert.deepEqual(cmp('a.json', before, after, rules(['metadata.resourceVersion'])), { changed: false, detail: [] });
    assert.deepEqual(cmp('a.json', before, after).detail, ['~ metadata.resourceVersion']);
  });

  it('key order and whitespace are not changes; a real edit names the key, never the value', () => {
    const reordered = `{\n  "spec": { "replicas": 3 },\n  "metadata": { "resourceVersion": "1", "name": "a" }\n}\n`;
    assert.equal(cmp('a.json', before, reordered).changed, false);
    const edited = JSON.stringify({
      metadata: { name: 'a', resourceVersion: '1' },
      spec: { replicas: 7 },
      x: 's3cr3t',
    });
    const r = cmp('a.json', before, edited, rules(['metadata.resourceVersion']), true);
    assert.deepEqual(r, { changed: true, detail: ['~ spec.replicas', '+ x'] });
    assert.ok(!r.detail.join(' ').includes('s3cr3t'));
  });

  it('* matches one level, object keys and array positions alike', () => {
    const a = JSON.stringify({
      items: [
        { status: { ready: 1 }, spec: 1 },
        { status: { ready: 0 }, spec: 2 },
      ],
    });
    const c = JSON.stringify({
      items: [
        { status: { ready: 9 }, spec: 1 },
        { status: { ready: 9 }, spec: 2 },
      ],
    });
    assert.equal(cmp('l.json', a, c, rules(['items.*.status'])).changed, false);
    const d = JSON.stringify({
      items: [
        { status: {}, spec: 1 },
        { status: {}, spec: 3 },
      ],
    });
    assert.deepEqual(cmp('l.json', a, d, rules(['items.*.status'])).detail, ['~ items.1.spec']);
    const labels = (v: string) => JSON.stringify({ metadata: { labels: { a: v, b: v } }, keep: 1 });
    assert.equal(cmp('m.json', labels('1'), labels('2'), rules(['metadata.labels.*'])).changed, false);
  });
});

describe('drift compare: YAML', () => {
  it('applies ignored paths to every document of a stream', () => {
    const doc = (rv: number, replicas: number) =>
      `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c${rv % 2}\n  resourceVersion: "${rv}"\ndata:\n  replicas: "${replicas}"\n`;
    const before = `${doc(1, 3)}---\n${doc(2, 3)}`;
    const after = `${doc(11, 3)}---\n${doc(12, 3)}`;
    assert.equal(cmp('cm.yaml', before, after, rules(['metadata.resourceVersion'])).changed, false);
    const edited = `${doc(11, 3)}---\n${doc(12, 4)}`;
    assert.deepEqual(cmp('cm.yaml', before, edited, rules(['metadata.resourceVersion'])).detail, [
      'doc 2: ~ data.replicas',
    ]);
  });

  it('applies ignored paths to each item of a kubectl List', () => {
    const list = (rv: string, uid: string, value: string) =>
      [
        'apiVersion: v1',
        'kind: List',
        'metadata:',
        `  resourceVersion: "${rv}"`,
        'items:',
        '  - kind: ConfigMap',
        '    metadata:',
        '      name: a',
        `      resourceVersion: "${rv}1"`,
        `      uid: ${uid}`,
        '    data:',
        `      mode: ${value}`,
        '  - kind: ConfigMap',
        '    metadata:',
        '      name: b',
        `      resourceVersion: "${rv}2"`,
        '',
      ].join('\n');
    const r = rules(['metadata.resourceVersion', 'metadata.uid']);
    assert.equal(cmp('cms.yaml', list('100', 'u1', 'fast'), list('200', 'u2', 'fast'), r).changed, false);
    assert.deepEqual(cmp('cms.yaml', list('100', 'u1', 'fast'), list('200', 'u2', 'slow'), r).detail, [
      '~ items.0.data.mode',
    ]);
  });

  it('a declared format wins over the extension; ignoreLines drop lines before parsing', () => {
    const before = 'generatedAt: 2026-01-01T00:00:00Z\nreplicas: 3\n';
    const after = 'generatedAt: 2026-02-02T00:00:00Z\nreplicas: 3\n';
    assert.equal(cmp('output.txt', before, after, rules([], ['^generatedAt:']), false, 'yaml').changed, false);
    assert.deepEqual(cmp('output.txt', before, after, rules(), false, 'yaml').detail, ['~ generatedAt']);
    assert.equal(formatOf('x.yml'), 'yaml');
    assert.equal(formatOf('x.JSON'), 'json');
    assert.equal(formatOf('x.conf'), 'text');
    assert.equal(formatOf('x.conf', 'json'), 'json');
  });

  it('a file that does not parse is compared line by line', () => {
    const r = cmp('bad.yaml', 'a: [1\n', 'a: [2\n', rules(), true);
    assert.deepEqual(r.detail, ['- 1: a: [1', '+ 1: a: [2']);
  });
});

describe('drift compare: text', () => {
  it('drops lines matching ignoreLines, and lists changed lines with their numbers', () => {
    const before = '# generated at 10:00\nport = 80\nhost = a\n';
    const after = '# generated at 11:00\nport = 80\nhost = a\n';
    assert.equal(cmp('app.conf', before, after, rules([], ['^# generated at'])).changed, false);
    const shown = cmp('app.conf', before, after, rules([], ['^# generated at']), true);
    assert.equal(shown.changed, false);
    const edited = cmp(
      'app.conf',
      before,
      `${after.replace('host = a', 'host = b')}debug = true\n`,
      rules([], ['^# generated at']),
      true,
    );
    // Line numbers are the file's own, ignored lines counted.
    assert.deepEqual(edited.detail, ['- 3: host = a', '+ 3: host = b', '+ 4: debug = true']);
  });

  it('never prints a value unless the item allows secrets: keys only', () => {
    const before = 'DB_PASSWORD=hunter2\nLOG=info\n';
    const after = 'DB_PASSWORD=correct-horse\nLOG=info\nsome free text with a token abc123\n';
    const r = cmp('app.env', before, after);
    const text = r.detail.join('\n');
    for (const secret of ['hunter2', 'correct-horse', 'abc123']) assert.ok(!text.includes(secret), text);
    assert.deepEqual(r.detail, [
      '- 1: DB_PASSWORD (value not shown)',
      '+ 1: DB_PASSWORD (value not shown)',
      '+ 3: (line not shown)',
    ]);
  });

  it('lists at most DETAIL_LIMIT details and counts the rest', () => {
    const after = Array.from({ length: 30 }, (_, i) => `line ${i}`).join('\n');
    const r = cmp('many.txt', '', after, rules(), true);
    assert.equal(r.detail.length, DETAIL_LIMIT + 1);
    assert.match(r.detail.at(-1)!, /^… and \d+ more$/);
  });

  it('refuses an ignoreLines entry that is not a regular expression, naming the item', () => {
    assert.throws(
      () => compileRules({ ignore: [], ignoreLines: ['(unclosed'] }, 'payments'),
      (e: Error & { code?: string }) => e.code === 'CAIRN_E_POLICY_INVALID' && /payments/.test(e.message),
    );
  });
});
