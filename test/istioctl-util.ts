import { spawnSync } from 'node:child_process';
import { findIstioctl } from './istioctl-path';

/**
 * istioctl for a suite that needs it: fails when REQUIRE_ISTIOCTL=1 and there is none, otherwise
 * says that the suite is skipped.
 */
export function requireIstioctl(suite: string): string | undefined {
  const istioctl = findIstioctl();
  if (!istioctl) {
    if (process.env.REQUIRE_ISTIOCTL === '1') {
      throw new Error('REQUIRE_ISTIOCTL=1 but istioctl was not found: run .ci/install-istioctl.sh or set ISTIOCTL.');
    }
    // eslint-disable-next-line no-console
    console.warn(`istioctl not found (set ISTIOCTL or run .ci/install-istioctl.sh): skipping ${suite}.`);
  }
  return istioctl;
}

export function runIstioctl(istioctl: string, args: string[]): { status: number | null; output: string } {
  const result = spawnSync(istioctl, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}
