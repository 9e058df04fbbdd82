// What operators scrape and chart: the Grafana dashboard under deploy/grafana asks only for metrics a running bot
// serves at /metrics, beside the process's own; and a stopped bot leaves nothing of them running.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { spawnBotProcess } from '../../simulators/bot-process-handle.js';
import { startSimulators } from '../../simulators/sandbox.js';
import { type MetricFamily, parseExposition } from '../support/prometheus-text.js';
import { metricNamesIn } from '../support/promql.js';
import { startWorld, stopWorld, type World } from '../support/world.js';

const DASHBOARD = join(import.meta.dirname, '..', '..', 'deploy', 'grafana', 'jit-access-bot.json');

interface Panel {
  title?: string;
  datasource?: unknown;
  targets?: { expr?: string; datasource?: unknown }[];
  panels?: Panel[];
}
interface Dashboard {
  panels: Panel[];
  templating: { list: { name: string; type: string; query?: string | { query: string }; datasource?: unknown }[] };
}

const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as Dashboard;
const panels = (list: Panel[]): Panel[] => list.flatMap((panel) => [panel, ...panels(panel.panels ?? [])]);

/** Every PromQL query the dashboard runs: its panels' and its variables'. */
function queries(): string[] {
  const targets = panels(dashboard.panels).flatMap((panel) => (panel.targets ?? []).map((target) => target.expr ?? ''));
  const variables = dashboard.templating.list
    .filter((variable) => variable.type === 'query')
    .map((variable) => (typeof variable.query === 'string' ? variable.query : (variable.query?.query ?? '')));
  return [...targets, ...variables];
}

// A histogram is queried through its _bucket, _sum and _count series; a summary through _sum and _count.
const SUFFIXES: [string, string[]][] = [
  ['_bucket', ['histogram']],
  ['_sum', ['histogram', 'summary']],
  ['_count', ['histogram', 'summary']],
];

/** Whether /metrics (read into `families`) serves series named `name`. */
function serves(families: Map<string, MetricFamily>, name: string): boolean {
  const family = families.get(name);
  if (family) return family.type !== 'histogram';
  for (const [suffix, types] of SUFFIXES) {
    const owner = name.endsWith(suffix) ? families.get(name.slice(0, -suffix.length)) : undefined;
    // A labelled histogram shows its series once something was observed; its family is there from the start.
    if (owner && types.includes(owner.type)) return owner.samples.length === 0 || owner.samples.some((sample) => sample.name === name);
  }
  return false;
}

let world: World | undefined;
afterEach(async () => {
  await stopWorld(world);
  world = undefined;
});

describe('metricNamesIn', () => {
  it.each([
    [
      'histogram_quantile(0.99, sum by (le) (rate(jit_revocation_lag_seconds_bucket{job=~"$job", le!="+Inf"}[$__rate_interval])))',
      ['jit_revocation_lag_seconds_bucket'],
    ],
    [
      'sum without (instance) (increase(jit_job_retries_total{kind="grant"}[5m] offset 1h)) / on(job) group_left sum(up)',
      ['jit_job_retries_total', 'up'],
    ],
    ['label_values(jit_requests{job=~"$job"}, instance)', ['jit_requests']],
    ['max by (state) (jit_requests) > bool 0 and process_resident_memory_bytes > 1e8', ['jit_requests', 'process_resident_memory_bytes']],
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's variable syntax, meant literally
    ['rate(process_cpu_seconds_total[${__range}]) * 100', ['process_cpu_seconds_total']],
    ['count(nodejs_version_info{version=~"v20.*"}) or vector(0)', ['nodejs_version_info']],
  ])('finds the metrics in %s, and not its functions, labels or variables', (query, names) => {
    expect(metricNamesIn(query)).toEqual(names);
  });
});

describe('the Grafana dashboard', () => {
  it('picks its Prometheus through a variable, never a datasource uid of one Grafana', () => {
    const variable = dashboard.templating.list.find((one) => one.name === 'datasource');
    expect(variable).toMatchObject({ type: 'datasource', query: 'prometheus' });
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's variable syntax, meant literally
    const chosen = { type: 'prometheus', uid: '${datasource}' };
    const sources = [
      ...panels(dashboard.panels).flatMap((panel) => [panel.datasource, ...(panel.targets ?? []).map((target) => target.datasource)]),
      ...dashboard.templating.list.filter((one) => one.type === 'query').map((one) => one.datasource),
    ].filter((source) => source !== undefined);
    expect(sources.length).toBeGreaterThan(0);
    expect(sources.filter((source) => JSON.stringify(source) !== JSON.stringify(chosen))).toEqual([]);
  });

  it('charts the lags, decisions, grants, job retries and failures, takeovers and the process', () => {
    const used = new Set(queries().flatMap(metricNamesIn));
    expect([...used]).toEqual(
      expect.arrayContaining([
        'jit_revocation_lag_seconds_bucket',
        'jit_time_to_decision_seconds_bucket',
        'jit_time_to_grant_seconds_bucket',
        'jit_boundary_revocation_lag_seconds_bucket',
        'jit_job_retries_total',
        'jit_job_failures_total',
        'jit_job_takeovers_total',
        'process_resident_memory_bytes',
        'nodejs_heap_size_used_bytes',
        'nodejs_eventloop_lag_p99_seconds',
      ]),
    );
  });

  it('queries only metrics that a running bot serves at /metrics', async () => {
    world = await startWorld();
    const families = parseExposition(await (await fetch(`http://127.0.0.1:${world.bot.httpPort}/metrics`)).text());
    const used = [...new Set(queries().flatMap(metricNamesIn))].sort();
    expect(used.length).toBeGreaterThan(20);
    expect(used.filter((name) => !serves(families, name))).toEqual([]);
  });
});

describe('a stopped bot', () => {
  it('leaves nothing running: its process ends by itself once the bot has stopped', async () => {
    const sims = await startSimulators();
    try {
      const bot = await spawnBotProcess(sims, 0);
      const families = parseExposition(await (await fetch(`http://127.0.0.1:${bot.httpPort}/metrics`)).text());
      expect(families.get('process_resident_memory_bytes')?.samples[0]?.value).toBeGreaterThan(0);
      expect(await bot.stopAndLetExit(10_000)).toBe(0);
    } finally {
      await sims.slack.stop();
      await sims.graph.stop();
    }
  }, 40_000);
});
