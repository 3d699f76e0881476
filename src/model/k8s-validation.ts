// What the Kubernetes API server defaults and refuses in the kinds the model reads, for the fields
// the model reads (k8s.io/kubernetes pkg/apis/*/v1/defaults.go and pkg/apis/*/validation). The
// structural check (schema.ts) has already refused unknown fields and wrong types; the rest of
// Kubernetes' validation (resources, volumes, probes, ...) is not repeated here.

import { matchesSelector } from './labels';
import {
  isCidr, isDns1035Label, isDns1123Label, isDns1123Subdomain, isIanaSvcName, isLabelValue, isPort, isQualifiedName, quote,
} from './names';
import { isRbacName, validateRbacObject } from './rbac-validation';
import { SchemaError } from './schema';

type Out = SchemaError[];
const PROTOCOLS = ['TCP', 'UDP', 'SCTP'];
const MAX_ANNOTATIONS_BYTES = 256 * 1024;

function push(out: Out, path: string, message: string): void {
  out.push({ path, message });
}

function list(value: unknown): any[] {
  return Array.isArray(value) ? value : [];
}

/** Labels (apimachinery validation.ValidateLabels): qualified-name keys, label values. */
export function validateLabels(labels: unknown, path: string, out: Out): void {
  if (!labels || typeof labels !== 'object') return;
  for (const [key, value] of Object.entries(labels)) {
    if (!isQualifiedName(key)) push(out, path, `key ${quote(key)} is not a valid label key ([prefix/]name, name 1-63 of A-Za-z0-9-_. starting and ending alphanumeric)`);
    if (typeof value !== 'string' || !isLabelValue(value)) push(out, `${path}[${quote(key, 40)}]`, `${quote(value)} is not a valid label value (at most 63 of A-Za-z0-9-_. starting and ending alphanumeric, or empty)`);
  }
}

/** ObjectMeta (apimachinery validation.ValidateObjectMeta), with the name rule of the kind. */
function validateMeta(o: any, nameRule: 'label' | '1035' | 'subdomain' | 'rbac', namespaced: boolean, out: Out): void {
  const meta = o.metadata ?? {};
  const name = meta.name;
  if (typeof name !== 'string' || name === '') {
    push(out, 'metadata.name', `required${meta.generateName ? ' (generateName is for kubectl create; kubectl apply needs a name)' : ''}`);
  } else {
    const ok = nameRule === 'label' ? isDns1123Label(name) : nameRule === '1035' ? isDns1035Label(name) : nameRule === 'rbac' ? isRbacName(name)
      : isDns1123Subdomain(name);
    if (!ok) {
      push(out, 'metadata.name', `${quote(name)} is not a valid name: ${nameRule === 'label' ? 'a DNS-1123 label (1-63 of a-z0-9-)'
        : nameRule === 'rbac' ? 'a path segment (no \'/\' or \'%\', not \'.\' or \'..\')'
        : nameRule === '1035' ? 'a DNS-1035 label (1-63 of a-z0-9-, starting with a letter)' : 'a DNS-1123 subdomain (lower-case labels joined by dots, at most 253)'}`);
    }
  }
  if (namespaced && meta.namespace !== undefined && !isDns1123Label(String(meta.namespace))) {
    push(out, 'metadata.namespace', `${quote(meta.namespace)} is not a valid namespace name (a DNS-1123 label)`);
  }
  validateLabels(meta.labels, 'metadata.labels', out);
  if (meta.annotations && typeof meta.annotations === 'object') {
    let bytes = 0;
    for (const [key, value] of Object.entries(meta.annotations)) {
      if (!isQualifiedName(key)) push(out, 'metadata.annotations', `key ${quote(key)} is not a valid annotation key`);
      bytes += key.length + String(value).length;
    }
    if (bytes > MAX_ANNOTATIONS_BYTES) push(out, 'metadata.annotations', `${bytes} bytes: annotations may total at most 256 KiB`);
  }
}

/** A LabelSelector (apimachinery metav1validation.ValidateLabelSelector). */
export function validateLabelSelector(selector: any, path: string, out: Out): void {
  if (!selector) return;
  validateLabels(selector.matchLabels, `${path}.matchLabels`, out);
  list(selector.matchExpressions).forEach((e: any, i: number) => {
    const at = `${path}.matchExpressions[${i}]`;
    if (!isQualifiedName(String(e.key ?? ''))) push(out, `${at}.key`, `${quote(e.key)} is not a valid label key`);
    const values = list(e.values);
    switch (e.operator) {
      case 'In': case 'NotIn':
        if (values.length === 0) push(out, `${at}.values`, `must be non-empty when operator is ${e.operator}`);
        break;
      case 'Exists': case 'DoesNotExist':
        if (values.length > 0) push(out, `${at}.values`, `must be empty when operator is ${e.operator}`);
        break;
      default:
        push(out, `${at}.operator`, `${quote(e.operator)} is not one of In, NotIn, Exists, DoesNotExist`);
    }
    values.forEach((v: unknown, j: number) => {
      if (!isLabelValue(String(v))) push(out, `${at}.values[${j}]`, `${quote(v)} is not a valid label value`);
    });
  });
}

/** Whether a selector selects nothing at all (an empty LabelSelector selects everything, but workloads refuse it). */
function emptySelector(selector: any): boolean {
  return !selector || (Object.keys(selector.matchLabels ?? {}).length === 0 && list(selector.matchExpressions).length === 0);
}

/** A port number or name (core validation.ValidatePortNumOrName). */
function validatePortNumOrName(port: unknown, path: string, out: Out): void {
  if (typeof port === 'number') {
    if (!isPort(port)) push(out, path, `${quote(port)} must be a whole number from 1 to 65535`);
  } else if (typeof port === 'string') {
    if (!isIanaSvcName(port)) push(out, path, `${quote(port)} is not a port name (1-15 of a-z0-9-, with a letter, no leading, trailing or double hyphen)`);
  } else {
    push(out, path, `${quote(port)} must be a port number or name`);
  }
}

/** The pod template's spec (core validation.ValidatePodSpec, the parts the model reads). */
function validatePodSpec(spec: any, path: string, restartPolicies: readonly string[], out: Out): void {
  if (!spec || typeof spec !== 'object') {
    push(out, path, 'required');
    return;
  }
  const containers = list(spec.containers);
  if (containers.length === 0) push(out, `${path}.containers`, 'required: at least one container');
  const names = new Set<string>();
  for (const field of ['initContainers', 'containers']) {
    list(spec[field]).forEach((c: any, i: number) => {
      const at = `${path}.${field}[${i}]`;
      if (typeof c.name !== 'string' || !isDns1123Label(c.name)) push(out, `${at}.name`, `${quote(c.name)} is not a valid container name (a DNS-1123 label)`);
      else if (names.has(c.name)) push(out, `${at}.name`, `duplicate container name ${quote(c.name)}`);
      else names.add(c.name);
      if (typeof c.image !== 'string' || c.image.trim() === '') push(out, `${at}.image`, 'required');
      list(c.ports).forEach((p: any, j: number) => {
        const pat = `${at}.ports[${j}]`;
        if (!isPort(p.containerPort)) push(out, `${pat}.containerPort`, `${quote(p.containerPort)} must be a whole number from 1 to 65535`);
        if (p.name !== undefined && !isIanaSvcName(String(p.name))) push(out, `${pat}.name`, `${quote(p.name)} is not a port name (1-15 of a-z0-9-, with a letter)`);
        if (p.protocol !== undefined && !PROTOCOLS.includes(p.protocol)) push(out, `${pat}.protocol`, `${quote(p.protocol)} is not one of TCP, UDP, SCTP`);
      });
    });
  }
  for (const field of ['serviceAccountName', 'serviceAccount']) {
    if (spec[field] !== undefined && spec[field] !== '' && !isDns1123Subdomain(String(spec[field]))) {
      push(out, `${path}.${field}`, `${quote(spec[field])} is not a valid service account name (a DNS-1123 subdomain)`);
    }
  }
  if (spec.restartPolicy !== undefined && !restartPolicies.includes(spec.restartPolicy)) {
    push(out, `${path}.restartPolicy`, `${quote(spec.restartPolicy)}: this kind allows ${restartPolicies.join(', ')}`);
  } else if (spec.restartPolicy === undefined && !restartPolicies.includes('Always')) {
    push(out, `${path}.restartPolicy`, `required: the default Always is not allowed here (use ${restartPolicies.join(' or ')})`);
  }
}

function validateTemplate(template: any, path: string, restartPolicies: readonly string[], out: Out): void {
  if (!template || typeof template !== 'object') {
    push(out, path, 'required');
    return;
  }
  validateLabels(template.metadata?.labels, `${path}.metadata.labels`, out);
  validatePodSpec(template.spec, `${path}.spec`, restartPolicies, out);
}

/** Deployments, ReplicaSets, StatefulSets, DaemonSets (apps validation.ValidateDeploymentSpec and siblings). */
function validateAppsWorkload(o: any, out: Out): void {
  const spec = o.spec;
  if (!spec) {
    push(out, 'spec', 'required');
    return;
  }
  if (emptySelector(spec.selector)) push(out, 'spec.selector', `required and non-empty for a ${o.kind} (apps/v1)`);
  else validateLabelSelector(spec.selector, 'spec.selector', out);
  validateTemplate(spec.template, 'spec.template', ['Always'], out);
  if (!emptySelector(spec.selector) && spec.template && !matchesSelector(spec.selector, spec.template.metadata?.labels ?? {})) {
    push(out, 'spec.template.metadata.labels', '`selector` does not match template `labels`');
  }
}

function validateService(o: any, out: Out): void {
  const spec = o.spec ?? {};
  const type = spec.type ?? 'ClusterIP';
  if (!['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName'].includes(type)) push(out, 'spec.type', `${quote(type)} is not one of ClusterIP, NodePort, LoadBalancer, ExternalName`);
  const ports = list(spec.ports);
  if (ports.length === 0 && type !== 'ExternalName' && spec.clusterIP !== 'None') push(out, 'spec.ports', 'required: at least one port');
  const names = new Set<string>();
  const pairs = new Set<string>();
  ports.forEach((p: any, i: number) => {
    const at = `spec.ports[${i}]`;
    if (p.name === undefined || p.name === '') {
      if (ports.length > 1) push(out, `${at}.name`, 'required when the Service has more than one port');
    } else if (!isDns1123Label(String(p.name))) {
      push(out, `${at}.name`, `${quote(p.name)} is not a valid port name (a DNS-1123 label)`);
    } else if (names.has(p.name)) {
      push(out, `${at}.name`, `duplicate port name ${quote(p.name)}`);
    } else {
      names.add(p.name);
    }
    if (!isPort(p.port)) push(out, `${at}.port`, `${quote(p.port)} must be a whole number from 1 to 65535`);
    if (!PROTOCOLS.includes(p.protocol)) push(out, `${at}.protocol`, `${quote(p.protocol)} is not one of TCP, UDP, SCTP`);
    validatePortNumOrName(p.targetPort, `${at}.targetPort`, out);
    const pair = `${p.port}/${p.protocol}`;
    if (pairs.has(pair)) push(out, `${at}`, `duplicate port ${p.port}/${p.protocol}`);
    pairs.add(pair);
    if (p.appProtocol !== undefined && !isQualifiedName(String(p.appProtocol))) push(out, `${at}.appProtocol`, `${quote(p.appProtocol)} is not a valid appProtocol`);
  });
  validateLabels(spec.selector, 'spec.selector', out);
}

function validateNetworkPolicyPorts(ports: unknown, path: string, out: Out): void {
  list(ports).forEach((p: any, i: number) => {
    const at = `${path}[${i}]`;
    if (!PROTOCOLS.includes(p.protocol)) push(out, `${at}.protocol`, `${quote(p.protocol)} is not one of TCP, UDP, SCTP`);
    if (p.port !== undefined) validatePortNumOrName(p.port, `${at}.port`, out);
    if (p.endPort !== undefined) {
      if (typeof p.port !== 'number') push(out, `${at}.endPort`, 'may not be set unless port is a number');
      else if (!isPort(p.endPort) || p.endPort < p.port) push(out, `${at}.endPort`, `${quote(p.endPort)} must be a port number at least ${p.port}`);
    }
  });
}

function validateNetworkPolicyPeers(peers: unknown, path: string, out: Out): void {
  list(peers).forEach((peer: any, i: number) => {
    const at = `${path}[${i}]`;
    const set = ['podSelector', 'namespaceSelector', 'ipBlock'].filter((k) => peer[k] !== undefined);
    if (set.length === 0) push(out, at, 'must specify a podSelector, a namespaceSelector or an ipBlock');
    if (peer.ipBlock !== undefined && set.length > 1) push(out, at, 'ipBlock may not be combined with podSelector or namespaceSelector');
    validateLabelSelector(peer.podSelector, `${at}.podSelector`, out);
    validateLabelSelector(peer.namespaceSelector, `${at}.namespaceSelector`, out);
    if (peer.ipBlock) {
      if (!isCidr(String(peer.ipBlock.cidr ?? ''))) push(out, `${at}.ipBlock.cidr`, `${quote(peer.ipBlock.cidr)} is not a CIDR`);
      list(peer.ipBlock.except).forEach((e: unknown, j: number) => {
        if (!isCidr(String(e))) push(out, `${at}.ipBlock.except[${j}]`, `${quote(e)} is not a CIDR`);
      });
    }
  });
}

/** NetworkPolicy (networking validation.ValidateNetworkPolicySpec). */
function validateNetworkPolicy(o: any, out: Out): void {
  const spec = o.spec ?? {};
  validateLabelSelector(spec.podSelector, 'spec.podSelector', out);
  const types = list(spec.policyTypes);
  if (types.length > 2) push(out, 'spec.policyTypes', 'at most Ingress and Egress');
  types.forEach((t: unknown, i: number) => {
    if (t !== 'Ingress' && t !== 'Egress') push(out, `spec.policyTypes[${i}]`, `${quote(t)} is not Ingress or Egress`);
    else if (types.indexOf(t) !== i) push(out, `spec.policyTypes[${i}]`, `duplicate ${t}`);
  });
  for (const [field, peers] of [['ingress', 'from'], ['egress', 'to']]) {
    list(spec[field]).forEach((rule: any, i: number) => {
      validateNetworkPolicyPorts(rule.ports, `spec.${field}[${i}].ports`, out);
      validateNetworkPolicyPeers(rule[peers], `spec.${field}[${i}].${peers}`, out);
    });
  }
}

/**
 * The object with the API server's defaults for the fields the model reads
 * (pkg/apis/{core,networking}/v1/defaults.go). The object itself is not changed: what is
 * defaulted is copied, the rest shared.
 */
export function applyKubernetesDefaults(o: any): any {
  const kind = o.kind;
  const spec = o.spec;
  if (kind === 'Service' && spec) {
    // SetDefaults_Service: type ClusterIP; ports: protocol TCP, targetPort = port when unset, 0 or "".
    const ports = list(spec.ports).map((p: any) => ({
      ...p,
      protocol: p.protocol === undefined || p.protocol === '' ? 'TCP' : p.protocol,
      targetPort: p.targetPort === undefined || p.targetPort === 0 || p.targetPort === '' ? p.port : p.targetPort,
    }));
    return { ...o, spec: { ...spec, type: spec.type === undefined || spec.type === '' ? 'ClusterIP' : spec.type, ...(spec.ports !== undefined ? { ports } : {}) } };
  }
  if (kind === 'NetworkPolicy' && spec) {
    // SetDefaults_NetworkPolicy: no policyTypes means Ingress, plus Egress only when egress has rules:
    // `egress: []` without policyTypes leaves egress open. SetDefaults_NetworkPolicyPort: protocol TCP.
    const rules = (field: string) => list(spec[field]).map((rule: any) => (rule.ports === undefined ? rule
      : { ...rule, ports: list(rule.ports).map((p: any) => (p.protocol === undefined ? { ...p, protocol: 'TCP' } : p)) }));
    const policyTypes = list(spec.policyTypes).length > 0 ? spec.policyTypes : list(spec.egress).length !== 0 ? ['Ingress', 'Egress'] : ['Ingress'];
    return {
      ...o,
      spec: { ...spec, policyTypes, ...(spec.ingress !== undefined ? { ingress: rules('ingress') } : {}), ...(spec.egress !== undefined ? { egress: rules('egress') } : {}) },
    };
  }
  if (kind === 'ReplicationController' && spec?.template?.metadata?.labels && Object.keys(spec.selector ?? {}).length === 0) {
    // SetDefaults_ReplicationController: the selector defaults to the template's labels.
    return { ...o, spec: { ...spec, selector: { ...spec.template.metadata.labels } } };
  }
  return o;
}

/** The pod template of a workload kind (the Pod itself for a Pod). */
export function podTemplate(o: any): any {
  switch (o.kind) {
    case 'Pod': return o;
    case 'CronJob': return o.spec?.jobTemplate?.spec?.template;
    case 'Deployment': case 'StatefulSet': case 'DaemonSet': case 'ReplicaSet': case 'ReplicationController': case 'Job':
      return o.spec?.template;
    default: return undefined;
  }
}

/** What the API server refuses in a (defaulted) object of a Kubernetes kind the model reads. */
export function validateKubernetesObject(o: any): SchemaError[] {
  const out: Out = [];
  const kind = o.kind;
  const rbac = ['Role', 'ClusterRole', 'RoleBinding', 'ClusterRoleBinding'].includes(kind);
  validateMeta(o, kind === 'Namespace' ? 'label' : kind === 'Service' ? '1035' : rbac ? 'rbac' : 'subdomain',
    kind !== 'Namespace' && kind !== 'ClusterRole' && kind !== 'ClusterRoleBinding', out);
  switch (kind) {
    case 'Role': case 'ClusterRole': case 'RoleBinding': case 'ClusterRoleBinding': validateRbacObject(o, out); break;
    case 'Service': validateService(o, out); break;
    case 'NetworkPolicy': validateNetworkPolicy(o, out); break;
    case 'Pod': validatePodSpec(o.spec, 'spec', ['Always', 'OnFailure', 'Never'], out); break;
    case 'Deployment': case 'StatefulSet': case 'DaemonSet': case 'ReplicaSet': validateAppsWorkload(o, out); break;
    case 'ReplicationController':
      validateTemplate(o.spec?.template, 'spec.template', ['Always'], out);
      validateLabels(o.spec?.selector, 'spec.selector', out);
      if (o.spec?.template && !matchesSelector({ matchLabels: o.spec.selector ?? {} }, o.spec.template.metadata?.labels ?? {})) {
        push(out, 'spec.template.metadata.labels', '`selector` does not match template `labels`');
      }
      break;
    case 'Job': validateTemplate(o.spec?.template, 'spec.template', ['OnFailure', 'Never'], out); break;
    case 'CronJob':
      if (typeof o.spec?.schedule !== 'string' || o.spec.schedule.trim() === '') push(out, 'spec.schedule', 'required');
      validateTemplate(o.spec?.jobTemplate?.spec?.template, 'spec.jobTemplate.spec.template', ['OnFailure', 'Never'], out);
      break;
    default:
  }
  return out;
}
