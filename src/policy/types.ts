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

/** The roles of the access model (C6.1); auth/ holds what each may do. */
export const ROLES = Object.freeze(['viewer', 'operator', 'restorer', 'approver', 'auditor', 'admin'] as const);
export type Role = (typeof ROLES)[number];

/** Where audit events are forwarded (C6.4): RFC 5424 syslog over TCP or TLS, or JSON over HTTP (Splunk HEC). */
export type SiemSink =
  | {
      readonly kind: 'syslog';
      readonly url: string; // tcp://host:port or tcp+tls://host:port
      readonly format: 'rfc5424' | 'cef';
      readonly caFile?: string; // absolute; trusted CA for tcp+tls
    }
  | {
      readonly kind: 'http';
      readonly url: string; // e.g. https://splunk:8088/services/collector
      readonly tokenEnv?: string; // environment variable holding the HEC token
    };

export interface AuditSettings {
  readonly retentionMs?: number;
  /** A signed checkpoint after this many events or minutes, whichever comes first (default 1000, 60). */
  readonly checkpointEvery: { readonly events: number; readonly minutes: number };
  readonly siem: readonly SiemSink[];
  /** Anomaly thresholds (C6.3); defaults apply when absent. */
  readonly anomalies: {
    readonly bulkDelete: { readonly count: number; readonly withinMs: number }; // default 5 in 10m
    readonly authFailures: { readonly count: number; readonly withinMs: number }; // default 10 in 5m
  };
}

/** When people are expected to work; restores outside are flagged (C6.3). */
export interface BusinessHours {
  readonly timezone: string; // IANA, e.g. Europe/London
  readonly days: readonly number[]; // 0 = Sunday … 6 = Saturday
  readonly startMinute: number; // minutes after local midnight, inclusive
  readonly endMinute: number; // exclusive
}

export interface AccessPolicy {
  /** Pairs of roles one identity may not hold at the same time (C6.2). */
  readonly separationOfDuties: ReadonlyArray<readonly [Role, Role]>;
  /** Just-in-time elevation: longest grant and approvals needed (default 2h, 1). */
  readonly jit: { readonly maxDurationMs: number; readonly approvers: number };
  /** Approvals of destructive actions: how long a request stays open (default 24h) and N when no tier says. */
  readonly approvals: { readonly expireAfterMs: number; readonly defaultApprovers: number };
  /** OIDC bearer tokens, when configured. */
  readonly oidc?: {
    readonly issuer: string;
    readonly audience: string | readonly string[];
    readonly jwksUrl: string;
    readonly roleClaim?: string;
    readonly subjectClaim?: string;
    readonly roleMap?: Readonly<Record<string, readonly Role[]>>;
  };
}

/** An alert sink (C8.1; issue 3 builds generic and Slack-compatible webhooks). */
export type AlertSink =
  | { readonly kind: 'webhook'; readonly url?: string; readonly urlEnv?: string; readonly secretEnv?: string }
  | { readonly kind: 'slack'; readonly url?: string; readonly webhookEnv?: string }
  | { readonly kind: 'other'; readonly type: string; readonly options: Readonly<Record<string, unknown>> };

export interface Policy {
  readonly file: string; // absolute path of cairn.yaml
  readonly dir: string; // its folder
  readonly version: 1;
  readonly organisation?: string;
  readonly retentionClasses: Readonly<Record<string, RetentionClass>>;
  readonly auditRetentionMs?: number;
  readonly audit: AuditSettings;
  readonly businessHours?: BusinessHours;
  readonly access: AccessPolicy;
  readonly alertSinks: readonly AlertSink[];
  readonly tiers: Readonly<Record<string, Tier>>;
  readonly environments: Readonly<Record<string, Environment>>;
  /** Built-in exclusions followed by the policy's `exclude:` globs. */
  readonly exclude: readonly string[];
  readonly items: readonly Item[];
  readonly exceptions: readonly PolicyException[];
  /** The second repository replicate copies to (a local path made absolute, or s3://…). */
  readonly replication?: { readonly to: string };
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
