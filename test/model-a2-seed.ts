// Seed 002's result table for the example's three A2 variants, shared by the model's and the diff's tests.
import { Testing } from 'cdk8s';
import { PolicyScope, policyScopeChart } from '../example/mtls-charts';
import { MeshModel } from '../src/model';

export const A2_NAMESPACES = ['foo', 'bar', 'legacy'];

/**
 * The article's results, per variant: the calls that fail. "All requests from legacy fail" under
 * mesh-wide STRICT means every request from legacy into the mesh (foo and bar): sleep.legacy ->
 * httpbin.legacy runs between two pods without a sidecar, where no Istio proxy could refuse it.
 */
export const A2_FAILING: Record<PolicyScope, string[]> = {
  [PolicyScope.MESH]: ['legacy -> foo', 'legacy -> bar'],
  [PolicyScope.NAMESPACE]: ['legacy -> foo'],
  [PolicyScope.WORKLOAD]: ['legacy -> bar'],
};

/** The model of one A2 variant. */
export function a2Model(scope: PolicyScope): MeshModel {
  return MeshModel.of(policyScopeChart(Testing.app(), scope).toJson());
}
