#!/usr/bin/env bash
# Deploys payments-api to prod (acme-prod-euw2). The release pipeline runs this; by hand only during an incident.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

CONTEXT=acme-prod-euw2
NAMESPACE=payments
VERSION="$(cat VERSION)"

k() { kubectl --context "$CONTEXT" --namespace "$NAMESPACE" "$@"; }

CHANGE_ID="${CHANGE_ID:?set CHANGE_ID to the approved change (CHG-nnnn) before deploying to prod}"

# pre-deploy state, tagged with the release and the change (Cairn item payments-api-prod)
cairn snapshot --item payments-api-prod --trigger pre-deploy --release "$VERSION" --change "$CHANGE_ID"

helm upgrade --install payments-redis oci://registry-1.docker.io/bitnamicharts/redis \
  --version 19.6.4 --kube-context "$CONTEXT" --namespace "$NAMESPACE" \
  -f redis-values.yaml --wait --timeout 5m

envsubst < payments-api.env \
  | k create secret generic payments-api-secrets --from-env-file=/dev/stdin --dry-run=client -o yaml \
  | k apply -f -
k create configmap payments-api-files --from-file=config.json --from-file=feature-flags.json --dry-run=client -o yaml | k apply -f -
k apply -f configmap.yaml -f service.yaml -f networkpolicy.yaml -f ingress.yaml -f deployment.yaml
k rollout status deployment/payments-api --timeout=10m
echo "payments-api $VERSION deployed to prod"

cairn snapshot --item payments-api-prod --trigger post-deploy --release "$VERSION" --change "$CHANGE_ID"
