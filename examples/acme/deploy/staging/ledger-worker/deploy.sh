#!/usr/bin/env bash
# Deploys ledger-worker to staging (acme-staging-euw2). The release pipeline runs this for every release candidate.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

CONTEXT=acme-staging-euw2
NAMESPACE=ledger
VERSION="$(cat VERSION)"

k() { kubectl --context "$CONTEXT" --namespace "$NAMESPACE" "$@"; }

# pre-deploy state, so a bad release candidate can be rolled back (Cairn item ledger-worker-staging)
cairn snapshot --item ledger-worker-staging --trigger pre-deploy --release "$VERSION"

envsubst < ledger-worker.env \
  | k create secret generic ledger-worker-secrets --from-env-file=/dev/stdin --dry-run=client -o yaml \
  | k apply -f -
k create configmap ledger-worker-files --from-file=config.json --dry-run=client -o yaml | k apply -f -
k apply -f configmap.yaml -f networkpolicy.yaml -f deployment.yaml -f cronjob.yaml
k rollout status deployment/ledger-worker --timeout=5m
echo "ledger-worker $VERSION deployed to staging"
