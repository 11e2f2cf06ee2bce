#!/usr/bin/env bash
# `npm run bench`: Cairn against restic and borg on one generated configuration corpus, in one run, plus the
# floors (metadata walk, reading every byte). See BENCHMARKS.md.
#   BENCH_FILES   files in the corpus (50000)          BENCH_SCALE  multiplies BENCH_FILES (1; 0.02 = smoke test)
#   BENCH_TOOLS   "cairn restic borg borg-zstd"        BENCH_KEEP   1 keeps repositories, restores and the corpus copy
#   BENCH_VERIFY  1 checks every restore byte for byte (untimed; default 1)
#   BENCH_CATALOG 1 ends with the catalog search and the HTTP search under load at BENCH_ROWS snapshot rows
#                 (bench/catalog-search.ts, bench/http-search.ts); 0 skips
#   BENCH_ROWS    1000000 × BENCH_SCALE            BENCH_DIALECTS  "sqlite postgres" (PostgreSQL: BENCH_PG_URL)
#   BENCH_RELEASE 1 runs bench/release.sh: a pipeline round (deploy start + gate + deploy finish) and drift; 0 skips
#   BENCH_DRILL   1 runs bench/drill.sh: a recovery drill of 20 items (restore + 3 validators) beside restic, and the
#                 monthly report at scale (bench/report-scale.ts; BENCH_REPORT=0 skips that part); 0 skips
#   BENCH_ONLY    drill runs only that step (the same as `bash bench/drill.sh`)
#   BENCH_S3      1 ends with bench/s3.sh: Cairn and restic on a local Ceph RGW (starts its own); 0 skips
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
FILES=${BENCH_FILES:-50000}
SCALE=${BENCH_SCALE:-1}
TOOLS=${BENCH_TOOLS:-cairn restic borg borg-zstd}
KEEP=${BENCH_KEEP:-0}
VERIFY=${BENCH_VERIFY:-1}
CATALOG=${BENCH_CATALOG:-1}
CATALOG_ROWS=${BENCH_ROWS:-$(awk -v s="$SCALE" 'BEGIN { printf "%d", 1000000 * s }')}
WORK=$ROOT/bench/work
RUN=$WORK/run
CORPUS=$RUN/corpus
STEPS=$RUN/steps.tsv

export RESTIC_PASSWORD=bench-only BORG_PASSPHRASE=bench-only CAIRN_PASSWORD=bench-only
export BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK=yes BORG_RELOCATED_REPO_ACCESS_IS_OK=yes

# shellcheck source=bench/lib/common.sh
source "$ROOT/bench/lib/common.sh"
[[ ${BENCH_ONLY:-} == drill ]] && exec bash bench/drill.sh

size_of() { du -sb "$1" 2>/dev/null | cut -f1; }
# Where a restore put the corpus: restic keeps the absolute path, borg the relative one.
restored_root() {
  local d
  for d in "$1$CORPUS" "$1/corpus" "$1"; do [[ -d $d/prod ]] && { echo "$d"; return; }; done
  echo "$1"
}

# Each tool with its repository and its local state (cache, home) under $RUN/TOOL; exported for `bash -c`.
cairn() { CAIRN_HOME=$RUN/cairn/home node "$ROOT/bin/cairn.js" --repo "$RUN/cairn/repo" "$@"; }
restic_() { RESTIC_CACHE_DIR=$RUN/restic/cache restic -r "$RUN/restic/repo" "$@"; }
borg_() { local t=$1; shift; BORG_BASE_DIR=$RUN/$t/base borg "$@"; }
export -f cairn restic_ borg_
export RUN ROOT CORPUS

run_step() { # TOOL STEP
  local tool=$1 step=$2 dir=$RUN/$1 compression=lz4
  [[ $tool == borg-zstd ]] && compression=zstd,3
  case "$tool:$step" in
    cairn:init) measure cairn init bash -c 'cairn init' ;;
    cairn:initial | cairn:unchanged | cairn:changed)
      measure cairn "$step" bash -c 'cairn --config "$RUN/cairn/cairn.yaml" snapshot --item corpus --json' &&
        node -e 'const s = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).snapshots[0];
          require("fs").writeFileSync(process.argv[2], s.id); console.log(s.status)' \
          "$RUN/logs/cairn-$step.out" "$dir/snapshot-id" >"$dir/status" &&
        record cairn "$step-status" '' '' ok "$(cat "$dir/status")" ;;
    cairn:restore-full) measure cairn "$step" bash -c 'cairn restore "$(cat "$RUN/cairn/snapshot-id")" --target "$RUN/cairn/$0" --json' "$step" ;;
    cairn:restore-one) measure cairn "$step" bash -c 'cairn restore "$(cat "$RUN/cairn/snapshot-id")" --target "$RUN/cairn/$0" --include "$1"' "$step" "$ONE" ;;
    restic:init) measure restic init bash -c 'restic_ init' ;;
    restic:initial | restic:unchanged | restic:changed) measure restic "$step" bash -c 'restic_ backup --host bench "$CORPUS"' ;;
    restic:restore-full) measure restic "$step" bash -c 'restic_ restore latest --target "$RUN/restic/$0"' "$step" ;;
    restic:restore-one) measure restic "$step" bash -c 'restic_ restore latest --target "$RUN/restic/$0" --include "$CORPUS/$1"' "$step" "$ONE" ;;
    borg*:init) measure "$tool" init bash -c 'borg_ "$0" init -e repokey "$RUN/$0/repo"' "$tool" ;;
    borg*:initial | borg*:unchanged | borg*:changed)
      measure "$tool" "$step" bash -c 'cd "$RUN" && borg_ "$0" create --compression "$2" "$RUN/$0/repo::$1" corpus' "$tool" "$step" "$compression" ;;
    borg*:restore-full) measure "$tool" "$step" bash -c 'cd "$RUN/$0/$1" && borg_ "$0" extract "$RUN/$0/repo::changed"' "$tool" "$step" ;;
    borg*:restore-one) measure "$tool" "$step" bash -c 'cd "$RUN/$0/$1" && borg_ "$0" extract "$RUN/$0/repo::changed" "corpus/$2"' "$tool" "$step" "$ONE" ;;
    *) echo "unknown step $tool:$step" >&2; return 1 ;;
  esac
}

# --- set up ------------------------------------------------------------------------------------------------
rm -rf "$RUN"
mkdir -p "$RUN/logs"
: >"$STEPS"
say "build"
if ! npm run --silent build >"$RUN/logs/build.log" 2>&1; then
  BROKEN[cairn]="npm run build failed (see bench/work/run/logs/build.log)"
  echo "${BROKEN[cairn]}" >&2
fi

prepare_corpus "$FILES" "$SCALE"
say "copying corpus (the run mutates its copy; the cached one stays pristine)"
cp -a "$PRISTINE" "$CORPUS"
# The file the single-file restores fetch: a small config file from the middle of the sorted listing.
ONE=$(cd "$CORPUS" && find . -type f -size -8k -printf '%P\n' | LC_ALL=C sort | awk '{a[NR]=$0} END{print a[int(NR/2)]}')
export ONE
for tool in $TOOLS; do mkdir -p "$RUN/$tool/restore-full" "$RUN/$tool/restore-one"; done
if [[ " $TOOLS " == *" cairn "* ]]; then
  cat >"$RUN/cairn/cairn.yaml" <<YAML
version: 1
tiers:
  2: { keep: { last: 10 } }
items:
  - name: corpus
    owner: bench@example.com
    tier: 2
    sources:
      - files: { root: $CORPUS }
    secrets: allow
YAML
fi

# --- floors (also warm the page cache) --------------------------------------------------------------------
say "floors"
# Other people share this machine: keep the load next to the numbers.
record machine load-start "$(cut -d' ' -f1 /proc/loadavg)" '' ok ''
node bench/read-all.mjs "$CORPUS" >/dev/null
for _ in 1 2 3; do
  measure floor walk bash -c 'find "$CORPUS" -type f -printf "%s %T@\n" >/dev/null'
  measure floor read-all node bench/read-all.mjs "$CORPUS"
  measure floor cat-all bash -c 'find "$CORPUS" -type f -print0 | xargs -0 cat >/dev/null'
done

# --- snapshots, phase by phase so every tool sees the same corpus ----------------------------------------
for step in init initial; do
  say "$step"
  for tool in $TOOLS; do run_step "$tool" "$step" || BROKEN[$tool]=${BROKEN[$tool]:-"$step failed"}; done
done
for tool in $TOOLS; do
  [[ -d $RUN/$tool/repo ]] && record "$tool" repo-initial-bytes "$(size_of "$RUN/$tool/repo")" '' ok ''
done
say "unchanged"
for tool in $TOOLS; do run_step "$tool" unchanged || true; done
say "mutate 1 %"
measure corpus mutate node --import tsx bench/mutate.ts --dir "$CORPUS" --percent 1 --seed 2
say "changed"
for tool in $TOOLS; do run_step "$tool" changed || true; done
for tool in $TOOLS; do
  [[ -d $RUN/$tool/repo ]] || continue
  record "$tool" repo-final-bytes "$(size_of "$RUN/$tool/repo")" '' ok ''
  local_state=$RUN/$tool/cache
  [[ $tool == cairn ]] && local_state=$RUN/cairn/home
  [[ $tool == borg* ]] && local_state=$RUN/$tool/base
  [[ -d $local_state ]] && record "$tool" local-state-bytes "$(size_of "$local_state")" '' ok ''
done

# --- restores ----------------------------------------------------------------------------------------------
EXPECTED=''
[[ $VERIFY == 1 ]] && EXPECTED=$(manifest "$CORPUS")
for step in restore-full restore-one; do
  say "$step"
  for tool in $TOOLS; do
    run_step "$tool" "$step" || continue
    [[ $VERIFY == 1 ]] || continue
    target=$RUN/$tool/$step
    if [[ $step == restore-full ]]; then
      got=$(manifest "$(restored_root "$target")")
      [[ $got == "$EXPECTED" ]] && record "$tool" verify-full '' '' ok '' || record "$tool" verify-full '' '' fail "restored tree differs"
      rm -rf "$target"
    else
      n=$(find "$target" -type f | wc -l)
      f=$(find "$target" -type f -name "$(basename "$ONE")" | head -n 1)
      if [[ $n == 1 && -n $f ]] && cmp -s "$f" "$CORPUS/$ONE"; then record "$tool" verify-one '' '' ok ''
      else record "$tool" verify-one '' '' fail "expected only $ONE, got $n files"; fi
    fi
  done
done

# --- report ------------------------------------------------------------------------------------------------
record machine load-end "$(cut -d' ' -f1 /proc/loadavg)" '' ok ''
OUT=$WORK/results-$(date -u +%Y-%m-%dT%H-%M-%SZ).json
node --import tsx bench/report.ts --steps "$STEPS" --corpus "$CORPUS" --generated "$PRISTINE.json" --one "$ONE" --out "$OUT"
if [[ $KEEP != 1 ]]; then
  for tool in $TOOLS; do rm -rf "${RUN:?}/$tool"; done
  rm -rf "$CORPUS"
fi

# --- catalog search at scale (BENCHMARKS.md, "Catalog search at 1,000,000 snapshots") ----------------------
# Last, so that a missing PostgreSQL or a wrong hit fails the run without losing the tool comparison above.
if [[ $CATALOG == 1 ]]; then
  say "catalog search at $CATALOG_ROWS snapshot rows (BENCH_CATALOG=0 skips)"
  BENCH_ROWS=$CATALOG_ROWS node --import tsx bench/catalog-search.ts
  say "HTTP search under load at $CATALOG_ROWS snapshot rows, audit log on (BENCH_CATALOG=0 skips)"
  BENCH_ROWS=$CATALOG_ROWS BENCH_BUILD=0 node --import tsx bench/http-search.ts
  say "replication status against a replica lacking the last 7 days, at $CATALOG_ROWS snapshot rows"
  BENCH_SIZES=$CATALOG_ROWS node --import tsx bench/replication-status.ts
fi

# --- release pipeline (BENCHMARKS.md, "Release pipeline") --------------------------------------------------
if [[ ${BENCH_RELEASE:-1} == 1 ]]; then
  say "release pipeline: pre-deploy + gate + post-deploy of 20 items; drift against the metadata walk (BENCH_RELEASE=0 skips)"
  bash bench/release.sh
fi

# --- recovery drill and monthly report (BENCHMARKS.md, "Recovery drills and the monthly report") ------------
if [[ ${BENCH_DRILL:-1} == 1 ]]; then
  say "recovery drill of 20 items (restore + 3 validators) beside restic; the monthly report at scale (BENCH_DRILL=0 skips)"
  bash bench/drill.sh
fi

# --- on S3 (BENCHMARKS.md, "On S3: Ceph RGW") --------------------------------------------------------------
if [[ ${BENCH_S3:-1} == 1 ]]; then
  say "Cairn and restic on S3 (Ceph RGW; BENCH_S3=0 skips)"
  bash bench/s3.sh
fi
