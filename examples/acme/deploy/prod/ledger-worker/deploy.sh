#!/usr/bin/env bash
# Deploys ledger-worker to prod (acme-prod-euw2). The release pipeline runs this; by hand only during an incident.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

CONTEXT=acme-prod-euw2
NAMESPACE=ledger
VERSION="$(cat VERSION)"

k() { kubectl --context "$CONTEXT" --namespace "$NAMESPACE" "$@"; }

CHANGE_ID="${CHANGE_ID:?set CHANGE_ID to the approved change (CHG-nnnn) before deploying to prod}"

# pre-deploy state, tagged with the release and the change (Cairn item ledger-worker-prod)
cairn snapshot --item ledger-worker-prod --trigger pre-deploy --release "$VERSION" --change "$CHANGE_ID"

envsubst < ledger-worker.env \
  | k create secret generic ledger-worker-secrets --from-env-file=/dev/stdin --dry-run=client -o yaml \
  | k apply -f -
k create configmap ledger-worker-files --from-file=config.json --dry-run=client -o yaml | k apply -f -
k apply -f configmap.yaml -f networkpolicy.yaml -f deployment.yaml -f cronjob.yaml
k rollout status deployment/ledger-worker --timeout=10m
echo "ledger-worker $VERSION deployed to prod"

cairn snapshot --item ledger-worker-prod --trigger post-deploy --release "$VERSION" --change "$CHANGE_ID"
