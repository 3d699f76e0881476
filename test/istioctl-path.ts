// Where istioctl is: $ISTIOCTL, the cache of .ci/install-istioctl.sh, or PATH.
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';

export function findIstioctl(): string | undefined {
  const candidates = [
    process.env.ISTIOCTL,
    join(homedir(), '.cache', 'cdk8s-istio-security', 'istioctl-1.30.3', 'istioctl'),
    ...(process.env.PATH ?? '').split(delimiter).map((dir) => join(dir, 'istioctl')),
  ];
  return candidates.find((path): path is string => !!path && existsSync(path));
}
