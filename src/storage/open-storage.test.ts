import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { isCairnError } from '../errors/index.js';
import { LocalStorage } from './local/local-storage.js';
import { MemStorage } from './mem/mem-storage.js';
import { openStorage } from './open-storage.js';
import { S3Storage } from './s3/s3-storage.js';

describe('openStorage', () => {
  const saved = process.env.CAIRN_TEST_MEM;
  afterEach(() => {
    if (saved === undefined) delete process.env.CAIRN_TEST_MEM;
    else process.env.CAIRN_TEST_MEM = saved;
  });

  it('opens a relative or absolute path as a local directory, resolved', () => {
    const relative = openStorage('.cairn');
    assert.ok(relative instanceof LocalStorage);
    assert.equal(relative.location, resolve('.cairn'));
    assert.equal(openStorage('/srv/backups/cairn').location, '/srv/backups/cairn');
  });

  it('opens a file:// URL as a local directory', () => {
    const dir = join(tmpdir(), 'cairn repo');
    const storage = openStorage(pathToFileURL(dir).href);
    assert.ok(storage instanceof LocalStorage);
    assert.equal(storage.location, dir);
  });

  it('refuses mem: unless CAIRN_TEST_MEM=1, and then shares one store per location', () => {
    delete process.env.CAIRN_TEST_MEM;
    assert.throws(
      () => openStorage('mem:'),
      (err) => isCairnError(err, 'CAIRN_E_USAGE'),
    );
    process.env.CAIRN_TEST_MEM = '1';
    const a = openStorage('mem:');
    assert.ok(a instanceof MemStorage);
    assert.equal(openStorage('mem:'), a);
    assert.notEqual(openStorage('mem:other'), a);
    assert.equal(openStorage('mem:other').location, 'mem:other');
  });

  it('opens s3://bucket/prefix as an S3 store without contacting it', () => {
    const storage = openStorage('s3://my-bucket/backups/cairn/');
    assert.ok(storage instanceof S3Storage);
    assert.equal(storage.location, 's3://my-bucket/backups/cairn');
    assert.equal(storage.settings.bucket, 'my-bucket');
    assert.equal(storage.settings.prefix, 'backups/cairn/');
    assert.equal(storage.listsRetention, false);
    assert.equal((openStorage('S3://my-bucket') as S3Storage).settings.prefix, '');
  });

  it('refuses an S3 location without a valid bucket name', () => {
    for (const bad of ['s3://', 's3://UPPER/x', 's3://a/x', 's3://bucket//x', 's3://bucket/a/../b']) {
      assert.throws(
        () => openStorage(bad),
        (err) => isCairnError(err, 'CAIRN_E_USAGE') && err.message.includes(bad),
        bad,
      );
    }
  });

  it('refuses an empty location and unknown schemes', () => {
    assert.throws(
      () => openStorage(''),
      (err) => isCairnError(err, 'CAIRN_E_USAGE'),
    );
    assert.throws(
      () => openStorage('https://example.com/repo'),
      (err) => isCairnError(err, 'CAIRN_E_USAGE'),
    );
  });
});
