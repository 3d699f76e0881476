import { IConstruct } from 'constructs';

/** Name of the library's errors, and the prefix jsii's kernel gives their messages in other languages. */
const ERROR_NAME = 'IstioSecurityError';

/** Messages of the latest refusals, for `Errors.isIstioSecurityErrorMessage` (other languages only see the text). */
const recentMessages = new Set<string>();
const RECENT_LIMIT = 256;

function remember(message: string): void {
  recentMessages.add(message);
  if (recentMessages.size > RECENT_LIMIT) recentMessages.delete(recentMessages.values().next().value!);
}

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
    this.name = ERROR_NAME;
    this.constructPath = path;
    Object.setPrototypeOf(this, IstioSecurityError.prototype);
    remember(this.message);
  }
}

/**
 * Tells the library's refusals from other errors, in every language.
 *
 * In TypeScript and JavaScript the error itself says it: `isIstioSecurityError(e)`. Other jsii
 * languages receive a generic error (Python a `RuntimeError`, Java a `JsiiError`, C# a
 * `JsiiException`, Go an `error`) that carries only the text, so they pass the text:
 * `Errors.is_istio_security_error_message(str(e))` in Python, `Errors.isIstioSecurityErrorMessage(e.getMessage())`
 * in Java.
 */
export class Errors {
  /**
   * Whether `error` is an input refusal thrown by this library. Takes the error (TypeScript and
   * JavaScript), or its message as text (every language: see `isIstioSecurityErrorMessage`).
   */
  public static isIstioSecurityError(error: any): boolean {
    return error instanceof IstioSecurityError || (typeof error === 'string' && Errors.isIstioSecurityErrorMessage(error));
  }

  /**
   * Whether `message`, the text of an error as another language receives it, is an input refusal
   * thrown by this library. jsii hands the error over as `IstioSecurityError: <construct path>: ...`
   * (or, in older versions, without the prefix); both forms are recognised, for the refusals of the
   * running program.
   */
  public static isIstioSecurityErrorMessage(message: string): boolean {
    if (typeof message !== 'string') return false;
    const text = message.startsWith(`${ERROR_NAME}: `) ? message.slice(ERROR_NAME.length + 2) : message;
    return recentMessages.has(text);
  }

  private constructor() {}
}
