#!/usr/bin/env bash
# The one script the CI templates in this folder wrap (GitHub Actions: github/action.yml; GitLab CI:
# gitlab/cairn.gitlab-ci.yml), and the one Cairn's own tests run (test/integrations.test.ts).
#
#   cairn-pipeline.sh pre-deploy   capture every item of $CAIRN_ENV before the deployment (cairn deploy start)
#   cairn-pipeline.sh gate         refuse promotion unless that capture is verified, current and consistent (cairn gate)
#   cairn-pipeline.sh post-deploy  capture the state the deployment left (cairn deploy finish)
#   cairn-pipeline.sh fail         record a failed deployment; rolls back where the policy enables it (cairn deploy fail)
#
# Inputs (environment): CAIRN_ENV (required), CAIRN_RELEASE (required for pre-deploy and gate), CAIRN_CHANGE_ID,
# CAIRN_COMMIT, CAIRN_PIPELINE_URL, CAIRN_DEPLOYMENT_FILE (where the deployment id is kept between jobs;
# default .cairn-deployment), CAIRN_BIN (default: cairn on PATH), CAIRN_FAIL_REASON. Everything else Cairn
# reads itself: CAIRN_REPOSITORY, CAIRN_PASSWORD_FILE / CAIRN_KEY_PROVIDER, CAIRN_CONFIG, or CAIRN_SERVER +
# CAIRN_TOKEN to go through a cairn server. On GitHub the deployment id is also written to $GITHUB_OUTPUT.
# Exit status: Cairn's own (0 ok, 1 failed or gate closed, 2 bad usage or policy).
set -euo pipefail

need() { # VAR WHY: exit 2 (bad usage) when the variable is empty
  [[ -n ${!1:-} ]] && return 0
  echo "cairn-pipeline: $1 is required: $2" >&2
  exit 2
}

phase=${1:-}
need CAIRN_ENV "the environment being deployed"
bin=${CAIRN_BIN:-cairn}
read -r -a cairn <<<"$bin"
id_file=${CAIRN_DEPLOYMENT_FILE:-.cairn-deployment}

opt() { # FLAG VALUE: the flag and its value, when the value is set
  [[ -n ${2:-} ]] && printf '%s\n%s\n' "$1" "$2"
  return 0
}

deployment_id() {
  [[ -s $id_file ]] || {
    echo "cairn-pipeline: no deployment id in $id_file: run the pre-deploy phase first (or set CAIRN_DEPLOYMENT_FILE)" >&2
    exit 2
  }
  cat "$id_file"
}

case "$phase" in
  pre-deploy)
    need CAIRN_RELEASE "the release about to be deployed (pre-deploy)"
    mapfile -t extra < <(opt --change "${CAIRN_CHANGE_ID:-}"; opt --commit "${CAIRN_COMMIT:-}"; opt --pipeline "${CAIRN_PIPELINE_URL:-}")
    out=$(mktemp)
    trap 'rm -f "$out"' EXIT
    status=0
    "${cairn[@]}" deploy start --env "$CAIRN_ENV" --release "$CAIRN_RELEASE" "${extra[@]}" --json >"$out" || status=$?
    id=$(node -e 'try { const d = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); console.log(d.deployment?.id ?? "") } catch { console.log("") }' "$out")
    if [[ -n $id ]]; then
      printf '%s' "$id" >"$id_file"
      [[ -n ${GITHUB_OUTPUT:-} ]] && echo "deployment=$id" >>"$GITHUB_OUTPUT"
      echo "cairn-pipeline: deployment $id: pre-deploy capture of $CAIRN_ENV for release $CAIRN_RELEASE"
    fi
    [[ $status == 0 ]] || cat "$out" >&2
    exit "$status"
    ;;
  gate)
    need CAIRN_RELEASE "the release about to be promoted (gate)"
    exec "${cairn[@]}" gate --env "$CAIRN_ENV" --release "$CAIRN_RELEASE"
    ;;
  post-deploy)
    id=$(deployment_id)
    exec "${cairn[@]}" deploy finish "$id"
    ;;
  fail)
    mapfile -t extra < <(opt --reason "${CAIRN_FAIL_REASON:-}")
    id=$(deployment_id)
    exec "${cairn[@]}" deploy fail "$id" "${extra[@]}"
    ;;
  *)
    echo "usage: cairn-pipeline.sh pre-deploy|gate|post-deploy|fail  (see the comment at the top of this script)" >&2
    exit 2
    ;;
esac
