import { IConstruct } from 'constructs';
import { IstioSecurityError } from '../errors';

/** Metadata type of the warnings constructs record on their node. */
export const WARNING_METADATA = 'istio-security:warning';

const printed = new WeakMap<IConstruct, Set<string>>();

/**
 * Records a warning on `scope` (node metadata, for tools and tests) and prints it to stderr,
 * once per construct and message. Call it while the app is synthesized.
 */
export function emitWarning(scope: IConstruct, message: string): void {
  const done = printed.get(scope) ?? new Set<string>();
  printed.set(scope, done);
  if (done.has(message)) return;
  done.add(message);
  if (!scope.node.metadata.some((m) => m.type === WARNING_METADATA && m.data === message)) {
    scope.node.addMetadata(WARNING_METADATA, message);
  }
  process.stderr.write(`WARNING: ${scope.node.path}: ${message}\n`);
}

/**
 * A warning known at construction time, printed when the app is synthesized. cdk8s has no
 * warnings API; a validation that reports no error is the hook that runs at synth time.
 */
export function warnAtSynth(scope: IConstruct, message: string): void {
  scope.node.addMetadata(WARNING_METADATA, message);
  scope.node.addValidation({
    validate: () => {
      emitWarning(scope, message);
      return [];
    },
  });
}

/**
 * A refusal only the whole chart shows, made when the app is synthesized: thrown as an
 * IstioSecurityError (not returned to cdk8s, which would wrap it in a plain Error), so that every
 * language tells it from a bug the same way as a refusal at construction.
 */
export function refuseAtSynth(scope: IConstruct, problems: () => string[]): void {
  scope.node.addValidation({
    validate: () => {
      const found = problems();
      if (found.length > 0) throw new IstioSecurityError(scope, found.join(' '));
      return [];
    },
  });
}
