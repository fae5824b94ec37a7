#!/usr/bin/env bash
# Creates a local Kubernetes cluster for pca-agent, installs KEDA from its official Helm chart, and prints the next
# command. Idempotent: what already exists is kept.
#   scripts/kind-up.sh             kind cluster "pca-agent" (context kind-pca-agent)
#   scripts/kind-up.sh --minikube  minikube profile "pca-agent" (context pca-agent)
set -euo pipefail

CLUSTER_NAME="${PCA_CLUSTER_NAME:-pca-agent}"
KEDA_CHART_VERSION="${KEDA_CHART_VERSION:-2.21.1}"
KEDA_REPO="https://kedacore.github.io/charts"
KEDA_NAMESPACE="keda"
DRIVER="kind"

usage() {
  echo "usage: scripts/kind-up.sh [--minikube]"
  echo "  env: PCA_CLUSTER_NAME (default pca-agent), KEDA_CHART_VERSION (default 2.21.1), KIND_NODE_IMAGE (kind's default)"
}

for arg in "$@"; do
  case "$arg" in
    --minikube) DRIVER="minikube" ;;
    --kind) DRIVER="kind" ;;
    -h | --help) usage; exit 0 ;;
    *) echo "kind-up: unknown argument: $arg" >&2; usage >&2; exit 2 ;;
  esac
done

step() { printf '==> %s\n' "$*"; }
die() { printf 'kind-up: %s\n' "$*" >&2; exit 1; }
need() { command -v "$1" >/dev/null 2>&1 || die "$1 is not installed (or not on PATH): see $2"; }

step "Checking for docker, kubectl, helm and $DRIVER"
need docker "https://docs.docker.com/get-docker/"
docker info >/dev/null 2>&1 || die "docker is installed but its daemon does not answer: start Docker (Docker Desktop or dockerd) and retry"
need kubectl "https://kubernetes.io/docs/tasks/tools/"
need helm "https://helm.sh/docs/intro/install/"
if [ "$DRIVER" = "kind" ]; then
  need kind "https://kind.sigs.k8s.io/docs/user/quick-start/#installation"
  CONTEXT="kind-$CLUSTER_NAME"
  if kind get clusters 2>/dev/null | grep -qx "$CLUSTER_NAME"; then
    step "kind cluster $CLUSTER_NAME already exists: keeping it"
  else
    step "Creating kind cluster $CLUSTER_NAME"
    kind create cluster --name "$CLUSTER_NAME" --wait 120s ${KIND_NODE_IMAGE:+--image "$KIND_NODE_IMAGE"}
  fi
else
  need minikube "https://minikube.sigs.k8s.io/docs/start/"
  CONTEXT="$CLUSTER_NAME"
  if minikube status --profile "$CLUSTER_NAME" >/dev/null 2>&1; then
    step "minikube profile $CLUSTER_NAME is already running: keeping it"
  else
    step "Starting minikube profile $CLUSTER_NAME (docker driver, 2 CPUs, 4 GiB)"
    minikube start --profile "$CLUSTER_NAME" --driver docker --cpus 2 --memory 4096
  fi
fi

step "Switching kubectl to context $CONTEXT"
kubectl config use-context "$CONTEXT" >/dev/null
kubectl --context "$CONTEXT" cluster-info >/dev/null || die "the cluster of context $CONTEXT does not answer"

step "Installing KEDA (chart keda $KEDA_CHART_VERSION from $KEDA_REPO) into namespace $KEDA_NAMESPACE"
helm upgrade --install keda keda --repo "$KEDA_REPO" --version "$KEDA_CHART_VERSION" \
  --namespace "$KEDA_NAMESPACE" --create-namespace --kube-context "$CONTEXT" --wait --timeout 5m

step "Waiting for the KEDA operator, metrics server and webhooks to be available"
kubectl --context "$CONTEXT" --namespace "$KEDA_NAMESPACE" wait --for=condition=Available deployment --all --timeout=300s
kubectl --context "$CONTEXT" wait --for=condition=Established crd/scaledobjects.keda.sh --timeout=60s

profile="kind"
down="scripts/kind-down.sh"
if [ "$DRIVER" = "minikube" ]; then
  profile="minikube"
  down="scripts/kind-down.sh --minikube"
fi
step "Cluster $CLUSTER_NAME is ready with KEDA. Next:"
echo "    skaffold dev --profile $profile"
echo "  then open http://127.0.0.1:8000/api/docs (API), http://127.0.0.1:16686 (Jaeger UI), http://127.0.0.1:5555 (queue dashboard)."
echo "  npm run ctl -- status shows the release; $down removes the cluster."
