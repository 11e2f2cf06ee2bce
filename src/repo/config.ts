import { CairnError, isCairnError } from '../errors/index.js';
import type { Storage } from '../storage/index.js';
import { type ChunkerParams, DEFAULT_CHUNKER } from './chunker.js';
import { type CompressionParams, DEFAULT_COMPRESSION } from './compress.js';
import { type MasterKey, open, seal } from './crypto.js';

export const FORMAT_VERSION = 1;

/** The `config` object: sealed with the master key, so a stranger learns nothing but that it exists. */
export interface RepoConfig {
  readonly version: number;
  readonly id: string;
  readonly created: string;
  readonly chunker: ChunkerParams;
  readonly compression: CompressionParams;
  /** Target sizes: a segment groups small blobs for compression, a pack groups segments into one object. */
  readonly segmentSize: number;
  readonly packSize: number;
}

export function newConfig(id: string): RepoConfig {
  return {
    version: FORMAT_VERSION,
    id,
    created: new Date().toISOString(),
    chunker: DEFAULT_CHUNKER,
    compression: DEFAULT_COMPRESSION,
    segmentSize: 1024 * 1024,
    packSize: 8 * 1024 * 1024,
  };
}

export async function writeConfig(storage: Storage, master: MasterKey, config: RepoConfig): Promise<void> {
  await storage.put('config', seal(master.encryption, Buffer.from(JSON.stringify(config)), 'cairn-config-v1'));
}

export async function readConfig(storage: Storage, master: MasterKey): Promise<RepoConfig> {
  const sealed = await storage.get('config');
  const config = JSON.parse(
    open(master.encryption, sealed, 'cairn-config-v1', 'config').toString('utf8'),
  ) as RepoConfig;
  if (config.version !== FORMAT_VERSION) {
    throw new CairnError(
      'CAIRN_E_REPO_FORMAT',
      `repository format version ${config.version} is not supported by this cairn (supports ${FORMAT_VERSION})`,
    );
  }
  return config;
}

/** A repository is a location with a `config` object; anything else is refused before a key is tried. */
export async function assertRepository(storage: Storage): Promise<void> {
  let present = false;
  try {
    present = (await storage.stat('config')) !== undefined;
  } catch (err) {
    if (!isCairnError(err, 'CAIRN_E_NOT_FOUND')) throw err;
  }
  if (!present) {
    throw new CairnError(
      'CAIRN_E_NO_REPOSITORY',
      `${storage.location} is not a cairn repository (no config object); create one with \`cairn init\``,
    );
  }
}
