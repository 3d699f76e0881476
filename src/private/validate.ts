import { IConstruct } from 'constructs';
import { IstioSecurityError } from '../errors';

// Boundary checks for everything a caller passes. Callers in other jsii languages, and plain
// JavaScript, pass plain data: every value is checked for its type before it is used, read once
// (a getter may answer differently the second time), and quoted in messages without echoing
// huge values in full.

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

/** A Kubernetes object or namespace name: DNS-1123 label, at most 63 characters. */
export function assertDnsLabel(scope: IConstruct, what: string, value: unknown): string {
  if (typeof value !== 'string' || value.length > 63 || !DNS_LABEL.test(value)) {
    throw new IstioSecurityError(scope, `${what} ${quote(value)} is not a valid DNS-1123 label: `
      + 'use 1-63 lowercase letters, digits or \'-\', starting and ending with a letter or digit.');
  }
  return value;
}

/** A Service name: a DNS-1035 label (a DNS-1123 label that starts with a letter). */
export function assertServiceName(scope: IConstruct, what: string, value: string): string {
  if (!DNS_1035_LABEL.test(value)) {
    throw new IstioSecurityError(scope, `${what} ${quote(value)} cannot name a Service: Kubernetes wants Service names to start with a letter `
      + `(DNS-1035); use a name that starts with a lowercase letter, e.g. "${`svc-${value}`.slice(0, 63).replace(/-+$/, '')}".`);
  }
  return value;
}

/** A DNS-1123 subdomain: dot-separated labels, at most 253 characters. */
export function assertDnsSubdomain(scope: IConstruct, what: string, value: unknown): string {
  if (typeof value !== 'string' || !isDnsSubdomain(value)) {
    throw new IstioSecurityError(scope, `${what} ${quote(value)} is not a valid domain: `
      + 'use dot-separated DNS-1123 labels (lowercase letters, digits, \'-\'), at most 253 characters, e.g. "cluster.local".');
  }
  return value;
}

export function isDnsSubdomain(value: string): boolean {
  if (value.length === 0 || value.length > 253) return false;
  for (const label of value.split('.')) {
    if (label.length > 63 || !DNS_LABEL.test(label)) return false;
  }
  return true;
}

/** The last label of a domain, when it is all digits (Istio refuses such hosts: they read as IP addresses). */
export function numericTopLevelDomain(domain: string): string | undefined {
  const last = domain.slice(domain.lastIndexOf('.') + 1);
  return /^[0-9]+$/.test(last) ? last : undefined;
}

/**
 * A domain that becomes the suffix of Service hosts (a cluster domain): a DNS subdomain whose last
 * label is not all digits. Istio refuses hosts such as `*.ns.svc.cluster.123`
 * (pkg/config/validation/agent/validation.go, ValidateDNS1123Labels).
 */
export function assertHostDomain(scope: IConstruct, what: string, value: unknown): string {
  const domain = assertDnsSubdomain(scope, what, value);
  const tld = numericTopLevelDomain(domain);
  if (tld !== undefined) {
    throw new IstioSecurityError(scope, `${what} ${quote(domain)} ends in the all-numeric label "${tld}": Istio refuses such hosts `
      + '(they read as IP addresses); use a domain whose last label has a letter, e.g. "cluster.local".');
  }
  return domain;
}

/**
 * A host name this library composes (`<svc>.<ns>.svc.<cluster domain>`, `*.<ns>.svc...`):
 * refused when it is longer than DNS allows, naming the parts it was made from.
 */
export function assertComposedHost(scope: IConstruct, what: string, host: string, parts: string): string {
  if (host.length > 253) {
    throw new IstioSecurityError(scope, `${what} ${quote(host)} would be ${host.length} characters long, more than the 253 DNS allows: `
      + `use a shorter ${parts}.`);
  }
  return host;
}

/** A TCP/UDP port number. */
export function assertPort(scope: IConstruct, what: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 65535) {
    const hint = typeof value === 'string' && /^\d+$/.test(value) ? ` (a string: write the number ${value} without quotes)` : '';
    throw new IstioSecurityError(scope, `${what} ${quote(value)} is not a valid port${hint}: use a whole number from 1 to 65535.`);
  }
  return value;
}

/** Throws naming the first value that occurs twice in `values`. */
export function assertUnique<T>(scope: IConstruct, what: string, values: readonly T[]): void {
  const seen = new Set<T>();
  for (const value of values) {
    if (seen.has(value)) {
      throw new IstioSecurityError(scope, `${what} ${quote(value)} is given twice: each must be unique.`);
    }
    seen.add(value);
  }
}

// Factories of value objects have no construct to refuse bad input with: they record what is wrong,
// and the construct that uses the object refuses it.
const problems = new WeakMap<object, string>();

/** Records why a value object cannot be used. */
export function recordProblem(value: object, problem: string): void {
  if (!problems.has(value)) problems.set(value, problem);
}

/** The problem a value object recorded, if any. */
export function recordedProblem(value: unknown): string | undefined {
  return typeof value === 'object' && value !== null ? problems.get(value) : undefined;
}

/** Longest text of a value a message shows; longer values are cut and their length is given. */
const QUOTE_LIMIT = 80;

/**
 * A value as a message shows it: strings in JSON quotes, others in a short readable form. Long
 * values are cut (with their length), and values that cannot be printed (null-prototype objects,
 * symbols, cyclic structures, throwing getters) are described instead of crashing.
 */
export function quote(value: unknown): string {
  try {
    switch (typeof value) {
      case 'string': return quoteString(value);
      case 'number': return Object.is(value, -0) ? '-0' : String(value);
      case 'bigint': return `${value.toString()}n`;
      case 'boolean':
      case 'undefined': return String(value);
      case 'symbol': return value.toString();
      case 'function': return 'a function';
      default: {
        if (value === null) return 'null';
        const text = preview(value, QUOTE_LIMIT + 1, new Set());
        return text.length > QUOTE_LIMIT ? `${text.slice(0, QUOTE_LIMIT - 20)}… (${describe(value as object)})` : text;
      }
    }
  } catch {
    return 'an unprintable value';
  }
}

/**
 * A value as given when it is text, else a printable stand-in (its quoted form), for values that
 * are composed into others before the construct using them can refuse them: never a TypeError.
 */
export function asText(value: unknown): string {
  return typeof value === 'string' ? value : quote(value);
}

/** A list for a message: at most ten items, then how many there are in all. */
export function listText(values: readonly unknown[], max = 10): string {
  const shown = values.slice(0, max).map((v) => (typeof v === 'string' || typeof v === 'number' ? String(v) : quote(v))).join(', ');
  return values.length > max ? `${shown}, … (${values.length} in all)` : shown;
}

function quoteString(value: string): string {
  if (value.length <= QUOTE_LIMIT) return JSON.stringify(value);
  return `${JSON.stringify(value.slice(0, QUOTE_LIMIT - 20)).slice(0, -1)}…" (${value.length} characters)`;
}

function describe(value: object): string {
  return Array.isArray(value) ? `a list of ${value.length}` : `an object with ${Object.keys(value).length} keys`;
}

/** A JSON-like text of `value`, stopping once `budget` characters are written (linear in the budget). */
function preview(value: unknown, budget: number, seen: Set<unknown>): string {
  if (typeof value !== 'object' || value === null) {
    return typeof value === 'string' ? quoteString(value.length > budget ? value.slice(0, budget) : value) : quote(value);
  }
  if (seen.has(value)) return '…';
  if (isConstructLike(value)) return `construct ${(value as IConstruct).node.path}`;
  seen.add(value);
  const parts: string[] = [];
  let used = 2;
  const isList = Array.isArray(value);
  const keys = isList ? [] : Object.keys(value);
  const count = isList ? (value as unknown[]).length : keys.length;
  for (let i = 0; i < count && used < budget; i++) {
    const item = isList ? (value as unknown[])[i] : (value as any)[keys[i]];
    const text = preview(item, budget - used, seen);
    const entry = isList ? text : `${JSON.stringify(keys[i].slice(0, budget))}: ${text}`;
    parts.push(entry);
    used += entry.length + 2;
  }
  if (parts.length < count) parts.push('…');
  const proto = Object.getPrototypeOf(value);
  const prefix = isList || proto === Object.prototype || proto === null ? '' : `${proto?.constructor?.name ?? 'object'} `;
  return isList ? `[${parts.join(', ')}]` : `${prefix}{${parts.join(', ')}}`;
}

function isConstructLike(value: object): boolean {
  const node = (value as any).node;
  return typeof node === 'object' && node !== null && typeof node.path === 'string' && typeof node.addValidation === 'function';
}

/** A value of a string enum: refuses values that only a caller outside TypeScript (or a cast) could pass. */
export function assertEnumValue<T extends string>(scope: IConstruct, what: string, value: T, allowed: { [key: string]: string }): T {
  const values = Object.values(allowed);
  if (typeof value !== 'string' || !values.includes(value)) {
    const upper = typeof value === 'string' && values.includes(value.toUpperCase()) ? ` (enum values are case-sensitive: use ${value.toUpperCase()})` : '';
    throw new IstioSecurityError(scope, `${what} ${quote(value)} is not one of ${values.join(', ')}${upper}.`);
  }
  return value;
}

const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** A Kubernetes label value: at most 63 characters of letters, digits, '-', '_' and '.'. */
export function assertLabelValue(scope: IConstruct, what: string, value: unknown): string {
  if (typeof value !== 'string' || value.length > 63 || !LABEL_VALUE.test(value)) {
    throw new IstioSecurityError(scope, `${what} ${quote(value)} is not a valid label value: `
      + 'use at most 63 letters, digits, \'-\', \'_\' or \'.\', starting and ending with a letter or digit.');
  }
  return value;
}

const LABEL_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;

/** A Kubernetes label key: an optional DNS-subdomain prefix and '/', then a name of 1-63 characters. */
export function isLabelKey(key: unknown): boolean {
  if (typeof key !== 'string') return false;
  const slash = key.lastIndexOf('/');
  const name = key.slice(slash + 1);
  return (slash < 0 || isDnsSubdomain(key.slice(0, slash))) && name.length <= 63 && LABEL_NAME.test(name);
}

/** Most labels a selector may name (the Istio CRDs' `matchLabels` maxProperties). */
export const MAX_SELECTOR_LABELS = 4096;

/**
 * Labels Kubernetes accepts (metadata.labels, matchLabels): a plain object of valid keys and
 * string values. Returns a plain copy (cdk8s renders plain objects only).
 */
export function assertLabels(scope: IConstruct, what: string, labels: unknown): { [key: string]: string } {
  const record = assertRecord(scope, what, labels, 'a map of label keys to string values, e.g. { app: "httpbin" }');
  const keys = Object.keys(record);
  if (keys.length > MAX_SELECTOR_LABELS) {
    throw new IstioSecurityError(scope, `${what} has ${keys.length} labels, more than the ${MAX_SELECTOR_LABELS} Istio's selectors allow: name fewer labels.`);
  }
  const copy: { [key: string]: string } = {};
  for (const key of keys) {
    if (!isLabelKey(key)) {
      throw new IstioSecurityError(scope, `${what} key ${quote(key)} is not a valid label key: use an optional DNS subdomain prefix and '/', `
        + 'then 1-63 letters, digits, \'-\', \'_\' or \'.\', starting and ending with a letter or digit (e.g. "app" or "example.com/team").');
    }
    if (key === 'constructor') {
      // cdk8s takes an object with its own `constructor` for a class instance and refuses to render it.
      throw new IstioSecurityError(scope, `${what} key "constructor" cannot be synthesized: cdk8s reads it as a JavaScript class and fails; use another key.`);
    }
    copy[key] = assertLabelValue(scope, `${what} ${quote(key)}: value`, record[key]);
  }
  return copy;
}

/** A selector: labels, at least one. */
export function assertSelector(scope: IConstruct, what: string, labels: unknown, whyNotEmpty: string): { [key: string]: string } {
  const copy = assertLabels(scope, what, labels);
  if (Object.keys(copy).length === 0) throw new IstioSecurityError(scope, `${what} {} ${whyNotEmpty}`);
  return copy;
}

/** A plain object in a copy without prototype: a map from strings to values. */
export function assertRecord(scope: IConstruct, what: string, value: unknown, expected: string): { [key: string]: unknown } {
  if (!isRecord(value)) {
    throw new IstioSecurityError(scope, `${what} ${quote(value)} is not ${expected}.`);
  }
  const copy: { [key: string]: unknown } = Object.create(null);
  for (const key of Object.keys(value)) copy[key] = (value as any)[key];
  return copy;
}

/** Whether `value` is a plain object (prototype Object or none): what callers of every language pass for a map or struct. */
export function isRecord(value: unknown): value is object {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * Props or options: undefined or null mean "none"; anything else must be a plain object whose keys
 * are the known ones (a typo such as `sidcar: false` would otherwise be ignored). Returns a copy
 * read once, so getters cannot change a value after its check.
 */
export function assertProps<T>(scope: IConstruct, what: string, props: T | undefined | null, known: KnownKeys<T>): T {
  if (props === undefined || props === null) return {} as T;
  if (!isRecord(props)) {
    throw new IstioSecurityError(scope, `${what} ${quote(props)} is not an object of properties: pass ${what} as an object, e.g. {}.`);
  }
  const copy: { [key: string]: unknown } = {};
  for (const key of Object.keys(props)) {
    if (!Object.prototype.hasOwnProperty.call(known, key)) {
      const names = Object.keys(known);
      throw new IstioSecurityError(scope, `${what} has no property ${quote(key)}: use one of ${names.join(', ')}.`);
    }
    copy[key] = (props as any)[key];
  }
  return copy as T;
}

/** Options of a value object's factory, read once: a copy, and why they cannot be used, if so. */
export interface ReadOptions<T> {
  readonly options: T;
  readonly problem?: string;
}

/**
 * Reads a factory's options for a value object, which has no construct to refuse them with: the
 * problem is recorded (`recordProblem`) by the caller and refused by the construct that uses the
 * object. Undefined or null mean none, unless `required`. `example` shows a good value.
 */
export function readOptions<T>(what: string, options: T | undefined | null, known: KnownKeys<T>, example: string, required = false): ReadOptions<T> {
  if ((options === undefined || options === null) && !required) return { options: {} as T };
  if (!isRecord(options)) {
    return { options: {} as T, problem: `${what} options ${quote(options)} are not an object: pass an object, e.g. ${example}.` };
  }
  const copy = { ...options } as T;
  const unknown = Object.keys(copy as object).find((key) => !Object.prototype.hasOwnProperty.call(known, key));
  return unknown === undefined ? { options: copy }
    : { options: copy, problem: `${what} has no option ${quote(unknown)}: use one of ${Object.keys(known).join(', ')}.` };
}

/** The property names of a props interface, checked by the compiler to be exactly its keys. */
export type KnownKeys<T> = { readonly [K in keyof Required<T>]: true };

/** `true`, `false`, or the default when absent (undefined or null); any other value is refused. */
export function optionalBoolean(scope: IConstruct, what: string, value: unknown, fallback: boolean): boolean;
export function optionalBoolean(scope: IConstruct, what: string, value: unknown, fallback?: undefined): boolean | undefined;
export function optionalBoolean(scope: IConstruct, what: string, value: unknown, fallback?: boolean): boolean | undefined {
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'boolean') {
    const hint = value === 'false' || value === 'true' ? ` (a string: write ${value} without quotes)` : '';
    throw new IstioSecurityError(scope, `${what} ${quote(value)} is not a boolean${hint}: use true or false, or leave it out for the default.`);
  }
  return value;
}

/** A string (not empty unless allowed), with a length limit. */
export function assertString(scope: IConstruct, what: string, value: unknown, options: { maxLength?: number; allowEmpty?: boolean } = {}): string {
  if (typeof value !== 'string') {
    throw new IstioSecurityError(scope, `${what} ${quote(value)} is not a string: give it as text.`);
  }
  if (!options.allowEmpty && value === '') throw new IstioSecurityError(scope, `${what} is empty: give a value, or leave it out.`);
  if (options.maxLength !== undefined && value.length > options.maxLength) {
    throw new IstioSecurityError(scope, `${what} ${quote(value)} is longer than ${options.maxLength} characters: use a shorter one.`);
  }
  return value;
}

/**
 * A list: an array (a string is not a list of its characters), with at most `maxItems` items,
 * copied so later changes to the caller's array do not reach the output.
 */
export function assertList(scope: IConstruct, what: string, value: unknown, options: { maxItems?: number; example?: string } = {}): unknown[] {
  if (!Array.isArray(value)) {
    const hint = typeof value === 'string' ? `; a single value goes in a list too: [${quote(value)}]` : '';
    throw new IstioSecurityError(scope, `${what} ${quote(value)} is not a list${hint}. Give a list${options.example ? `, e.g. ${options.example}` : ''}.`);
  }
  if (options.maxItems !== undefined && value.length > options.maxItems) {
    throw new IstioSecurityError(scope, `${what} has ${value.length} entries, more than the ${options.maxItems} allowed: list fewer.`);
  }
  return Array.from(value);
}

/** An optional list: undefined or null mean absent. */
export function optionalList(scope: IConstruct, what: string, value: unknown, options: { maxItems?: number; example?: string } = {}): unknown[] | undefined {
  return value === undefined || value === null ? undefined : assertList(scope, what, value, options);
}

/** A list of strings. */
export function assertStringList(scope: IConstruct, what: string, value: unknown, options: { maxItems?: number; example?: string } = {}): string[] {
  const list = assertList(scope, what, value, options);
  for (const item of list) {
    if (typeof item !== 'string') throw new IstioSecurityError(scope, `${what} entry ${quote(item)} is not a string: give ${what} as a list of strings.`);
  }
  return list as string[];
}

/** An instance of a class of this library (not a look-alike object, which could carry anything). */
export function assertInstance<T>(scope: IConstruct, what: string, value: unknown, type: { prototype: T; name: string }, make: string): T {
  if (!(value instanceof (type as any))) {
    throw new IstioSecurityError(scope, `${what} ${quote(value)} is not a ${type.name}: create it with ${make}.`);
  }
  return value as T;
}

/**
 * Required props, for callers that bypass the type checker (JavaScript, other jsii languages):
 * a clear refusal instead of a TypeError further down.
 */
export function assertRequired(scope: IConstruct, props: unknown, names: string[]): void {
  const given = (isRecord(props) ? props : {}) as { [name: string]: unknown };
  const missing = names.filter((name) => given[name] === undefined || given[name] === null);
  if (missing.length > 0) {
    const list = missing.map((name) => `${name} (${quote(given[name])})`).join(', ');
    throw new IstioSecurityError(scope, `required props are missing: ${list}; give ${missing.length === 1 ? 'it' : 'them'} in the props.`);
  }
}
