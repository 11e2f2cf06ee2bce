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
  readonly schedule?: Schedule;
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

/** What a content source's bytes are: decides how drift compares them and how ignore rules apply. */
export type ContentFormat = 'json' | 'yaml' | 'text';

/** A git repository at a ref (IaC templates): the tree of that ref, read without a working copy. */
export interface GitSource {
  readonly kind: 'git';
  /** A URL git can fetch (file://, https://, ssh://) or, with `path`, a local repository (absolute). */
  readonly url?: string;
  readonly path?: string;
  readonly ref: string; // branch, tag or commit
  /** Only this folder of the repository ('' = all), '/'-separated, no leading slash. */
  readonly subdir: string;
  readonly include: readonly string[]; // default ["**"]
  readonly exclude: readonly string[];
  readonly timeoutMs: number; // default 120 s
}

/** A .env file; secret-shaped values go through the item's `secrets` mode like any file. */
export interface DotenvSource {
  readonly kind: 'dotenv';
  readonly path: string; // absolute
}

/** The standard output of a command run without a shell's help: `sh -c run` in `cwd`. */
export interface CommandSource {
  readonly kind: 'command';
  readonly run: string;
  readonly timeoutMs: number; // default 60 s
  readonly cwd: string; // absolute; default the policy file's folder
  /** Name of the file the output is stored as in the snapshot (default "output.yaml"/".json"/".txt" by format). */
  readonly file: string;
  readonly format: ContentFormat; // default: yaml
  /** Environment variables passed through to the command (names); PATH and HOME always are. */
  readonly env: readonly string[];
}

/** The body of an HTTP GET (a feature-flag service's export). */
export interface HttpSource {
  readonly kind: 'http';
  readonly url: string;
  /** Header name → environment variable holding its value (read at run time, never stored). */
  readonly headersEnv: Readonly<Record<string, string>>;
  readonly headers: Readonly<Record<string, string>>;
  readonly timeoutMs: number; // default 30 s
  readonly file: string; // default "response.json" / ".yaml" by format
  readonly format: 'json' | 'yaml'; // default json; the body must parse as it
}

export type PostgresPart = 'settings' | 'roles' | 'extensions';

/** A PostgreSQL server's non-default settings, roles and grants, and extensions. */
export interface PostgresSource {
  readonly kind: 'postgres';
  readonly url?: string;
  readonly urlEnv?: string;
  readonly include: readonly PostgresPart[]; // default all three
  readonly timeoutMs: number; // default 30 s
}

/** Sources whose adapters are not built yet (ssh); parsed and validated, refused at snapshot time. */
export interface OtherSource {
  readonly kind: 'ssh';
  readonly options: Readonly<Record<string, unknown>>;
}

export type Source = FilesSource | GitSource | DotenvSource | CommandSource | HttpSource | PostgresSource | OtherSource;

/** Where `rollback` (and `restore --to-target`) puts an item back. */
export type RestoreTarget =
  | { readonly kind: 'directory'; readonly path: string } // absolute
  | { readonly kind: 'command'; readonly run: string; readonly timeoutMs: number; readonly cwd: string }
  | {
      readonly kind: 'http';
      readonly method: 'PUT' | 'POST';
      readonly url: string;
      readonly headersEnv: Readonly<Record<string, string>>;
      readonly timeoutMs: number;
    };

/** A cron schedule in a timezone; with `maintenanceWindowsOnly` a due run waits for the environment's window. */
export interface Schedule {
  readonly cron: string; // validated by cronProblem; 5 fields or 6 with seconds first
  readonly timezone: string; // IANA; default UTC
  readonly maintenanceWindowsOnly: boolean; // default false
}

/** "sun 02:00-04:00 Europe/London": days, minutes after local midnight [start, end), timezone. */
export interface MaintenanceWindow {
  readonly text: string; // as written, for messages
  readonly days: readonly number[]; // 0 = Sunday … 6 = Saturday
  readonly startMinute: number;
  readonly endMinute: number; // may be <= startMinute: the window crosses midnight
  readonly timezone: string;
}

/** Where an item's version comes from, for `requires` rules (C4.5). */
export interface ItemVersion {
  /** A file whose trimmed first line is the version (absolute). */
  readonly file: string;
  /** The same file's path inside the item's snapshots, when it lies under one of its files sources. */
  readonly snapshotPath?: string;
}

/** "payments-api-config 2.x needs payments-db-settings >=14": checked on a deployment's bundle. */
export interface Requirement {
  readonly item: string;
  /** A semver range the other item's version must satisfy (">=14", "2.x", "^1.4"). */
  readonly version?: string;
  /** Only when this item's own version satisfies this range. */
  readonly when?: string;
}

export interface DriftRules {
  /** Structured keys to ignore in JSON/YAML content: dotted paths, `*` for one level ("metadata.resourceVersion", "items.*.status"). */
  readonly ignore: readonly string[];
  /** Regular expressions: lines matching any are ignored in text comparison. */
  readonly ignoreLines: readonly string[];
}

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
  readonly version?: ItemVersion;
  readonly requires: readonly Requirement[];
  /** Items restored together with this one in a rollback (C7.5), e.g. feature flags with their configuration. */
  readonly bundleWith: readonly string[];
  readonly restore?: RestoreTarget;
  /** Overrides the tier's schedule for this item. */
  readonly schedule?: Schedule;
  readonly drift: DriftRules;
  /** Item keys of later issues, kept as parsed (none today). */
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
  readonly maintenanceWindows: readonly MaintenanceWindow[];
  /** Roll the deployment's pre-deploy bundle back when it fails (C7.4). */
  readonly autoRollback: boolean;
  /** `cairn serve` runs `drift` for this environment on this schedule and alerts on divergence. */
  readonly driftSchedule?: Schedule;
}

/** A change-ticket system (C3.3): ServiceNow-shaped Table API over HTTP, or a local JSON/YAML file. */
export type TicketProvider =
  | {
      readonly kind: 'http';
      /** The table URL, e.g. https://acme.service-now.com/api/now/table/change_request; queried with sysparm_query=<fields.number>=<id>. */
      readonly url: string;
      readonly tokenEnv?: string; // bearer token
      readonly userEnv?: string; // basic auth user / password (with passwordEnv)
      readonly passwordEnv?: string;
      readonly timeoutMs: number; // default 15 s
      /** Response field names (defaults: number, state, approval, start_date, end_date). */
      readonly fields: {
        readonly number: string;
        readonly state: string;
        readonly approval: string;
        readonly start: string;
        readonly end: string;
      };
      /** Values of `approval` (default ["approved"]) and `state` (default ["scheduled", "implement"]) that count as approved. */
      readonly approvedValues: readonly string[];
      readonly approvedStates: readonly string[];
    }
  | { readonly kind: 'file'; readonly path: string }; // absolute; { tickets: [{ id, state, approval, start, end }] }

export type TicketAction = 'snapshot' | 'deploy' | 'rollback';

export interface ChangeTicketPolicy {
  readonly provider: TicketProvider;
  /** An approved ticket whose window covers now is required for these actions on these tiers / environments (either matches). */
  readonly requireFor: {
    readonly tiers: readonly string[];
    readonly environments: readonly string[];
    readonly actions: readonly TicketAction[];
  };
}

/** Inbound webhooks (C3.1): each provider's secret is read from the environment variable named. */
export interface WebhookSettings {
  readonly github?: { readonly secretEnv: string };
  readonly gitlab?: { readonly tokenEnv: string };
  /** HMAC-SHA256 over "<timestamp>.<body>"; deliveries older than the replay window are refused. */
  readonly generic?: { readonly secretEnv: string; readonly replayWindowMs: number }; // default 5 m
  /** Provider environment name → Cairn environment (default: the same name). */
  readonly environmentMap: Readonly<Record<string, string>>;
}

/** Alerting thresholds (C8.1, C8.5); the sinks are Policy.alertSinks. */
export interface AlertThresholds {
  readonly consecutiveFailures: number; // default 2
  readonly lateAfterMs: number; // default 15 m
  readonly escalateAfterMs: number; // default 30 m after the late alert
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
  /** Sign-off teams (C5.6): team name → the identities (token / OIDC subjects) that sign for it; default {}. */
  readonly teams: Readonly<Record<string, readonly string[]>>;
}

/** What an alert is about; a sink's `for:` picks the categories it receives (C8.1). */
export const ALERT_CATEGORIES = Object.freeze([
  'late',
  'failure',
  'anomaly',
  'drift',
  'drill',
  'canary',
  'coverage',
  'escalation',
] as const);
export type AlertCategory = (typeof ALERT_CATEGORIES)[number];

/** The PagerDuty Events API v2 endpoint a pagerduty sink posts to unless its `url` says otherwise. */
export const PAGERDUTY_EVENTS_URL = 'https://events.pagerduty.com/v2/enqueue';

/** An alert sink (C8.1): generic and Slack-compatible webhooks, PagerDuty Events v2, e-mail over SMTP. */
export type AlertSink = (
  | { readonly kind: 'webhook'; readonly url?: string; readonly urlEnv?: string; readonly secretEnv?: string }
  | { readonly kind: 'slack'; readonly url?: string; readonly webhookEnv?: string }
  | {
      readonly kind: 'pagerduty';
      /** Name of the environment variable holding the integration's routing key (never the key itself). */
      readonly routingKeyEnv: string;
      readonly url: string; // default PAGERDUTY_EVENTS_URL
    }
  | {
      readonly kind: 'email';
      /** smtp://host[:port] (STARTTLS when offered, default port 587) or smtps://host[:port] (TLS, default 465). */
      readonly smtp: string;
      readonly to: readonly string[];
      readonly from: string; // default "cairn@<hostname>"
      readonly userEnv?: string;
      readonly passwordEnv?: string;
    }
) & {
  /** The categories this sink receives; absent = every category. */
  readonly for?: readonly AlertCategory[];
};

/** The item name `cairn serve`'s canary (C8.6) uses; a policy item with this name is an error. */
export const CANARY_ITEM = 'cairn-canary';

/** One check a drill runs over the restored items (C5.1). `items` absent = every item of the plan. */
export type DrillValidator =
  | {
      readonly kind: 'run';
      /** sh -c command; `{restored}` is replaced by the restored item's folder. */
      readonly command: string;
      readonly timeoutMs: number; // default 60 s
      readonly items?: readonly string[];
    }
  | {
      readonly kind: 'jsonSchema';
      readonly schema: string; // absolute path of the JSON Schema file
      readonly files: readonly string[]; // globs inside the restored item; default ["**/*.json"]
      readonly items?: readonly string[];
    }
  | {
      readonly kind: 'baseline';
      /** "release:<version>", or a snapshot id or id prefix (6–64 lowercase hex). */
      readonly snapshot: string;
      readonly allowChanges: readonly string[]; // globs of paths allowed to differ; default []
      readonly items?: readonly string[];
    };

/** A recovery drill (C5): restore these items into a sandbox, validate, measure RTO/RPO, get sign-off. */
export interface DrillPlan {
  readonly name: string;
  readonly schedule?: Schedule;
  readonly environment?: string;
  /** Resolved, never empty: the explicit list, else every item of `environment`. */
  readonly items: readonly string[];
  readonly validate: readonly DrillValidator[];
  /** Team names (keys of access.teams) that must sign off; [] = passes without sign-off. */
  readonly signoff: readonly string[];
  readonly timeoutMs: number; // whole drill; default 30 m
  /** No finished drill this long after a due slot of `schedule` → a drill-overdue alert; default 24 h. */
  readonly overdueAfterMs: number;
  /** Validators may use the network; default false (run with no network where unshare allows). */
  readonly network: boolean;
  readonly at: { readonly line: number; readonly column: number };
}

/** The synthetic end-to-end check `cairn serve` runs (C8.6). */
export interface CanaryPolicy {
  readonly enabled: boolean; // `canary: false` turns it off; default true
  readonly everyMs: number; // default 15 m
  readonly slowAfterMs: number; // default 2 m: a slower round raises canary-slow
  readonly keep: number; // canary snapshots kept; default 3
}

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
  readonly changeTickets?: ChangeTicketPolicy;
  readonly webhooks: WebhookSettings;
  readonly alerts: AlertThresholds;
  /** Recovery drill plans (C5), in file order. */
  readonly drills: readonly DrillPlan[];
  readonly canary: CanaryPolicy;
  /** Keys kept as parsed for later use (unknown environment and governance keys). */
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
