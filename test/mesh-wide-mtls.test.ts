import { MeshWideMtls, MtlsMode, PeerAuthenticationPolicy, StrictNamespace } from '../src';
import { newChart, only, refusal, schemaValidatedEachFile, synth } from './util';

const valid = schemaValidatedEachFile();

describe('MeshWideMtls', () => {
  test('PeerAuthentication default in istio-system, STRICT, no selector', () => {
    const chart = newChart();
    new MeshWideMtls(chart, 'mesh');
    const pa = only(valid(synth(chart)), 'PeerAuthentication');
    expect(pa.metadata).toEqual({ name: 'default', namespace: 'istio-system' });
    expect(pa.spec).toEqual({ mtls: { mode: 'STRICT' } });
  });

  test('configurable root namespace and mode', () => {
    const chart = newChart();
    new MeshWideMtls(chart, 'mesh', { rootNamespace: 'istio-config', mode: MtlsMode.PERMISSIVE });
    const pa = only(valid(synth(chart)), 'PeerAuthentication');
    expect(pa.metadata.namespace).toBe('istio-config');
    expect(pa.spec.mtls.mode).toBe('PERMISSIVE');
  });

  test('refuses two mesh-wide policies in one root namespace', () => {
    const chart = newChart();
    new MeshWideMtls(chart, 'one');
    expect(refusal(() => new MeshWideMtls(chart, 'two', { mode: MtlsMode.PERMISSIVE })).message).toBe(
      'test/two: a mesh-wide mTLS policy for root namespace "istio-system" is already declared by test/one: '
      + 'Istio honours only one; keep a single MeshWideMtls per root namespace.');
  });

  test('allows one per root namespace', () => {
    const chart = newChart();
    new MeshWideMtls(chart, 'one');
    expect(() => new MeshWideMtls(chart, 'two', { rootNamespace: 'other-root' })).not.toThrow();
  });

  test('refuses a StrictNamespace policy that collides with the mesh-wide one', () => {
    const chart = newChart();
    new MeshWideMtls(chart, 'mesh');
    expect(refusal(() => new StrictNamespace(chart, 'istio-system')).message)
      .toMatch(/PeerAuthentication "istio-system\/default" is already emitted by test\/mesh\/Resource/);
  });

  test('refuses an invalid root namespace', () => {
    expect(refusal(() => new MeshWideMtls(newChart(), 'mesh', { rootNamespace: 'Istio System' })).message)
      .toMatch(/rootNamespace "Istio System" is not a valid DNS-1123 label/);
  });
});

describe('PeerAuthenticationPolicy', () => {
  test('workload selector with port-level modes, sorted by port', () => {
    const chart = newChart();
    const policy = new PeerAuthenticationPolicy(chart, 'pa', {
      namespace: 'bar',
      name: 'httpbin',
      selector: { app: 'httpbin' },
      portOverrides: [{ port: 9090, mode: MtlsMode.DISABLE }],
    });
    policy.addPortOverride(8080, MtlsMode.PERMISSIVE);
    const pa = only(valid(synth(chart)), 'PeerAuthentication');
    expect(pa.spec).toEqual({
      selector: { matchLabels: { app: 'httpbin' } },
      mtls: { mode: 'STRICT' },
      portLevelMtls: { 8080: { mode: 'PERMISSIVE' }, 9090: { mode: 'DISABLE' } },
    });
    expect(Object.keys(pa.spec.portLevelMtls)).toEqual(['8080', '9090']);
  });

  test('refuses port-level mTLS without a workload selector', () => {
    expect(refusal(() => new PeerAuthenticationPolicy(newChart(), 'pa', {
      namespace: 'foo', portOverrides: [{ port: 8080, mode: MtlsMode.DISABLE }],
    })).message).toMatch(/test\/pa: port-level mTLS for port 8080 needs a workload selector: Istio ignores portLevelMtls on namespace-wide/);
  });

  test.each([0, 65536, -1, 1.5])('refuses port %p', (port) => {
    expect(refusal(() => new PeerAuthenticationPolicy(newChart(), 'pa', {
      namespace: 'foo', selector: { app: 'x' }, portOverrides: [{ port, mode: MtlsMode.DISABLE }],
    })).message).toMatch(new RegExp(`port-level mTLS port ${port} is not a valid port: use a whole number from 1 to 65535`));
  });

  test('accepts the boundary ports 1 and 65535', () => {
    const chart = newChart();
    new PeerAuthenticationPolicy(chart, 'pa', {
      namespace: 'foo', selector: { app: 'x' },
      portOverrides: [{ port: 1, mode: MtlsMode.DISABLE }, { port: 65535, mode: MtlsMode.PERMISSIVE }],
    });
    expect(Object.keys(only(valid(synth(chart)), 'PeerAuthentication').spec.portLevelMtls)).toEqual(['1', '65535']);
  });

  test('refuses the same port twice', () => {
    expect(refusal(() => new PeerAuthenticationPolicy(newChart(), 'pa', {
      namespace: 'foo', selector: { app: 'x' },
      portOverrides: [{ port: 80, mode: MtlsMode.DISABLE }, { port: 80, mode: MtlsMode.STRICT }],
    })).message).toMatch(/port-level mTLS for port 80 is given twice/);
  });

  test('refuses an empty selector', () => {
    expect(refusal(() => new PeerAuthenticationPolicy(newChart(), 'pa', { namespace: 'foo', selector: {} })).message)
      .toMatch(/selector \{\} selects every pod/);
  });
});

test('Errors.isIstioSecurityError recognises refusals (the jsii-safe check)', () => {
  const { Errors } = require('../src');
  const err = refusal(() => new MeshWideMtls(newChart(), 'mesh', { rootNamespace: 'BAD' }));
  expect(Errors.isIstioSecurityError(err)).toBe(true);
  expect(Errors.isIstioSecurityError(new Error('other'))).toBe(false);
  expect(err.constructPath).toBe('test/mesh');
});
