#!/usr/bin/env bash
# Deploys checkout-web to prod (acme-prod-euw2). The release pipeline runs this; by hand only during an incident.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

CONTEXT=acme-prod-euw2
NAMESPACE=checkout
VERSION="$(cat VERSION)"

k() { kubectl --context "$CONTEXT" --namespace "$NAMESPACE" "$@"; }

# --render: write what would be applied to build/ for review, and stop.
if [[ "${1:-}" == "--render" ]]; then
  mkdir -p build
  {
    for f in configmap.yaml service.yaml networkpolicy.yaml ingress.yaml deployment.yaml; do
      echo "---"
      cat "$f"
    done
    echo "---"
    k create configmap checkout-web-files --from-file=nginx.conf --from-file=feature-flags.json --dry-run=client -o yaml
  } > build/checkout-web.rendered.yaml
  echo "rendered build/checkout-web.rendered.yaml"
  exit 0
fi

CHANGE_ID="${CHANGE_ID:?set CHANGE_ID to the approved change (CHG-nnnn) before deploying to prod}"

# pre-deploy state, tagged with the release and the change (Cairn item checkout-web-prod)
cairn snapshot --item checkout-web-prod --trigger pre-deploy --release "$VERSION" --change "$CHANGE_ID"

envsubst < checkout-web.env \
  | k create secret generic checkout-web-secrets --from-env-file=/dev/stdin --dry-run=client -o yaml \
  | k apply -f -
k create configmap checkout-web-files --from-file=nginx.conf --from-file=feature-flags.json --dry-run=client -o yaml | k apply -f -
k apply -f configmap.yaml -f service.yaml -f networkpolicy.yaml -f ingress.yaml -f deployment.yaml
# nginx reads its config only at start
k rollout restart deployment/checkout-web
k rollout status deployment/checkout-web --timeout=10m
echo "checkout-web $VERSION deployed to prod"

cairn snapshot --item checkout-web-prod --trigger post-deploy --release "$VERSION" --change "$CHANGE_ID"
