import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CairnError } from '../../errors/index.js';
import { s3Settings } from './config.js';
import { isMissingObject, isObjectLockRefusal, s3Failure } from './errors.js';

const settings = s3Settings('s3://bkt/pre', { CAIRN_S3_ENDPOINT: 'http://rgw:7480' });

/** An error shaped like the ones the SDK throws. */
function sdkError(name: string, status?: number, extra: Record<string, unknown> = {}): Error {
  return Object.assign(new Error(extra.message ? String(extra.message) : 'UnknownError'), {
    name,
    $metadata: { httpStatusCode: status, attempts: extra.attempts },
    ...extra,
  });
}

describe('S3 errors', () => {
  it('credentials refused: CAIRN_E_STORAGE_AUTH naming the variables to check', () => {
    for (const err of [
      sdkError('InvalidAccessKeyId', 403),
      sdkError('SignatureDoesNotMatch', 403),
      sdkError('Unknown', 403),
    ]) {
      const e = s3Failure('read', 'config', settings, err);
      assert.equal(e.code, 'CAIRN_E_STORAGE_AUTH');
      assert.match(e.message, /config in bucket bkt at http:\/\/rgw:7480/);
      assert.match(e.message, /AWS_ACCESS_KEY_ID/);
    }
  });

  it('an unreachable endpoint after retries: CAIRN_E_STORAGE_UNAVAILABLE with the attempts', () => {
    const refused = s3Failure(
      'write',
      'packs/aa/x',
      settings,
      sdkError('Error', undefined, { code: 'ECONNREFUSED', attempts: 5, message: 'connect ECONNREFUSED' }),
    );
    assert.equal(refused.code, 'CAIRN_E_STORAGE_UNAVAILABLE');
    assert.match(
      refused.message,
      /http:\/\/rgw:7480 is unavailable: write packs\/aa\/x in bucket bkt failed after 5 attempts/,
    );
    assert.deepEqual(refused.details, {
      endpoint: 'http://rgw:7480',
      bucket: 'bkt',
      op: 'write',
      key: 'packs/aa/x',
      error: 'Error',
      attempts: 5,
    });
    assert.equal(s3Failure('read', 'k', settings, sdkError('InternalError', 503)).code, 'CAIRN_E_STORAGE_UNAVAILABLE');
    assert.equal(s3Failure('read', 'k', settings, sdkError('TimeoutError')).code, 'CAIRN_E_STORAGE_UNAVAILABLE');
  });

  it('a missing bucket, a body changed in transit, anything else', () => {
    const bucket = s3Failure('list', '', settings, sdkError('NoSuchBucket', 404));
    assert.equal(bucket.code, 'CAIRN_E_BUCKET');
    assert.match(bucket.message, /cairn init s3:\/\/bkt\/pre --create-bucket/);
    assert.equal(s3Failure('write', 'k', settings, sdkError('BadDigest', 400)).code, 'CAIRN_E_INTEGRITY');
    const other = s3Failure('write', 'k', settings, sdkError('InvalidArgument', 400, { message: 'bad date' }));
    assert.equal(other.code, 'CAIRN_E_STORAGE');
    assert.equal(
      other.message,
      'cannot write k in bucket bkt at http://rgw:7480: InvalidArgument: bad date (HTTP 400)',
    );
    const passthrough = new CairnError('CAIRN_E_NOT_FOUND', 'x');
    assert.equal(s3Failure('read', 'k', settings, passthrough), passthrough);
  });

  it('tells a missing object and an Object Lock refusal apart', () => {
    assert.ok(isMissingObject(sdkError('NotFound', 404)));
    assert.ok(isMissingObject(sdkError('NoSuchKey', 404)));
    assert.ok(!isMissingObject(sdkError('NoSuchBucket', 404)));
    assert.ok(isObjectLockRefusal(sdkError('AccessDenied', 403, { message: 'forbidden by object lock' })));
    assert.ok(!isObjectLockRefusal(sdkError('AccessDenied', 403, { message: 'Access Denied' })));
  });
});
