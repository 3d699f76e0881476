#!/usr/bin/env bash
# Installs Node.js <major> (the npm registry's `node` package) into a cache, once, and prints the
# directory of its `node` binary, to put first on PATH.
#
#   NODE_LTS_CACHE_DIR  where each line is kept (default: $HOME/.cache/cdk8s-istio-security/node)
set -euo pipefail
major="${1:?usage: node.sh <major>}"
cache="${NODE_LTS_CACHE_DIR:-$HOME/.cache/cdk8s-istio-security/node}"
prefix="$cache/$major"
if [ ! -x "$prefix/node_modules/.bin/node" ]; then
  mkdir -p "$prefix"
  npm install --no-audit --no-fund --loglevel=error --prefix "$prefix" "node@$major" >/dev/null
fi
echo "$prefix/node_modules/.bin"
