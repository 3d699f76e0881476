#!/usr/bin/env bash
# Runs the test suite on the supported Node LTS lines other than the one CI's main pass uses.
set -euo pipefail
cd "$(dirname "$0")/.."
for major in "$@"; do
  node_bin="$(bash .ci/node.sh "$major")/node"
  echo "== tests on Node $("$node_bin" --version)"
  # jest's own children (workers, the schema validator) use process.execPath, so they run on it too.
  "$node_bin" node_modules/jest/bin/jest.js --ci
done
