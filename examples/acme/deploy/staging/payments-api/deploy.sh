#!/usr/bin/env bash
# Deploys payments-api to staging (acme-staging-euw2). The release pipeline runs this for every release candidate.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

CONTEXT=acme-staging-euw2
NAMESPACE=payments
VERSION="$(cat VERSION)"

k() { kubectl --context "$CONTEXT" --namespace "$NAMESPACE" "$@"; }

# pre-deploy state, so a bad release candidate can be rolled back (Cairn item payments-api-staging)
cairn snapshot --item payments-api-staging --trigger pre-deploy --release "$VERSION"

helm upgrade --install payments-redis oci://registry-1.docker.io/bitnamicharts/redis \
  --version 19.6.4 --kube-context "$CONTEXT" --namespace "$NAMESPACE" \
  -f redis-values.yaml --wait --timeout 5m

envsubst < payments-api.env \
  | k create secret generic payments-api-secrets --from-env-file=/dev/stdin --dry-run=client -o yaml \
  | k apply -f -
k create configmap payments-api-files --from-file=config.json --from-file=feature-flags.json --dry-run=client -o yaml | k apply -f -
k apply -f configmap.yaml -f service.yaml -f networkpolicy.yaml -f ingress.yaml -f deployment.yaml
k rollout status deployment/payments-api --timeout=5m
echo "payments-api $VERSION deployed to staging"
