import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseVersion, rangeProblem, satisfies } from './semver.js';

describe('satisfies', () => {
  const cases: [string, string, boolean][] = [
    ['14', '>=14', true],
    ['16.4', '>=14', true],
    ['13.9', '>=14', false],
    ['14.0.0-rc.1', '>=14', false],
    ['1.2.9', '>1.2', false], // >1.2 means >=1.3.0
    ['1.3.0', '>1.2', true],
    ['1.2.4', '>1.2.3', true],
    ['1.2.3', '>1.2.3', false],
    ['14.9.9', '<=14', true], // <=14 means <15.0.0
    ['15.0.0', '<=14', false],
    ['2.4.1', '<=2.4.1', true],
    ['2.4.2', '<=2.4.1', false],
    ['13.99', '<14', true],
    ['14', '<14', false],
    ['2.4.1', '=2.4.1', true],
    ['2.4.2', '=2.4.1', false],
    ['2.4.1', '2.4.1', true],
    ['2.0.0', '2.x', true],
    ['2.9.3', '2.x', true],
    ['3.0.0', '2.x', false],
    ['1.9.9', '2.x', false],
    ['2.4.7', '2.4.x', true],
    ['2.5.0', '2.4.x', false],
    ['2.4.7', '2.4', true],
    ['2.7', '2', true],
    ['9.9.9', '*', true],
    ['1.4.0', '^1.2', true],
    ['2.0.0', '^1.2', false],
    ['1.1.9', '^1.2', false],
    ['0.2.5', '^0.2.3', true],
    ['0.3.0', '^0.2.3', false],
    ['0.0.3', '^0.0.3', true],
    ['0.0.4', '^0.0.3', false],
    ['1.2.9', '~1.2', true],
    ['1.3.0', '~1.2', false],
    ['1.2.5', '~1.2.3', true],
    ['1.3.0', '~1.2.3', false],
    ['1.9.0', '~1', true],
    ['14.2', '>=14 <15', true],
    ['15.0', '>=14 <15', false],
    ['14.2', '>= 14 < 15', true],
    ['1.5.0', '^1.2 || >=3', true],
    ['2.5.0', '^1.2 || >=3', false],
    ['3.1.0', '^1.2 || >=3', true],
    ['v2.4.1', '2.x', true],
    ['2.4.1+build.7', '2.4.1', true],
    ['2.0.0-rc.1', '<2.0.0', true],
    ['2.0.0-rc.2', '>2.0.0-rc.1', true],
    ['2.0.0-rc.10', '>2.0.0-rc.9', true],
    ['PostgreSQL 16', '>=14', false], // not a version
    ['', '>=14', false],
  ];
  for (const [version, range, expected] of cases) {
    test(`${JSON.stringify(version)} ${expected ? 'satisfies' : 'does not satisfy'} ${JSON.stringify(range)}`, () => {
      assert.equal(satisfies(version, range), expected);
    });
  }

  test('a version file: the first line, trimmed', () => {
    assert.deepEqual(parseVersion('  2.4.1 \nnotes\n'), { parts: [2, 4, 1], pre: '' });
    assert.equal(satisfies('2.4.1\n', '2.4.x'), true);
  });
  test('an invalid range is satisfied by nothing', () => {
    assert.equal(satisfies('1.0.0', '>=banana'), false);
  });
});

describe('rangeProblem', () => {
  for (const good of [
    '>=14',
    '>1.2',
    '<=3',
    '<3',
    '=2.4.1',
    '2.x',
    '2.4.x',
    '2.*',
    '*',
    '^1.2',
    '~1.2',
    '2.4.1',
    '>=1 <2 || 3.x',
  ]) {
    test(`accepts ${good}`, () => assert.equal(rangeProblem(good), undefined));
  }
  const bad: [string, RegExp][] = [
    ['', /empty/],
    ['   ', /empty/],
    ['>=banana', /">=banana" is not a comparator/],
    ['>=14 ||', /empty alternative/],
    ['1.2.3.4', /"1.2.3.4" is not a comparator/],
    ['=>14', /"=>14" is not a comparator/],
    ['14-16', /a pre-release needs a full version/],
    ['2.x-rc.1', /a pre-release needs a full version/],
  ];
  for (const [range, message] of bad) {
    test(`rejects ${JSON.stringify(range)}`, () => {
      const problem = rangeProblem(range);
      assert.ok(problem, 'expected a problem');
      assert.match(problem, message);
      assert.ok(problem.includes(`"${range.trim() === '' ? range : range.split(' ')[0]}`), problem);
    });
  }
});
