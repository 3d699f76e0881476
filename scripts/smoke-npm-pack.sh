#!/usr/bin/env bash
# Packs the library with `npm pack`, installs the tarball into a fresh cdk8s TypeScript app and
# checks that the app compiles and synthesizes scenario A1 exactly as the example does.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

npm run --silent build
tarball="$root/$(npm pack --silent --pack-destination "$work" | tail -n 1 | xargs basename)"
mv "$work/$(basename "$tarball")" "$work/lib.tgz"
node -e "require('./lib/example/main').buildExampleApp(process.argv[1]).synth()" "$work/expected"

versions=$(node -p "const p=require('./package.json').devDependencies; ['cdk8s','cdk8s-plus-28','constructs','typescript','@types/node'].map(n => n + '@' + p[n]).join(' ')")
mkdir "$work/app" && cd "$work/app"
npm init -y >/dev/null
# shellcheck disable=SC2086
npm install --no-audit --no-fund --loglevel=error "$work/lib.tgz" $versions >/dev/null
cat > main.ts <<'TS'
import { App, Chart } from 'cdk8s';
import { StrictNamespace } from 'cdk8s-istio-security';

const app = new App({ outdir: process.argv[2] });
new StrictNamespace(new Chart(app, 'a1-strict-namespace'), 'project-space');
app.synth();
TS
npx tsc --strict --module commonjs --target ES2022 --skipLibCheck main.ts
node main.js out
cmp out/a1-strict-namespace.k8s.yaml "$work/expected/a1-strict-namespace.k8s.yaml"
echo "npm pack smoke test: a fresh cdk8s app installed the tarball and synthesized A1 identically"
