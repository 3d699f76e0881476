import { IConstruct } from 'constructs';
import { IstioSecurityError } from '../errors';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** A Kubernetes object or namespace name: DNS-1123 label, at most 63 characters. */
export function assertDnsLabel(scope: IConstruct, what: string, value: string): string {
  if (typeof value !== 'string' || value.length > 63 || !DNS_LABEL.test(value)) {
    throw new IstioSecurityError(scope, `${what} ${quote(value)} is not a valid DNS-1123 label: `
      + 'use 1-63 lowercase letters, digits or \'-\', starting and ending with a letter or digit.');
  }
  return value;
}

/** A DNS-1123 subdomain: dot-separated labels, at most 253 characters. */
export function assertDnsSubdomain(scope: IConstruct, what: string, value: string): string {
  if (typeof value !== 'string' || !isDnsSubdomain(value)) {
    throw new IstioSecurityError(scope, `${what} ${quote(value)} is not a valid domain: `
      + 'use dot-separated DNS-1123 labels (lowercase letters, digits, \'-\'), at most 253 characters, e.g. "cluster.local".');
  }
  return value;
}

export function isDnsSubdomain(value: string): boolean {
  return value.length <= 253 && value.split('.').every((label) => label.length <= 63 && DNS_LABEL.test(label));
}

/** A TCP/UDP port number. */
export function assertPort(scope: IConstruct, what: string, value: number): number {
  if (!Number.isInteger(value) || value < 1 || value > 65535) {
    throw new IstioSecurityError(scope, `${what} ${quote(value)} is not a valid port: use a whole number from 1 to 65535.`);
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

export function quote(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

/** A value of a string enum: refuses values that only a caller outside TypeScript (or a cast) could pass. */
export function assertEnumValue<T extends string>(scope: IConstruct, what: string, value: T, allowed: { [key: string]: string }): T {
  const values = Object.values(allowed);
  if (!values.includes(value)) {
    throw new IstioSecurityError(scope, `${what} ${quote(value)} is not one of ${values.join(', ')}.`);
  }
  return value;
}

const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** A Kubernetes label value: at most 63 characters of letters, digits, '-', '_' and '.'. */
export function assertLabelValue(scope: IConstruct, what: string, value: string): string {
  if (typeof value !== 'string' || value.length > 63 || !LABEL_VALUE.test(value)) {
    throw new IstioSecurityError(scope, `${what} ${quote(value)} is not a valid label value: `
      + 'use at most 63 letters, digits, \'-\', \'_\' or \'.\', starting and ending with a letter or digit.');
  }
  return value;
}

const LABEL_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;

/** A Kubernetes label key: an optional DNS-subdomain prefix and '/', then a name of 1-63 characters. */
export function isLabelKey(key: string): boolean {
  if (typeof key !== 'string') return false;
  const slash = key.lastIndexOf('/');
  const name = key.slice(slash + 1);
  return (slash < 0 || isDnsSubdomain(key.slice(0, slash))) && name.length <= 63 && LABEL_NAME.test(name);
}

/** Labels Kubernetes accepts (metadata.labels, matchLabels): valid keys and values. */
export function assertLabels(scope: IConstruct, what: string, labels: { [key: string]: string }): void {
  for (const [key, value] of Object.entries(labels)) {
    if (!isLabelKey(key)) {
      throw new IstioSecurityError(scope, `${what} key ${quote(key)} is not a valid label key: use an optional DNS subdomain prefix and '/', `
        + 'then 1-63 letters, digits, \'-\', \'_\' or \'.\', starting and ending with a letter or digit (e.g. "app" or "example.com/team").');
    }
    assertLabelValue(scope, `${what} ${quote(key)}: value`, value);
  }
}

/**
 * Required props, for callers that bypass the type checker (JavaScript, other jsii languages):
 * a clear refusal instead of a TypeError further down.
 */
export function assertRequired(scope: IConstruct, props: unknown, names: string[]): void {
  const given = (props ?? {}) as { [name: string]: unknown };
  const missing = names.filter((name) => given[name] === undefined || given[name] === null);
  if (missing.length > 0) {
    const list = missing.map((name) => `${name} (${quote(given[name])})`).join(', ');
    throw new IstioSecurityError(scope, `required props are missing: ${list}; give ${missing.length === 1 ? 'it' : 'them'} in the props.`);
  }
}
