/**
 * The validated, normalised model of cairn.yaml. Durations are milliseconds; paths are absolute
 * (resolved against the policy file's folder). The parser (policy/parse.ts) produces exactly this.
 */

export type SecretsMode = 'refuse' | 'redact' | 'encrypt' | 'allow';
export type LockMode = 'compliance' | 'governance';

export interface KeepRules {
  readonly last?: number;
  readonly hourly?: number;
  readonly daily?: number;
  readonly weekly?: number;
  readonly monthly?: number;
  readonly yearly?: number;
  /** Keep every snapshot younger than this many milliseconds. */
  readonly withinMs?: number;
}

export interface Tier {
  readonly name: string; // "0", "1", "2" or a word
  readonly description?: string;
  readonly retentionClass?: string;
  readonly lock?: { readonly mode: LockMode; readonly forMs: number };
  readonly rpoMs?: number;
  readonly rtoMs?: number;
  readonly schedule?: string;
  readonly keep: KeepRules;
  readonly replicate?: boolean;
  readonly deleteApprovals?: number;
}

export interface FilesSource {
  readonly kind: 'files';
  readonly root: string; // absolute
  readonly include: readonly string[]; // globs relative to root; default ["**"]
  readonly exclude: readonly string[];
}

/** Sources whose adapters are built in later issues; parsed and validated, refused at snapshot time. */
export interface OtherSource {
  readonly kind: 'git' | 'dotenv' | 'command' | 'http' | 'postgres' | 'ssh';
  readonly options: Readonly<Record<string, unknown>>;
}

export type Source = FilesSource | OtherSource;

export interface Item {
  readonly name: string;
  readonly owner: string;
  readonly tier: string;
  readonly environment?: string;
  readonly component?: string;
  readonly description?: string;
  readonly sources: readonly Source[];
  readonly secrets: SecretsMode;
  /** Policy-wide exclude + built-in exclusions + nothing item-specific (sources carry their own). */
  readonly exclude: readonly string[];
  /** Where in the policy file the item is declared, for messages. */
  readonly at: { readonly line: number; readonly column: number };
  /** Later issues' item keys (version, requires, bundleWith, restore, drift), kept as parsed. */
  readonly extra: Readonly<Record<string, unknown>>;
}

export interface RetentionClass {
  readonly name: string;
  readonly keepMs: number;
}

export interface PolicyException {
  readonly item: string;
  readonly reason: string;
  readonly acceptedBy: readonly string[];
  readonly ticket: string;
  readonly expires: string; // YYYY-MM-DD
  readonly expired: boolean; // relative to the time the policy was checked
}

export interface Environment {
  readonly name: string;
  readonly maintenanceWindows: readonly string[];
  readonly autoRollback: boolean;
}

export interface Policy {
  readonly file: string; // absolute path of cairn.yaml
  readonly dir: string; // its folder
  readonly version: 1;
  readonly organisation?: string;
  readonly retentionClasses: Readonly<Record<string, RetentionClass>>;
  readonly auditRetentionMs?: number;
  readonly tiers: Readonly<Record<string, Tier>>;
  readonly environments: Readonly<Record<string, Environment>>;
  /** Built-in exclusions followed by the policy's `exclude:` globs. */
  readonly exclude: readonly string[];
  readonly items: readonly Item[];
  readonly exceptions: readonly PolicyException[];
  /** Later issues' sections (governance.audit, changeTickets, drills, access, alerts), kept as parsed. */
  readonly extra: Readonly<Record<string, unknown>>;
}

/** One problem found in a policy file: where it is and what is wrong. */
export interface PolicyIssue {
  readonly severity: 'error' | 'warning';
  readonly file: string;
  readonly line: number; // 1-based
  readonly column: number; // 1-based
  readonly field: string; // dotted path: items[2].owner
  readonly message: string;
}
