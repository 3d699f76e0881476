#!/usr/bin/env bash
# Runs the test suite on the current Node LTS lines (22 and 24) besides the machine's Node.
# Each Node comes from the npm registry's `node` package, cached between runs.
set -euo pipefail
cd "$(dirname "$0")/.."
cache="${NODE_LTS_CACHE_DIR:-$HOME/.cache/cdk8s-istio-security/node}"
for major in 22 24; do
  prefix="$cache/$major"
  if [ ! -x "$prefix/node_modules/.bin/node" ]; then
    mkdir -p "$prefix"
    npm install --no-audit --no-fund --loglevel=error --prefix "$prefix" "node@$major" >/dev/null
  fi
  node_bin="$prefix/node_modules/.bin/node"
  echo "== tests on Node $("$node_bin" --version)"
  # jest's own children (workers, the schema validator) use process.execPath, so they run on it too.
  "$node_bin" node_modules/jest/bin/jest.js --ci
done
