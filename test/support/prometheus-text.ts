// Reads Prometheus' text exposition format (prometheus.io/docs/instrumenting/exposition_formats) into metric
// families, so that tests look at names, types, labels and buckets rather than at lines.

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface MetricFamily {
  name: string;
  type: string;
  help: string;
  samples: Sample[];
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

export function parseExposition(text: string): Map<string, MetricFamily> {
  const families = new Map<string, MetricFamily>();
  const family = (name: string): MetricFamily => {
    const found = families.get(name) ?? { name, type: 'untyped', help: '', samples: [] };
    families.set(name, found);
    return found;
  };
  let current: MetricFamily | undefined;
  for (const line of text.split('\n')) {
    const comment = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
    if (comment) {
      const [, keyword, name = '', rest = ''] = comment;
      current = family(name);
      if (keyword === 'HELP') current.help = rest;
      else current.type = rest;
      continue;
    }
    const sample = SAMPLE.exec(line);
    if (!sample) continue;
    const [, name = '', labelText = '', value = ''] = sample;
    const labels = Object.fromEntries([...labelText.matchAll(LABEL)].map(([, key = '', text = '']) => [key, text]));
    // A histogram's or summary's samples carry suffixes of their family's name.
    const owner = current && name.startsWith(current.name) ? current : family(name);
    owner.samples.push({ name, labels, value: Number(value) });
  }
  return families;
}

/** The label names a family's samples carry, besides a histogram's `le` and a summary's `quantile`. */
export function labelNamesOf(family: MetricFamily): string[] {
  const names = new Set(family.samples.flatMap((sample) => Object.keys(sample.labels)));
  names.delete('le');
  names.delete('quantile');
  return [...names].sort();
}

/** A histogram's bucket bounds, in the order they were written. */
export function bucketsOf(family: MetricFamily): string[] {
  return [...new Set(family.samples.filter((sample) => sample.name === `${family.name}_bucket`).map((sample) => sample.labels.le ?? ''))];
}
