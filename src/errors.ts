import { IConstruct } from 'constructs';

/**
 * The error every construct of this library throws for input it refuses.
 *
 * The message starts with the construct path, names the bad value and says what is allowed.
 */
export class IstioSecurityError extends Error {
  /** Path of the construct that refused the input. */
  public readonly constructPath: string;

  public constructor(scope: IConstruct, message: string) {
    const path = scope.node.path || '<root>';
    super(`${path}: ${message}`);
    this.name = 'IstioSecurityError';
    this.constructPath = path;
    Object.setPrototypeOf(this, IstioSecurityError.prototype);
  }
}
