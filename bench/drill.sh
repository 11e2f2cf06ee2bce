#!/usr/bin/env bash
# The recovery-drill benchmark (issue 6, BENCHMARKS.md "Recovery drills and the monthly report"):
#  1. `cairn drill run` of a plan over the 20-item prod environment of bench/release.sh (the first 20 service
#     folders of prod in the core benchmark's corpus), one snapshot each taken with --release bench-1, and
#     three validators: a `run` command, a `jsonSchema` over the items' JSON files, a `baseline` against
#     release:bench-1. BENCH_DRILLS times; RTO, restoreMs, validateMs from the drill record, plus wall time.
#     Beside it, the nearest thing a peer does, timed as one script: `restic restore --verify` of one snapshot
#     of the same 20 folders into an empty folder, the same shell command per folder, and Ajv (the library
#     Cairn uses, same options) over every restored .json file. No baseline, no expiry scan, no isolation.
#  2. The monthly report at scale (bench/report-scale.ts, when it exists): BENCH_REPORT_SNAPSHOTS snapshots
#     and BENCH_REPORT_EVENTS audit events; generation, report JSON/HTML, report verify.
#   BENCH_FILES, BENCH_SCALE   as in bench/run.sh (the same cached corpus)      BENCH_DRILLS   5
#   BENCH_REPORT  1 runs part 2; 0 skips   BENCH_REPORT_SNAPSHOTS 100000 × BENCH_SCALE   BENCH_REPORT_EVENTS 1000000 × BENCH_SCALE
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
FILES=${BENCH_FILES:-50000}
SCALE=${BENCH_SCALE:-1}
DRILLS=${BENCH_DRILLS:-5}
REPORT=${BENCH_REPORT:-1}
REPORT_SNAPSHOTS=${BENCH_REPORT_SNAPSHOTS:-$(awk -v s="$SCALE" 'BEGIN { printf "%d", 100000 * s }')}
REPORT_EVENTS=${BENCH_REPORT_EVENTS:-$(awk -v s="$SCALE" 'BEGIN { printf "%d", 1000000 * s }')}
WORK=$ROOT/bench/work
RUN=$WORK/drill-run
STEPS=$RUN/steps.tsv
# shellcheck source=bench/lib/common.sh
source "$ROOT/bench/lib/common.sh"
export RESTIC_PASSWORD=bench-only CAIRN_PASSWORD=bench-only

rm -rf "$RUN"
mkdir -p "$RUN/logs" "$RUN/schemas"
: >"$STEPS"
[[ -d $ROOT/dist ]] || npm run --silent build
prepare_corpus "$FILES" "$SCALE"
CORPUS=$PRISTINE # read only
cairn() { CAIRN_HOME=$RUN/cairn/home node "$ROOT/bin/cairn.js" --repo "$RUN/cairn/repo" --config "$RUN/cairn.yaml" "$@"; }
restic_() { RESTIC_CACHE_DIR=$RUN/restic/cache restic -r "$RUN/restic/repo" "$@"; }
export -f cairn restic_
export RUN ROOT CORPUS

# The validators. The command: every restored folder has files and none of them is empty.
CHECK='test -n "$(find {restored} -type f | head -n 1)" && test -z "$(find {restored} -type f -empty | head -n 1)"'
# The schema: the four kinds of JSON file in these folders (app config, feature flags, logging, dashboards).
cat >"$RUN/schemas/config.json" <<'JSON'
{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "type": "object",
  "minProperties": 1,
  "properties": {
    "service": { "type": "string", "pattern": "^[a-z0-9-]+$" },
    "environment": { "type": "string", "minLength": 1 },
    "version": { "type": "string", "pattern": "^[0-9]+\\.[0-9]+\\.[0-9]+" },
    "listen": {
      "type": "object",
      "properties": { "port": { "type": "integer", "minimum": 1, "maximum": 65535 } },
      "required": ["port"]
    },
    "dependencies": {
      "type": "array",
      "items": { "type": "object", "required": ["name", "url"], "properties": { "timeoutMs": { "type": "integer", "minimum": 0 } } }
    },
    "flags": {
      "type": "array",
      "items": {
        "type": "object",
        "required": ["key", "enabled"],
        "properties": { "enabled": { "type": "boolean" }, "rollout": { "type": "integer", "minimum": 0, "maximum": 100 } }
      }
    },
    "level": { "type": "string" },
    "outputs": { "type": "array", "items": { "type": "object", "required": ["type"] } },
    "panels": { "type": "array", "items": { "type": "object", "required": ["type", "title"] } }
  },
  "anyOf": [
    { "required": ["service", "environment", "version", "listen"] },
    { "required": ["environment", "flags"] },
    { "required": ["level", "outputs"] },
    { "required": ["title", "uid", "panels"] }
  ]
}
JSON

mapfile -t SERVICES < <(find "$CORPUS/prod" -mindepth 1 -maxdepth 1 -type d -printf '%f\n' | LC_ALL=C sort | head -n 20)
{
  echo "version: 1"
  echo "tiers: { 1: { keep: { last: 100 }, rto: 30m, rpo: 24h } }"
  echo "environments: { prod: {} }"
  echo "items:"
  for s in "${SERVICES[@]}"; do
    printf '  - { name: %s, owner: bench@example.com, tier: 1, environment: prod, secrets: allow, sources: [ { files: { root: %s } } ] }\n' \
      "prod-$s" "$CORPUS/prod/$s"
  done
  echo "drills:"
  echo "  - name: bench-drill"
  echo "    environment: prod"
  echo "    validate:"
  printf '      - run: %s\n' "$(node -e 'console.log(JSON.stringify(process.argv[1]))' "$CHECK")"
  echo '      - jsonSchema: { schema: schemas/config.json, files: "**/*.json" }'
  echo '      - baseline: { snapshot: "release:bench-1" }'
} >"$RUN/cairn.yaml"
PROD_DIRS=()
for s in "${SERVICES[@]}"; do PROD_DIRS+=("$CORPUS/prod/$s"); done
export PROD_DIRS_LIST="${PROD_DIRS[*]}" CHECK
files20=$(find "${PROD_DIRS[@]}" -type f | wc -l)
bytes20=$(du -sb "${PROD_DIRS[@]}" | awk '{ s += $1 } END { print s }')
json20=$(find "${PROD_DIRS[@]}" -type f -name '*.json' | wc -l)
say "drill of 20 items ($files20 files, $bytes20 bytes, $json20 JSON files)"
record machine load-start "$(cut -d' ' -f1 /proc/loadavg)" '' ok ''
record corpus files-20-items "$files20" '' ok ''
record corpus bytes-20-items "$bytes20" '' ok ''
record corpus json-20-items "$json20" '' ok ''
node bench/read-all.mjs "$CORPUS/prod" >/dev/null

say "set up: init and one snapshot of each item with --release bench-1 (untimed for the comparison)"
cairn policy check >"$RUN/logs/policy-check.out" 2>&1 || { cat "$RUN/logs/policy-check.out" >&2; exit 1; }
measure cairn init bash -c 'cairn init'
measure cairn snapshot bash -c 'cairn snapshot --env prod --release bench-1 --json'
if command -v restic >/dev/null; then
  measure restic init bash -c 'restic_ init'
  measure restic snapshot bash -c 'restic_ backup --host bench $PROD_DIRS_LIST'
else
  record restic version '' '' skipped 'restic is not installed (apt-get install restic)'
fi

# The peer's drill as one script: restore with --verify into an empty folder, the same command in each
# restored folder, Ajv (Cairn's library and options) over every restored .json file.
cat >"$RUN/peer-drill.sh" <<'SH'
set -euo pipefail
T=$RUN/restic/drill
rm -rf "$T" && mkdir -p "$T"
restic_ restore latest --target "$T" --verify >/dev/null
for d in $PROD_DIRS_LIST; do
  dir=$T$d
  [[ -d $dir ]] || { echo "not restored: $d" >&2; exit 1; }
  q="'$dir'"
  (cd "$dir" && sh -c "${CHECK//\{restored\}/$q}") || { echo "check failed in $dir" >&2; exit 1; }
done
find "$T" -type f -name '*.json' -print0 | node -e '
  const { readFileSync } = require("node:fs");
  const { Ajv2020 } = require(process.env.ROOT + "/node_modules/ajv/dist/2020.js");
  const validate = new Ajv2020({ allErrors: true, strict: false, validateFormats: false, logger: false })
    .compile(JSON.parse(readFileSync(process.env.RUN + "/schemas/config.json", "utf8")));
  const files = readFileSync(0, "utf8").split("\0").filter(Boolean);
  const bad = files.filter((f) => !validate(JSON.parse(readFileSync(f, "utf8"))));
  console.log(`${files.length - bad.length} of ${files.length} JSON files valid`);
  if (bad.length > 0 || files.length === 0) { console.error("invalid:", bad.join(" ")); process.exit(1); }'
rm -rf "$T"
SH

say "drills: cairn drill run bench-drill --json, and the peer's script ($DRILLS times each, interleaved)"
for i in $(seq 1 "$DRILLS"); do
  measure cairn "drill-$i" bash -c 'cairn drill run bench-drill --json' || true
  node -e '
    const fs = require("node:fs");
    const [out, i] = process.argv.slice(1);
    let r;
    try { r = JSON.parse(fs.readFileSync(out, "utf8")); } catch { process.exit(0); }
    r = r.drill ?? r;
    const row = (step, value, status = "ok", note = "") => console.log(["cairn-drill", `${step}-${i}`, value, "", status, note].join("\t"));
    const s = (ms) => (ms == null ? "" : (ms / 1000).toFixed(3));
    row("status", "", r.status === "failed" ? "fail" : "ok", `${r.status}; gaps: ${(r.result?.gaps ?? []).map((g) => `${g.item} ${g.category} ${g.key}`).join(", ").slice(0, 150)}`);
    row("rto", s(r.rtoMs)); row("restore", s(r.restoreMs)); row("validate", s(r.validateMs));
    const by = {};
    for (const v of r.result?.validators ?? []) by[v.kind] = (by[v.kind] ?? 0) + v.durationMs;
    for (const [k, ms] of Object.entries(by)) row(`validator-${k}`, s(ms));
    row("isolated", r.result?.sandbox?.isolated ? 1 : 0, "ok", `cleaned: ${r.result?.sandbox?.cleaned}`);
    row("validators", (r.result?.validators ?? []).length, "ok", `${(r.result?.validators ?? []).filter((v) => v.ok).length} passed`);
    const items = r.result?.items ?? [];
    row("restored-files", items.reduce((a, x) => a + x.files, 0)); row("restored-bytes", items.reduce((a, x) => a + x.bytes, 0));
  ' "$RUN/logs/cairn-drill-$i.out" "$i" >>"$STEPS"
  if command -v restic >/dev/null; then measure restic "drill-$i" bash "$RUN/peer-drill.sh" || true; fi
done
tail -n 1 "$RUN/logs/restic-drill-1.out" 2>/dev/null | sed 's/^/restic peer: /' >&2 || true

# --- the monthly report at scale (bench/report-scale.ts, written with the report) ---------------------------
if [[ $REPORT == 1 ]]; then
  if [[ -f bench/report-scale.ts ]]; then
    say "monthly report at $REPORT_SNAPSHOTS snapshots and $REPORT_EVENTS audit events (BENCH_REPORT=0 skips)"
    mkdir -p "$RUN/report"
    if measure report scale node --import tsx bench/report-scale.ts --snapshots "$REPORT_SNAPSHOTS" --events "$REPORT_EVENTS" --dir "$RUN/report"; then
      # Every number and boolean of its JSON line becomes a row (milliseconds as seconds: keys `ms`, `...Ms`).
      grep '^{' "$RUN/logs/report-scale.out" | tail -n 1 | node -e '
        const line = JSON.parse(require("node:fs").readFileSync(0, "utf8"));
        const walk = (o, prefix) => {
          for (const [k, v] of Object.entries(o)) {
            const key = prefix ? `${prefix}.${k}` : k;
            const ms = /(^ms|Ms)$/.test(k);
            if (typeof v === "number" || typeof v === "boolean") console.log(["report", key, ms ? (v / 1000).toFixed(3) : v, "", "ok", ms ? "s" : ""].join("\t"));
            else if (v && typeof v === "object" && !Array.isArray(v)) walk(v, key);
          }
        };
        walk(line, "");' >>"$STEPS" || record report parse '' '' fail 'no JSON line from bench/report-scale.ts'
    fi
    rm -rf "$RUN/report"
  else
    record report scale '' '' skipped 'bench/report-scale.ts does not exist yet'
  fi
fi
record machine load-end "$(cut -d' ' -f1 /proc/loadavg)" '' ok ''

OUT=$WORK/drill-results-$(date -u +%Y-%m-%dT%H-%M-%SZ).tsv
cp "$STEPS" "$OUT"
node --import tsx bench/drill-summary.ts "$STEPS" | tee "$OUT.md"
rm -rf "$RUN/cairn/repo" "$RUN/restic"
