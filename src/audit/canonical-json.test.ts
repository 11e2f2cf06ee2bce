import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { canonicalJson } from './canonical-json.js';

describe('canonical JSON', () => {
  it('sorts keys at every depth and has no whitespace', () => {
    const value = { b: 1, a: { d: [{ z: 1, y: 2 }], c: 'x y' }, A: null };
    assert.equal(canonicalJson(value), '{"A":null,"a":{"c":"x y","d":[{"y":2,"z":1}]},"b":1}');
  });

  it('gives the same bytes whatever the key order, and after a JSON round trip', () => {
    const one = { x: 1.5, y: 'ü\n"', z: [true, false, null] };
    const two = { z: [true, false, null], y: 'ü\n"', x: 1.5 };
    assert.equal(canonicalJson(one), canonicalJson(two));
    assert.equal(canonicalJson(JSON.parse(JSON.stringify(two))), canonicalJson(one));
  });

  it('drops undefined members as JSON does, and uses toJSON', () => {
    assert.equal(
      canonicalJson({ a: undefined, b: [undefined], at: new Date(0) }),
      '{"at":"1970-01-01T00:00:00.000Z","b":[null]}',
    );
    assert.equal(canonicalJson(undefined), 'null');
  });
});
