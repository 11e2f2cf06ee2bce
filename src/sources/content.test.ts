import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { redactConninfo, redactUrl, secretsOf } from './content.js';

describe('redactUrl', () => {
  test('any userinfo is masked: a password, and a token given as the user name', () => {
    assert.equal(redactUrl('https://ghp_TOKEN123@github.com/org/repo.git'), 'https://***@github.com/org/repo.git');
    assert.equal(redactUrl('https://user:pa55@host/x'), 'https://***:***@host/x');
    assert.equal(redactUrl('https://x-access-token:ghs_abc@github.com/o/r'), 'https://***:***@github.com/o/r');
  });

  test('the literal user git stays readable (ssh URL and scp form); others are masked', () => {
    assert.equal(redactUrl('ssh://git@github.com/org/repo.git'), 'ssh://git@github.com/org/repo.git');
    assert.equal(redactUrl('git@github.com:org/repo.git'), 'git@github.com:org/repo.git');
    assert.equal(redactUrl('deploy_tok3n@example.com:org/repo.git'), '***@example.com:org/repo.git');
  });

  test('secret query values; URLs without credentials unchanged', () => {
    assert.equal(redactUrl('https://h/export?token=abc&x=1'), 'https://h/export?token=***&x=1');
    assert.equal(redactUrl('https://h/export'), 'https://h/export');
  });

  test('keyword/value connection strings get their password masked', () => {
    assert.equal(redactUrl('host=db user=app password=s3cret dbname=x'), 'host=db user=app password=*** dbname=x');
    assert.equal(redactConninfo("host=db password = 'a b\\'c' port=5"), 'host=db password = *** port=5');
    assert.equal(redactConninfo('host=db port=5'), 'host=db port=5');
  });
});

describe('secretsOf', () => {
  test('the password, or a lone user name that is not git; a conninfo password', () => {
    assert.deepEqual(secretsOf('https://user:p%40ss@h/x'), ['p%40ss', 'p@ss']);
    assert.deepEqual(secretsOf('https://ghp_TOKEN@github.com/x'), ['ghp_TOKEN']);
    assert.deepEqual(secretsOf('ssh://git@github.com/x'), []);
    assert.deepEqual(secretsOf('tok3n@example.com:org/repo.git'), ['tok3n']);
    assert.deepEqual(secretsOf("host=db password='x y' user=a"), ['x y']);
  });
});
