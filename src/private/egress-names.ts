import { createHash } from 'node:crypto';

const MAX_NAME = 63;

/**
 * A Kubernetes object name for `host` behind `prefix`, e.g. `egressgateway-for-edition-cnn-com`.
 * Names longer than a DNS label are cut and end in a hash of the host, so they stay unique and
 * the same from one synth to the next.
 */
export function hostObjectName(prefix: string, host: string): string {
  const name = `${prefix}${host.replace(/\./g, '-')}`;
  if (name.length <= MAX_NAME) return name;
  const hash = createHash('sha256').update(host).digest('hex').slice(0, 8);
  return `${name.slice(0, MAX_NAME - hash.length - 1).replace(/-+$/, '')}-${hash}`;
}
