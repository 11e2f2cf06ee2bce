import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isCairnError } from '../../errors/index.js';
import { defaultMaxAttempts, isS3Location, parseS3Location, s3Settings } from './config.js';

describe('S3 settings', () => {
  it('splits s3://bucket/prefix into a bucket and a prefix ending in /', () => {
    assert.deepEqual(parseS3Location('s3://b-1.x/a/b/'), { bucket: 'b-1.x', prefix: 'a/b/' });
    assert.deepEqual(parseS3Location('s3://bucket'), { bucket: 'bucket', prefix: '' });
    assert.deepEqual(parseS3Location('S3://bucket/'), { bucket: 'bucket', prefix: '' });
    assert.ok(isS3Location('s3://x') && isS3Location('S3://x') && !isS3Location('/srv/s3://x'));
  });

  it('takes the endpoint from CAIRN_S3_ENDPOINT, then the SDK variables; path style follows it', () => {
    const all = {
      CAIRN_S3_ENDPOINT: 'http://a:1',
      AWS_ENDPOINT_URL_S3: 'http://b:2',
      AWS_ENDPOINT_URL: 'http://c:3',
    };
    assert.equal(s3Settings('s3://bkt', all).endpoint, 'http://a:1');
    assert.equal(s3Settings('s3://bkt', { ...all, CAIRN_S3_ENDPOINT: '' }).endpoint, 'http://b:2');
    assert.equal(s3Settings('s3://bkt', { AWS_ENDPOINT_URL: 'http://c:3' }).endpoint, 'http://c:3');
    assert.equal(s3Settings('s3://bkt', all).forcePathStyle, true);
    const aws = s3Settings('s3://bkt/p', {});
    assert.equal(aws.endpoint, undefined);
    assert.equal(aws.forcePathStyle, false);
    assert.equal(aws.maxAttempts, defaultMaxAttempts);
    assert.equal(aws.location, 's3://bkt/p');
    assert.equal(s3Settings('s3://bkt', { ...all, CAIRN_S3_PATH_STYLE: '0' }).forcePathStyle, false);
    assert.equal(s3Settings('s3://bkt', { CAIRN_S3_PATH_STYLE: '1' }).forcePathStyle, true);
    assert.ok(Object.isFrozen(aws));
  });

  it('reads the attempts and the request log', () => {
    const s = s3Settings('s3://bkt', { CAIRN_S3_MAX_ATTEMPTS: '2', CAIRN_S3_REQUEST_LOG: '/tmp/r.jsonl' });
    assert.equal(s.maxAttempts, 2);
    assert.equal(s.requestLog, '/tmp/r.jsonl');
  });

  it('refuses bad values, naming the variable', () => {
    const bad: Array<[Record<string, string>, string]> = [
      [{ CAIRN_S3_MAX_ATTEMPTS: '0' }, 'CAIRN_S3_MAX_ATTEMPTS'],
      [{ CAIRN_S3_MAX_ATTEMPTS: 'many' }, 'CAIRN_S3_MAX_ATTEMPTS'],
      [{ CAIRN_S3_PATH_STYLE: 'yes' }, 'CAIRN_S3_PATH_STYLE'],
      [{ CAIRN_S3_ENDPOINT: 'ftp://x' }, 'ftp://x'],
    ];
    for (const [env, fragment] of bad) {
      assert.throws(
        () => s3Settings('s3://bkt', env),
        (err) => isCairnError(err, 'CAIRN_E_USAGE') && err.message.includes(fragment),
      );
    }
  });
});
