#!/usr/bin/env node
// Validates Kubernetes manifests against published schemas:
//   core kinds against kubernetes-models, Istio kinds against @kubernetes-models/istio, and, when
//   Istio's CRD bundle is at hand (ISTIO_CRD_BUNDLE or ../shared), against the CRDs' own
//   openAPIV3Schema with unknown fields refused (what `kubectl apply` would silently prune).
// Usage: validate-manifests.mjs <file.yaml|dir>...   or   validate-manifests.mjs --json < objects.json
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const ISTIO_GROUPS = ['networking.istio.io', 'security.istio.io', 'telemetry.istio.io', 'extensions.istio.io'];

const objects = process.argv[2] === '--json' ? JSON.parse(readFileSync(0, 'utf8')) : process.argv.slice(2).flatMap(readManifests);
const crdValidators = await loadCrdValidators();
const errors = [];
for (const obj of objects) {
  const where = `${obj?.kind ?? '?'} ${obj?.metadata?.namespace ?? ''}/${obj?.metadata?.name ?? '?'}`;
  try {
    const Model = await modelFor(obj);
    new Model(obj).validate();
  } catch (err) {
    errors.push(`${where}: ${err.message}`);
  }
  const crd = crdValidators?.get(`${obj.apiVersion}/${obj.kind}`);
  if (crd && !crd(obj.spec ?? {})) {
    errors.push(`${where}: CRD schema: ${crd.errors.map((e) => `spec${e.instancePath} ${e.message}${e.params?.additionalProperty ? ` (${e.params.additionalProperty})` : ''}`).join('; ')}`);
  }
}
if (errors.length > 0) {
  console.error(errors.join('\n'));
  process.exit(1);
}
console.log(`${objects.length} objects valid${crdValidators ? ' (with Istio CRD schemas)' : ''}`);

function readManifests(path) {
  if (statSync(path).isDirectory()) {
    return readdirSync(path).filter((f) => /\.ya?ml$/.test(f)).sort().flatMap((f) => readManifests(join(path, f)));
  }
  return parseAllDocuments(readFileSync(path, 'utf8')).map((d) => d.toJS()).filter(Boolean);
}

async function modelFor(obj) {
  if (!obj?.apiVersion || !obj?.kind) throw new Error('apiVersion and kind are required');
  const [group, version] = obj.apiVersion.includes('/') ? obj.apiVersion.split('/') : ['', obj.apiVersion];
  const module = ISTIO_GROUPS.includes(group)
    ? `@kubernetes-models/istio/${group}/${version}/${obj.kind}`
    : `kubernetes-models/${group ? `${group}/` : ''}${version}/${obj.kind}`;
  try {
    return (await import(module))[obj.kind];
  } catch {
    throw new Error(`no published schema for ${obj.apiVersion} ${obj.kind}`);
  }
}

async function loadCrdValidators() {
  const bundle = process.env.ISTIO_CRD_BUNDLE ?? resolve(root, '../shared/istio/crd-all-1.30.3.yaml');
  if (!existsSync(bundle)) return undefined;
  const { default: Ajv } = await import('ajv');
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
  const schemas = new Map();
  for (const doc of parseAllDocuments(readFileSync(bundle, 'utf8'))) {
    const crd = doc.toJS();
    if (crd?.kind !== 'CustomResourceDefinition') continue;
    for (const version of crd.spec.versions) {
      const spec = version.schema?.openAPIV3Schema?.properties?.spec;
      if (spec) schemas.set(`${crd.spec.group}/${version.name}/${crd.spec.names.kind}`, spec);
    }
  }
  // Compile on first use: most runs touch a handful of the bundle's kinds.
  const compiled = new Map();
  return {
    get(key) {
      if (!schemas.has(key)) return undefined;
      if (!compiled.has(key)) compiled.set(key, ajv.compile(closed(schemas.get(key))));
      return compiled.get(key);
    },
  };
}

// Refuse unknown fields: an object schema that lists properties and does not preserve unknown fields is closed.
function closed(schema) {
  if (Array.isArray(schema)) return schema.map(closed);
  if (!schema || typeof schema !== 'object') return schema;
  const out = {};
  for (const [key, value] of Object.entries(schema)) out[key] = key === 'x-kubernetes-validations' ? undefined : closed(value);
  if (out.properties && !out['x-kubernetes-preserve-unknown-fields'] && out.additionalProperties === undefined) {
    out.additionalProperties = false;
  }
  return out;
}
