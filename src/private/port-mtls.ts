import { IConstruct } from 'constructs';
import { IstioSecurityError } from '../errors';
import type { MtlsMode } from '../mtls-mode';
import type { PortMtls } from '../peer-authentication-policy';
import { KnownKeys, assertRecord, quote } from './validate';

const PORT_MTLS_KEYS: KnownKeys<PortMtls> = { port: true, mode: true };

/** A PortMtls as given: a record with a port and a mode, read once (the caller checks both). */
export function portMtls(scope: IConstruct, what: string, value: unknown): PortMtls {
  const o = assertRecord(scope, what, value, 'a port override: { port, mode }');
  for (const key of Object.keys(o)) {
    if (!Object.prototype.hasOwnProperty.call(PORT_MTLS_KEYS, key)) {
      throw new IstioSecurityError(scope, `${what} has no property ${quote(key)}: use port and mode.`);
    }
  }
  return { port: o.port as number, mode: o.mode as MtlsMode };
}
