/** One sample line: metric name, labels and value. */
export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** One metric family: its TYPE, HELP and samples. */
export interface Family {
  readonly type: string;
  readonly help: string;
  readonly samples: Sample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);
const SUFFIXES: Readonly<Record<string, readonly string[]>> = {
  histogram: ['_bucket', '_sum', '_count'],
  summary: ['_sum', '_count', ''],
};

// Hint: Prometheus reads values with Go's ParseFloat, which takes NaN and Inf in any case; prom-client writes an
// event-loop mean with no samples yet as "Nan", so this parser accepts what Prometheus accepts, and no more.
function parseValue(text: string, line: string): number {
  if (/^\+?inf(inity)?$/i.test(text)) return Infinity;
  if (/^-inf(inity)?$/i.test(text)) return -Infinity;
  if (/^nan$/i.test(text)) return NaN;
  if (!/^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) throw new Error(`bad value ${text} in: ${line}`);
  return Number(text);
}

/** `{a="x",b="y\"z"}` → labels, with the format's escapes (\\, \", \n) and nothing else. */
function parseLabels(text: string, line: string): Record<string, string> {
  const labels: Record<string, string> = {};
  let rest = text;
  while (rest.length > 0) {
    const match = /^([^=]+)="((?:[^"\\\n]|\\[\\"n])*)"(,|$)/.exec(rest);
    if (match === null || !LABEL.test(match[1]!)) throw new Error(`bad labels in: ${line}`);
    if (labels[match[1]!] !== undefined) throw new Error(`repeated label ${match[1]} in: ${line}`);
    labels[match[1]!] = match[2]!.replace(/\\(.)/g, (_m, c: string) => (c === 'n' ? '\n' : c));
    rest = rest.slice(match[0].length);
  }
  return labels;
}

/** The family a sample belongs to: its own name, or the name without a histogram/summary suffix. */
function familyOf(families: Map<string, Family>, name: string, line: string): Family {
  const direct = families.get(name);
  if (direct !== undefined) return direct;
  for (const [family, data] of families) {
    const suffixes = SUFFIXES[data.type] ?? [];
    if (suffixes.some((suffix) => suffix !== '' && name === family + suffix)) return data;
  }
  throw new Error(`sample before its # TYPE: ${line}`);
}

/** Histogram checks: buckets cumulative, a +Inf bucket equal to _count, per label set. */
function checkHistogram(name: string, family: Family): void {
  const groups = new Map<string, { buckets: [number, number][]; count?: number }>();
  for (const sample of family.samples) {
    const { le, ...rest } = sample.labels;
    const key = JSON.stringify(rest);
    const group = groups.get(key) ?? { buckets: [] };
    groups.set(key, group);
    if (sample.name === `${name}_bucket`) group.buckets.push([parseValue(le ?? '', name), sample.value]);
    if (sample.name === `${name}_count`) group.count = sample.value;
  }
  for (const [key, group] of groups) {
    for (let i = 1; i < group.buckets.length; i++) {
      if (group.buckets[i]![0] <= group.buckets[i - 1]![0] || group.buckets[i]![1] < group.buckets[i - 1]![1])
        throw new Error(`${name}${key}: buckets not cumulative`);
    }
    const last = group.buckets[group.buckets.length - 1];
    if (last === undefined || last[0] !== Infinity || last[1] !== group.count)
      throw new Error(`${name}${key}: +Inf bucket missing or not equal to _count`);
  }
}

/**
 * A strict parser of the Prometheus text exposition format 0.0.4: every sample after its family's TYPE, names and
 * labels well formed, values numbers, no family declared twice, histograms consistent. Throws on any violation.
 */
export function parsePrometheusText(text: string): Map<string, Family> {
  if (!text.endsWith('\n')) throw new Error('exposition must end with a newline');
  const families = new Map<string, Family>();
  const helps = new Map<string, string>();
  for (const line of text.slice(0, -1).split('\n')) {
    if (line === '') continue;
    const meta = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
    if (meta !== null) {
      const [, kind, name, rest] = meta;
      if (!NAME.test(name!)) throw new Error(`bad metric name in: ${line}`);
      if (kind === 'HELP') helps.set(name!, rest!);
      else {
        if (!TYPES.has(rest!) || families.has(name!)) throw new Error(`bad or repeated TYPE: ${line}`);
        families.set(name!, { type: rest!, help: helps.get(name!) ?? '', samples: [] });
      }
      continue;
    }
    if (line.startsWith('#')) continue;
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)(?: (-?\d+))?$/.exec(line);
    if (sample === null) throw new Error(`bad sample line: ${line}`);
    const [, name, labels, value] = sample;
    familyOf(families, name!, line).samples.push({
      name: name!,
      labels: parseLabels(labels ?? '', line),
      value: parseValue(value!, line),
    });
  }
  for (const [name, family] of families) if (family.type === 'histogram') checkHistogram(name, family);
  return families;
}

/** The value of the one sample named `name` whose labels include `labels`; undefined when absent. */
export function sampleValue(
  families: Map<string, Family>,
  name: string,
  labels: Readonly<Record<string, string>> = {},
): number | undefined {
  for (const family of families.values()) {
    for (const sample of family.samples) {
      if (sample.name !== name) continue;
      if (Object.entries(labels).every(([k, v]) => sample.labels[k] === v)) return sample.value;
    }
  }
  return undefined;
}
