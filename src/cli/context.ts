import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import type { Identity } from '../auth/index.js';
import { CairnError, errnoCode } from '../errors/index.js';
import { loadPolicy, type Policy, type PolicyIssue } from '../policy/index.js';
import {
  keyFileSecret,
  keyProviderFromSpec,
  newKeyFileContent,
  PASSPHRASE_KDFS,
  type PassphraseKdf,
  type Secret,
} from '../repo/index.js';
import {
  type Governance,
  openGovernance,
  openSession,
  operatingSystemIdentity,
  type Session,
  type SessionOptions,
} from '../services/index.js';
import { makeOutput, type Output } from './output.js';
import { promptSecret } from './prompt.js';
import { RemoteClient } from './remote.js';

/** Options every command takes (README: "Global options"). */
export interface GlobalOptions {
  repo?: string;
  config?: string;
  passwordFile?: string;
  keyFile?: string;
  keyProvider?: string;
  /** `init --kdf`: the passphrase KDF of the first key. */
  kdf?: string;
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
  #secret: Promise<Secret> | undefined;
  #open: { session: Session; governance: Governance } | undefined;
  #command: CommandRecord = { action: 'cli', target: null, details: {} };
  #outcomeDetails: Record<string, unknown> = {};
  readonly identity: Identity = operatingSystemIdentity();

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

  /** The key file that opens the repository, when that is the secret chosen (see `secret`). */
  get keyFile(): string | undefined {
    const choice = this.#choice();
    return choice?.kind === 'keyfile' ? choice.value : undefined;
  }

  /**
   * The secret that opens the repository. Flags first (--key-provider, --key-file, --password-file), then
   * the environment (CAIRN_KEY_PROVIDER, CAIRN_KEY_FILE, CAIRN_PASSWORD_FILE, CAIRN_PASSWORD), then a prompt.
   * `creating` (init) writes a new random key file where --key-file names one that does not exist, and
   * gives a passphrase the KDF of --kdf.
   */
  secret(opts: { creating?: boolean } = {}): Promise<Secret> {
    this.#secret ??= this.#readSecret(opts);
    return this.#secret;
  }

  #choice(): { kind: 'provider' | 'keyfile' | 'passwordfile'; value: string } | undefined {
    const { opts, env } = this;
    if (opts.keyProvider) return { kind: 'provider', value: opts.keyProvider };
    if (opts.keyFile) return { kind: 'keyfile', value: opts.keyFile };
    if (opts.passwordFile) return { kind: 'passwordfile', value: opts.passwordFile };
    if (env.CAIRN_KEY_PROVIDER) return { kind: 'provider', value: env.CAIRN_KEY_PROVIDER };
    if (env.CAIRN_KEY_FILE) return { kind: 'keyfile', value: env.CAIRN_KEY_FILE };
    if (env.CAIRN_PASSWORD_FILE) return { kind: 'passwordfile', value: env.CAIRN_PASSWORD_FILE };
    return undefined;
  }

  async #readSecret(opts: { creating?: boolean }): Promise<Secret> {
    const kdf = opts.creating ? passphraseKdf(this.opts.kdf) : undefined;
    const choice = this.#choice();
    if (kdf && (choice?.kind === 'provider' || choice?.kind === 'keyfile')) {
      throw new CairnError('CAIRN_E_USAGE', '--kdf applies to passphrases, not to a key file or a key provider');
    }
    if (choice?.kind === 'provider') return { kind: 'provider', provider: keyProviderFromSpec(choice.value, this.env) };
    if (choice?.kind === 'keyfile') {
      const keyFile = choice.value;
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
    if (choice?.kind === 'passwordfile') {
      const value = readSecretFile(choice.value, '--password-file')
        .toString('utf8')
        .replace(/\r?\n$/, '');
      if (!value) throw new CairnError('CAIRN_E_NO_SECRET', `password file ${choice.value} is empty`);
      return { kind: 'password', value, kdf };
    }
    if (this.env.CAIRN_PASSWORD) return { kind: 'password', value: this.env.CAIRN_PASSWORD, kdf };
    if (process.stdin.isTTY && process.stderr.isTTY) {
      const value = await promptSecret(opts.creating ? 'new repository passphrase: ' : 'repository passphrase: ');
      if (opts.creating && (await promptSecret('again: ')) !== value) {
        throw new CairnError('CAIRN_E_NO_SECRET', 'the passphrases differ');
      }
      if (!value) throw new CairnError('CAIRN_E_NO_SECRET', 'an empty passphrase is not allowed');
      return { kind: 'password', value, kdf };
    }
    throw new CairnError(
      'CAIRN_E_NO_SECRET',
      'no repository secret: set CAIRN_PASSWORD, or pass --password-file FILE, --key-file FILE (CAIRN_KEY_FILE) or ' +
        '--key-provider vault-transit:KEY|aws-kms:KEY (CAIRN_KEY_PROVIDER)',
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

  /** What the running command is, as the audit log records it (set by the action wrapper). */
  setCommand(record: CommandRecord): void {
    this.#command = record;
  }

  /** Facts learnt while the command ran (the change ticket as checked) for its outcome's audit event. */
  addAuditDetails(details: Readonly<Record<string, unknown>>): void {
    this.#outcomeDetails = { ...this.#outcomeDetails, ...details };
  }

  /**
   * The repository and its catalog, opened once per command and closed by `finish`. Opening records the
   * command in the audit log first: when that cannot be written the command is refused (fail closed).
   * `close()` on the returned session is a no-op, so the outcome can still be recorded afterwards.
   */
  async session(): Promise<Session> {
    if (!this.#open) {
      const session = await openSession(await this.sessionOptions());
      try {
        const governance = openGovernance(session.repo, session.catalog, await this.policyIfAny());
        await governance.audit.record(this.#event('allowed', {}));
        this.#open = { session, governance };
      } catch (err) {
        await session.close();
        throw err;
      }
    }
    const { repo, catalog } = this.#open.session;
    return { repo, catalog, close: async () => {} };
  }

  /** The audit log and access control of the open session (opening it if needed). */
  async governance(): Promise<Governance> {
    await this.session();
    return (this.#open as { governance: Governance }).governance;
  }

  /** Records the command's outcome, then closes what it opened. Called once, by the action wrapper. */
  async finish(outcome: { exitCode: number } | { error: unknown }): Promise<void> {
    const open = this.#open;
    this.#open = undefined;
    if (!open) return;
    try {
      const failed = 'error' in outcome || outcome.exitCode === 1;
      const details =
        'error' in outcome
          ? { error: (outcome.error as { code?: unknown }).code ?? 'internal' }
          : { exitCode: outcome.exitCode };
      await open.governance.audit.record(
        this.#event(failed ? 'failed' : 'ok', { ...this.#outcomeDetails, ...details }),
      );
      // A CLI process is too short for the hourly timer: the first checkpoint is written at once (it
      // pins the signing key), later ones when the last is an hour (or N events) old.
      const audit = open.governance.audit;
      if (await audit.store.lastCheckpoint()) await audit.checkpointIfDue();
      else await audit.checkpoint();
    } finally {
      await open.session.close();
    }
  }

  #event(result: 'allowed' | 'ok' | 'failed', extra: Record<string, unknown>) {
    return {
      identity: this.identity.subject,
      roles: [...this.identity.roles],
      ip: null,
      userAgent: 'cairn-cli',
      action: this.#command.action,
      target: this.#command.target,
      result,
      changeId: this.#command.changeId ?? null,
      details: { via: 'cli', ...this.#command.details, ...extra },
    };
  }

  /** The policy when there is a valid one; audit and access settings fall back to defaults otherwise. */
  async policyIfAny(): Promise<Policy | undefined> {
    if (!existsSync(this.configFile)) return undefined;
    try {
      return (await loadPolicy(this.configFile, { expiredExceptions: 'warning' })).policy;
    } catch {
      return undefined;
    }
  }

  async policy(now?: Date): Promise<{ policy: Policy; issues: PolicyIssue[] }> {
    const loaded = await loadPolicy(this.configFile, { ...(now ? { now } : {}), expiredExceptions: 'warning' });
    for (const w of loaded.issues) this.out.warn(`${w.file}:${w.line}:${w.column}: ${w.field}: ${w.message}`);
    return loaded;
  }
}

/** The command as the audit log records it: action (e.g. snapshots.create), target, options. */
export interface CommandRecord {
  readonly action: string;
  readonly target: string | null;
  readonly changeId?: string | null;
  readonly details: Readonly<Record<string, unknown>>;
}

/** `--kdf NAME` checked against the passphrase KDFs; undefined (scrypt) when not given. */
export function passphraseKdf(name: string | undefined): PassphraseKdf | undefined {
  if (name === undefined) return undefined;
  if ((PASSPHRASE_KDFS as readonly string[]).includes(name)) return name as PassphraseKdf;
  throw new CairnError('CAIRN_E_USAGE', `--kdf ${name} is not one of ${PASSPHRASE_KDFS.join(', ')}`);
}

function readSecretFile(path: string, flag: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new CairnError('CAIRN_E_NO_SECRET', `${flag} ${path} cannot be read (${errnoCode(err) ?? String(err)})`);
  }
}
