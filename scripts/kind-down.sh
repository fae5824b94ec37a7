#!/usr/bin/env bash
# Deletes the local cluster scripts/kind-up.sh created (kind by default, --minikube for the minikube profile).
# Idempotent: nothing to delete is not an error.
set -euo pipefail

CLUSTER_NAME="${PCA_CLUSTER_NAME:-pca-agent}"
DRIVER="kind"

for arg in "$@"; do
  case "$arg" in
    --minikube) DRIVER="minikube" ;;
    --kind) DRIVER="kind" ;;
    -h | --help) echo "usage: scripts/kind-down.sh [--minikube]   (env PCA_CLUSTER_NAME, default pca-agent)"; exit 0 ;;
    *) echo "kind-down: unknown argument: $arg" >&2; exit 2 ;;
  esac
done

step() { printf '==> %s\n' "$*"; }
command -v "$DRIVER" >/dev/null 2>&1 || { echo "kind-down: $DRIVER is not installed (or not on PATH)" >&2; exit 1; }

if [ "$DRIVER" = "kind" ]; then
  if kind get clusters 2>/dev/null | grep -qx "$CLUSTER_NAME"; then
    step "Deleting kind cluster $CLUSTER_NAME"
    kind delete cluster --name "$CLUSTER_NAME"
  else
    step "No kind cluster named $CLUSTER_NAME: nothing to delete"
  fi
else
  if minikube profile list --output json 2>/dev/null | grep -q "\"Name\":\"$CLUSTER_NAME\""; then
    step "Deleting minikube profile $CLUSTER_NAME"
    minikube delete --profile "$CLUSTER_NAME"
  else
    step "No minikube profile named $CLUSTER_NAME: nothing to delete"
  fi
fi
