#!/usr/bin/env bash
# The S3 benchmark (issue 4, BENCHMARKS.md "On S3"): Cairn and restic on one Ceph RADOS Gateway, the core
# benchmark's corpus, in one run: init, initial snapshot, snapshot after a 1 % change, full restore, and
# replication of the whole repository to a second bucket (cairn replicate / restic copy). Both tools go
# through bench/lib/count-proxy.mjs, which counts every HTTP request, so request counts are measured the
# same way for both.
#   BENCH_FILES, BENCH_SCALE   as in bench/run.sh (the same cached corpus)
#   BENCH_S3_TOOLS   "cairn restic"
#   BENCH_S3_TARGET  host:port of a running RGW; unset: the script starts its own (scripts/ceph-up.sh) and stops it
#   BENCH_VERIFY     1 checks the restores byte for byte (untimed)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
FILES=${BENCH_FILES:-50000}
SCALE=${BENCH_SCALE:-1}
TOOLS=${BENCH_S3_TOOLS:-cairn restic}
VERIFY=${BENCH_VERIFY:-1}
WORK=$ROOT/bench/work
RUN=$WORK/s3run
CORPUS=$RUN/corpus
STEPS=$RUN/steps.tsv
# shellcheck source=bench/lib/common.sh
source "$ROOT/bench/lib/common.sh"

export RESTIC_PASSWORD=bench-only RESTIC_FROM_PASSWORD=bench-only CAIRN_PASSWORD=bench-only
export AWS_ACCESS_KEY_ID=TESTKEY AWS_SECRET_ACCESS_KEY=TESTSECRET AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1

rm -rf "$RUN"
mkdir -p "$RUN/logs"
: >"$STEPS"

CEPH_STARTED=''
PROXY_PID=''
cleanup() {
  [[ -n $PROXY_PID ]] && kill "$PROXY_PID" 2>/dev/null || true
  [[ -n $CEPH_STARTED ]] && CEPH_DIR=$RUN/ceph "$ROOT/scripts/ceph-down.sh" >/dev/null 2>&1 || true
}
trap cleanup EXIT

if [[ -n ${BENCH_S3_TARGET:-} ]]; then
  TARGET=$BENCH_S3_TARGET
else
  say "starting Ceph RGW (scripts/ceph-up.sh)"
  CEPH_STARTED=1
  CEPH_DIR=$RUN/ceph RGW_PORT=7590 MON_PORT=3390 MEMSTORE_BYTES=$((3 * 1024 * 1024 * 1024)) "$ROOT/scripts/ceph-up.sh" >"$RUN/logs/ceph-up.log" 2>&1 ||
    { tail -20 "$RUN/logs/ceph-up.log" >&2; exit 1; }
  TARGET=127.0.0.1:7590
fi
PROXY_PORT=7591
REQLOG=$RUN/requests.tsv
: >"$REQLOG"
node "$ROOT/bench/lib/count-proxy.mjs" "$PROXY_PORT" "$TARGET" "$REQLOG" >"$RUN/logs/proxy.log" 2>&1 &
PROXY_PID=$!
for _ in $(seq 1 50); do grep -q count-proxy "$RUN/logs/proxy.log" 2>/dev/null && break; sleep 0.1; done
ENDPOINT=http://127.0.0.1:$PROXY_PORT
export CAIRN_S3_ENDPOINT=$ENDPOINT
STAMP=$(date +%s)
CAIRN_REPO=s3://cairn-bench-$STAMP/repo
CAIRN_REPLICA=s3://cairn-bench-replica-$STAMP/repo
RESTIC_REPO=s3:$ENDPOINT/restic-bench-$STAMP
RESTIC_REPLICA=s3:$ENDPOINT/restic-bench-replica-$STAMP

cairn() { CAIRN_HOME=$RUN/cairn/home node "$ROOT/bin/cairn.js" --repo "$CAIRN_REPO" "$@"; }
restic_() { RESTIC_CACHE_DIR=$RUN/restic/cache restic -r "$RESTIC_REPO" "$@"; }
export -f cairn restic_
export RUN ROOT CORPUS CAIRN_REPO CAIRN_REPLICA RESTIC_REPO RESTIC_REPLICA

# counted TOOL STEP CMD...: measure, then record the requests the step sent (by method) and the bytes moved.
counted() {
  local tool=$1 step=$2 before after ok=0
  kill -USR1 "$PROXY_PID"; sleep 0.2
  before=$(wc -l <"$REQLOG")
  measure "$@" || ok=1
  kill -USR1 "$PROXY_PID"; sleep 0.3
  after=$(wc -l <"$REQLOG")
  tail -n +"$((before + 1))" "$REQLOG" | head -n "$((after - before))" | awk -v tool="$tool" -v step="$step" '
    { n[$1]++; total++; up += $2; down += $3 }
    END {
      printf "%s\t%s-requests\t%d\t\tok\t", tool, step, total
      for (m in n) printf "%s=%d ", m, n[m]
      printf "\n%s\t%s-bytes-up\t%d\t\tok\t\n%s\t%s-bytes-down\t%d\t\tok\t\n", tool, step, up, tool, step, down
    }' >>"$STEPS"
  printf '%-10s %-12s %s requests\n' "$tool" "$step" "$((after - before))" >&2
  return $ok
}

run_step() { # TOOL STEP
  case "$1:$2" in
    cairn:init) counted cairn init bash -c 'cairn init --create-bucket' ;;
    cairn:initial | cairn:changed)
      counted cairn "$2" bash -c 'cairn --config "$RUN/cairn/cairn.yaml" snapshot --item corpus --json' &&
        node -e 'const s = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).snapshots[0];
          require("fs").writeFileSync(process.argv[2], s.id)' "$RUN/logs/cairn-$2.out" "$RUN/cairn/snapshot-id" ;;
    cairn:restore-full)
      counted cairn "$2" bash -c 'cairn restore "$(cat "$RUN/cairn/snapshot-id")" --target "$RUN/cairn/restore-full" --json' ;;
    cairn:replicate) counted cairn "$2" bash -c 'cairn replicate --to "$CAIRN_REPLICA" --create-bucket --json' ;;
    restic:init) counted restic init bash -c 'restic_ init' ;;
    restic:initial | restic:changed) counted restic "$2" bash -c 'restic_ backup --host bench "$CORPUS"' ;;
    restic:restore-full) counted restic "$2" bash -c 'restic_ restore latest --target "$RUN/restic/restore-full"' ;;
    restic:replicate)
      counted restic "$2" bash -c 'RESTIC_CACHE_DIR=$RUN/restic/cache2 restic -r "$RESTIC_REPLICA" init --copy-chunker-params --from-repo "$RESTIC_REPO" >/dev/null &&
        RESTIC_CACHE_DIR=$RUN/restic/cache2 restic -r "$RESTIC_REPLICA" copy --from-repo "$RESTIC_REPO"' ;;
    *) echo "unknown step $1:$2" >&2; return 1 ;;
  esac
}

say "build"
npm run --silent build >"$RUN/logs/build.log" 2>&1 || { echo "npm run build failed" >&2; exit 1; }
prepare_corpus "$FILES" "$SCALE"
say "copying corpus"
cp -a "$PRISTINE" "$CORPUS"
for tool in $TOOLS; do mkdir -p "$RUN/$tool/restore-full"; done
mkdir -p "$RUN/cairn"
cat >"$RUN/cairn/cairn.yaml" <<YAML
version: 1
tiers:
  1: { lock: { mode: governance, for: 1d }, keep: { last: 10 } }
items:
  - name: corpus
    owner: bench@example.com
    tier: 1
    sources:
      - files: { root: $CORPUS }
    secrets: allow
YAML
record machine load-start "$(cut -d' ' -f1 /proc/loadavg)" '' ok ''
node bench/read-all.mjs "$CORPUS" >/dev/null

for step in init initial; do
  say "$step"
  for tool in $TOOLS; do run_step "$tool" "$step" || BROKEN[$tool]=${BROKEN[$tool]:-"$step failed"}; done
done
say "mutate 1 %"
measure corpus mutate node --import tsx bench/mutate.ts --dir "$CORPUS" --percent 1 --seed 2
say "changed"
for tool in $TOOLS; do run_step "$tool" changed || true; done
EXPECTED=''
[[ $VERIFY == 1 ]] && EXPECTED=$(manifest "$CORPUS")
say "restore-full"
for tool in $TOOLS; do
  run_step "$tool" restore-full || continue
  [[ $VERIFY == 1 ]] || continue
  target=$RUN/$tool/restore-full
  [[ -d $target$CORPUS/prod ]] && target=$target$CORPUS
  if [[ $(manifest "$target") == "$EXPECTED" ]]; then record "$tool" verify-full '' '' ok ''
  else record "$tool" verify-full '' '' fail "restored tree differs"; fi
  rm -rf "$RUN/$tool/restore-full"
done
say "replicate the whole repository"
for tool in $TOOLS; do run_step "$tool" replicate || true; done
record machine load-end "$(cut -d' ' -f1 /proc/loadavg)" '' ok ''

OUT=$WORK/s3-results-$(date -u +%Y-%m-%dT%H-%M-%SZ).tsv
cp "$STEPS" "$OUT"
say "results ($OUT)"
column -t -s $'\t' "$STEPS" >&2
rm -rf "$CORPUS"
