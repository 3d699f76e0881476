// The example platform: one chart per scenario of SCENARIOS.md, synthesized by `npm run synth`.
import { App } from 'cdk8s';
import { addMtlsCharts } from './mtls-charts';

export function buildExampleApp(outdir?: string): App {
  const app = new App({ outdir });
  addMtlsCharts(app);
  return app;
}

if (require.main === module) buildExampleApp().synth();
