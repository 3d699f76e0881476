#!/usr/bin/env bash
# Makes the certificates of the example's TLS scenarios with openssl, the way a user would: a CA,
# a server certificate for the nginx in mesh-external (B4), a client certificate for the egress
# gateway (B4) and for calls to the ingress gateway (D2), and the ingress gateway's certificate
# for httpbin.example.com (D1-D3). Nothing here is committed: the output folder ignores itself in git.
#
#   scripts/make-example-certs.sh [--force] [OUTDIR]      (OUTDIR defaults to example/certs)
#
# It also writes OUTDIR/secrets.k8s.yaml with the three Secrets the example references by name:
#   mesh-external/nginx-server-certs   (kubernetes.io/tls: the server's tls.crt and tls.key)
#   mesh-external/nginx-ca-certs       (example.com.crt: the CA nginx checks clients against)
#   istio-system/client-credential     (tls.crt, tls.key, ca.crt: what the egress gateway presents)
#   istio-system/httpbin-credential    (kubernetes.io/tls: what the ingress gateway presents for httpbin.example.com)
#   istio-system/httpbin-credential-cacert (ca.crt: the CA the ingress gateway checks client certificates against, D2)
# Apply it after the example's b4 chart has created the mesh-external namespace:
#   kubectl apply -f dist/b4-mtls-origination.k8s.yaml && kubectl apply -f example/certs/secrets.k8s.yaml
# Or synthesize the credentials from the PEM files (their keys then land in dist/):
#   EXAMPLE_CERTS_DIR=example/certs npm run synth
set -euo pipefail

FORCE=false
if [[ "${1:-}" == "--force" ]]; then FORCE=true; shift; fi
OUT="${1:-$(cd "$(dirname "$0")/.." && pwd)/example/certs}"
SERVER_HOST=my-nginx.mesh-external.svc.cluster.local
INGRESS_HOST=httpbin.example.com
DAYS=365

command -v openssl >/dev/null || { echo "make-example-certs: openssl is required" >&2; exit 1; }
mkdir -p "$OUT"
# The folder holds private keys: keep it out of git whatever the repository's .gitignore says.
printf '*\n' > "$OUT/.gitignore"
cd "$OUT"

if [[ -f example.com.key && -f "${INGRESS_HOST}.key" && "$FORCE" != true ]]; then
  echo "make-example-certs: $OUT already has certificates (use --force to make new ones)" >&2
else
  umask 077
  # The CA that signs both the server and the client certificate.
  openssl req -x509 -sha256 -nodes -days "$DAYS" -newkey rsa:2048 \
    -subj '/O=example Inc./CN=example.com' -keyout example.com.key -out example.com.crt 2>/dev/null

  # The nginx server: the egress gateway checks its name (SNI and subjectAltNames) against the SAN.
  openssl req -nodes -newkey rsa:2048 -subj "/CN=${SERVER_HOST}/O=some organization" \
    -keyout "${SERVER_HOST}.key" -out "${SERVER_HOST}.csr" 2>/dev/null
  printf 'subjectAltName=DNS:%s\nextendedKeyUsage=serverAuth\n' "$SERVER_HOST" > server.ext
  openssl x509 -req -sha256 -days "$DAYS" -CA example.com.crt -CAkey example.com.key \
    -set_serial "0x$(openssl rand -hex 8)" -in "${SERVER_HOST}.csr" -out "${SERVER_HOST}.crt" -extfile server.ext 2>/dev/null

  # The client the egress gateway presents (nginx: ssl_verify_client on).
  openssl req -nodes -newkey rsa:2048 -subj '/CN=client.example.com/O=client organization' \
    -keyout client.example.com.key -out client.example.com.csr 2>/dev/null
  printf 'extendedKeyUsage=clientAuth\n' > client.ext
  openssl x509 -req -sha256 -days "$DAYS" -CA example.com.crt -CAkey example.com.key \
    -set_serial "0x$(openssl rand -hex 8)" -in client.example.com.csr -out client.example.com.crt -extfile client.ext 2>/dev/null
  # The ingress gateway's certificate: clients check it against the host they call.
  openssl req -nodes -newkey rsa:2048 -subj "/CN=${INGRESS_HOST}/O=httpbin organization" \
    -keyout "${INGRESS_HOST}.key" -out "${INGRESS_HOST}.csr" 2>/dev/null
  printf 'subjectAltName=DNS:%s\nextendedKeyUsage=serverAuth\n' "$INGRESS_HOST" > ingress.ext
  openssl x509 -req -sha256 -days "$DAYS" -CA example.com.crt -CAkey example.com.key \
    -set_serial "0x$(openssl rand -hex 8)" -in "${INGRESS_HOST}.csr" -out "${INGRESS_HOST}.crt" -extfile ingress.ext 2>/dev/null
  rm -f ./*.csr server.ext client.ext ingress.ext
  umask 022
fi

b64() { openssl base64 -A -in "$1"; }
umask 077
cat > secrets.k8s.yaml <<EOF
apiVersion: v1
kind: Secret
metadata:
  name: nginx-server-certs
  namespace: mesh-external
type: kubernetes.io/tls
data:
  tls.crt: $(b64 "${SERVER_HOST}.crt")
  tls.key: $(b64 "${SERVER_HOST}.key")
---
apiVersion: v1
kind: Secret
metadata:
  name: nginx-ca-certs
  namespace: mesh-external
type: Opaque
data:
  example.com.crt: $(b64 example.com.crt)
---
apiVersion: v1
kind: Secret
metadata:
  name: client-credential
  namespace: istio-system
type: Opaque
data:
  tls.crt: $(b64 client.example.com.crt)
  tls.key: $(b64 client.example.com.key)
  ca.crt: $(b64 example.com.crt)
---
apiVersion: v1
kind: Secret
metadata:
  name: httpbin-credential
  namespace: istio-system
type: kubernetes.io/tls
data:
  tls.crt: $(b64 "${INGRESS_HOST}.crt")
  tls.key: $(b64 "${INGRESS_HOST}.key")
---
apiVersion: v1
kind: Secret
metadata:
  name: httpbin-credential-cacert
  namespace: istio-system
type: Opaque
data:
  ca.crt: $(b64 example.com.crt)
EOF
echo "make-example-certs: wrote certificates and secrets.k8s.yaml to $OUT" >&2
