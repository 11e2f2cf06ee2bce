import { join } from 'node:path';
import { type Catalog, openCatalog } from '../catalog/index.js';
import { CairnError } from '../errors/index.js';
import { Repository, type Secret } from '../repo/index.js';
import { openStorage, type Storage } from '../storage/index.js';
import { syncCatalog } from './catalog-sync.js';

export interface SessionOptions {
  readonly repository: string;
  readonly secret: Secret;
  /** Local state: the SQLite catalog lives at <home>/<repository id>/catalog.sqlite. */
  readonly home: string;
  /** postgres://… to share one catalog between hosts; SQLite under `home` otherwise. */
  readonly catalogUrl?: string | undefined;
  readonly storage?: Storage | undefined;
}

/** An open repository and its catalog, brought in line with each other. */
export interface Session {
  readonly repo: Repository;
  readonly catalog: Catalog;
  close(): Promise<void>;
}

export function storageFor(opts: Pick<SessionOptions, 'repository' | 'storage'>): Storage {
  return opts.storage ?? openStorage(opts.repository);
}

export async function openRepository(
  opts: Pick<SessionOptions, 'repository' | 'secret' | 'storage'>,
): Promise<Repository> {
  const storage = storageFor(opts);
  try {
    return await Repository.open(storage, opts.secret);
  } catch (err) {
    // A storage opened here is closed here (S3: its request counts are written on close).
    if (!opts.storage) await storage.close().catch(() => {});
    throw err;
  }
}

/** The catalog that indexes `repo`: PostgreSQL at catalogUrl, else SQLite under home. Not synced. */
export function openCatalogOf(repo: Repository, opts: Pick<SessionOptions, 'home' | 'catalogUrl'>): Promise<Catalog> {
  return openCatalog(
    opts.catalogUrl
      ? { url: opts.catalogUrl }
      : { sqlitePath: join(opts.home, repo.id.slice(0, 16), 'catalog.sqlite') },
  );
}

export async function openSession(opts: SessionOptions): Promise<Session> {
  const repo = await openRepository(opts);
  let catalog: Catalog;
  try {
    catalog = await openCatalogOf(repo, opts);
  } catch (err) {
    await repo.close();
    if (!opts.storage) await repo.storage.close().catch(() => {});
    throw err;
  }
  const session: Session = {
    repo,
    catalog,
    async close() {
      await repo.close();
      await catalog.close();
      if (!opts.storage) await repo.storage.close();
    },
  };
  try {
    const indexed = await catalog.getMeta('repository');
    if (indexed && indexed !== repo.id) {
      throw new CairnError(
        'CAIRN_E_CATALOG',
        `the catalog indexes repository ${indexed.slice(0, 12)}, not ${repo.id.slice(0, 12)}; use another CAIRN_CATALOG_URL`,
      );
    }
    if (!indexed) await catalog.setMeta('repository', repo.id);
    await syncCatalog(repo, catalog);
  } catch (err) {
    await session.close();
    throw err;
  }
  return session;
}
