import { basename } from 'node:path';
import { findFindings } from './model/findings';
import { plural } from './model/escape';
import { LoadedInput, readManifests } from './model/load';
import { checkIntents, IntentResult, IntentSpec, parseIntents } from './model/intents';
import { MeshModel } from './model/model';
import { ingressCount } from './model/report-doc';
import { Finding, FINDING_RULES, NotApplied, notAppliedText, OUTCOMES, ResourceRef, SourcedObject } from './model/types';

/** The rule of objects the cluster would refuse (and input that cannot be read): they are not evaluated. */
const NOT_APPLIED = 'not-applied';
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
   * Rules that do not fail synthesis (their findings are still logged). `not-applied` is the rule
   * of objects the cluster would refuse.
   * @default - none
   */
  readonly ignore?: string[];
  /**
   * Whether to log a one-line summary of calls per manifest.
   * @default true
   */
  readonly summary?: boolean;
  /**
   * Intents that must hold, as data (the form of `MeshIntent.toJson()`), for manifests made
   * without `MeshIntent`: `[{ mustAllow: { from: photo-ns/photo-frontend, to: photo-ns/photo-backend, port: 8000 } }]`.
   * Parties are `namespace:NS`, `workload:NS/NAME` (or `NS/NAME`), `pods:NS/KEY=VALUE,...` or
   * `identity:TRUST-DOMAIN/ns/NS/sa/SA`. With `scope: chart` an intent must hold in every manifest
   * it matches and match at least one. Intents declared with `MeshIntent` are checked by the chart
   * itself at synth and need no entry here.
   * @default - none
   */
  readonly intents?: any[];
}

/**
 * A cdk8s validation plugin (`validations:` in cdk8s.yaml) that fails `cdk8s synth` on
 * configurations the mesh model knows are broken: a DestinationRule that sends ISTIO_MUTUAL to a
 * server without a sidecar, or plaintext (DISABLE) to a STRICT server, or other TLS its server
 * refuses; an AuthorizationPolicy principal that can never match; an egress route through the
 * egress gateway that client pods can bypass; an object the API server or Istio would refuse
 * (rule `not-applied`: the model does not evaluate it). Calls that fail by design, such as a client
 * without a sidecar refused by a STRICT server, are expected outcomes, not violations.
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
      if (!(FINDING_RULES as readonly string[]).includes(rule) && rule !== NOT_APPLIED) {
        throw new Error(`MeshValidation: ignore "${rule}" is not a rule; rules are ${[...FINDING_RULES, NOT_APPLIED].join(', ')}`);
      }
    }
    this.intents = parseIntents(props.intents ?? []);
    this.props = props;
  }

  private readonly intents: IntentSpec[];

  /**
   * Runs the model over `context.manifests` and reports violations (the cdk8s-cli plugin contract;
   * `context` is a cdk8s-cli `ValidationContext`).
   */
  public async validate(context: any): Promise<void> {
    const { scope = 'chart', ignore = [], summary = true, intents: _intents, ...options } = this.props;
    const intentResults: IntentResult[][] = this.intents.map(() => []);
    const manifests: string[] = [...context.manifests];
    const units: LoadedInput[] = scope === 'app' ? [readManifests(manifests)] : manifests.map((m) => readManifests([m]));
    const names = new ConstructNames(units.flatMap((u) => u.objects), context.metadata ?? {});
    let violations = 0;
    let ignored = 0;
    for (const [i, input] of units.entries()) {
      if (input.objects.length === 0 && input.problems.length === 0) continue;
      const model = new MeshModel(input.objects, options, input.problems);
      const findings = findFindings(model);
      if (summary) {
        const counts = model.outcomeCounts();
        const name = scope === 'app' ? 'app' : manifests[i];
        context.logger.log(`istio mesh model: ${name}: ${plural(model.connectionCount(), 'call')} (${OUTCOMES.map((o) => `${counts[o]} ${o}`).join(', ')}), `
          + `${plural(model.egressCount(), 'egress path')}${ingressCount(model)}, ${plural(findings.length, 'finding')}`
          + `${model.notApplied.length > 0 ? `, ${model.notApplied.length} not applied` : ''}`);
      }
      for (const n of model.notApplied) {
        if (ignore.includes(NOT_APPLIED)) {
          ignored++;
          context.logger.log(`istio mesh model: ignored ${NOT_APPLIED}: ${notAppliedText(n)}`);
          continue;
        }
        violations++;
        context.report.addViolation(notAppliedViolation(n, names));
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
      checkIntents(model, this.intents).forEach((r, j) => intentResults[j].push(r));
    }
    for (const results of intentResults) {
      const broken = results.find((r) => r.state === 'violated') ?? (results.every((r) => r.state === 'unmatched') ? results[0] : undefined);
      if (!broken) continue;
      violations++;
      context.report.addViolation({
        ruleName: `intent-${broken.state}`, recommendation: broken.message,
        fix: broken.state === 'unmatched' ? 'Name a workload, Service port or host of the input.' : 'Change the policies so that the intent holds, or the intent if the change is meant.',
        violatingResources: [],
      });
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

function notAppliedViolation(n: NotApplied, names: ConstructNames): any {
  return {
    ruleName: NOT_APPLIED,
    recommendation: `${notAppliedText(n)}: the model does not evaluate it, and the cluster would not apply it`,
    fix: n.source === 'the loader' ? 'Write the file as UTF-8 YAML or JSON Kubernetes objects.'
      : 'Correct the field so that the API server and Istio accept the object (kubectl apply --dry-run=server, istioctl validate).',
    violatingResources: [{
      resourceName: n.ref ? names.resourceName(n.ref) : (n.manifest ?? ''),
      locations: [`${n.ref ? `${n.ref.kind} ${n.ref.namespace ? `${n.ref.namespace}/` : ''}${n.ref.name}` : `document ${n.document ?? 1}`}: ${n.field ?? '(the whole object)'}`],
      manifestPath: n.manifest ?? '',
    }],
  };
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
