// The structural check of an object against the schema of its kind (src/model/schemas.generated.ts):
// types, unknown fields, enums, required fields, CRD limits and the CRDs' CEL rules, as the API
// server checks them (k8s.io/apiextensions-apiserver pkg/apiserver/schema/validation and
// .../schema/cel for CRDs; strict field validation, which kubectl apply asks for, for every kind).
// It also returns the object as the API server stores it: fields set to null are dropped
// (pruned, for CRDs; unset, for built-in kinds).

import { isPort, parseDuration, quote } from './names';
import { SCHEMA_KINDS, SCHEMA_NODES } from './schemas.generated';

/** One node of a compact schema; children are indexes into SCHEMA_NODES. */
export interface SchemaNode {
  /** o object, a array, s string, i integer, n number, b boolean, is int-or-string, u any scalar, * anything. */
  readonly t?: string;
  /** Properties. */
  readonly p?: { readonly [field: string]: number };
  /** The schema of map values (additionalProperties). */
  readonly ap?: number;
  /** Unknown fields are kept (x-kubernetes-preserve-unknown-fields). */
  readonly open?: number;
  /** Items. */
  readonly i?: number;
  /** Enum. */
  readonly e?: readonly unknown[];
  /** Required properties. */
  readonly r?: readonly string[];
  /** minItems, maxItems, minLength, maxLength, minimum, maximum, minProperties, maxProperties. */
  readonly ni?: number;
  readonly xi?: number;
  readonly nl?: number;
  readonly xl?: number;
  readonly nv?: number;
  readonly xv?: number;
  readonly np?: number;
  readonly xp?: number;
  /** exclusiveMinimum, exclusiveMaximum. */
  readonly xn?: number;
  readonly xx?: number;
  /** Pattern. */
  readonly pt?: string;
  /** Integer format (int32, uint32, int64, uint64). */
  readonly f?: string;
  /** oneOf, anyOf, allOf, not. */
  readonly of?: readonly number[];
  readonly af?: readonly number[];
  readonly al?: readonly number[];
  readonly no?: number;
  /** x-kubernetes-validations: [rule, message]. */
  readonly cel?: ReadonlyArray<readonly [string, string]>;
  /** x-kubernetes-list-type set, or map with these keys. */
  readonly set?: number;
  readonly keys?: readonly string[];
}

/** A field the check refused, and why. */
export interface SchemaError {
  /** `spec.ports[0].name`. */
  readonly path: string;
  readonly message: string;
}

/** Errors after which the check stops (one object never costs more than this many messages). */
const MAX_ERRORS = 10;

const has = (o: object, k: string) => Object.prototype.hasOwnProperty.call(o, k);
const present = (o: any, k: string) => o !== null && typeof o === 'object' && has(o, k) && o[k] !== null && o[k] !== undefined;
const size = (v: unknown) => (Array.isArray(v) ? v.length : typeof v === 'string' ? codePoints(v) : v && typeof v === 'object' ? Object.keys(v).length : 0);

/**
 * The CEL rules of the CRDs the model reads, by their text: each is the rule's meaning, written out.
 * A rule missing here is reported by test/model-schema.test.ts, so a new CRD version cannot slip one by.
 */
export const CEL_RULES: { readonly [rule: string]: (self: any) => boolean } = {
  "duration(self) >= duration('1ms')": (self) => {
    const ms = typeof self === 'string' ? parseDuration(self) : undefined;
    return ms !== undefined && ms >= 1;
  },
  '!self.contains("*")': (self) => !String(self).includes('*'),
  'self.all(key, !key.contains("*"))': (self) => Object.keys(self).every((k) => !k.includes('*')),
  'self.all(key, key.size() != 0)': (self) => Object.keys(self).every((k) => k.length !== 0),
  '(has(self.tlsCertificates) ? 1 : 0) + (has(self.credentialNames) ? 1 : 0) <= 1': (self) => !(present(self, 'tlsCertificates') && present(self, 'credentialNames')),
  '(has(self.credentialName) ? 1 : 0) + (has(self.credentialNames) ? 1 : 0) <= 1': (self) => !(present(self, 'credentialName') && present(self, 'credentialNames')),
  '(has(self.credentialNames) ? 1 : 0) + (has(self.tlsCertificates) ? 1 : 0) <= 1': (self) => !(present(self, 'credentialNames') && present(self, 'tlsCertificates')),
  'self.startsWith("unix://") ? (self.substring(7, 8) == "/" || self.substring(7, 8) == "@") : true':
    (self) => !String(self).startsWith('unix://') || ['/', '@'].includes(String(self).slice(7, 8)),
  'self.startsWith("unix://") ? !self.endsWith("/") : true': (self) => !String(self).startsWith('unix://') || !String(self).endsWith('/'),
  '0 < self && self <= 65535': (self) => isPort(self),
  'self.all(key, size(key) < 63 && key.matches("^[a-zA-Z0-9](?:[-a-zA-Z0-9]*[a-zA-Z0-9])?$"))':
    (self) => Object.keys(self).every((k) => codePoints(k) < 63 && /^[a-zA-Z0-9](?:[-a-zA-Z0-9]*[a-zA-Z0-9])?$/.test(k)),
  'has(self.address) || has(self.network)': (self) => present(self, 'address') || present(self, 'network'),
  '(has(self.address) ? self.address : "").startsWith("unix://") ? !has(self.ports) : true':
    (self) => !String(self.address ?? '').startsWith('unix://') || !present(self, 'ports'),
  'self != "*"': (self) => self !== '*',
  // RequestAuthentication jwtRules: the key URI's scheme, and one source of keys.
  'url(self).getScheme() in ["http", "https"]': (self) => {
    try {
      return ['http:', 'https:'].includes(new URL(String(self)).protocol);
    } catch {
      return false;
    }
  },
  '(has(self.jwksUri) ? 1 : 0) + (has(self.jwks_uri) ? 1 : 0) + (has(self.jwks) ? 1 : 0) <= 1':
    (self) => ['jwksUri', 'jwks_uri', 'jwks'].filter((k) => present(self, k)).length <= 1,
  'self.all(l1, self.exists_one(l2, l1.number == l2.number))': (self) => {
    const numbers = (self as any[]).map((p) => p?.number);
    return new Set(numbers).size === numbers.length;
  },
  '(has(self.workloadSelector) ? 1 : 0) + (has(self.endpoints) ? 1 : 0) <= 1': (self) => !(present(self, 'workloadSelector') && present(self, 'endpoints')),
  '!((has(self.addresses) ? self.addresses : []).exists(k, k.contains("/")) && !((has(self.resolution) ? self.resolution : "NONE") in ["STATIC", "NONE"]))':
    (self) => !((Array.isArray(self.addresses) ? self.addresses : []).some((a: unknown) => String(a).includes('/'))
      && !['STATIC', 'NONE'].includes(self.resolution ?? 'NONE')),
  '((has(self.resolution) ? self.resolution : "NONE") == "NONE") ? !has(self.endpoints) : true':
    (self) => (self.resolution ?? 'NONE') !== 'NONE' || !present(self, 'endpoints'),
  '((has(self.resolution) ? self.resolution : "") == "DNS_ROUND_ROBIN") ? ((has(self.endpoints) ? self.endpoints : []).size() <= 1) : true':
    (self) => self.resolution !== 'DNS_ROUND_ROBIN' || (Array.isArray(self.endpoints) ? self.endpoints.length : 0) <= 1,
  '(has(self.serviceAccounts) || has(self.notServiceAccounts)) ? (!has(self.principals) &&\n!has(self.notPrincipals) && !has(self.namespaces) && !has(self.notNamespaces)) : true':
    (self) => !(present(self, 'serviceAccounts') || present(self, 'notServiceAccounts'))
      || !['principals', 'notPrincipals', 'namespaces', 'notNamespaces'].some((k) => present(self, k)),
  'self.size() == 0': (self) => size(self) === 0,
  '(has(self.selector) ? 1 : 0) + (has(self.targetRef) ? 1 : 0) + (has(self.targetRefs) ? 1 : 0) <= 1':
    (self) => ['selector', 'targetRef', 'targetRefs'].filter((k) => present(self, k)).length <= 1,
  'self.all(key, 0 < int(key) && int(key) <= 65535)': (self) => Object.keys(self).every((k) => /^[0-9]{1,5}$/.test(k) && isPort(Number(k))),
  'has(self.portLevelMtls) ? (((has(self.selector) && has(self.selector.matchLabels)) ? self.selector.matchLabels : {}).size() > 0) : true':
    (self) => !present(self, 'portLevelMtls') || (present(self, 'selector') && present(self.selector, 'matchLabels') && Object.keys(self.selector.matchLabels).length > 0),
};

/** Unicode code points, as Kubernetes counts maxLength. */
function codePoints(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0xd800 || c > 0xdbff || i + 1 >= s.length) n++;
    else { n++; i++; }
  }
  return n;
}

const patterns = new Map<string, RegExp>();
function pattern(p: string): RegExp {
  let re = patterns.get(p);
  if (!re) patterns.set(p, re = new RegExp(p, 'u'));
  return re;
}

const INT_RANGES: { readonly [format: string]: readonly [number, number] } = {
  int32: [-2147483648, 2147483647], uint32: [0, 4294967295], int64: [-Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER], uint64: [0, Number.MAX_SAFE_INTEGER],
};

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

/** A path segment: a field name, or a list index. */
type Segment = string | number;

function pathText(segments: readonly Segment[]): string {
  let out = '';
  for (const s of segments) {
    if (typeof s === 'number') out += `[${s}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(s)) out += out ? `.${s}` : s;
    else out += `[${quote(s, 60)}]`;
  }
  return out;
}

/** Each node's properties as a Map (built once per node: a Map lookup is cheaper than hasOwnProperty). */
const propertyMaps: Array<Map<string, number> | undefined> = [];
function properties(id: number): Map<string, number> | undefined {
  let m = propertyMaps[id];
  if (m === undefined && SCHEMA_NODES[id].p) propertyMaps[id] = m = new Map(Object.entries(SCHEMA_NODES[id].p!));
  return m;
}

/** Whether a node has a constraint beyond its type (computed once per node). */
const constrained: boolean[] = [];
function hasConstraints(id: number): boolean {
  let c = constrained[id];
  if (c === undefined) {
    const n = SCHEMA_NODES[id];
    c = constrained[id] = ['e', 'ni', 'xi', 'nl', 'xl', 'nv', 'xv', 'np', 'xp', 'pt', 'of', 'af', 'al', 'no', 'cel'].some((k) => (n as any)[k] !== undefined);
  }
  return c;
}

class Checker {
  public readonly errors: SchemaError[] = [];
  /** The path of the value being checked; rendered only for an error. */
  private readonly stack: Segment[] = [];

  /** `emptyListsUnset`: an empty list is returned as unset (protobuf JSON: an empty repeated field is no field). */
  public constructor(private readonly limit: number, private readonly emptyListsUnset = false) {}

  private error(message: string, extra?: Segment): void {
    if (this.errors.length >= this.limit) return;
    const path = pathText(extra === undefined ? this.stack : [...this.stack, extra]);
    this.errors.push({ path: path || '(object)', message });
  }

  public get full(): boolean {
    return this.errors.length >= this.limit;
  }

  /**
   * Checks `value` against node `id`; returns it as stored: nulls dropped (null itself is returned
   * as undefined), the same value when nothing is dropped, a copy otherwise (the input is never changed).
   */
  public check(value: unknown, id: number): unknown {
    if (value === null || value === undefined) return undefined;
    if (this.full) return value;
    const n = SCHEMA_NODES[id];
    let out: unknown = value;
    switch (n.t) {
      case '*': return value;
      case 'u':
        if (typeof value === 'object') this.error(`must be a string or a number, not ${typeName(value)}`);
        return value;
      case 'o': out = this.object(value, n, id); break;
      case 'a': out = this.array(value, n); break;
      case 's': if (typeof value !== 'string') this.error(`must be a string, not ${typeName(value)} ${quote(value, 40)}`); break;
      case 'b': if (typeof value !== 'boolean') this.error(`must be a boolean (true or false), not ${typeName(value)} ${quote(value, 40)}`); break;
      case 'n': if (typeof value !== 'number' || !Number.isFinite(value)) this.error(`must be a number, not ${typeName(value)} ${quote(value, 40)}`); break;
      case 'i': this.integer(value, n); break;
      case 'is':
        if (typeof value !== 'string' && !(typeof value === 'number' && Number.isInteger(value))) {
          this.error(`must be a whole number or a string, not ${typeName(value)} ${quote(value, 40)}`);
        }
        break;
      default:
        if (value && typeof value === 'object' && !Array.isArray(value)) out = this.object(value, n, id);
    }
    if (hasConstraints(id)) this.constraints(value, n);
    return this.emptyListsUnset && Array.isArray(out) && out.length === 0 ? undefined : out;
  }

  private integer(value: unknown, n: SchemaNode): void {
    if (typeof value !== 'number' || !Number.isInteger(value)) {
      this.error(`must be a whole number, not ${typeName(value)} ${quote(value, 40)}`);
      return;
    }
    const range = n.f ? INT_RANGES[n.f] : undefined;
    if (range && (value < range[0] || value > range[1])) this.error(`${value} is out of the ${n.f} range`);
  }

  private object(value: unknown, n: SchemaNode, id: number): unknown {
    if (typeof value !== 'object' || Array.isArray(value) || value === null) {
      this.error(`must be an object, not ${typeName(value)} ${quote(value, 40)}`);
      return value;
    }
    let out: { [key: string]: unknown } | undefined;
    const props = properties(id);
    const keys = Object.keys(value);
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i];
      const v = (value as any)[key];
      const p = props?.get(key) ?? n.ap;
      let checked: unknown = v;
      if (p !== undefined) {
        this.stack.push(key);
        checked = this.check(v, p);
        this.stack.pop();
      } else if (!n.open && n.t === 'o') {
        this.error('unknown field (kubectl apply refuses it; the API server would drop it)', key);
        continue;
      }
      if (checked !== v && out === undefined) {
        // Copy on the first change: the keys before this one as they are.
        out = {};
        for (let j = 0; j < i; j++) setOwn(out, keys[j], (value as any)[keys[j]]);
      }
      if (out !== undefined && checked !== undefined) setOwn(out, key, checked);
    }
    for (const key of n.r ?? []) {
      if (!present(value, key)) this.error('required', key);
    }
    return out ?? value;
  }

  private array(value: unknown, n: SchemaNode): unknown {
    if (!Array.isArray(value)) {
      this.error(`must be a list, not ${typeName(value)} ${quote(value, 40)}`);
      return value;
    }
    let out: unknown[] | undefined;
    for (let i = 0; i < value.length && !this.full; i++) {
      if (value[i] === null || value[i] === undefined) {
        this.error('must not be null', i);
        continue;
      }
      let checked = value[i];
      if (n.i !== undefined) {
        this.stack.push(i);
        checked = this.check(value[i], n.i);
        this.stack.pop();
      }
      if (checked !== value[i] && out === undefined) out = value.slice(0, i);
      if (out !== undefined) out.push(checked);
    }
    if (n.set && new Set(value.map((v) => (typeof v === 'object' ? JSON.stringify(v) : v))).size !== value.length) this.error('has duplicate items');
    if (n.keys) {
      const keys = new Set<string>();
      for (const item of value) {
        const key = JSON.stringify(n.keys.map((k) => item?.[k] ?? null));
        if (keys.has(key)) this.error(`has two items with the same ${n.keys.join(' and ')} ${key}`);
        keys.add(key);
      }
    }
    return out ?? value;
  }

  private constraints(value: any, n: SchemaNode): void {
    if (n.e && !n.e.includes(value)) {
      this.error(`${quote(value, 60)} is not one of ${n.e.map((e) => quote(e)).join(', ')}${typeof value === 'string' && n.e.includes(value.toUpperCase()) ? ' (enum values are case-sensitive)' : ''}`);
    }
    const count = size(value);
    if (Array.isArray(value)) {
      if (n.ni !== undefined && count < n.ni) this.error(`must have at least ${n.ni} item${n.ni === 1 ? '' : 's'}`);
      if (n.xi !== undefined && count > n.xi) this.error(`must have at most ${n.xi} items, has ${count}`);
    } else if (typeof value === 'string') {
      if (n.nl !== undefined && count < n.nl) this.error(`must be at least ${n.nl} character${n.nl === 1 ? '' : 's'} long`);
      if (n.xl !== undefined && count > n.xl) this.error(`must be at most ${n.xl} characters long, is ${count}`);
      else if (n.pt && !pattern(n.pt).test(value)) this.error(`${quote(value, 60)} does not match ${n.pt}`);
    } else if (typeof value === 'number') {
      if (n.nv !== undefined && (n.xn ? value <= n.nv : value < n.nv)) this.error(`must be ${n.xn ? 'greater than' : 'at least'} ${n.nv}, is ${value}`);
      if (n.xv !== undefined && (n.xx ? value >= n.xv : value > n.xv)) this.error(`must be ${n.xx ? 'less than' : 'at most'} ${n.xv}, is ${value}`);
    } else if (value && typeof value === 'object') {
      if (n.np !== undefined && count < n.np) this.error(`must have at least ${n.np} entr${n.np === 1 ? 'y' : 'ies'}`);
      if (n.xp !== undefined && count > n.xp) this.error(`must have at most ${n.xp} entries, has ${count}`);
    }
    if (n.of && n.of.filter((s) => this.matches(value, s)).length !== 1) this.error(`must match exactly one of ${describeAlternatives(n.of)}`);
    if (n.af && !n.af.some((s) => this.matches(value, s))) this.error(`must match one of ${describeAlternatives(n.af)}`);
    if (n.al && !n.al.every((s) => this.matches(value, s))) this.error('does not match every schema it must');
    if (n.no !== undefined && this.matches(value, n.no)) this.error(`must not match ${describeAlternatives([n.no])}`);
    for (const [rule, message] of n.cel ?? []) {
      const fn = CEL_RULES[rule];
      if (fn && !safe(() => fn(value))) this.error(message);
    }
  }

  private matches(value: unknown, id: number): boolean {
    const sub = new Checker(1);
    sub.check(value, id);
    return sub.errors.length === 0;
  }
}

function safe(fn: () => boolean): boolean {
  try {
    return fn();
  } catch {
    return false;
  }
}

/** `{required: [a]}` alternatives as "a set" / "neither a nor b". */
function describeAlternatives(ids: readonly number[]): string {
  const parts = ids.map((id) => {
    const n = SCHEMA_NODES[id];
    if (n.r) return n.r.join(' and ');
    if (n.no !== undefined) return `none of (${describeAlternatives([n.no])})`;
    if (n.af) return n.af.map((a) => SCHEMA_NODES[a].r?.join(' and ') ?? '...').join(' or ');
    return '...';
  });
  return parts.join('; ');
}

/** Sets an own property, `__proto__` included (a label key or map key may be any string). */
export function setOwn(o: { [key: string]: unknown }, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true });
  else o[key] = value;
}

/** Whether the model has a schema for `apiVersion/kind`. */
export function hasSchema(apiVersionKind: string): boolean {
  return has(SCHEMA_KINDS, apiVersionKind);
}

/**
 * Checks an object against the schema of its `apiVersion/kind`; returns the stored form and the
 * errors. `emptyListsUnset`: drop empty lists from the stored form, as Istio reads its objects.
 */
export function checkSchema(object: unknown, apiVersionKind: string, emptyListsUnset = false, limit = MAX_ERRORS): { readonly value: any; readonly errors: readonly SchemaError[] } {
  const checker = new Checker(limit, emptyListsUnset);
  const value = checker.check(object, SCHEMA_KINDS[apiVersionKind]);
  return { value, errors: checker.errors };
}

/** Every CEL rule text in the schemas (for the test that each has a meaning in CEL_RULES). */
export function celRuleTexts(): string[] {
  return [...new Set(SCHEMA_NODES.flatMap((n) => (n.cel ?? []).map(([rule]) => rule)))];
}
