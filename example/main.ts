// The example platform: one chart per scenario of SCENARIOS.md, synthesized by `npm run synth`.
import { App } from 'cdk8s';
import { addAuthorizationCharts } from './authz-charts';
import { bookinfoChart } from './bookinfo';
import { addEgressCharts } from './egress-charts';
import { addIngressCharts } from './ingress-charts';
import { addMtlsCharts } from './mtls-charts';
import { onlineBoutiqueChart } from './online-boutique';

export function buildExampleApp(outdir?: string): App {
  const app = new App({ outdir });
  addMtlsCharts(app);
  addAuthorizationCharts(app);
  addEgressCharts(app);
  addIngressCharts(app);
  // Real applications (../shared/real-apps), written with the library.
  bookinfoChart(app);
  onlineBoutiqueChart(app);
  return app;
}

if (require.main === module) buildExampleApp().synth();
