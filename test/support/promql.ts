// The metric names a PromQL expression (or a Grafana `label_values(…)` variable query) reads: what is left once
// strings, label matchers, ranges, grouping clauses, Grafana variables, functions and keywords are taken out.
// Not a full parser: enough for the queries dashboards are written with (prometheus.io/docs/prometheus/latest/querying/basics).

const KEYWORDS = new Set([
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'bool',
  'and',
  'or',
  'unless',
  'offset',
  'inf',
  'nan',
]);

export function metricNamesIn(query: string): string[] {
  // label_values(selector, label): the label is not a metric.
  const variable = /^\s*label_values\((.*),\s*[a-zA-Z_]\w*\s*\)\s*$/s.exec(query);
  const expression = (variable?.[1] ?? query)
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/\$\{[^}]*\}|\$\w+/g, ' ');
  const names = [...expression.matchAll(/(?<![\w.:])[a-zA-Z_:][\w:]*/g)]
    .filter((match) => !/^\s*\(/.test(expression.slice((match.index ?? 0) + match[0].length)))
    .map((match) => match[0])
    .filter((name) => !KEYWORDS.has(name.toLowerCase()));
  return [...new Set(names)];
}
