import { MeshNamespace, MtlsMode, SidecarInjection, StrictNamespace } from '../src';
import { newChart, only, refusal, schemaValidatedEachFile, synth } from './util';

const valid = schemaValidatedEachFile();

describe('StrictNamespace', () => {
  test('defaults: injection label, STRICT PeerAuthentication, ISTIO_MUTUAL DestinationRule for the namespace', () => {
    const chart = newChart();
    new StrictNamespace(chart, 'project-space');
    const objects = valid(synth(chart));

    expect(objects.map((o) => o.kind)).toEqual(['Namespace', 'PeerAuthentication', 'DestinationRule']);
    const ns = only(objects, 'Namespace');
    expect(ns.metadata).toEqual({ name: 'project-space', labels: { 'istio-injection': 'enabled' } });
    const pa = only(objects, 'PeerAuthentication');
    expect(pa.apiVersion).toBe('security.istio.io/v1');
    expect(pa.metadata).toEqual({ name: 'default', namespace: 'project-space' });
    expect(pa.spec).toEqual({ mtls: { mode: 'STRICT' } });
    const dr = only(objects, 'DestinationRule');
    expect(dr.apiVersion).toBe('networking.istio.io/v1');
    expect(dr.metadata).toEqual({ name: 'default', namespace: 'project-space' });
    expect(dr.spec).toEqual({ host: '*.project-space.svc.cluster.local', trafficPolicy: { tls: { mode: 'ISTIO_MUTUAL' } } });
  });

  test('PERMISSIVE for migration, revision label, custom cluster domain, no client rule', () => {
    const chart = newChart();
    const ns = new StrictNamespace(chart, 'ns', {
      name: 'payments',
      mtlsMode: MtlsMode.PERMISSIVE,
      injection: SidecarInjection.revision('canary'),
      clusterDomain: 'corp.example',
      clientTls: false,
      labels: { team: 'payments' },
    });
    const objects = valid(synth(chart));
    expect(only(objects, 'Namespace').metadata.labels).toEqual({ 'istio.io/rev': 'canary', 'team': 'payments' });
    expect(only(objects, 'PeerAuthentication').spec.mtls.mode).toBe('PERMISSIVE');
    expect(objects.filter((o) => o.kind === 'DestinationRule')).toHaveLength(0);
    expect(ns.mtlsMode).toBe(MtlsMode.PERMISSIVE);
    expect(ns.sidecarInjection).toBe(true);
  });

  test('the client rule follows the cluster domain', () => {
    const chart = newChart();
    new StrictNamespace(chart, 'shop', { clusterDomain: 'corp.example' });
    expect(only(valid(synth(chart)), 'DestinationRule').spec.host).toBe('*.shop.svc.corp.example');
  });

  test('MeshNamespace: injection without a policy; disabled injection for legacy clients', () => {
    const chart = newChart();
    const bar = new MeshNamespace(chart, 'bar');
    const legacy = new MeshNamespace(chart, 'legacy', { injection: SidecarInjection.disabled() });
    const objects = valid(synth(chart));
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual(['Namespace/bar', 'Namespace/legacy']);
    expect(only(objects, 'Namespace', 'legacy').metadata.labels).toEqual({ 'istio-injection': 'disabled' });
    expect([bar.sidecarInjection, legacy.sidecarInjection]).toEqual([true, false]);
    expect(bar.mtlsMode).toBeUndefined();
  });

  describe('refuses', () => {
    test.each([
      ['Project-Space', /namespace name "Project-Space" is not a valid DNS-1123 label/],
      ['a'.repeat(64), /is not a valid DNS-1123 label: use 1-63/],
      ['under_score', /"under_score" is not a valid DNS-1123 label/],
      ['-dash', /"-dash"/],
    ])('namespace name %s', (name, message) => {
      const err = refusal(() => new StrictNamespace(newChart(), 'ns', { name }));
      expect(err.message).toMatch(message);
      expect(err.message).toMatch(/^test\/ns: /);
    });

    test.each(['cluster..local', 'Cluster.Local', 'local_', ''])('cluster domain %j', (clusterDomain) => {
      expect(refusal(() => new StrictNamespace(newChart(), 'ns', { clusterDomain })).message)
        .toMatch(/clusterDomain .* is not a valid domain: use dot-separated DNS-1123 labels/);
    });

    test('trust domain that is not a domain', () => {
      expect(refusal(() => new StrictNamespace(newChart(), 'ns', { trustDomain: 'spiffe://x' })).message)
        .toMatch(/trustDomain "spiffe:\/\/x" is not a valid domain/);
    });

    test.each([MtlsMode.DISABLE, MtlsMode.UNSET])('mode %s', (mtlsMode) => {
      expect(refusal(() => new StrictNamespace(newChart(), 'ns', { mtlsMode })).message)
        .toMatch(new RegExp(`mtlsMode "${mtlsMode}" is not allowed for a StrictNamespace: use STRICT, or PERMISSIVE`));
    });

    test('injection disabled', () => {
      expect(refusal(() => new StrictNamespace(newChart(), 'ns', { injection: SidecarInjection.disabled() })).message)
        .toMatch(/needs sidecar injection/);
    });

    test('a revision that is not a label value', () => {
      expect(refusal(() => new StrictNamespace(newChart(), 'ns', { injection: SidecarInjection.revision('1.30.3') })).message)
        .toMatch(/injection revision "1.30.3" is not a valid DNS-1123 label/);
    });

    test('the same namespace twice in one chart, naming both constructs', () => {
      const chart = newChart();
      new StrictNamespace(chart, 'first', { name: 'shop' });
      const err = refusal(() => new MeshNamespace(chart, 'second', { name: 'shop' }));
      expect(err.message).toBe('test/second: Namespace "/shop" is already emitted by test/first: give one of them another name or namespace.');
    });
  });

  test('the same namespace in two charts is allowed (charts are alternatives)', () => {
    const first = newChart('one');
    new StrictNamespace(first, 'shop');
    expect(() => new StrictNamespace(newChart('two'), 'shop')).not.toThrow();
  });
});
