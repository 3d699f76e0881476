// Admission: which input objects the cluster would store, in the form it stores them. The model
// evaluates only those; every other object of a kind it reads is "not applied", with the reason,
// the file and the field. Objects of other kinds pass through untouched.
//
// An object of a kind the model reads goes through, in the API server's order: the structural
// schema (schema.ts: types, unknown fields, enums, CRD limits and CEL rules), the API server's
// defaults (k8s-validation.ts applyKubernetesDefaults), Kubernetes' validation of the fields the
// model reads (k8s-validation.ts), and, for Istio kinds, Istio's validation webhook (istio-validation.ts).

import { applyKubernetesDefaults, validateKubernetesObject } from './k8s-validation';
import { validateIstioObject } from './istio-validation';
import { quote } from './names';
import { checkSchema, hasSchema, SchemaError } from './schema';
import { SERVED_VERSIONS } from './schemas.generated';
import { K8sObject, NotApplied, ResourceRef, SourcedObject } from './types';

/** API groups that ever served a kind the model reads, by kind (an object there in another version is refused, not foreign). */
const KNOWN_GROUPS: { readonly [kind: string]: readonly string[] } = {
  Namespace: [''], Pod: [''], Service: [''], ReplicationController: [''],
  Deployment: ['apps', 'extensions'], StatefulSet: ['apps'], DaemonSet: ['apps', 'extensions'], ReplicaSet: ['apps', 'extensions'],
  Job: ['batch'], CronJob: ['batch'], NetworkPolicy: ['networking.k8s.io', 'extensions'],
  PeerAuthentication: ['security.istio.io'], AuthorizationPolicy: ['security.istio.io'],
  DestinationRule: ['networking.istio.io'], ServiceEntry: ['networking.istio.io'], Gateway: ['networking.istio.io'], VirtualService: ['networking.istio.io'],
  Sidecar: ['networking.istio.io'],
  Role: ['rbac.authorization.k8s.io'], ClusterRole: ['rbac.authorization.k8s.io'],
  RoleBinding: ['rbac.authorization.k8s.io'], ClusterRoleBinding: ['rbac.authorization.k8s.io'],
};
const K8S_VERSIONS: { readonly [kind: string]: string } = {
  Namespace: 'v1', Pod: 'v1', Service: 'v1', ReplicationController: 'v1', Deployment: 'apps/v1', StatefulSet: 'apps/v1', DaemonSet: 'apps/v1',
  ReplicaSet: 'apps/v1', Job: 'batch/v1', CronJob: 'batch/v1', NetworkPolicy: 'networking.k8s.io/v1',
  Role: 'rbac.authorization.k8s.io/v1', ClusterRole: 'rbac.authorization.k8s.io/v1',
  RoleBinding: 'rbac.authorization.k8s.io/v1', ClusterRoleBinding: 'rbac.authorization.k8s.io/v1',
};
const CLUSTER_SCOPED = ['Namespace', 'ClusterRole', 'ClusterRoleBinding'];

export interface Admission {
  /** Objects the cluster would store (defaults applied), and objects of kinds the model does not read, as given. */
  readonly admitted: readonly SourcedObject[];
  readonly notApplied: readonly NotApplied[];
}

/** A table entry by a user string (a kind may be `__proto__` or `constructor`). */
function own<T>(table: { readonly [key: string]: T }, key: string): T | undefined {
  return Object.prototype.hasOwnProperty.call(table, key) ? table[key] : undefined;
}

function isPlainObject(v: unknown): v is K8sObject {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** The kind, when the object is of a kind (and a served apiVersion) the model reads. */
export function modelKind(o: K8sObject): string | undefined {
  return typeof o.apiVersion === 'string' && typeof o.kind === 'string' && hasSchema(`${o.apiVersion}/${o.kind}`) ? o.kind : undefined;
}

/** How an object is named in the "not applied" list, whatever its metadata holds. */
function refOf(o: K8sObject, manifest: string | undefined): ResourceRef {
  const meta = isPlainObject(o.metadata) ? o.metadata : {};
  const kind = typeof o.kind === 'string' && o.kind !== '' ? o.kind : '(no kind)';
  const name = typeof meta.name === 'string' ? meta.name : meta.name === undefined ? '' : String(quote(meta.name, 40));
  const namespace = CLUSTER_SCOPED.includes(kind) ? '' : typeof meta.namespace === 'string' ? meta.namespace : 'default';
  return { kind, namespace, name, manifest };
}

function refusal(item: SourcedObject, source: string, errors: readonly SchemaError[]): NotApplied {
  const [first, ...rest] = errors;
  const more = rest.slice(0, 2).map((e) => `${e.path}: ${e.message}`);
  const tail = rest.length > 2 ? `; and ${rest.length - 2} more` : '';
  return {
    manifest: item.manifest,
    document: item.document,
    ref: refOf(item.object, item.manifest),
    field: first.path,
    reason: `${first.message}${more.length > 0 ? `; also ${more.join('; ')}${tail}` : ''}`,
    source,
  };
}

function admitOne(item: SourcedObject, admitted: SourcedObject[], notApplied: NotApplied[]): void {
  const o = item.object;
  if (!isPlainObject(o)) {
    notApplied.push({ manifest: item.manifest, document: item.document, reason: `not a Kubernetes object but ${o === null ? 'null' : Array.isArray(o) ? 'a list' : `a ${typeof o}`}`, source: 'the loader' });
    return;
  }
  if (typeof o.apiVersion !== 'string' || o.apiVersion === '' || typeof o.kind !== 'string' || o.kind === '') {
    const missing = [typeof o.apiVersion !== 'string' || o.apiVersion === '' ? 'apiVersion' : '', typeof o.kind !== 'string' || o.kind === '' ? 'kind' : ''].filter(Boolean);
    notApplied.push({ ...refusal(item, 'kubectl', [{ path: missing[0], message: `${missing.join(' and ')} must be set (strings)` }]) });
    return;
  }
  const key = `${o.apiVersion}/${o.kind}`;
  if (!hasSchema(key)) {
    const group = o.apiVersion.includes('/') ? o.apiVersion.slice(0, o.apiVersion.indexOf('/')) : '';
    if (own(KNOWN_GROUPS, o.kind)?.includes(group)) {
      const served = own(K8S_VERSIONS, o.kind) ?? (own(SERVED_VERSIONS, `${group}/${o.kind}`) ?? []).map((v) => `${group}/${v}`).join(', ');
      notApplied.push(refusal(item, 'the API server', [{ path: 'apiVersion', message: `${quote(o.apiVersion)} does not serve ${o.kind} (served: ${served})` }]));
      return;
    }
    admitted.push(item);
    return;
  }
  // Istio reads its objects as protobuf, where an empty list is the same as no list (`from: []` is no `from`).
  const { value, errors } = checkSchema(o, key, isIstio(o.apiVersion));
  if (errors.length > 0) {
    notApplied.push(refusal(item, isIstio(o.apiVersion) ? 'the CRD schema' : "the API server's schema", errors));
    return;
  }
  if (isIstio(o.apiVersion)) {
    const istio = validateIstioObject(value, o);
    if (istio.length > 0) {
      notApplied.push(refusal(item, "Istio's validation", istio));
      return;
    }
    admitted.push(value === o ? item : { ...item, object: value });
    return;
  }
  const defaulted = applyKubernetesDefaults(value);
  const k8s = validateKubernetesObject(defaulted);
  if (k8s.length > 0) {
    notApplied.push(refusal(item, "the API server's validation", k8s));
    return;
  }
  admitted.push(defaulted === o ? item : { ...item, object: defaulted });
}

/** Whether an apiVersion is of an Istio group (validated by Istio as well). */
function isIstio(apiVersion: string): boolean {
  return apiVersion.startsWith('security.istio.io/') || apiVersion.startsWith('networking.istio.io/');
}

/** Splits the input into what the cluster would store and what it would refuse. `List` objects are read item by item. */
export function admit(input: readonly SourcedObject[]): Admission {
  const admitted: SourcedObject[] = [];
  const notApplied: NotApplied[] = [];
  for (const item of input) {
    const o = item.object;
    if (isPlainObject(o) && o.kind === 'List' && (o.apiVersion === 'v1' || o.apiVersion === undefined)) {
      if (!Array.isArray(o.items)) {
        notApplied.push({ manifest: item.manifest, document: item.document, field: 'items', reason: 'a List without items', source: 'kubectl' });
        continue;
      }
      for (const inner of o.items) admitOne({ object: inner, manifest: item.manifest, document: item.document }, admitted, notApplied);
      continue;
    }
    admitOne(item, admitted, notApplied);
  }
  return { admitted, notApplied };
}
