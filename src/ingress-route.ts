import { ApiObject, Chart } from 'cdk8s';
import { Construct, IConstruct } from 'constructs';
import { Gateway, GatewaySpecServersTlsMode, VirtualService } from '../imports/networking.istio.io';
import { IstioSecurityError } from './errors';
import { GatewayCertificate } from './gateway-certificate';
import { IngressGateway } from './ingress-gateway';
import { IngressTls, IngressTlsMode } from './ingress-tls';
import { evalRule } from './model/authorization';
import { AppProtocol } from './app-protocol';
import { MeshWorkload } from './mesh-workload';
import { IMeshWorkload } from './mesh-workload-interface';
import { MtlsMode } from './mtls-mode';
import { HTTP_PROTOCOLS } from './private/authz-rules';
import { CheckedCredential, checkCredential, checkSecretUse, pemSecret, referSecret } from './private/egress-credentials';
import { checkServerPort, gatewayPodsKey, recordServerHost, serverHostHolder } from './private/gateway-servers';
import { checkHostName } from './private/host-names';
import { IngressAdmission, isDefaultDeny, registerAdmission, registerIngressServer, workloadPolicies } from './private/ingress-admission';
import { boundedName, hostObjectName } from './private/names';
import { claim, holderOf, objectKey } from './private/registry';
import { rollback } from './private/transaction';
import { KnownKeys, assertDnsLabel, assertEnumValue, assertPort, assertProps, assertRequired, assertUnique, quote, recordedProblem } from './private/validate';
import { show } from './private/show';
import { refuseAtSynth, warnAtSynth } from './private/warnings';
import { assertMeshWorkload, workloadTraits } from './private/workload-check';
import { WorkloadAuthorization } from './workload-authorization';
import { WorkloadPort } from './workload-port';

export interface IngressRouteProps {
  /** The ingress gateway the calls come in through. */
  readonly ingressGateway: IngressGateway;
  /**
   * Host names clients call, exact (`httpbin.example.com`) or a wildcard first label
   * (`*.example.com`). They are the Gateway server's and the VirtualService's hosts.
   */
  readonly hosts: string[];
  /**
   * The workload the calls go to, through its Service: a MeshWorkload, a MeshService (every
   * version; a VirtualService of its own can split the traffic), or an AdoptedWorkload with `service`.
   */
  readonly workload: IMeshWorkload;
  /**
   * The Service of a workload this library did not create (an AdoptedWorkload): its name in the
   * workload's namespace, the port to call and what the pods listen on behind it.
   * @default - the Service of the MeshWorkload or MeshService
   */
  readonly service?: IngressServiceOptions;
  /**
   * The workload's Service port the gateway sends the calls to.
   * @default - the workload's only port (required when it has several)
   */
  readonly port?: number;
  /**
   * What the gateway does with the client's TLS: `IngressTls.simple(...)`, `.mutual(...)`,
   * `.passthrough()`, or `.plainHttp({ acknowledgePlaintext: true })`.
   */
  readonly tls: IngressTls;
  /**
   * Namespace of the Gateway and the VirtualService.
   * @default - the workload's namespace
   */
  readonly namespace?: string;
  /**
   * Name of the Gateway and the VirtualService.
   * @default - the first host with dots as dashes (`httpbin-example-com`, `*` as `wildcard`), and
   * `-<gateway port>` when the port is not the mode's usual one (80 for plain HTTP, 443 for TLS)
   */
  readonly name?: string;
}

/** The Service in front of pods this library did not create. */
export interface IngressServiceOptions {
  /** Name of the Service, in the workload's namespace. */
  readonly name: string;
  /** The Service port the gateway calls. */
  readonly port: number;
  /**
   * The pods' port behind it (what authorization rules match).
   * @default - same as `port`
   */
  readonly containerPort?: number;
  /**
   * What the port speaks.
   * @default AppProtocol.HTTP
   */
  readonly protocol?: AppProtocol;
}

/** The Service port a route sends its calls to. */
interface Target {
  readonly host: string;
  readonly port: number;
  readonly containerPort: number;
  readonly protocol: string;
}

/** One host on a gateway, served in plaintext or with TLS, for the check that a host is not served both ways. */
interface HostTransport { readonly host: string; readonly tls: boolean; readonly port: number; readonly holder: IConstruct }
const transportsByChart = new WeakMap<IConstruct, Map<string, HostTransport[]>>();

/** Istio's Gateway server protocol for each mode. */
const PROTOCOL: Record<IngressTlsMode, string> = {
  [IngressTlsMode.NONE]: 'HTTP',
  [IngressTlsMode.SIMPLE]: 'HTTPS',
  [IngressTlsMode.MUTUAL]: 'HTTPS',
  [IngressTlsMode.PASSTHROUGH]: 'TLS',
};

const GATEWAY_CERTIFICATE = { what: 'gateway certificate', factory: 'GatewayCertificate' };
const INGRESS_ROUTE_PROPS: KnownKeys<IngressRouteProps> = {
  ingressGateway: true, hosts: true, workload: true, service: true, port: true, tls: true, namespace: true, name: true,
};
const FINGERPRINT = /^([0-9A-Fa-f]{2}:){31}[0-9A-Fa-f]{2}$|^[0-9A-Fa-f]{64}$/;
const SPKI = /^[A-Za-z0-9+/]{43}=$/;

/**
 * Lets calls from outside the mesh in through the ingress gateway: one or more hosts on one port
 * of the gateway, to one Service port of a workload, with the TLS at the edge typed.
 *
 * It emits what Istio's ingress tasks write by hand: a Gateway (its server on the gateway pods,
 * hosts scoped to the route's namespace, `tls` as chosen) and a VirtualService bound to that
 * Gateway that sends the hosts' calls to the workload's Service. A certificate made from PEM
 * goes into a Secret in the gateway's namespace (type `kubernetes.io/tls`), where the gateway reads it.
 *
 * **The gateway's identity.** The gateway is a proxy with its own identity (its service
 * account); with auto mTLS it calls the workload over mesh mTLS. When the workload has ALLOW
 * policies (from this library) or its namespace denies by default (DefaultDeny in the same
 * chart), the route adds the rule that lets the gateway in, to the route's container port only,
 * whether the policies come before or after the route. A DENY rule of the workload that refuses
 * the gateway fails synthesis, naming the policy.
 *
 * **Many routes, one gateway.** Each route has its own Gateway and VirtualService, named after
 * its first host. Within a chart the route refuses two servers for one host on one gateway port,
 * plaintext and TLS servers on one gateway port, and a host served in plaintext on a gateway that
 * also serves it with TLS (use `httpsRedirect`). Charts are not checked against each other.
 */
export class IngressRoute extends Construct {
  public readonly hosts: string[];
  /** Name of the Gateway and the VirtualService. */
  public readonly name: string;
  /** Namespace of the Gateway and the VirtualService. */
  public readonly namespace: string;
  public readonly ingressGateway: IngressGateway;
  public readonly tls: IngressTls;
  public readonly workload: IMeshWorkload;
  /** The host of the Service the calls go to. */
  public readonly serviceHost: string;
  /** The workload's Service port the calls go to. */
  public readonly servicePort: number;
  /** The container port behind it (what authorization rules match). */
  public readonly containerPort: number;
  /** The Gateway (servers on the ingress gateway pods). */
  public readonly gateway: ApiObject;
  /** The VirtualService bound to the Gateway (child id `Resource`). */
  public readonly virtualService: ApiObject;
  /** The certificate Secret this route creates (`GatewayCertificate.fromPem`). */
  public readonly certificateSecret?: ApiObject;
  private readonly protocol: string;

  public constructor(scope: Construct, id: string, props: IngressRouteProps) {
    super(scope, id);
    // A refused route leaves nothing behind: not even itself, so the same id can be used again.
    try {
      const p = assertProps(this, 'props', props, INGRESS_ROUTE_PROPS);
      assertRequired(this, p, ['ingressGateway', 'hosts', 'workload', 'tls']);
      const gateway = p.ingressGateway;
      if (!(gateway instanceof IngressGateway)) {
        throw new IstioSecurityError(this, `ingressGateway ${quote(gateway)} is not an IngressGateway: use IngressGateway.istio(...).`);
      }
      gateway.validate(this);
      const tls = p.tls;
      if (!(tls instanceof IngressTls)) {
        throw new IstioSecurityError(this, `tls ${quote(tls)} is not an IngressTls: use IngressTls.simple, .mutual, .passthrough or .plainHttp.`);
      }
      const tlsProblem = recordedProblem(tls);
      if (tlsProblem !== undefined) throw new IstioSecurityError(this, tlsProblem);
      const mode = assertEnumValue(this, 'tls mode', tls.mode, IngressTlsMode);
      const gatewayPort = checkGatewayPort(this, gateway, 'gatewayPort', tls.gatewayPort);
      const hosts = checkHosts(this, p.hosts, gateway.clusterDomain);
      const workload = assertMeshWorkload(this, 'workload', p.workload);
      const target = targetOf(this, workload, p.port, p.service, gateway.clusterDomain);
      checkProtocol(this, mode, workload, target);
      const settings = tls._settings;
      const redirectPort = checkSettings(this, mode, gateway, gatewayPort, settings);
      const namespace = assertDnsLabel(this, 'namespace', p.namespace ?? workload.namespace);
      const name = assertDnsLabel(this, 'name', p.name ?? defaultName(hosts[0], mode, gatewayPort));
      // The VirtualService names its Gateway by this short name, which Istio validates as a domain
      // (pkg/config/validation/validation.go validateGatewayNames -> agent.ValidateFQDN).
      if (/^[0-9]+$/.test(name)) {
        throw new IstioSecurityError(this, `name ${quote(name)} is all digits: Istio reads the VirtualService's gateway reference "${name}" as a domain `
          + `and refuses an all-numeric one; use a name with a letter, e.g. "route-${name}".`);
      }

      // Every conflict is found before anything is claimed or created.
      const pods = gatewayPodsKey(gateway.selector);
      const serverClaims = [
        ...hosts.map((host) => ({ port: gatewayPort, host })),
        ...(redirectPort !== undefined ? hosts.map((host) => ({ port: redirectPort, host })) : []),
      ];
      for (const { port, host } of serverClaims) {
        const holder = serverHostHolder(this, gateway.selector, port, host);
        if (holder) {
          throw new IstioSecurityError(this, `gateway port ${port} already has a server for "${host}" (route ${holder.node.path}): `
            + 'the gateway could not tell the two routes apart; route the host once, or use another gatewayPort.');
        }
      }
      for (const kind of ['Gateway', 'VirtualService']) {
        const holder = holderOf(this, objectKey(kind, namespace, name));
        if (holder) {
          throw new IstioSecurityError(this, `${kind} "${namespace}/${name}" is already emitted by ${holder.node.path}: give this route another name.`);
        }
      }
      const hint = 'Give this route another gatewayPort (plain HTTP on 80, TLS on 443).';
      const recordPort = checkServerPort(this, gateway.selector, gatewayPort, mode !== IngressTlsMode.NONE, hosts[0], hint);
      const recordRedirect = redirectPort !== undefined ? checkServerPort(this, gateway.selector, redirectPort, false, hosts[0], hint) : undefined;
      const transports = checkTransport(this, pods, hosts, mode, gatewayPort);
      const certificate: CheckedCredential | undefined = settings.certificate instanceof GatewayCertificate
        ? checkCredential(this, GATEWAY_CERTIFICATE, settings.certificate) : undefined;
      if (certificate) checkSecretUse(this, GATEWAY_CERTIFICATE, gateway.namespace, certificate.secretName, certificate);

      this.hosts = hosts;
      this.name = name;
      this.namespace = namespace;
      this.ingressGateway = gateway;
      this.tls = tls;
      this.workload = workload;
      this.serviceHost = target.host;
      this.servicePort = target.port;
      this.containerPort = target.containerPort;
      this.protocol = target.protocol;

      if (certificate?.pem) {
        this.certificateSecret = pemSecret(this, { kind: GATEWAY_CERTIFICATE, checked: certificate, namespace: gateway.namespace, type: 'kubernetes.io/tls', id: 'Certificate' });
      } else if (certificate) {
        referSecret(this, gateway.namespace, certificate.secretName);
      }
      for (const { port, host } of serverClaims) recordServerHost(this, gateway.selector, port, host);
      claim(this, objectKey('Gateway', namespace, name), () => '');
      claim(this, objectKey('VirtualService', namespace, name), () => '');
      recordPort();
      recordRedirect?.();
      transports.push(...hosts.map((host) => ({ host, tls: mode !== IngressTlsMode.NONE, port: gatewayPort, holder: this })));

      // Hosts scoped to the route's namespace: only VirtualServices there may bind them.
      const scoped = hosts.map((h) => `./${h}`);
      const servers: object[] = [{
        port: { number: gatewayPort, name: `${PROTOCOL[mode].toLowerCase()}-${gatewayPort}`, protocol: PROTOCOL[mode] },
        hosts: scoped,
        ...(mode === IngressTlsMode.NONE ? {} : { tls: renderTls(mode, settings) }),
      }];
      if (redirectPort !== undefined) {
        servers.push({ port: { number: redirectPort, name: `http-${redirectPort}`, protocol: 'HTTP' }, hosts: scoped, tls: { httpsRedirect: true } });
      }
      this.gateway = new Gateway(this, 'Gateway', {
        metadata: { name, namespace },
        spec: { selector: { ...gateway.selector }, servers: servers as any },
      });
      const destination = { destination: { host: target.host, port: { number: target.port } } };
      this.virtualService = new VirtualService(this, 'Resource', {
        metadata: { name, namespace },
        spec: {
          hosts: [...hosts],
          gateways: [name],
          ...(mode === IngressTlsMode.PASSTHROUGH
            ? { tls: [{ match: [{ port: gatewayPort, sniHosts: [...hosts] }], route: [destination] }] }
            : { http: [{ match: [{ port: gatewayPort }], route: [destination] }] }),
        },
      });

      registerIngressServer({ route: this, pods, targetPort: gateway.targetPortOf(gatewayPort)!, passthrough: mode === IngressTlsMode.PASSTHROUGH });
      const admission: IngressAdmission = { route: this, workload, namespace: workload.namespace, peer: gateway.peer, containerPort: this.containerPort };
      registerAdmission(admission);
      if (workload.sidecar) {
        const allow = workloadPolicies(workload).find((p) => p.action === 'ALLOW')?.construct as WorkloadAuthorization | undefined;
        if (allow) allow._admitIngress(admission);
        else if (isDefaultDeny(workload, workload.namespace)) WorkloadAuthorization.of(workload)._admitIngress(admission);
      }
      refuseAtSynth(this, () => this.gatewayRefusals());
      warnAbout(this, mode, hosts, gatewayPort);
    } catch (err) {
      throw rollback(this, err);
    }
  }

  /** Policies of the workload that would still refuse the gateway on the route's port. */
  private gatewayRefusals(): string[] {
    const workload = this.workload;
    if (!workload.sidecar) return [];
    const principal = this.ingressGateway.identity.principal;
    const mode = workloadTraits(workload)?.mtlsModeForPort(this.containerPort) ?? MtlsMode.PERMISSIVE;
    const mtls = mode !== MtlsMode.DISABLE;
    const facts = {
      principal: mtls ? principal : undefined,
      namespace: mtls ? this.ingressGateway.namespace : undefined,
      port: this.containerPort,
      http: HTTP_PROTOCOLS.includes(this.protocol),
    };
    const errors: string[] = [];
    for (const policy of workloadPolicies(workload)) {
      if (policy.action !== 'DENY') continue;
      const rules = policy.rules();
      // pilot/pkg/security/authz/builder/builder.go Builder.build: any matching DENY rule refuses the request.
      const index = rules.findIndex((rule) => evalRule(rule, facts, 'DENY') === 'yes');
      if (index >= 0) {
        errors.push(`rule ${index + 1} of DENY AuthorizationPolicy "${policy.namespace}/${policy.name}" (${policy.construct.node.path}) refuses `
          + `the ingress gateway (${principal}) on port ${this.containerPort}, so every call through this route would be denied: `
          + 'spare the gateway (exceptPeers: [ingressGateway.peer]), or narrow the rule.');
      }
    }
    const allows = workloadPolicies(workload).filter((p) => p.action === 'ALLOW');
    if (!mtls && (allows.length > 0 || isDefaultDeny(workload, workload.namespace))) {
      errors.push(`port ${this.containerPort} of ${workload.node.path} is DISABLE, so the ingress gateway calls it in plaintext, without `
        + 'an identity, and no ALLOW rule by identity can let it in: make the port STRICT or PERMISSIVE.');
    }
    return errors;
  }
}

function checkGatewayPort(scope: IConstruct, gateway: IngressGateway, what: string, port: number): number {
  assertPort(scope, what, port);
  if (!gateway.exposes(port)) {
    throw new IstioSecurityError(scope, `${what} ${port} is not a port of the ingress gateway Service ${gateway.host} `
      + `(it exposes ${gateway.ports.map((p) => p.port).join(', ')}): use one of them, or list the port in IngressGateway.istio({ ports }).`);
  }
  return port;
}

function checkHosts(scope: IConstruct, hosts: string[], clusterDomain: string): string[] {
  if (!Array.isArray(hosts) || hosts.length === 0) {
    throw new IstioSecurityError(scope, `hosts ${show(hosts)} names no host: list the host names clients call, e.g. ["httpbin.example.com"].`);
  }
  for (const host of hosts) {
    checkHostName(scope, host, { what: 'hosts entry', example: 'httpbin.example.com', noun: 'the host clients call', router: 'the ingress gateway', clusterDomain });
  }
  assertUnique(scope, 'hosts entry', hosts);
  return [...hosts];
}

function targetOf(scope: IConstruct, workload: IMeshWorkload, port: number | undefined, service: IngressServiceOptions | undefined,
  clusterDomain: string): Target {
  if (workload instanceof MeshWorkload && workload.meshService) {
    throw new IstioSecurityError(scope, `workload ${workload.node.path} is one version of MeshService ${workload.meshService.node.path}, whose `
      + 'Service selects every version: route to the MeshService.');
  }
  const ports = workloadTraits(workload)?.servicePorts?.();
  const host = (workload as { host?: unknown }).host;
  if (!ports || typeof host !== 'string') {
    if (service === undefined || service === null) {
      throw new IstioSecurityError(scope, `the Service of workload ${workload.node.path} is not known to this library: name it and its port `
        + '(service: { name, port }).');
    }
    if (port !== undefined && port !== null) throw new IstioSecurityError(scope, 'give the port in service.port, not in port.');
    const name = assertDnsLabel(scope, 'service name', service.name);
    const servicePort = assertPort(scope, 'service port', service.port);
    const containerPort = assertPort(scope, 'service containerPort', service.containerPort ?? servicePort);
    const protocol = assertEnumValue(scope, 'service protocol', service.protocol ?? AppProtocol.HTTP, AppProtocol);
    return { host: `${name}.${workload.namespace}.svc.${clusterDomain}`, port: servicePort, containerPort, protocol };
  }
  if (service !== undefined && service !== null) {
    throw new IstioSecurityError(scope, `workload ${workload.node.path} has its own Service (${host}): leave service out, and name the port with port.`);
  }
  if (ports.length === 0) {
    throw new IstioSecurityError(scope, `workload ${workload.node.path} serves no ports, so there is nothing to route to: declare its ports.`);
  }
  const found = pickPort(scope, workload, ports, port);
  return { host, port: found.port, containerPort: found.containerPort ?? found.port, protocol: found.protocol ?? AppProtocol.HTTP };
}

function pickPort(scope: IConstruct, workload: IMeshWorkload, ports: WorkloadPort[], port: number | undefined): WorkloadPort {
  if (port === undefined || port === null) {
    if (ports.length > 1) {
      throw new IstioSecurityError(scope, `workload ${workload.node.path} has several Service ports (${ports.map((p) => p.port).join(', ')}): `
        + 'name the one to route to (port).');
    }
    return ports[0];
  }
  assertPort(scope, 'port', port);
  const found = ports.find((p) => p.port === port);
  if (found) return found;
  const byContainer = ports.find((p) => p.containerPort === port);
  throw new IstioSecurityError(scope, byContainer
    ? `port ${port} is a container port of ${workload.node.path}: the gateway calls its Service, so use the Service port ${byContainer.port}.`
    : `port ${port} is not a Service port of ${workload.node.path}: use one of ${ports.map((p) => p.port).join(', ')}.`);
}

function checkProtocol(scope: IConstruct, mode: IngressTlsMode, workload: IMeshWorkload, port: Target): void {
  const protocol = port.protocol;
  if (mode === IngressTlsMode.PASSTHROUGH) {
    if (protocol !== 'https' && protocol !== 'tls') {
      throw new IstioSecurityError(scope, `passthrough sends the client's TLS untouched to port ${port.port} of ${workload.node.path}, which speaks `
        + `${protocol}, not TLS: route to a port with protocol https or tls, or let the gateway terminate TLS (IngressTls.simple).`);
    }
  } else if (!HTTP_PROTOCOLS.includes(protocol)) {
    throw new IstioSecurityError(scope, `the gateway sends HTTP on to port ${port.port} of ${workload.node.path}, which speaks ${protocol}: `
      + 'route to an HTTP port (http, http2, grpc, grpc-web), or use IngressTls.passthrough() for a port that terminates TLS itself.');
  }
}

/** Checks the mode's settings; returns the redirect port, if any. */
function checkSettings(scope: IConstruct, mode: IngressTlsMode, gateway: IngressGateway, gatewayPort: number,
  settings: IngressTls['_settings']): number | undefined {
  if (mode === IngressTlsMode.NONE) {
    if (settings.acknowledgePlaintext !== true) {
      throw new IstioSecurityError(scope, 'IngressTls.plainHttp serves the hosts without TLS: requests, cookies and tokens cross the network '
        + 'unencrypted. Pass acknowledgePlaintext: true to accept that, or use IngressTls.simple({ certificate }).');
    }
    return undefined;
  }
  if (mode === IngressTlsMode.PASSTHROUGH) return undefined;
  const certificate = settings.certificate;
  if (!(certificate instanceof GatewayCertificate)) {
    throw new IstioSecurityError(scope, `certificate ${quote(certificate)} is not a GatewayCertificate: use GatewayCertificate.fromSecret(name).`);
  }
  checkCredential(scope, GATEWAY_CERTIFICATE, certificate);
  if (mode === IngressTlsMode.MUTUAL) {
    if (certificate._pem && certificate._pem.caCertificate === undefined) {
      throw new IstioSecurityError(scope, `mutual TLS checks client certificates against a CA, but GatewayCertificate "${certificate.secretName}" `
        + `has no caCertificate: pass caCertificate (stored as ca.crt), or create Secret "${certificate.secretName}-cacert" with ca.crt out of band.`);
    }
    checkList(scope, 'subjectAltNames', settings.subjectAltNames, (v) => v.trim() === v && v !== '', 'the names client certificates carry');
    checkList(scope, 'certificateHashes', settings.certificateHashes, (v) => FINGERPRINT.test(v), 'SHA-256 fingerprints in hex (64 digits, colons allowed)');
    checkList(scope, 'spkiHashes', settings.spkiHashes, (v) => SPKI.test(v), 'base64 SHA-256 hashes of a public key (44 characters)');
  }
  const redirect = settings.httpsRedirect;
  if (redirect !== undefined && redirect !== null && typeof redirect !== 'boolean') {
    throw new IstioSecurityError(scope, `httpsRedirect ${quote(redirect)} is not a boolean: use true or false.`);
  }
  if (!redirect) return undefined;
  const redirectPort = checkGatewayPort(scope, gateway, 'redirectPort', settings.redirectPort!);
  if (redirectPort === gatewayPort) {
    throw new IstioSecurityError(scope, `redirectPort and gatewayPort are both ${gatewayPort}: the redirect needs the gateway's plain-HTTP port (80).`);
  }
  return redirectPort;
}

function checkList(scope: IConstruct, what: string, values: string[] | undefined, ok: (value: string) => boolean, expected: string): void {
  if (values === undefined || values === null) return;
  if (!Array.isArray(values) || values.length === 0) {
    throw new IstioSecurityError(scope, `${what} ${show(values)} is empty: leave it out, or list ${expected}.`);
  }
  for (const value of values) {
    if (typeof value !== 'string' || !ok(value)) throw new IstioSecurityError(scope, `${what} entry ${quote(value)} is not valid: list ${expected}.`);
  }
  assertUnique(scope, `${what} entry`, values);
}

function defaultName(host: string, mode: IngressTlsMode, gatewayPort: number): string {
  const base = hostObjectName('', host.replace(/^\*\./, 'wildcard.'));
  const usual = mode === IngressTlsMode.NONE ? 80 : 443;
  return gatewayPort === usual ? base : boundedName(`${base}-${gatewayPort}`);
}

function hostsOverlap(a: string, b: string): boolean {
  const covers = (wild: string, host: string) => wild.startsWith('*.') && host.endsWith(wild.slice(1));
  return a === b || covers(a, b) || covers(b, a);
}

/** Refuses a host served in plaintext on a gateway that serves it with TLS (or the other way round); returns the chart's list. */
function checkTransport(scope: IConstruct, pods: string, hosts: string[], mode: IngressTlsMode, port: number): HostTransport[] {
  const chart = Chart.of(scope);
  const byPods = transportsByChart.get(chart) ?? new Map<string, HostTransport[]>();
  transportsByChart.set(chart, byPods);
  const list = byPods.get(pods) ?? [];
  byPods.set(pods, list);
  const tls = mode !== IngressTlsMode.NONE;
  for (const host of hosts) {
    const other = list.find((t) => t.tls !== tls && hostsOverlap(t.host, host));
    if (other) {
      const [plain, secure] = tls ? [other, { host, port }] : [{ host, port }, other];
      throw new IstioSecurityError(scope, `"${plain.host}" would be served in plaintext on gateway port ${plain.port} and "${secure.host}" with TLS `
        + `on port ${secure.port} (${tls ? other.holder.node.path : 'this route'} / ${tls ? 'this route' : other.holder.node.path}): clients that use `
        + 'http:// would send requests, cookies and tokens unencrypted. Serve the host with TLS only, and add httpsRedirect: true to the TLS route.');
    }
  }
  return list;
}

function renderTls(mode: IngressTlsMode, settings: IngressTls['_settings']): object {
  if (mode === IngressTlsMode.PASSTHROUGH) return { mode: GatewaySpecServersTlsMode.PASSTHROUGH };
  const credentialName = settings.certificate!.secretName;
  if (mode === IngressTlsMode.SIMPLE) return { mode: GatewaySpecServersTlsMode.SIMPLE, credentialName };
  return {
    mode: GatewaySpecServersTlsMode.MUTUAL,
    credentialName,
    subjectAltNames: settings.subjectAltNames ? [...settings.subjectAltNames] : undefined,
    verifyCertificateHash: settings.certificateHashes ? [...settings.certificateHashes] : undefined,
    verifyCertificateSpki: settings.spkiHashes ? [...settings.spkiHashes] : undefined,
  };
}

function warnAbout(route: IngressRoute, mode: IngressTlsMode, hosts: string[], port: number): void {
  if (mode === IngressTlsMode.NONE) {
    warnAtSynth(route, `${hosts.map((h) => `"${h}"`).join(', ')} served in plain HTTP on ingress gateway port ${port}: requests, cookies and `
      + 'tokens cross the network unencrypted, and anyone on the path can read or change them. Use IngressTls.simple({ certificate }).');
  }
  if (!route.workload.sidecar) {
    warnAtSynth(route, `${route.workload.node.path} has no sidecar, so the ingress gateway calls it in plaintext (auto mTLS) and `
      + 'no authorization policy applies to it: give it a sidecar.');
  }
}
