// A small Prometheus registry: counters, gauges read at scrape time, and histograms, written in the text
// exposition format (prometheus.io/docs/instrumenting/exposition_formats).

type Labels = Record<string, string>;

const labelText = (labels: Labels): string => {
  const entries = Object.entries(labels);
  return entries.length === 0 ? '' : `{${entries.map(([key, value]) => `${key}="${value.replace(/["\\\n]/g, '\\$&')}"`).join(',')}}`;
};

interface Family {
  help: string;
  type: 'counter' | 'gauge' | 'histogram';
  render(name: string): string[] | Promise<string[]>;
}

export class Counter {
  private readonly values = new Map<string, { labels: Labels; value: number }>();
  inc(labels: Labels = {}, by = 1): void {
    const key = labelText(labels);
    const entry = this.values.get(key) ?? { labels, value: 0 };
    entry.value += by;
    this.values.set(key, entry);
  }
  get(labels: Labels = {}): number {
    return this.values.get(labelText(labels))?.value ?? 0;
  }
  render(name: string): string[] {
    return [...this.values.values()].map(({ labels, value }) => `${name}${labelText(labels)} ${value}`);
  }
}

export class Histogram {
  private readonly counts: number[];
  private sum = 0;
  private count = 0;
  constructor(private readonly buckets: number[]) {
    this.counts = buckets.map(() => 0);
  }
  observe(value: number): void {
    this.sum += value;
    this.count += 1;
    this.buckets.forEach((bound, index) => {
      if (value <= bound) this.counts[index] = (this.counts[index] ?? 0) + 1;
    });
  }
  render(name: string): string[] {
    return [
      ...this.buckets.map((bound, index) => `${name}_bucket{le="${bound}"} ${this.counts[index] ?? 0}`),
      `${name}_bucket{le="+Inf"} ${this.count}`,
      `${name}_sum ${this.sum}`,
      `${name}_count ${this.count}`,
    ];
  }
}

export class Registry {
  private readonly families = new Map<string, Family>();

  counter(name: string, help: string): Counter {
    const counter = new Counter();
    this.families.set(name, { help, type: 'counter', render: (n) => counter.render(n) });
    return counter;
  }

  histogram(name: string, help: string, buckets: number[]): Histogram {
    const histogram = new Histogram(buckets);
    this.families.set(name, { help, type: 'histogram', render: (n) => histogram.render(n) });
    return histogram;
  }

  /** A gauge whose values are read when Prometheus scrapes (from the database, say). */
  gauge(name: string, help: string, read: () => Promise<{ labels?: Labels; value: number }[]>): void {
    this.families.set(name, {
      help,
      type: 'gauge',
      render: async (n) => (await read()).map(({ labels = {}, value }) => `${n}${labelText(labels)} ${value}`),
    });
  }

  async render(): Promise<string> {
    const lines: string[] = [];
    for (const [name, family] of this.families)
      lines.push(`# HELP ${name} ${family.help}`, `# TYPE ${name} ${family.type}`, ...(await family.render(name)));
    return `${lines.join('\n')}\n`;
  }
}
