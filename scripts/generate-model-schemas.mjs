#!/usr/bin/env node
// Generates src/model/schemas.generated.ts: the structural schemas of the kinds the mesh model reads,
// in a compact form the model's admission check (src/model/schema.ts) walks at run time. The model
// runs in a user's install, without the CRD bundle, kubernetes-models or ajv, so what it checks
// against must ship with the package; this keeps only what the check needs (no descriptions).
//   Istio kinds: the openAPIV3Schema of Istio's CRDs at the pinned commit
//     (the Go module cache's istio.io/istio, as .ci/install-istioctl.sh fetches it; or
//     $ISTIO_CRD_BUNDLE, or ../shared/istio/crd-all-1.30.3.yaml, the same file).
//   Kubernetes kinds: the structured-merge-diff schema of client-go at the version Istio's go.mod
//     pins (k8s.io/client-go/applyconfigurations/internal/internal.go): field names and types.
// Usage: node scripts/generate-model-schemas.mjs [--check]   (--check: fail if the file would change)
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, parseAllDocuments } from 'yaml';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = join(root, 'src/model/schemas.generated.ts');
const ISTIO_PSEUDO_VERSION = 'v0.0.0-20260826214018-9739e10eb9d7';

/** Istio kinds the model reads, by API group. */
const ISTIO_KINDS = {
  'security.istio.io': ['PeerAuthentication', 'AuthorizationPolicy', 'RequestAuthentication'],
  'networking.istio.io': ['DestinationRule', 'ServiceEntry', 'Gateway', 'VirtualService', 'Sidecar'],
};
/** Kubernetes kinds the model reads: apiVersion/kind -> structured-merge-diff type name. */
const K8S_KINDS = {
  'v1/Namespace': 'io.k8s.api.core.v1.Namespace',
  'v1/Pod': 'io.k8s.api.core.v1.Pod',
  'v1/Service': 'io.k8s.api.core.v1.Service',
  'v1/Secret': 'io.k8s.api.core.v1.Secret',
  'v1/ReplicationController': 'io.k8s.api.core.v1.ReplicationController',
  'apps/v1/Deployment': 'io.k8s.api.apps.v1.Deployment',
  'apps/v1/StatefulSet': 'io.k8s.api.apps.v1.StatefulSet',
  'apps/v1/DaemonSet': 'io.k8s.api.apps.v1.DaemonSet',
  'apps/v1/ReplicaSet': 'io.k8s.api.apps.v1.ReplicaSet',
  'batch/v1/Job': 'io.k8s.api.batch.v1.Job',
  'batch/v1/CronJob': 'io.k8s.api.batch.v1.CronJob',
  'networking.k8s.io/v1/NetworkPolicy': 'io.k8s.api.networking.v1.NetworkPolicy',
  'rbac.authorization.k8s.io/v1/Role': 'io.k8s.api.rbac.v1.Role',
  'rbac.authorization.k8s.io/v1/ClusterRole': 'io.k8s.api.rbac.v1.ClusterRole',
  'rbac.authorization.k8s.io/v1/RoleBinding': 'io.k8s.api.rbac.v1.RoleBinding',
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': 'io.k8s.api.rbac.v1.ClusterRoleBinding',
};
const OBJECT_META = 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta';

function goModCache() {
  if (process.env.GOMODCACHE) return process.env.GOMODCACHE;
  try {
    return execFileSync('go', ['env', 'GOMODCACHE'], { encoding: 'utf8' }).trim();
  } catch {
    return join(process.env.HOME ?? '/root', 'go/pkg/mod');
  }
}

function sources() {
  const cache = goModCache();
  const istio = join(cache, `istio.io/istio@${ISTIO_PSEUDO_VERSION}`);
  const bundles = [
    join(istio, 'manifests/charts/base/files/crd-all.gen.yaml'),
    process.env.ISTIO_CRD_BUNDLE,
    resolve(root, '../shared/istio/crd-all-1.30.3.yaml'),
  ].filter(Boolean);
  const bundle = bundles.find((b) => existsSync(b));
  const goMod = join(istio, 'go.mod');
  const clientGo = existsSync(goMod) ? /\bk8s\.io\/client-go (v[^\s]+)/.exec(readFileSync(goMod, 'utf8'))?.[1] : undefined;
  const smd = clientGo ? join(cache, `k8s.io/client-go@${clientGo}/applyconfigurations/internal/internal.go`) : undefined;
  return { bundle, smd: smd && existsSync(smd) ? smd : undefined, clientGo };
}

/** Nodes, interned by content: identical subschemas are stored once. */
class Nodes {
  constructor() { this.list = []; this.byKey = new Map(); }
  add(node) {
    const key = JSON.stringify(node);
    let id = this.byKey.get(key);
    if (id === undefined) {
      id = this.list.length;
      this.list.push(node);
      this.byKey.set(key, id);
    }
    return id;
  }
  /** A slot filled later (recursive named types). */
  reserve() { this.list.push(undefined); return this.list.length - 1; }
  fill(id, node) { this.list[id] = node; }
}

const TYPES = { object: 'o', array: 'a', string: 's', integer: 'i', number: 'n', boolean: 'b' };

/** An OpenAPI v3 (CRD structural) schema as a node. */
function fromOpenApi(nodes, s) {
  const n = {};
  if (s['x-kubernetes-int-or-string']) n.t = 'is';
  else if (s['x-kubernetes-preserve-unknown-fields'] && !s.properties) n.t = '*';
  else if (s.type) n.t = TYPES[s.type];
  if (s.properties) {
    n.p = {};
    for (const key of Object.keys(s.properties).sort()) n.p[key] = fromOpenApi(nodes, s.properties[key]);
  }
  if (s.additionalProperties && typeof s.additionalProperties === 'object') n.ap = fromOpenApi(nodes, s.additionalProperties);
  if (n.t === 'o' && !n.ap && s['x-kubernetes-preserve-unknown-fields']) n.open = 1;
  if (s.items) n.i = fromOpenApi(nodes, s.items);
  if (s.enum) n.e = s.enum.filter((v) => v !== null);
  if (s.required) n.r = [...s.required];
  for (const [from, to] of [['minItems', 'ni'], ['maxItems', 'xi'], ['minLength', 'nl'], ['maxLength', 'xl'],
    ['minimum', 'nv'], ['maximum', 'xv'], ['minProperties', 'np'], ['maxProperties', 'xp']]) {
    if (s[from] !== undefined) n[to] = s[from];
  }
  if (s.exclusiveMinimum) n.xn = 1;
  if (s.exclusiveMaximum) n.xx = 1;
  if (s.pattern) n.pt = s.pattern;
  if (s.format && ['int32', 'uint32', 'int64', 'uint64'].includes(s.format)) n.f = s.format;
  for (const [from, to] of [['oneOf', 'of'], ['anyOf', 'af'], ['allOf', 'al']]) {
    if (s[from]) n[to] = s[from].map((sub) => fromOpenApi(nodes, sub));
  }
  if (s.not) n.no = fromOpenApi(nodes, s.not);
  if (s['x-kubernetes-validations']) n.cel = s['x-kubernetes-validations'].map((v) => [v.rule, v.message ?? `failed rule ${v.rule}`]);
  if (s['x-kubernetes-list-type'] === 'set') n.set = 1;
  if (s['x-kubernetes-list-type'] === 'map') n.keys = s['x-kubernetes-list-map-keys'];
  return nodes.add(n);
}

/** Structured-merge-diff types, converted on demand (they refer to each other by name, recursively). */
function smdConverter(nodes, types) {
  const named = new Map();
  const convertNamed = (name) => {
    if (name === '__untyped_atomic_' || name === '__untyped_deduced_') return nodes.add({ t: '*' });
    let id = named.get(name);
    if (id !== undefined) return id;
    const type = types.get(name);
    if (!type) throw new Error(`structured-merge-diff type ${name} not found`);
    id = nodes.reserve();
    named.set(name, id);
    nodes.fill(id, convertBody(type));
    return id;
  };
  const convertType = (t) => (t.namedType ? convertNamed(t.namedType) : nodes.add(convertBody(t)));
  function convertBody(t) {
    const kinds = ['scalar', 'list', 'map'].filter((k) => t[k] !== undefined);
    if (kinds.length > 1) return { t: '*' }; // untyped: any value
    if (t.scalar) return { t: { string: 's', numeric: 'n', boolean: 'b', untyped: 'u' }[t.scalar] };
    if (t.list) return { t: 'a', i: convertType(t.list.elementType) };
    if (t.map) {
      const n = { t: 'o' };
      if (t.map.fields) {
        n.p = {};
        for (const f of [...t.map.fields].sort((a, b) => (a.name < b.name ? -1 : 1))) n.p[f.name] = convertType(f.type);
      }
      if (t.map.elementType) n.ap = convertType(t.map.elementType);
      return n;
    }
    return { t: '*' };
  }
  return convertNamed;
}

function generate() {
  const { bundle, smd, clientGo } = sources();
  if (!bundle || !smd) {
    console.log(`generate-model-schemas: skipped: ${!bundle ? 'no Istio CRD bundle (Go module cache, ISTIO_CRD_BUNDLE or ../shared)' : ''}`
      + `${!bundle && !smd ? ' and ' : ''}${!smd ? `no client-go ${clientGo ?? ''} schema in the Go module cache` : ''}`
      + '; the committed src/model/schemas.generated.ts is used as it is');
    return undefined;
  }
  const nodes = new Nodes();
  const kinds = {};
  const served = {};
  const smdText = readFileSync(smd, 'utf8');
  const yamlText = smdText.slice(smdText.indexOf('var schemaYAML = typed.YAMLObject(`') + 'var schemaYAML = typed.YAMLObject(`'.length, smdText.lastIndexOf('`)'));
  const types = new Map(parse(yamlText).types.map((t) => [t.name, t]));
  const convert = smdConverter(nodes, types);
  for (const [key, name] of Object.entries(K8S_KINDS)) kinds[key] = convert(name);
  const objectMeta = convert(OBJECT_META);
  for (const doc of parseAllDocuments(readFileSync(bundle, 'utf8'))) {
    const crd = doc.toJS();
    const group = crd?.spec?.group;
    const kind = crd?.spec?.names?.kind;
    if (!ISTIO_KINDS[group]?.includes(kind)) continue;
    served[`${group}/${kind}`] = crd.spec.versions.filter((v) => v.served).map((v) => v.name);
    for (const version of crd.spec.versions.filter((v) => v.served)) {
      const props = version.schema.openAPIV3Schema.properties;
      kinds[`${group}/${version.name}/${kind}`] = nodes.add({
        t: 'o',
        p: { apiVersion: nodes.add({ t: 's' }), kind: nodes.add({ t: 's' }), metadata: objectMeta, spec: fromOpenApi(nodes, props.spec), status: nodes.add({ t: '*' }) },
      });
    }
  }
  for (const [group, list] of Object.entries(ISTIO_KINDS)) {
    for (const kind of list) if (!served[`${group}/${kind}`]) throw new Error(`${group} ${kind} not in ${bundle}`);
  }
  const lines = [
    '// Generated by scripts/generate-model-schemas.mjs: do not edit. Structural schemas of the kinds',
    `// the mesh model reads: Istio ${ISTIO_PSEUDO_VERSION} CRDs, Kubernetes client-go ${clientGo} (structured-merge-diff).`,
    '/* eslint-disable */',
    "import type { SchemaNode } from './schema';",
    '',
    '/** Root node of each `apiVersion/kind`. */',
    `export const SCHEMA_KINDS: { readonly [apiVersionKind: string]: number } = ${JSON.stringify(kinds, undefined, 1).replace(/\n\s*/g, ' ')};`,
    '',
    '/** The versions each Istio CRD serves (`group/kind`). */',
    `export const SERVED_VERSIONS: { readonly [groupKind: string]: readonly string[] } = ${JSON.stringify(served)};`,
    '',
    '/** The nodes, referring to each other by index. */',
    'export const SCHEMA_NODES: readonly SchemaNode[] = [',
    ...nodes.list.map((n) => `  ${JSON.stringify(n)},`),
    '];',
    '',
  ];
  return lines.join('\n');
}

const text = generate();
if (text !== undefined) {
  if (process.argv.includes('--check')) {
    const current = existsSync(OUT) ? readFileSync(OUT, 'utf8') : '';
    if (current !== text) {
      console.error('src/model/schemas.generated.ts is stale: run node scripts/generate-model-schemas.mjs and commit');
      process.exit(1);
    }
    console.log('src/model/schemas.generated.ts is current');
  } else {
    writeFileSync(OUT, text);
    console.log(`wrote ${OUT} (${text.length} characters)`);
  }
}
