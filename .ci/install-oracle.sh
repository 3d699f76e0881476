#!/usr/bin/env bash
# Builds the mesh oracle (oracle/: Istio's own control plane run on manifests; README "The oracle")
# into a cache dir keyed by a hash of its sources, so a change to oracle/ rebuilds it (idempotent).
# The last line of stdout is the path of the binary; everything else goes to stderr.
#
#   ORACLE_CACHE_DIR  where the binaries are kept (default: $HOME/.cache/cdk8s-istio-security)
#
# Same Go module setup as .ci/install-istioctl.sh: the pinned Istio pseudo-version and replaces
# are in oracle/go.mod (with its go.sum), built with GOFLAGS=-mod=mod (never `go mod tidy`: a
# module Istio's go.mod names is refused by the proxy). The build runs in a copy of oracle/, so it
# never touches the checked-in files.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { echo "install-oracle: $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# The key test/oracle-util.ts computes too: sha256 over "sha256  path" lines of the sources.
sources() { find oracle -maxdepth 1 -type f \( -name '*.go' -o -name go.mod -o -name go.sum \) | LC_ALL=C sort; }
KEY="$(sources | xargs sha256sum | sha256sum | cut -c1-16)"

CACHE_ROOT="${ORACLE_CACHE_DIR:-${HOME}/.cache/cdk8s-istio-security}"
CACHE_DIR="${CACHE_ROOT}/oracle-${KEY}"
BIN="${CACHE_DIR}/oracle"
if [[ -x "$BIN" ]]; then
	log "using cached ${BIN}"
	echo "$BIN"
	exit 0
fi

command -v go >/dev/null 2>&1 || die "the 'go' command is not on PATH (Go 1.26+ is needed)"
mkdir -p "$CACHE_DIR" || die "cannot create ${CACHE_DIR}"
WORK="$(mktemp -d "${CACHE_DIR}/.build.XXXXXX")" || die "cannot create a build dir in ${CACHE_DIR}"
trap 'rm -rf "$WORK"' EXIT
sources | xargs -I{} cp {} "$WORK/"

log "building the oracle (oracle/, key ${KEY}); the first build takes several minutes on 2 cores"
export GOFLAGS="-mod=mod" GOWORK=off CGO_ENABLED=0
start=$(date +%s)
(cd "$WORK" && go build -trimpath -ldflags "-s -w" -o "${WORK}/oracle" .) >&2 \
	|| die "go build of the oracle failed (see the go output above)"
mv -f "${WORK}/oracle" "$BIN" || die "cannot move the binary to ${BIN}"
log "installed ${BIN} in $(( $(date +%s) - start )) s"
echo "$BIN"
