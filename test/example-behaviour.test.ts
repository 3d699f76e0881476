// The example's behaviour as snapshots: per chart, which calls succeed over what, which egress
// paths leave how, and the findings. A change of behaviour shows up here as a snapshot diff;
// `npx jest -u test/example-behaviour.test.ts` after checking that the change is intended.
import { buildExampleApp } from '../example/main';
import { MeshReport } from '../src';

const app = buildExampleApp();

test.each(app.charts.map((c) => [c.node.id, c]))('%s', (_id, chart) => {
  expect(MeshReport.fromChart(chart).toSnapshot()).toMatchSnapshot();
});

test('a snapshot is stable: the same chart twice gives the same text', () => {
  const [a, b] = [buildExampleApp(), buildExampleApp()].map((x) => MeshReport.fromChart(x.charts.find((c) => c.node.id === 'a4-identity-access')!).toSnapshot());
  expect(a).toBe(b);
  expect(a.split('\n').slice(0, 2)).toEqual(['mesh: 3 workloads, 9 calls, 0 egress paths, 0 findings', 'workloads:']);
});
