#!/usr/bin/env bash
# Creates a local Kubernetes cluster for pca-agent, installs KEDA from its official Helm chart, and prints the next
# command. Idempotent: what already exists is kept.
#   scripts/kind-up.sh             kind cluster "pca-agent" (context kind-pca-agent)
#   scripts/kind-up.sh --minikube  minikube profile "pca-agent" (context pca-agent)
#   scripts/kind-up.sh --gateway   also Envoy Gateway (Gateway API CRDs + controller, pinned chart) and a Gateway
set -euo pipefail

CLUSTER_NAME="${PCA_CLUSTER_NAME:-pca-agent}"
KEDA_CHART_VERSION="${KEDA_CHART_VERSION:-2.21.1}"
KEDA_REPO="https://kedacore.github.io/charts"
KEDA_NAMESPACE="keda"
ENVOY_GATEWAY_VERSION="${ENVOY_GATEWAY_VERSION:-v1.9.1}"
ENVOY_GATEWAY_CHART="oci://docker.io/envoyproxy/gateway-helm"
# The controller, its proxies and the Gateway share one namespace (Envoy Gateway's default layout).
GATEWAY_NAMESPACE="envoy-gateway-system"
GATEWAY_NAME="pca-gateway"
DRIVER="kind"
GATEWAY="no"

usage() {
  echo "usage: scripts/kind-up.sh [--minikube] [--gateway]"
  echo "  env: PCA_CLUSTER_NAME (default pca-agent), KEDA_CHART_VERSION (default 2.21.1), KIND_NODE_IMAGE (kind's default),"
  echo "       ENVOY_GATEWAY_VERSION (default v1.9.1, with --gateway)"
}

for arg in "$@"; do
  case "$arg" in
    --minikube) DRIVER="minikube" ;;
    --kind) DRIVER="kind" ;;
    --gateway) GATEWAY="yes" ;;
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

if [ "$GATEWAY" = "yes" ]; then
  step "Installing Envoy Gateway $ENVOY_GATEWAY_VERSION (Gateway API CRDs and controller, chart $ENVOY_GATEWAY_CHART) into namespace $GATEWAY_NAMESPACE"
  helm upgrade --install eg "$ENVOY_GATEWAY_CHART" --version "$ENVOY_GATEWAY_VERSION" \
    --namespace "$GATEWAY_NAMESPACE" --create-namespace --kube-context "$CONTEXT" --wait --timeout 5m
  kubectl --context "$CONTEXT" --namespace "$GATEWAY_NAMESPACE" wait --for=condition=Available deployment/envoy-gateway --timeout=300s

  # A local cluster has no load balancer: the proxy gets a ClusterIP Service with a fixed name, reached by port-forward.
  step "Creating GatewayClass pca-agent and Gateway $GATEWAY_NAMESPACE/$GATEWAY_NAME (listener http on port 80, routes from every namespace)"
  kubectl --context "$CONTEXT" apply -f - <<EOF
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: EnvoyProxy
metadata:
  name: $GATEWAY_NAME
  namespace: $GATEWAY_NAMESPACE
spec:
  provider:
    type: Kubernetes
    kubernetes:
      envoyService:
        type: ClusterIP
        name: $GATEWAY_NAME
---
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata:
  name: pca-agent
spec:
  controllerName: gateway.envoyproxy.io/gatewayclass-controller
  parametersRef:
    group: gateway.envoyproxy.io
    kind: EnvoyProxy
    name: $GATEWAY_NAME
    namespace: $GATEWAY_NAMESPACE
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: $GATEWAY_NAME
  namespace: $GATEWAY_NAMESPACE
spec:
  gatewayClassName: pca-agent
  listeners:
    - name: http
      protocol: HTTP
      port: 80
      allowedRoutes:
        namespaces:
          from: All
EOF
  step "Waiting for the Gateway to be programmed (its Envoy proxy running)"
  kubectl --context "$CONTEXT" --namespace "$GATEWAY_NAMESPACE" wait --for=condition=Programmed "gateway/$GATEWAY_NAME" --timeout=300s
fi

profile="kind"
down="scripts/kind-down.sh"
if [ "$DRIVER" = "minikube" ]; then
  profile="minikube"
  down="scripts/kind-down.sh --minikube"
fi
if [ "$GATEWAY" = "yes" ]; then
  step "Cluster $CLUSTER_NAME is ready with KEDA and the Gateway $GATEWAY_NAMESPACE/$GATEWAY_NAME. Next:"
  echo "    skaffold dev --profile $profile,gateway"
  echo "  then through the Gateway (its Envoy proxy is one hop: trustProxyHops resolves to 1):"
  echo "    kubectl --context $CONTEXT -n $GATEWAY_NAMESPACE port-forward service/$GATEWAY_NAME 8080:80"
  echo "    curl -H \"X-API-Key: \$KEY\" http://127.0.0.1:8080/api/v1/campaigns"
  echo "  or directly: http://127.0.0.1:8000/api/docs (API), http://127.0.0.1:16686 (Jaeger UI), http://127.0.0.1:5555 (queue dashboard)."
else
  step "Cluster $CLUSTER_NAME is ready with KEDA. Next:"
  echo "    skaffold dev --profile $profile"
  echo "  then open http://127.0.0.1:8000/api/docs (API), http://127.0.0.1:16686 (Jaeger UI), http://127.0.0.1:5555 (queue dashboard)."
fi
echo "  npm run ctl -- status shows the release; $down removes the cluster."
