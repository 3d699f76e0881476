import { basename } from 'node:path';
import { findFindings } from './model/findings';
import { loadManifests } from './model/load';
import { MeshModel } from './model/model';
import { Finding, FINDING_RULES, OUTCOMES, ResourceRef, SourcedObject } from './model/types';
// Type-only: the plugin does not load the report module at synth.
import type { MeshReportOptions } from './report';

/**
 * Properties of the validation plugin (the `properties` of its `validations:` entry in cdk8s.yaml):
 * the settings of `MeshReportOptions`, and these.
 */
export interface MeshValidationProps extends MeshReportOptions {
  /**
   * `chart`: model each synthesized manifest on its own (a cdk8s chart is a deployable unit, and
   * charts may hold alternatives); `app`: model all manifests together.
   * @default "chart"
   */
  readonly scope?: string;
  /**
   * Rules that do not fail synthesis (their findings are still logged).
   * @default - none
   */
  readonly ignore?: string[];
  /**
   * Whether to log a one-line summary of calls per manifest.
   * @default true
   */
  readonly summary?: boolean;
}

/**
 * A cdk8s validation plugin (`validations:` in cdk8s.yaml) that fails `cdk8s synth` on
 * configurations the mesh model knows are broken: a DestinationRule that sends ISTIO_MUTUAL to a
 * server without a sidecar, or plaintext (DISABLE) to a STRICT server, or other TLS its server
 * refuses; an AuthorizationPolicy principal that can never match; an egress route through the
 * egress gateway that client pods can bypass. Calls that fail by design, such as a client without
 * a sidecar refused by a STRICT server, are expected outcomes, not violations.
 *
 * ```yaml
 * validations:
 *   - package: ./node_modules/cdk8s-istio-security
 *     version: 0.1.0
 *     class: MeshValidation
 *     properties: { ignore: [egress-gateway-bypass] }
 * ```
 */
export class MeshValidation {
  private readonly props: MeshValidationProps;

  public constructor(props: MeshValidationProps = {}) {
    const scope = props.scope ?? 'chart';
    if (scope !== 'chart' && scope !== 'app') throw new Error(`MeshValidation: scope "${scope}" is not "chart" or "app"`);
    for (const rule of props.ignore ?? []) {
      if (!(FINDING_RULES as readonly string[]).includes(rule)) {
        throw new Error(`MeshValidation: ignore "${rule}" is not a rule; rules are ${FINDING_RULES.join(', ')}`);
      }
    }
    this.props = props;
  }

  /**
   * Runs the model over `context.manifests` and reports violations (the cdk8s-cli plugin contract;
   * `context` is a cdk8s-cli `ValidationContext`).
   */
  public async validate(context: any): Promise<void> {
    const { scope = 'chart', ignore = [], summary = true, ...options } = this.props;
    const manifests: string[] = [...context.manifests];
    const units: SourcedObject[][] = scope === 'app' ? [loadManifests(manifests)] : manifests.map((m) => loadManifests([m]));
    const names = new ConstructNames(units.flat(), context.metadata ?? {});
    let violations = 0;
    let ignored = 0;
    for (const objects of units) {
      if (objects.length === 0) continue;
      const model = new MeshModel(objects, options);
      const findings = findFindings(model);
      if (summary) {
        const counts = model.outcomeCounts();
        const name = scope === 'app' ? 'app' : manifests[units.indexOf(objects)];
        context.logger.log(`istio mesh model: ${name}: ${model.connectionCount()} calls (${OUTCOMES.map((o) => `${counts[o]} ${o}`).join(', ')}), `
          + `${model.egressCount()} egress paths, ${findings.length} findings`);
      }
      for (const finding of findings) {
        if (ignore.includes(finding.rule)) {
          ignored++;
          context.logger.log(`istio mesh model: ignored ${finding.rule}: ${finding.message}`);
          continue;
        }
        violations++;
        context.report.addViolation(toViolation(finding, names));
      }
    }
    context.report.submit(violations > 0 ? 'failure' : 'success', { findings: String(violations), ignored: String(ignored) });
  }
}

/**
 * cdk8s-cli finds a violating resource's construct path by its `resourceName` in the app's
 * construct metadata, which cdk8s keys by object name alone (the last object of a name wins,
 * chart by chart). The plain name is given only when that entry is surely this object's: the
 * name is unique in the app, or the entry's chart is this object's manifest and this object is
 * the last of the name there. Otherwise `Kind namespace/name`, which names no construct: cdk8s-cli
 * then prints no construct path rather than another object's.
 */
class ConstructNames {
  private readonly byName = new Map<string, SourcedObject[]>();

  public constructor(objects: readonly SourcedObject[], private readonly metadata: { readonly [name: string]: { readonly path?: string } }) {
    for (const item of objects) {
      const name = String(item.object?.metadata?.name ?? '');
      const list = this.byName.get(name);
      if (list) list.push(item);
      else this.byName.set(name, [item]);
    }
  }

  public resourceName(ref: ResourceRef): string {
    const same = this.byName.get(ref.name) ?? [];
    if (same.length === 1 && isObject(same[0], ref)) return ref.name;
    const path = this.metadata[ref.name]?.path;
    // No entry for the name: cdk8s-cli finds no construct path, and the plain name reads best.
    if (path === undefined) return ref.name;
    {
      const chart = path.split('/')[0].toLowerCase();
      const inChart = same.filter((o) => o.manifest !== undefined && chartOfManifest(o.manifest) === chart);
      if (inChart.length > 0 && isObject(inChart[inChart.length - 1], ref)) return ref.name;
    }
    return `${ref.kind} ${ref.namespace ? `${ref.namespace}/` : ''}${ref.name}`;
  }
}

function isObject(item: SourcedObject, ref: ResourceRef): boolean {
  const o = item.object;
  return String(o.kind) === ref.kind && (ref.namespace === '' || String(o.metadata?.namespace ?? 'default') === ref.namespace)
    && (ref.manifest === undefined || item.manifest === ref.manifest);
}

/** The chart a manifest file was written for: `a2-workload` of `a2-workload.k8s.yaml` or `0001-a2-workload.k8s.yaml`. */
function chartOfManifest(manifest: string): string {
  return basename(manifest).replace(/\.k8s\.ya?ml$|\.ya?ml$|\.json$/i, '').replace(/^\d{4}-/, '').toLowerCase();
}

function toViolation(finding: Finding, names: ConstructNames): any {
  return {
    ruleName: finding.rule,
    recommendation: finding.message,
    fix: finding.fix,
    violatingResources: finding.resources.map((r) => ({
      resourceName: names.resourceName(r.ref),
      locations: [`${r.ref.kind} ${r.ref.namespace ? `${r.ref.namespace}/` : ''}${r.ref.name}: ${r.locations.join(', ')}`],
      manifestPath: r.ref.manifest ?? '',
    })),
  };
}
