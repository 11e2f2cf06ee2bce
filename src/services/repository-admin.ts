import { addKey, type KeyInfo, listKeys, Repository, removeKey, type Secret } from '../repo/index.js';
import { type SessionOptions, storageFor } from './session.js';

export async function initRepository(
  opts: Pick<SessionOptions, 'repository' | 'secret' | 'storage'>,
): Promise<{ id: string; location: string; keyId: string }> {
  const storage = storageFor(opts);
  const repo = await Repository.init(storage, opts.secret);
  await repo.close();
  return { id: repo.id, location: storage.location, keyId: repo.keyId };
}

export async function addRepositoryKey(repo: Repository, secret: Secret, label?: string): Promise<KeyInfo> {
  return addKey(repo.storage, repo.master, secret, label);
}

export async function listRepositoryKeys(repo: Repository): Promise<Array<KeyInfo & { current: boolean }>> {
  return (await listKeys(repo.storage)).map((k) => ({ ...k, current: k.id === repo.keyId }));
}

export async function removeRepositoryKey(repo: Repository, id: string): Promise<void> {
  await removeKey(repo.storage, id, repo.keyId);
}
