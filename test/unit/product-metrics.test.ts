/**
 * Product metrics (issue 13) as the monitoring profile uses them: every metric the Grafana dashboard
 * queries is one the workers emit (src/workflows/product-metrics.ts, the one home of their names),
 * every emitted metric is on the dashboard, and Prometheus scrapes the port the workers serve on.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { PRODUCT_HISTOGRAM_BUCKETS } from '../../src/workflows/product-metric-buckets';

const root = path.resolve(__dirname, '../..');
const source = fs.readFileSync(path.join(root, 'src/workflows/product-metrics.ts'), 'utf8');
const emitted = [...source.matchAll(/create(Counter|Gauge|Histogram)\('([a-z_]+)'/g)].map((m) => ({ kind: m[1]!, name: m[2]! }));
const dashboard = JSON.parse(fs.readFileSync(path.join(root, 'deploy/grafana/dashboards/drill-runner.json'), 'utf8')) as {
  panels: Array<{ title: string; targets: Array<{ expr: string }> }>;
};
const queried = new Set(
  dashboard.panels.flatMap((p) => p.targets.flatMap((t) => [...t.expr.matchAll(/\b(drill_[a-z_]+)/g)].map((m) => m[1]!.replace(/_(bucket|count|sum)$/, '')))),
);

test('the dashboard queries only emitted metrics, and shows every one', () => {
  expect(emitted.length).toBeGreaterThanOrEqual(8);
  const names = new Set(emitted.map((m) => m.name));
  for (const q of queried) expect(names).toContain(q);
  for (const m of emitted) expect(queried).toContain(m.name);
});

test('every histogram has buckets in seconds installed with the exporter', () => {
  for (const m of emitted.filter((x) => x.kind === 'Histogram')) {
    expect(PRODUCT_HISTOGRAM_BUCKETS[m.name]).toBeDefined();
    expect(PRODUCT_HISTOGRAM_BUCKETS[m.name]).toContain(900);
  }
});

test('Prometheus scrapes the workers on the port they serve metrics on in the compose stack', () => {
  const prom = parse(fs.readFileSync(path.join(root, 'deploy/prometheus/prometheus.yml'), 'utf8')) as {
    scrape_configs: Array<{ dns_sd_configs: Array<{ names: string[]; port: number }> }>;
  };
  const compose = fs.readFileSync(path.join(root, 'docker-compose.yml'), 'utf8');
  const port = Number(/DRILL_METRICS_ADDRESS: 0\.0\.0\.0:(\d+)/.exec(compose)![1]);
  expect(prom.scrape_configs[0]!.dns_sd_configs[0]).toEqual({ names: ['worker'], type: 'A', port });
});
