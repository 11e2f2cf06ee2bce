/**
 * The policy both `cairn drill` end-to-end tests (drill.test.ts, drill-remote.test.ts) start from: a
 * tier with an RPO and an RTO, and one item `app-<env>` per environment, its files under src/<env>.
 */

/** The policy with an environment and an item `app-<env>` for each of `environments`, then `rest` (access:, drills:). */
export function drillPolicy(environments: readonly string[], rest: string): string {
  return `version: 1
governance:
  retentionClasses:
    short: { keep: 0d }
tiers:
  2:
    retentionClass: short
    keep: { last: 5 }
    rpo: 1d
    rto: 1h
environments:
${environments.map((env) => `  ${env}: {}\n`).join('')}items:
${environments.map(appItem).join('')}${rest}`;
}

function appItem(env: string): string {
  return `  - name: app-${env}
    owner: team@example.com
    tier: 2
    environment: ${env}
    sources: [{ files: { root: src/${env} } }]
`;
}
