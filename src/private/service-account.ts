import { Construct, IConstruct } from 'constructs';
import { IstioSecurityError } from '../errors';
import { WorkloadIdentity } from '../identity';
import type { IMeshServiceAccount } from '../mesh-service-account';
import { assertDnsLabel, assertDnsSubdomain, quote, recordedProblem } from './validate';

/**
 * Checks a service account a workload runs as (`what` names the prop): a MeshServiceAccount, a
 * `MeshServiceAccount.fromName` reference, or an object of another language implementing
 * IMeshServiceAccount. Its identity must be its own (same namespace and name) and in the
 * workload's namespace: pods run only as accounts of their own namespace. Returns the fields,
 * read once.
 */
export function checkServiceAccount(scope: IConstruct, what: string, value: unknown, namespace: string): IMeshServiceAccount {
  const problem = recordedProblem(value);
  if (problem !== undefined) throw new IstioSecurityError(scope, `${what}: ${problem}`);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new IstioSecurityError(scope, `${what} ${quote(value)} is not a service account: pass a MeshServiceAccount or MeshServiceAccount.fromName(namespace, name).`);
  }
  const account = value as IMeshServiceAccount;
  const name = assertDnsLabel(scope, `${what} name`, account.name);
  const accountNamespace = assertDnsLabel(scope, `${what} namespace`, account.namespace);
  const identity = account.identity;
  if (!(identity instanceof WorkloadIdentity)) {
    throw new IstioSecurityError(scope, `${what} "${accountNamespace}/${name}" has identity ${quote(identity)}, not a WorkloadIdentity: `
      + 'pass a MeshServiceAccount or MeshServiceAccount.fromName(namespace, name).');
  }
  assertDnsSubdomain(scope, `${what} trust domain`, identity.trustDomain);
  if (identity.namespace !== accountNamespace || identity.serviceAccount !== name) {
    throw new IstioSecurityError(scope, `${what} "${accountNamespace}/${name}" claims identity ${identity.principal}, which is another account's: `
      + 'an account\'s identity is <trust domain>/ns/<its namespace>/sa/<its name>.');
  }
  if (accountNamespace !== namespace) {
    throw new IstioSecurityError(scope, `${what} "${accountNamespace}/${name}" is in another namespace: pods run only as accounts of their own namespace "${namespace}".`);
  }
  // A construct's fields are fixed; a plain object's are read once here.
  return Construct.isConstruct(value) ? account : { name, namespace: accountNamespace, identity };
}
