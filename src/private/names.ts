import { createHash } from 'node:crypto';

const MAX_NAME = 63;

/**
 * `name` if it fits a DNS label; otherwise cut, ending in a hash of `name`, so it stays unique and
 * the same from one synth to the next.
 */
export function boundedName(name: string): string {
  if (name.length <= MAX_NAME) return name;
  const hash = createHash('sha256').update(name).digest('hex').slice(0, 8);
  return `${name.slice(0, MAX_NAME - hash.length - 1).replace(/-+$/, '')}-${hash}`;
}

/** A Kubernetes object name for `host` behind `prefix`, e.g. `egressgateway-for-edition-cnn-com`. */
export function hostObjectName(prefix: string, host: string): string {
  const name = `${prefix}${host.replace(/\./g, '-')}`;
  if (name.length <= MAX_NAME) return name;
  // Hash the host alone, so every object of one host carries the same suffix.
  const hash = createHash('sha256').update(host).digest('hex').slice(0, 8);
  return `${name.slice(0, MAX_NAME - hash.length - 1).replace(/-+$/, '')}-${hash}`;
}
