#!/usr/bin/env bash
# Builds istioctl from the Go module proxy into a cache dir (idempotent).
# The last line of stdout is the path of the binary; everything else goes to stderr.
#
#   ISTIOCTL_CACHE_DIR  where the binary is kept
#                       (default: $HOME/.cache/cdk8s-istio-security/istioctl-1.30.3)
set -euo pipefail

# Istio's git tags are not semver ("1.30.3", no "v"), so the module proxy knows
# istio.io/istio only by pseudo-version, and `go install ...@1.30.3` is refused.
# The 1.30.3 tag commit itself (v0.0.0-20260713165634-56df41f63e51) is refused by
# the proxy here too (403), so we pin the closest release-1.30 commit it serves:
# 9739e10eb9d7 (2026-08-26), which has every 1.30.3 change plus later backports
# that shipped in 1.30.4 (tag 4220640).
ISTIO_MODULE=istio.io/istio
ISTIO_PSEUDO_VERSION=v0.0.0-20260826214018-9739e10eb9d7
ISTIO_COMMIT=9739e10eb9d7
# This label goes into the binary: `istioctl version --remote=false` prints it.
# We don't stamp "1.30.3" because the source is not the 1.30.3 tag.
ISTIOCTL_VERSION_LABEL="1.30-${ISTIO_COMMIT}"

# The pinned commit's go.mod names istio.io/api, istio.io/client-go and
# go-control-plane pseudo-versions whose zips the proxy refuses (403), so
# `go install pkg@version` (which allows no overrides) cannot build it. We build
# in a throwaway module that swaps in served versions: the 1.30.3 API tags and
# the go-control-plane commit that Istio 1.31 uses.
REPLACES=(
	"istio.io/api=istio.io/api@v1.30.3"
	"istio.io/client-go=istio.io/client-go@v1.30.3"
	"github.com/envoyproxy/go-control-plane/envoy=github.com/envoyproxy/go-control-plane/envoy@v1.37.1-0.20260713214202-ca8ce173c36f"
	"github.com/envoyproxy/go-control-plane/contrib=github.com/envoyproxy/go-control-plane/contrib@v1.36.1-0.20260713214202-ca8ce173c36f"
)

log() { echo "install-istioctl: $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

CACHE_DIR="${ISTIOCTL_CACHE_DIR:-${HOME}/.cache/cdk8s-istio-security/istioctl-1.30.3}"
mkdir -p "$CACHE_DIR" || die "cannot create ${CACHE_DIR}"
CACHE_DIR="$(cd "$CACHE_DIR" && pwd)"
BIN="${CACHE_DIR}/istioctl"

reports_expected_version() {
	[[ -x "$1" ]] || return 1
	local out
	out="$("$1" version --remote=false 2>/dev/null)" || return 1
	[[ "$out" == "client version: ${ISTIOCTL_VERSION_LABEL}" ]]
}

if reports_expected_version "$BIN"; then
	log "using cached ${BIN} (${ISTIOCTL_VERSION_LABEL})"
	echo "$BIN"
	exit 0
fi

command -v go >/dev/null 2>&1 || die "the 'go' command is not on PATH (Go 1.26+ is needed)"

WORK="$(mktemp -d "${CACHE_DIR}/.build.XXXXXX")" || die "cannot create a build dir in ${CACHE_DIR}"
trap 'rm -rf "$WORK"' EXIT

log "building istioctl from ${ISTIO_MODULE}@${ISTIO_PSEUDO_VERSION} (several minutes on 2 cores)"
export GOFLAGS="-mod=mod" GOWORK=off CGO_ENABLED=0
cd "$WORK"
go mod init local/istioctl-build >/dev/null 2>&1 || die "go mod init failed"
for r in "${REPLACES[@]}"; do
	go mod edit -replace "$r" || die "go mod edit -replace $r failed"
done
go get -tool "${ISTIO_MODULE}/istioctl/cmd/istioctl@${ISTIO_PSEUDO_VERSION}" >&2 \
	|| die "go get ${ISTIO_MODULE}/istioctl/cmd/istioctl@${ISTIO_PSEUDO_VERSION} failed (see the go output above)"
go build -trimpath -o "${WORK}/istioctl" \
	-ldflags "-s -w \
		-X istio.io/istio/pkg/version.buildVersion=${ISTIOCTL_VERSION_LABEL} \
		-X istio.io/istio/pkg/version.buildGitRevision=${ISTIO_COMMIT} \
		-X istio.io/istio/pkg/version.buildStatus=Clean" \
	"${ISTIO_MODULE}/istioctl/cmd/istioctl" >&2 \
	|| die "go build of istioctl failed (see the go output above)"

# Make sure the binary really came from the pinned module version.
BUILDINFO="$(go version -m "${WORK}/istioctl")" || die "go version -m failed on the built binary"
[[ "$BUILDINFO" =~ mod[[:space:]]+istio\.io/istio[[:space:]]+${ISTIO_PSEUDO_VERSION}[[:space:]] ]] \
	|| die "built binary does not embed ${ISTIO_MODULE}@${ISTIO_PSEUDO_VERSION}"
reports_expected_version "${WORK}/istioctl" \
	|| die "built binary does not report version ${ISTIOCTL_VERSION_LABEL}"

mv -f "${WORK}/istioctl" "$BIN" || die "cannot move the binary to ${BIN}"
log "installed ${BIN} (${ISTIOCTL_VERSION_LABEL})"
echo "$BIN"
