// The behaviour snapshot: sorted, stable whatever the input order, and groups for large inputs.
import { MeshModel, toSnapshot } from '../src/model';
import { deployment, namespace, peerAuthentication, service } from './model-fixtures';

function platform(namespaces: number, perNamespace: number): any[] {
  const objects: any[] = [peerAuthentication('istio-system', 'default', { mtls: { mode: 'STRICT' } })];
  for (let i = 0; i < namespaces; i++) {
    objects.push(namespace(`team-${i}`, i === 0 ? { 'istio-injection': 'disabled' } : undefined));
    for (let j = 0; j < perNamespace; j++) objects.push(deployment(`team-${i}`, `svc-${j}`, { ports: [8080] }), service(`team-${i}`, `svc-${j}`, [{ port: 80, targetPort: 8080, name: 'http' }]));
  }
  return objects;
}

test('the order of the input does not matter', () => {
  const objects = platform(3, 2);
  expect(toSnapshot(MeshModel.of([...objects].reverse()))).toBe(toSnapshot(MeshModel.of(objects)));
});

test('rows under the outcome and reason they share', () => {
  const snapshot = toSnapshot(MeshModel.of(platform(2, 1)));
  expect(snapshot).toBe(`mesh: 2 workloads, 4 calls, 0 egress paths, 0 findings
workloads:
  team-0/svc-0 no-sidecar spiffe://cluster.local/ns/team-0/sa/svc-0
  team-1/svc-0 sidecar spiffe://cluster.local/ns/team-1/sa/svc-0
call outcome=mtls: auto mTLS (server has a sidecar); server STRICT (mesh-wide PeerAuthentication istio-system/default)
  team-1/svc-0 -> team-1/svc-0:80
call outcome=plaintext: auto mTLS sends plaintext (server has no sidecar)
  team-1/svc-0 -> team-0/svc-0:80
call outcome=plaintext: client has no sidecar: plaintext; server has no sidecar
  team-0/svc-0 -> team-0/svc-0:80
call outcome=rejected: client has no sidecar: plaintext; server STRICT (mesh-wide PeerAuthentication istio-system/default) refuses plaintext
  team-0/svc-0 -> team-1/svc-0:80
`);
});

test('above 5,000 calls: groups of alike calls, not rows', () => {
  const snapshot = toSnapshot(MeshModel.of(platform(8, 10)));
  expect(snapshot.split('\n')[0]).toBe('mesh: 80 workloads, 6,400 calls, 0 egress paths, 0 findings');
  const groups = snapshot.split('\n').filter((l) => l.startsWith('calls '));
  expect(groups).toEqual([
    'calls mtls x4900 (70 clients, 70 server ports): auto mTLS; server STRICT (mesh policy); team-1 -> team-1, team-1 -> team-2, team-1 -> team-3, team-1 -> team-4, team-1 -> team-5, ...',
    'calls plaintext x100 (10 clients, 10 server ports): client without sidecar; server without sidecar; team-0 -> team-0',
    'calls plaintext x700 (70 clients, 10 server ports): auto mTLS, plaintext to server without sidecar; team-1 -> team-0, team-2 -> team-0, team-3 -> team-0, team-4 -> team-0, team-5 -> team-0, ...',
    'calls rejected x700 (10 clients, 70 server ports): client without sidecar; server STRICT (mesh policy); team-0 -> team-1, team-0 -> team-2, team-0 -> team-3, team-0 -> team-4, team-0 -> team-5, ...',
  ]);
});

test('the text matrix marks a conditional allow (methods, paths) with a star, and counts say what they count', () => {
  const { renderText } = require('../src/model');
  const objects = [namespace('shop'), deployment('shop', 'web', { ports: [8080] }), service('shop', 'web', [{ port: 80, targetPort: 8080, name: 'http' }]),
    { apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name: 'get-only', namespace: 'shop' },
      spec: { selector: { matchLabels: { app: 'web' } }, action: 'ALLOW', rules: [{ to: [{ operation: { methods: ['GET'] } }] }] } }];
  const text: string = renderText(MeshModel.of(objects));
  expect(text).toContain('1 workload (1 with a sidecar) in 1 namespace, 1 server port (a Service port on a workload it selects), 1 call, 0 egress paths.');
  expect(text).toMatch(/shop\/web\s+mtls\* \[1\]/);
  expect(text).toContain('* allowed for some requests only (the rule names methods, paths or other request fields): see the reason.');
});
