#!/usr/bin/env bash
# Deploys ledger-worker to dev (acme-dev-euw2). Anyone on the team may run it.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

CONTEXT=acme-dev-euw2
NAMESPACE=ledger
VERSION="$(cat VERSION)"

k() { kubectl --context "$CONTEXT" --namespace "$NAMESPACE" "$@"; }

# dev has no pre-deploy snapshot: the nightly tier-2 schedule covers it

envsubst < ledger-worker.env \
  | k create secret generic ledger-worker-secrets --from-env-file=/dev/stdin --dry-run=client -o yaml \
  | k apply -f -
k create configmap ledger-worker-files --from-file=config.json --dry-run=client -o yaml | k apply -f -
k apply -f configmap.yaml -f networkpolicy.yaml -f deployment.yaml
k rollout status deployment/ledger-worker --timeout=5m
echo "ledger-worker $VERSION deployed to dev"
