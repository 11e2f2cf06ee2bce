#!/usr/bin/env bash
# The release-pipeline benchmark (issue 5, BENCHMARKS.md "Release pipeline"): on the core benchmark's corpus,
#  1. a pipeline's round when nothing changed: pre-deploy capture (cairn deploy start) + release gate
#     (cairn gate) + post-deploy capture (cairn deploy finish) of a 20-item environment (20 service folders of
#     prod), BENCH_ROUNDS times; beside it, restic backing up the same 20 folders twice (pre and post), the
#     nearest thing a peer tool does (it has no gate);
#  2. cairn drift over the whole corpus (one item per environment folder) against the floor of walking its
#     metadata (find -printf size and mtime), three times each.
#   BENCH_FILES, BENCH_SCALE   as in bench/run.sh (the same cached corpus)      BENCH_ROUNDS   5
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
FILES=${BENCH_FILES:-50000}
SCALE=${BENCH_SCALE:-1}
ROUNDS=${BENCH_ROUNDS:-5}
WORK=$ROOT/bench/work
RUN=$WORK/release-run
STEPS=$RUN/steps.tsv
# shellcheck source=bench/lib/common.sh
source "$ROOT/bench/lib/common.sh"
export RESTIC_PASSWORD=bench-only CAIRN_PASSWORD=bench-only

rm -rf "$RUN"
mkdir -p "$RUN/logs"
: >"$STEPS"
[[ -d $ROOT/dist ]] || npm run --silent build
prepare_corpus "$FILES" "$SCALE"
CORPUS=$PRISTINE # read only: nothing here writes to the corpus
cairn() { CAIRN_HOME=$RUN/cairn/home node "$ROOT/bin/cairn.js" --repo "$RUN/cairn/repo" --config "$RUN/cairn.yaml" "$@"; }
restic_() { RESTIC_CACHE_DIR=$RUN/restic/cache restic -r "$RUN/restic/repo" "$@"; }
export -f cairn restic_
export RUN ROOT CORPUS

mapfile -t SERVICES < <(find "$CORPUS/prod" -mindepth 1 -maxdepth 1 -type d -printf '%f\n' | LC_ALL=C sort | head -n 20)
mapfile -t ENVS < <(find "$CORPUS" -mindepth 1 -maxdepth 1 -type d -printf '%f\n' | LC_ALL=C sort)
{
  echo "version: 1"
  echo "tiers: { 1: { keep: { last: 100 } } }"
  echo "environments: { prod: {}, whole: {} }"
  echo "items:"
  for s in "${SERVICES[@]}"; do
    printf '  - { name: %s, owner: bench@example.com, tier: 1, environment: prod, secrets: allow, sources: [ { files: { root: %s } } ] }\n' \
      "prod-$s" "$CORPUS/prod/$s"
  done
  for e in "${ENVS[@]}"; do
    printf '  - { name: %s, owner: bench@example.com, tier: 1, environment: whole, secrets: allow, sources: [ { files: { root: %s } } ] }\n' \
      "all-$e" "$CORPUS/$e"
  done
} >"$RUN/cairn.yaml"
PROD_DIRS=()
for s in "${SERVICES[@]}"; do PROD_DIRS+=("$CORPUS/prod/$s"); done
export PROD_DIRS_LIST="${PROD_DIRS[*]}"
files20=$(find "${PROD_DIRS[@]}" -type f | wc -l)
filesAll=$(find "$CORPUS" -type f | wc -l)
say "20 items ($files20 files), whole corpus $filesAll files in ${#ENVS[@]} items"
record machine load-start "$(cut -d' ' -f1 /proc/loadavg)" '' ok ''
record corpus files-20-items "$files20" '' ok ''
record corpus files-whole "$filesAll" '' ok ''
node bench/read-all.mjs "$CORPUS" >/dev/null

say "set up: init and a first capture of everything (untimed for the comparison)"
measure cairn init bash -c 'cairn init'
measure cairn first-capture bash -c 'cairn snapshot --json'
if command -v restic >/dev/null; then
  measure restic init bash -c 'restic_ init'
  measure restic first-capture bash -c 'restic_ backup --host bench $PROD_DIRS_LIST'
fi

say "pipeline round, nothing changed: deploy start + gate + deploy finish ($ROUNDS rounds)"
for i in $(seq 1 "$ROUNDS"); do
  measure cairn "pre-deploy-$i" bash -c 'cairn deploy start --env prod --release "9.0.$0" --json' "$i" || true
  id=$(node -e 'try { console.log(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).deployment.id) } catch { console.log("") }' "$RUN/logs/cairn-pre-deploy-$i.out")
  measure cairn "gate-$i" bash -c 'cairn gate --env prod --release "9.0.$0" --json' "$i" || true
  measure cairn "post-deploy-$i" bash -c 'cairn deploy finish "$0" --json' "$id" || true
  if command -v restic >/dev/null; then
    measure restic "pre-deploy-$i" bash -c 'restic_ backup --host bench --tag "9.0.$0" $PROD_DIRS_LIST' "$i" || true
    measure restic "post-deploy-$i" bash -c 'restic_ backup --host bench --tag "9.0.$0" $PROD_DIRS_LIST' "$i" || true
  fi
done

say "the same round through cairn serve (the pipeline holds a token, not the repository key)"
TOKEN=$(cairn token create --name bench-ci --role operator --expires 1d --json | node -e 'console.log(JSON.parse(require("fs").readFileSync(0, "utf8")).token)')
PORT=$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
CAIRN_HOME=$RUN/cairn/home node "$ROOT/bin/cairn.js" --repo "$RUN/cairn/repo" --config "$RUN/cairn.yaml" serve --port "$PORT" --no-scheduler \
  >"$RUN/logs/serve.out" 2>"$RUN/logs/serve.err" &
SERVE_PID=$!
trap 'kill "$SERVE_PID" 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
remote() { CAIRN_SERVER=http://127.0.0.1:$PORT CAIRN_TOKEN=$TOKEN node "$ROOT/bin/cairn.js" "$@"; }
export -f remote
export PORT TOKEN
for i in $(seq 1 "$ROUNDS"); do
  measure cairn-serve "pre-deploy-$i" bash -c 'remote deploy start --env prod --release "9.1.$0" --json' "$i" || true
  id=$(node -e 'try { console.log(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).deployment.id) } catch { console.log("") }' "$RUN/logs/cairn-serve-pre-deploy-$i.out")
  measure cairn-serve "gate-$i" bash -c 'remote gate --env prod --release "9.1.$0" --json' "$i" || true
  measure cairn-serve "post-deploy-$i" bash -c 'remote deploy finish "$0" --json' "$id" || true
done
kill "$SERVE_PID" 2>/dev/null || true
wait "$SERVE_PID" 2>/dev/null || true
for _ in 1 2 3; do measure cairn-serve startup bash -c 'node "$ROOT/bin/cairn.js" --version'; done

say "drift over the whole corpus against the metadata-walk floor"
for _ in 1 2 3; do
  measure floor walk bash -c 'find "$CORPUS" -type f -printf "%s %T@\n" >/dev/null'
  measure cairn drift bash -c 'cairn drift --env whole --json'
done
record machine load-end "$(cut -d' ' -f1 /proc/loadavg)" '' ok ''

OUT=$WORK/release-results-$(date -u +%Y-%m-%dT%H-%M-%SZ).tsv
cp "$STEPS" "$OUT"
node --import tsx bench/release-summary.ts "$STEPS" | tee "$OUT.md"
rm -rf "$RUN/cairn/repo" "$RUN/restic"
