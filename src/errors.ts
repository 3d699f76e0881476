import { IConstruct } from 'constructs';

/**
 * The error every construct of this library throws for input it refuses.
 *
 * The message starts with the construct path, names the bad value and says what is allowed.
 * Not part of the jsii API (jsii classes cannot extend Error): other languages use `Errors`.
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

/** Recognises the library's errors, in every language. */
export class Errors {
  /** Whether `error` is an input refusal thrown by this library. */
  public static isIstioSecurityError(error: any): boolean {
    return error instanceof IstioSecurityError;
  }

  private constructor() {}
}
