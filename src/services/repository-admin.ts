import { addKey, type KeyInfo, listKeys, Repository, removeKey, rotateKey, type Secret } from '../repo/index.js';
import { type SessionOptions, storageFor } from './session.js';

export async function initRepository(
  opts: Pick<SessionOptions, 'repository' | 'secret' | 'storage'>,
): Promise<{ id: string; location: string; keyId: string }> {
  const storage = storageFor(opts);
  try {
    const repo = await Repository.init(storage, opts.secret);
    await repo.close();
    return { id: repo.id, location: storage.location, keyId: repo.keyId };
  } finally {
    if (!opts.storage) await storage.close();
  }
}

export async function addRepositoryKey(repo: Repository, secret: Secret, label?: string): Promise<KeyInfo> {
  return addKey(repo.storage, repo.master, secret, label, repo.id);
}

export async function listRepositoryKeys(repo: Repository): Promise<Array<KeyInfo & { current: boolean }>> {
  return (await listKeys(repo.storage)).map((k) => ({ ...k, current: k.id === repo.keyId }));
}

export async function removeRepositoryKey(repo: Repository, id: string): Promise<void> {
  await removeKey(repo.storage, id, repo.keyId);
}

/** `cairn key rotate`: a new wrapper, proven, then the one that opened the repository retired (or kept). */
export async function rotateRepositoryKey(
  repo: Repository,
  secret: Secret,
  opts: { keepOld?: boolean; label?: string | undefined } = {},
): Promise<{ added: KeyInfo; retired: string | null }> {
  return rotateKey(repo.storage, repo.master, secret, {
    repository: repo.id,
    retire: repo.keyId,
    keepOld: opts.keepOld ?? false,
    label: opts.label,
  });
}
