import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { CairnError, errnoCode } from '../errors/index.js';
import { loadPolicy, type Policy, type PolicyIssue } from '../policy/index.js';
import { keyFileSecret, newKeyFileContent, type Secret } from '../repo/index.js';
import { openRepository, openSession, type Session, type SessionOptions } from '../services/index.js';
import { makeOutput, type Output } from './output.js';
import { promptSecret } from './prompt.js';
import { RemoteClient } from './remote.js';

/** Options every command takes (README: "Global options"). */
export interface GlobalOptions {
  repo?: string;
  config?: string;
  passwordFile?: string;
  keyFile?: string;
  server?: string;
  tokenFile?: string;
  json?: boolean;
  debug?: boolean;
  quiet?: boolean;
}

export type Env = Readonly<Record<string, string | undefined>>;

/** Everything a command needs from its flags and environment, resolved in one place. */
export class Context {
  readonly out: Output;

  constructor(
    readonly opts: GlobalOptions,
    readonly env: Env = process.env,
  ) {
    this.out = makeOutput({ json: opts.json ?? false, quiet: opts.quiet ?? false });
  }

  static of(cmd: Command): Context {
    return new Context(cmd.optsWithGlobals<GlobalOptions>());
  }

  /**
   * The server to talk to instead of opening the repository (--server or CAIRN_SERVER), with the bearer
   * token from --token-file, CAIRN_TOKEN_FILE or CAIRN_TOKEN; undefined when commands run locally.
   */
  remote(): RemoteClient | undefined {
    const server = this.opts.server ?? this.env.CAIRN_SERVER;
    if (!server) return undefined;
    const tokenFile = this.opts.tokenFile ?? this.env.CAIRN_TOKEN_FILE;
    const token = tokenFile
      ? readSecretFile(tokenFile, '--token-file').toString('utf8').trim()
      : this.env.CAIRN_TOKEN?.trim() || undefined;
    return new RemoteClient(server, token, this.env.CAIRN_CA_FILE);
  }

  get repository(): string {
    return this.opts.repo ?? this.env.CAIRN_REPOSITORY ?? '.cairn';
  }

  get home(): string {
    if (this.env.CAIRN_HOME) return resolve(this.env.CAIRN_HOME);
    const state = this.env.XDG_STATE_HOME ?? join(homedir(), '.local', 'state');
    return join(state, 'cairn');
  }

  get configFile(): string {
    return resolve(this.opts.config ?? this.env.CAIRN_CONFIG ?? 'cairn.yaml');
  }

  /** --key-file or CAIRN_KEY_FILE, when given. */
  get keyFile(): string | undefined {
    return this.opts.keyFile ?? this.env.CAIRN_KEY_FILE;
  }

  /**
   * The secret that opens the repository: key file, password file, CAIRN_PASSWORD, or a prompt.
   * `creating` (init) writes a new random key file where --key-file names one that does not exist.
   */
  async secret(opts: { creating?: boolean } = {}): Promise<Secret> {
    const keyFile = this.keyFile;
    if (keyFile) {
      if (opts.creating && !existsSync(keyFile)) {
        try {
          writeFileSync(keyFile, newKeyFileContent(), { mode: 0o600, flag: 'wx' });
        } catch (err) {
          throw new CairnError(
            'CAIRN_E_NO_SECRET',
            `--key-file ${keyFile} cannot be created (${errnoCode(err) ?? String(err)})`,
          );
        }
      }
      return keyFileSecret(readSecretFile(keyFile, '--key-file'));
    }
    const passwordFile = this.opts.passwordFile ?? this.env.CAIRN_PASSWORD_FILE;
    if (passwordFile) {
      const value = readSecretFile(passwordFile, '--password-file')
        .toString('utf8')
        .replace(/\r?\n$/, '');
      if (!value) throw new CairnError('CAIRN_E_NO_SECRET', `password file ${passwordFile} is empty`);
      return { kind: 'password', value };
    }
    if (this.env.CAIRN_PASSWORD) return { kind: 'password', value: this.env.CAIRN_PASSWORD };
    if (process.stdin.isTTY && process.stderr.isTTY) {
      const value = await promptSecret(opts.creating ? 'new repository passphrase: ' : 'repository passphrase: ');
      if (opts.creating && (await promptSecret('again: ')) !== value) {
        throw new CairnError('CAIRN_E_NO_SECRET', 'the passphrases differ');
      }
      if (!value) throw new CairnError('CAIRN_E_NO_SECRET', 'an empty passphrase is not allowed');
      return { kind: 'password', value };
    }
    throw new CairnError(
      'CAIRN_E_NO_SECRET',
      'no repository secret: set CAIRN_PASSWORD, or pass --password-file FILE or --key-file FILE (CAIRN_KEY_FILE)',
    );
  }

  async sessionOptions(): Promise<SessionOptions> {
    return {
      repository: this.repository,
      secret: await this.secret(),
      home: this.home,
      catalogUrl: this.env.CAIRN_CATALOG_URL,
    };
  }

  async session(): Promise<Session> {
    return openSession(await this.sessionOptions());
  }

  async repositoryOnly() {
    return openRepository({ repository: this.repository, secret: await this.secret() });
  }

  async policy(now?: Date): Promise<{ policy: Policy; issues: PolicyIssue[] }> {
    const loaded = await loadPolicy(this.configFile, { ...(now ? { now } : {}), expiredExceptions: 'warning' });
    for (const w of loaded.issues) this.out.warn(`${w.file}:${w.line}:${w.column}: ${w.field}: ${w.message}`);
    return loaded;
  }
}

function readSecretFile(path: string, flag: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new CairnError('CAIRN_E_NO_SECRET', `${flag} ${path} cannot be read (${errnoCode(err) ?? String(err)})`);
  }
}
