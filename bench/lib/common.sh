# Shared by bench/run.sh and bench/s3.sh: reporting, timing, and the cached corpus.
# The caller sets RUN (this run's folder), STEPS (the steps file) and ROOT; BROKEN (tools that failed a step) is declared here.

say() { printf '\n== %s\n' "$*" >&2; }
# One row per measurement: tool, step, value (seconds, or bytes for *-bytes steps), max RSS KB, status, note.
record() { printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$@" >>"$STEPS"; }
declare -A BROKEN=()

# measure TOOL STEP CMD...: runs CMD under GNU time; output goes to logs/TOOL-STEP.{out,err}.
measure() {
  local tool=$1 step=$2 log=$RUN/logs/$1-$2 status=ok note='' secs rss
  shift 2
  if [[ -n ${BROKEN[$tool]:-} ]]; then
    record "$tool" "$step" '' '' skipped "${BROKEN[$tool]}"
    return 1
  fi
  /usr/bin/time -f '%e %M' -o "$log.time" "$@" >"$log.out" 2>"$log.err" || status=fail
  read -r secs rss < <(tail -n 1 "$log.time")
  [[ $status == ok ]] || note=$(grep -v '^\s*$' "$log.err" | tail -n 1 | tr '\t' ' ' | cut -c1-200)
  record "$tool" "$step" "$secs" "$rss" "$status" "$note"
  printf '%-10s %-12s %8ss %8s KB  %s %s\n' "$tool" "$step" "$secs" "$rss" "$status" "$note" >&2
  [[ $status == ok ]]
}

# A tree's identity: every file's path and SHA-256, hashed.
manifest() { (cd "$1" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -c1-64); }

# prepare_corpus FILES SCALE: generates the corpus once per generator version and sets PRISTINE to its folder.
prepare_corpus() {
  local FILES=$1 SCALE=$2
  GEN=$(cat bench/corpus.ts bench/lib/*.ts | sha256sum | cut -c1-10)
  NAME="files$FILES-scale$SCALE-seed1"
  PRISTINE=$ROOT/bench/corpus/$NAME-$GEN
  if [[ ! -f $PRISTINE.json ]]; then
    say "generating corpus $NAME (generator $GEN)"
    rm -rf "$ROOT/bench/corpus/$NAME"-*
    mkdir -p "$ROOT/bench/corpus"
    measure corpus generate node --import tsx bench/corpus.ts --out "$PRISTINE" --files "$FILES" --scale "$SCALE" --seed 1
    cp "$RUN/logs/corpus-generate.out" "$PRISTINE.json"
  fi
}
