import { findFindings } from './model/findings';
import { loadManifests } from './model/load';
import { MeshModel } from './model/model';
import { Finding, FINDING_RULES, OUTCOMES, SourcedObject } from './model/types';
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
        context.report.addViolation(toViolation(finding));
      }
    }
    context.report.submit(violations > 0 ? 'failure' : 'success', { findings: String(violations), ignored: String(ignored) });
  }
}

function toViolation(finding: Finding): any {
  return {
    ruleName: finding.rule,
    recommendation: finding.message,
    fix: finding.fix,
    violatingResources: finding.resources.map((r) => ({
      resourceName: r.ref.name,
      locations: [`${r.ref.kind} ${r.ref.namespace ? `${r.ref.namespace}/` : ''}${r.ref.name}: ${r.locations.join(', ')}`],
      manifestPath: r.ref.manifest ?? '',
    })),
  };
}
