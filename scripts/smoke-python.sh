#!/usr/bin/env bash
# Builds the Python package with jsii, installs it in a fresh virtualenv and checks that Python
# programs write exactly what TypeScript writes: scenario A1, and cdk8s-plus workloads (a Deployment
# and a StatefulSet) adopted into the mesh's policies.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

rm -rf dist-jsii/python
npm run --silent package:python >/dev/null
python3 -m venv "$work/venv"
"$work/venv/bin/pip" install --quiet --disable-pip-version-check dist-jsii/python/*.whl

# On a supported Node line the jsii runtime prints nothing (no end-of-life banner, no warnings).
"$work/venv/bin/python" test/python/synth_a1.py "$work/python" >"$work/python.out" 2>&1 || { cat "$work/python.out"; exit 1; }
"$work/venv/bin/python" test/python/synth_adopted.py "$work/python" >>"$work/python.out" 2>&1 || { cat "$work/python.out"; exit 1; }
if [ -s "$work/python.out" ]; then
  echo "python smoke test: the Python program printed output it should not:"; cat "$work/python.out"; exit 1
fi
npm run --silent build
node -e "require('./lib/example/main').buildExampleApp(process.argv[1]).synth()" "$work/typescript"
cmp "$work/python/a1-strict-namespace.k8s.yaml" "$work/typescript/a1-strict-namespace.k8s.yaml"
echo "python smoke test: a1-strict-namespace from Python equals the TypeScript example"
node test/python/synth_adopted.js "$work/javascript"
grep -q 'principals:' "$work/python/adopted.k8s.yaml"
cmp "$work/python/adopted.k8s.yaml" "$work/javascript/adopted.k8s.yaml"
echo "python smoke test: a cdk8s-plus Deployment and StatefulSet adopted from Python equal the same app in JavaScript"
# A refusal reaches Python as a RuntimeError carrying only the text: Errors tells it from a bug by that text.
"$work/venv/bin/python" test/python/refusal.py "$work/refusal" >"$work/refusal.out" 2>&1 || { cat "$work/refusal.out"; exit 1; }
if [ -s "$work/refusal.out" ]; then
  echo "python smoke test: the refusal program printed output it should not:"; cat "$work/refusal.out"; exit 1
fi
echo "python smoke test: a refusal is recognised from its text in Python, and a retry with the same id synthesizes"
