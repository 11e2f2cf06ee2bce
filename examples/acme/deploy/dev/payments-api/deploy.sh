#!/usr/bin/env bash
# Deploys payments-api to dev (acme-dev-euw2). Anyone on the team may run it.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

CONTEXT=acme-dev-euw2
NAMESPACE=payments
VERSION="$(cat VERSION)"

k() { kubectl --context "$CONTEXT" --namespace "$NAMESPACE" "$@"; }

# dev has no pre-deploy snapshot: the nightly tier-2 schedule covers it

helm upgrade --install payments-redis oci://registry-1.docker.io/bitnamicharts/redis \
  --version 19.6.4 --kube-context "$CONTEXT" --namespace "$NAMESPACE" \
  -f redis-values.yaml --wait --timeout 5m

envsubst < payments-api.env \
  | k create secret generic payments-api-secrets --from-env-file=/dev/stdin --dry-run=client -o yaml \
  | k apply -f -
k create configmap payments-api-files --from-file=config.json --from-file=feature-flags.json --dry-run=client -o yaml | k apply -f -
k apply -f configmap.yaml -f service.yaml -f networkpolicy.yaml -f ingress.yaml -f deployment.yaml
k rollout status deployment/payments-api --timeout=5m
echo "payments-api $VERSION deployed to dev"
