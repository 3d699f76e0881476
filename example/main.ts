// The example platform: one chart per scenario of SCENARIOS.md, synthesized by `npm run synth`.
import { App } from 'cdk8s';
import { addAuthorizationCharts } from './authz-charts';
import { addEgressCharts } from './egress-charts';
import { addMtlsCharts } from './mtls-charts';

export function buildExampleApp(outdir?: string): App {
  const app = new App({ outdir });
  addMtlsCharts(app);
  addAuthorizationCharts(app);
  addEgressCharts(app);
  return app;
}

if (require.main === module) buildExampleApp().synth();
