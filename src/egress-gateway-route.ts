import { ApiObject } from 'cdk8s';
import { Construct, IConstruct } from 'constructs';
import { AppProtocol } from './app-protocol';
import { ClientTlsMode } from './client-tls-mode';
import { EgressGateway } from './egress-gateway';
import { EgressMode, EgressModeKind } from './egress-mode';
import { IstioSecurityError } from './errors';
import { ExternalPort } from './external-port';
import { MeshNamespace } from './mesh-namespace';
import { MeshWorkload } from './mesh-workload';
import { IMeshWorkload } from './mesh-workload-interface';
import {
  CheckedCredential, CheckedServerCa, checkClientCredential, checkSecretUse, checkServerCa, clientCredentialSecret, referSecret,
} from './private/egress-credentials';
import { CLIENT_CREDENTIAL } from './private/egress-credentials';
import { EgressHost, EgressLeg, OriginationTlsSpec, RouteClients, ServiceEntryPortSpec } from './private/egress-host';
import { checkHostName } from './private/host-names';
import { claim, holderOf, meshHostKey, objectKey } from './private/registry';
import { rollback } from './private/transaction';
import {
  KnownKeys, assertDnsLabel, assertEnumValue, assertInstance, assertList, assertPort, assertProps, assertRequired, listText, quote, recordedProblem,
} from './private/validate';
import { warnAtSynth } from './private/warnings';
import { assertMeshWorkload } from './private/workload-check';

/** What every route through the egress gateway needs. */
export interface EgressRouteBaseProps {
  /** The egress gateway the traffic leaves through. */
  readonly egressGateway: EgressGateway;
  /**
   * The external host, fully qualified (`edition.cnn.com`). No wildcards: the ServiceEntry
   * resolves it by DNS. A host `<service>.<namespace>.svc.<cluster domain>` is taken for a
   * Kubernetes Service outside the mesh (e.g. the `my-nginx` test server of Istio's mutual TLS
   * origination task): Istio knows it from the Service, so
   * no ServiceEntry is emitted, and it must not be a workload with a sidecar.
   */
  readonly host: string;
  /**
   * Namespace of the ServiceEntry, Gateway and VirtualService. They are exported to the whole
   * mesh, so clients in every namespace take the route. The gateway's DestinationRules and any
   * client credential Secret always go to the gateway's namespace.
   * @default "default"
   */
  readonly namespace?: string;
  /**
   * More ports of the host for the ServiceEntry that sidecars call directly, not through the
   * gateway (e.g. the HTTPS port a plain-HTTP site redirects to). Not allowed for a Kubernetes
   * Service host.
   * @default - none
   */
  readonly directPorts?: ExternalPort[];
  /**
   * The workloads that may use the route. The route's ServiceEntry and VirtualService are then
   * exported only to their namespaces (and the gateway's), the sidecars reach the gateway over
   * mesh mTLS so that it knows who calls, and a DENY AuthorizationPolicy on the gateway pods
   * refuses every other caller for this host (by the connection's SNI). Every route of a host
   * names the same clients. Callers in other namespaces no longer see the host: they reach it
   * directly unless their namespace is locked down (`EgressLockdown`) or registry-only
   * (`RegistryOnlyEgress`).
   * @default - every workload of the mesh may use the route
   */
  readonly clients?: IMeshWorkload[];
}

export interface EgressGatewayRouteProps extends EgressRouteBaseProps {
  /** How the traffic goes through the gateway: `EgressMode.http()`, `.tlsPassthrough()`, `.originateTls()`, `.originateMtls()`. */
  readonly mode: EgressMode;
}

const ROUTE_PROPS: KnownKeys<EgressGatewayRouteProps> = { egressGateway: true, host: true, namespace: true, directPorts: true, clients: true, mode: true };
const EXTERNAL_PORT_KEYS: KnownKeys<ExternalPort> = { port: true, protocol: true, name: true };

/**
 * Sends the mesh's traffic for one external host and port through the egress gateway.
 *
 * It emits what Istio's egress gateway tasks write by hand: the ServiceEntry (DNS resolution),
 * a Gateway server on the gateway pods, a subset of the gateway's host in a DestinationRule,
 * and a VirtualService with two legs: from every sidecar (`mesh`) to the gateway, and from
 * the gateway to the host. For TLS origination also the DestinationRule that makes the
 * gateway open TLS (SIMPLE) or mutual TLS (MUTUAL) to the host.
 *
 * **Origination and the gateway port.** Istio's current "egress gateway TLS origination" task
 * sends the app's HTTP from the sidecar to the gateway over mesh mTLS (`ISTIO_MUTUAL`, with
 * `sni` set to the host) and has the Gateway accept it on port 80 as an HTTPS server with
 * `tls.mode: ISTIO_MUTUAL`. Older articles on TLS origination use a plaintext HTTP server on
 * port 80. Both put the origination on the gateway's port 80, which cannot also carry
 * plain-HTTP routes: Istio merges every Gateway of the gateway pods per port and drops a server
 * that mixes plaintext and TLS. So origination uses mesh mTLS and, by default, the gateway's
 * TLS port 443 (as mutual TLS origination does in the same task); HTTP, passthrough and
 * origination routes then share one gateway. `gatewayPort: 80` gives Istio's task exactly, and
 * `sidecarToGatewayTls: DISABLE` those articles' plaintext hop: every field they set (the app's
 * plain HTTP on port 80, the Gateway on port 80, the gateway leg to the host's 443, SIMPLE on
 * 443) stays expressible.
 *
 * **Many routes, one gateway.** Each host gets its own Gateway, VirtualService and
 * ServiceEntry, named after the host (`edition-cnn-com`, shortened with a hash beyond 63
 * characters); routes on more ports of one host add to the same objects, because Istio wants
 * one VirtualService per host on `mesh`. Gateway objects never overlap (hosts are exact), so
 * istioctl's IST0145 (ConflictingGateways) does not apply, and a bad entry cannot take the other
 * hosts' servers down with it. Within a chart the route refuses two routes for one host and
 * port, two servers for one host on one gateway port, and plaintext next to TLS on one gateway
 * port. Routes in different charts are not checked against each other.
 *
 * **Server verification.** Without `serverCa` the route works, but the gateway verifies the
 * host only against its image's OS CA bundle (Istio >= 1.21) and istioctl reports IST0129;
 * synthesis prints a warning. istioctl also reports IST0129 for mutual TLS with a
 * `credentialName`, whose CA is the Secret's `ca.crt`, which it does not look at.
 */
export class EgressGatewayRoute extends Construct {
  /** The external host. */
  public readonly host: string;
  /** Namespace of the ServiceEntry, Gateway and VirtualService. */
  public readonly namespace: string;
  public readonly egressGateway: EgressGateway;
  public readonly mode: EgressMode;
  /** Whether the host is a Kubernetes Service (and so has no ServiceEntry). */
  public readonly kubernetesService: boolean;
  /** Name of the gateway host's subset this host's traffic goes to. */
  public readonly subsetName: string;
  /** The host's ServiceEntry, unless the host is a Kubernetes Service. Shared by the routes to the host. */
  public readonly serviceEntry?: ApiObject;
  /** The host's Gateway (servers on the gateway pods). Shared by the routes to the host. */
  public readonly gateway: ApiObject;
  /** The DestinationRule with the host's subset of the gateway, in the gateway's namespace. */
  public readonly gatewayDestinationRule: ApiObject;
  /** The host's VirtualService (child id `Resource` of the first route to the host). */
  public readonly virtualService: ApiObject;
  /** The DestinationRule that makes the gateway originate TLS, for origination modes. */
  public readonly originationDestinationRule?: ApiObject;
  /** The client credential Secret this route creates (`ClientCredential.fromPem`). */
  public readonly clientCredentialSecret?: ApiObject;
  /** The workloads that may use the route; empty when every workload may. */
  public readonly clients: IMeshWorkload[];
  /** The gateway's DENY AuthorizationPolicy for callers other than the clients (in the gateway's namespace). */
  public readonly clientPolicy?: ApiObject;
  /** The gateway Service port the route's traffic arrives on. */
  public readonly gatewayPort: number;

  public constructor(scope: Construct, id: string, props: EgressGatewayRouteProps) {
    super(scope, id);
    try {
      const p = assertProps(this, 'props', props, ROUTE_PROPS);
      assertRequired(this, p, ['egressGateway', 'host', 'mode']);
      const gateway = assertInstance(this, 'egressGateway', p.egressGateway, EgressGateway, 'EgressGateway.istio(...)');
      const mode = assertInstance(this, 'mode', p.mode, EgressMode, 'EgressMode.http(), .tlsPassthrough(), .originateTls() or .originateMtls()');
      gateway.validate(this);
      const modeProblem = recordedProblem(mode);
      if (modeProblem !== undefined) throw new IstioSecurityError(this, modeProblem);
      this.egressGateway = gateway;
      this.mode = mode;
      this.namespace = assertDnsLabel(this, 'namespace', p.namespace ?? 'default');
      this.kubernetesService = checkHost(this, p.host, gateway);
      this.host = p.host;
      const clients = checkClients(this, p.clients);
      const { leg, credential, serverCa } = buildLeg(this, gateway, mode, clients !== undefined);
      this.gatewayPort = leg.gatewayPort;
      const directPorts = p.directPorts === undefined || p.directPorts === null ? []
        : assertList(this, 'directPorts', p.directPorts, { example: '[{ port: 443, protocol: AppProtocol.HTTPS }]' });
      if (this.kubernetesService && (directPorts.length > 0 || mode._settings.portName !== undefined || mode._settings.targetPortName !== undefined)) {
        throw new IstioSecurityError(this, `host "${this.host}" is a Kubernetes Service: its ports come from the Service and no ServiceEntry `
          + 'is emitted, so directPorts, portName and targetPortName do not apply; leave them out.');
      }
      const routed = servicePorts(this, mode);
      const direct = directPorts.map((entry) => directPort(this, entry));
      for (const d of direct) {
        if (d.number === mode.port) {
          throw new IstioSecurityError(this, `directPorts port ${d.number} is the port this route sends through the egress gateway: `
            + 'a port is either routed or called directly; leave it out of directPorts.');
        }
      }
      const sePorts = this.kubernetesService ? [] : [...routed, ...direct];

      // Checks against the chart's other constructs, before anything is created.
      claim(this, `egress-route:${this.host}:${mode.port}`, (holder) =>
        `host "${this.host}" port ${mode.port} is already routed through the egress gateway by ${holder.node.path}: `
        + 'a host port has one route; remove one of them, or route another port.');
      // Mesh workloads may be declared after the route: check now, and again at synth.
      checkNotInMesh(this, this.host, this.kubernetesService);
      this.node.addValidation({ validate: () => { checkNotInMesh(this, this.host, this.kubernetesService); return []; } });
      const plan = {
        options: { host: this.host, namespace: this.namespace, gateway, kubernetesService: this.kubernetesService },
        ports: sePorts,
        directPorts: this.kubernetesService ? [] : direct.map((d) => d.number),
        leg,
        clients,
      };
      EgressHost.check(this, plan);
      if (credential) checkSecretUse(this, CLIENT_CREDENTIAL, gateway.namespace, credential.secretName, credential);
      if (serverCa?.secretName !== undefined) checkSecretUse(this, CLIENT_CREDENTIAL, gateway.namespace, serverCa.secretName, undefined);

      const egressHost = EgressHost.add(this, plan);
      this.subsetName = egressHost.name;
      this.serviceEntry = egressHost.serviceEntry;
      this.gateway = egressHost.gatewayResource;
      this.gatewayDestinationRule = egressHost.gatewayRule;
      this.virtualService = egressHost.virtualService;
      this.originationDestinationRule = mode.originatesTls ? egressHost.originationRule : undefined;
      this.clientPolicy = egressHost.clientPolicy;
      this.clients = clients?.workloads ?? [];

      if (credential?.pem) this.clientCredentialSecret = clientCredentialSecret(this, credential, gateway.namespace);
      else if (credential) referSecret(this, gateway.namespace, credential.secretName);
      if (serverCa?.secretName !== undefined) referSecret(this, gateway.namespace, serverCa.secretName);
      warnAboutVerification(this, mode, gateway, serverCa, credential);
    } catch (error) {
      throw rollback(this, error);
    }
  }
}

/** Checks the host; returns whether it is a Kubernetes Service host. */
function checkHost(scope: IConstruct, value: unknown, gateway: EgressGateway): boolean {
  const clusterDomain = gateway.clusterDomain;
  const host = checkHostName(scope, value, {
    what: 'host',
    example: 'edition.cnn.com',
    noun: 'the external host',
    router: 'the egress gateway',
    clusterDomain,
    connectsTo: true,
    wildcardRefusal: 'the ServiceEntry resolves its host by DNS, which Istio refuses for wildcards, and the gateway needs a concrete '
      + 'name to connect to. Route each host (e.g. "api.example.com") on its own.',
  });
  if (host === gateway.host) {
    throw new IstioSecurityError(scope, `host ${quote(host)} is the egress gateway's own Service: the gateway would route to itself; `
      + 'name the external host.');
  }
  // Istio's default egress gateway is a gateway too, not a host outside the mesh.
  const defaultGateway = `istio-egressgateway.istio-system.svc.${clusterDomain}`;
  if (host === defaultGateway) {
    throw new IstioSecurityError(scope, `host ${quote(host)} is Istio's default egress gateway, not an external host: `
      + 'name the external host, and pass that gateway as egressGateway (EgressGateway.istio()) to route through it.');
  }
  const serviceSuffix = `.svc.${clusterDomain}`;
  if (!host.endsWith(serviceSuffix)) return false;
  if (host.slice(0, -serviceSuffix.length).split('.').length !== 2) {
    throw new IstioSecurityError(scope, `host ${quote(host)} ends in "${serviceSuffix}" but is not a Service host: `
      + `use "<service>.<namespace>${serviceSuffix}".`);
  }
  return true;
}

/** Why `host` is an in-mesh service, as far as the chart's MeshWorkloads and MeshNamespaces tell. */
function meshConflicts(route: IConstruct, host: string, kubernetesService: boolean): string[] {
  const workload = holderOf(route, meshHostKey(host)) as MeshWorkload | undefined;
  if (workload) {
    return workload.sidecar ? [`host "${host}" is the Service of MeshWorkload ${workload.node.path}, which runs a sidecar: traffic to it `
      + 'stays in the mesh (mesh mTLS), and TLS from the egress gateway would collide with its sidecar. Call it directly, '
      + 'or run it without a sidecar.'] : [];
  }
  if (!kubernetesService) return [];
  const namespace = host.split('.')[1];
  const ns = holderOf(route, objectKey('Namespace', '', namespace)) as MeshNamespace | undefined;
  return ns?.sidecarInjection ? [`host "${host}" is a Service in namespace "${namespace}" (${ns.node.path}), which injects sidecars: `
    + 'traffic to it stays in the mesh. Call it directly, or run the server in a namespace without injection.'] : [];
}

function checkNotInMesh(route: IConstruct, host: string, kubernetesService: boolean): void {
  const conflicts = meshConflicts(route, host, kubernetesService);
  if (conflicts.length > 0) throw new IstioSecurityError(route, conflicts[0]);
}

/**
 * Checks the clients of a route: workloads with a sidecar, so that they reach the gateway with an
 * mTLS identity the gateway can check.
 */
function checkClients(route: IConstruct, clients: IMeshWorkload[] | undefined): RouteClients | undefined {
  if (clients === undefined || clients === null) return undefined;
  if (!Array.isArray(clients) || clients.length === 0) {
    throw new IstioSecurityError(route, `clients ${quote(clients)} names no workload: list the workloads that may use the route, or leave clients out for every workload.`);
  }
  const workloads = clients.map((c) => assertMeshWorkload(route, 'client', c));
  for (const w of workloads) {
    if (!w.sidecar) {
      throw new IstioSecurityError(route, `client ${w.node.path} has no sidecar, so it neither takes the route nor shows the gateway an mTLS identity: `
        + 'give it a sidecar, or leave it out of clients.');
    }
  }
  if (new Set(workloads).size !== workloads.length) {
    const twice = workloads.find((w, i) => workloads.indexOf(w) !== i)!;
    throw new IstioSecurityError(route, `client ${twice.node.path} is listed twice: list each client once.`);
  }
  return {
    workloads,
    principals: [...new Set(workloads.map((w) => w.identity.principal))].sort(),
    namespaces: [...new Set(workloads.map((w) => w.namespace))].sort(),
  };
}

interface CheckedLeg {
  readonly leg: EgressLeg;
  readonly credential?: CheckedCredential;
  readonly serverCa?: CheckedServerCa;
}

function buildLeg(route: IConstruct, gateway: EgressGateway, mode: EgressMode, withClients: boolean): CheckedLeg {
  assertEnumValue(route, 'mode kind', mode.kind, EgressModeKind as unknown as { [key: string]: string });
  assertPort(route, 'port', mode.port);
  assertPort(route, 'gatewayPort', mode.gatewayPort);
  assertPort(route, 'targetPort', mode.targetPort);
  // The gateway knows a caller only over mesh mTLS: an HTTP route with clients takes the TLS port unless told otherwise.
  const gatewayPort = withClients && mode.kind === EgressModeKind.HTTP && !mode._settings.gatewayPortGiven ? 443 : mode.gatewayPort;
  if (!gateway.exposes(gatewayPort)) {
    throw new IstioSecurityError(route, `gatewayPort ${gatewayPort} is not a port of the egress gateway Service ${gateway.host} `
      + `(it exposes ${listText(gateway.ports.map((p) => p.port))}): use one of them, or list the port in EgressGateway.istio({ ports }).`);
  }
  const settings = mode._settings;
  if (mode.kind === EgressModeKind.TLS_PASSTHROUGH) {
    // Passthrough routes by the SNI of the app's own TLS: the ports must carry TLS, and 80 is plain HTTP.
    if (mode.port === 80) {
      throw new IstioSecurityError(route, 'TLS passthrough on port 80: passthrough routes by the SNI of the TLS the app opens, and port 80 '
        + 'carries plain HTTP. Use the host\'s TLS port (443), or EgressMode.http() / EgressMode.originateTls() for HTTP.');
    }
    if (gatewayPort === 80) {
      throw new IstioSecurityError(route, 'TLS passthrough on gateway port 80: that is the gateway\'s plain-HTTP port; '
        + 'use its TLS port (gatewayPort 443).');
    }
  }
  let meshTls = false;
  let origination: OriginationTlsSpec | undefined;
  let credential: CheckedCredential | undefined;
  let serverCa: CheckedServerCa | undefined;
  if (mode.originatesTls) {
    if (mode.targetPort === mode.port) throw new IstioSecurityError(route, samePortsMessage(mode));
    const hop = assertEnumValue(route, 'sidecarToGatewayTls', settings.sidecarToGatewayTls ?? ClientTlsMode.ISTIO_MUTUAL,
      { ISTIO_MUTUAL: ClientTlsMode.ISTIO_MUTUAL, DISABLE: ClientTlsMode.DISABLE });
    if (withClients && hop === ClientTlsMode.DISABLE) {
      throw new IstioSecurityError(route, 'sidecarToGatewayTls DISABLE with clients: over plaintext the gateway cannot tell who calls, '
        + 'so it could not refuse the others. Keep ISTIO_MUTUAL, or leave clients out.');
    }
    meshTls = hop === ClientTlsMode.ISTIO_MUTUAL;
    const subjectAltNames = checkSubjectAltNames(route, settings.subjectAltNames);
    if (mode.kind === EgressModeKind.MTLS_ORIGINATION) {
      if (settings.clientCredential === undefined || settings.clientCredential === null) {
        throw new IstioSecurityError(route, 'mutual TLS origination needs a clientCredential: use ClientCredential.fromSecret(name).');
      }
      credential = checkClientCredential(route, settings.clientCredential);
      origination = { mode: 'MUTUAL', credentialName: credential.secretName, subjectAltNames };
    } else {
      serverCa = settings.serverCa === undefined || settings.serverCa === null ? undefined : checkServerCa(route, settings.serverCa);
      origination = { mode: 'SIMPLE', caCertificates: serverCa?.caCertificates, credentialName: serverCa?.secretName, subjectAltNames };
    }
  }
  // With clients every hop to the gateway is mesh mTLS: the app's own TLS (passthrough) travels inside it.
  const leg = { route, kind: mode.kind, port: mode.port, gatewayPort, targetPort: mode.targetPort, meshTls: meshTls || withClients, origination };
  return { leg, credential, serverCa };
}

/** Origination with the app's port equal to the host's: the message names the setting the caller gave. */
function samePortsMessage(mode: EgressMode): string {
  const { explicitPort, explicitTargetPort } = mode._settings;
  const fix = explicitPort && !explicitTargetPort
    ? `set port to the app's plain-HTTP port (80 by default), which must differ from targetPort ${mode.targetPort}`
    : !explicitPort && explicitTargetPort
      ? `set targetPort to the host's TLS port (443 by default), which must differ from port ${mode.port}`
      : `set port to the app's plain-HTTP port (e.g. 80) and targetPort to the host's TLS port (e.g. 443)`;
  return `TLS origination needs the host's TLS port apart from the app's HTTP port, but targetPort and port are both ${mode.port}: ${fix}.`;
}

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

function checkSubjectAltNames(route: IConstruct, value: unknown): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  const names = assertList(route, 'subjectAltNames', value, { example: '["api.example.com"]' });
  const seen = new Set<string>();
  for (const name of names) {
    if (typeof name !== 'string' || name.trim() === '' || name !== name.trim() || CONTROL.test(name)) {
      throw new IstioSecurityError(route, `subjectAltNames entry ${quote(name)} is empty, padded or not text: give the names the server's certificate carries.`);
    }
    if (seen.has(name)) throw new IstioSecurityError(route, `subjectAltNames entry ${quote(name)} is given twice: list each name once.`);
    seen.add(name);
  }
  return names.length > 0 ? (names as string[]) : undefined;
}

/** The ServiceEntry ports the mode needs. */
function servicePorts(route: IConstruct, mode: EgressMode): ServiceEntryPortSpec[] {
  const settings = mode._settings;
  const named = (what: string, name: unknown) => assertDnsLabel(route, what, name);
  switch (mode.kind) {
    case EgressModeKind.HTTP:
      return [{ number: mode.port, name: named('portName', settings.portName ?? `http-${mode.port}`), protocol: 'HTTP' }];
    case EgressModeKind.TLS_PASSTHROUGH:
      return [{ number: mode.port, name: named('portName', settings.portName ?? `tls-${mode.port}`), protocol: 'TLS' }];
    default:
      return [
        { number: mode.port, name: named('portName', settings.portName ?? `http-${mode.port}`), protocol: 'HTTP' },
        { number: mode.targetPort, name: named('targetPortName', settings.targetPortName ?? `https-${mode.targetPort}`), protocol: 'HTTPS' },
      ];
  }
}

function directPort(route: IConstruct, entry: unknown): ServiceEntryPortSpec {
  const port = assertProps(route, 'directPorts entry', entry as ExternalPort, EXTERNAL_PORT_KEYS);
  assertPort(route, 'directPorts port', port.port);
  const protocol = assertEnumValue(route, 'directPorts protocol', port.protocol, AppProtocol as unknown as { [key: string]: string });
  const name = assertDnsLabel(route, 'directPorts name', port.name ?? `${protocol}-${port.port}`);
  return { number: port.port, name, protocol: protocol.toUpperCase() };
}

function warnAboutVerification(route: EgressGatewayRoute, mode: EgressMode, gateway: EgressGateway,
  serverCa: CheckedServerCa | undefined, credential: CheckedCredential | undefined): void {
  const target = `"${route.host}:${mode.targetPort}"`;
  const rule = route.originationDestinationRule ? `${gateway.namespace}/${route.originationDestinationRule.name}` : '';
  if (mode.kind === EgressModeKind.TLS_ORIGINATION && !serverCa) {
    warnAtSynth(route, `TLS origination to ${target} names no serverCa: the server is not verified against a CA you chose `
      + `(istioctl analyze reports IST0129 for DestinationRule ${rule}); the gateway falls back to its image's OS CA bundle `
      + '(Istio >= 1.21), which fails for a private CA. Set serverCa: ServerCa.fromFile(...) or ServerCa.fromSecret(...), and subjectAltNames.');
  }
  if (credential?.pem && credential.pem.caCertificate === undefined) {
    warnAtSynth(route, `mutual TLS origination to ${target} uses ClientCredential "${credential.secretName}" without caCertificate: `
      + 'the Secret has no ca.crt, so the server is not verified against its CA. Pass caCertificate.');
  }
}
