/** A bound a metric should meet. */
export interface Target {
  readonly op: '>=' | '<=';
  readonly value: number;
}

/** The best achievable value measured in the same run, so a result reads as a ratio. */
export interface Ceiling {
  readonly name: string;
  readonly value: number;
  /** The value cannot really exceed it (a raw echo, a bare append, a raw scan): a ratio above 1 means it ran slow. */
  readonly upperBound?: boolean;
}

/** One measured number. `ratio` is value / ceiling.value. */
export interface Metric {
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  readonly target?: Target;
  readonly ceiling?: Ceiling;
  readonly ratioTarget?: Target;
  /** A correctness check (loss, errors): failing it makes the run fail, unlike a missed performance target. */
  readonly check?: boolean;
}

/** What a scenario hands back: its metrics, free-form details for the JSON, and notes for the reader. */
export interface ScenarioOutcome {
  readonly metrics: Metric[];
  readonly details: Record<string, unknown>;
  readonly notes: string[];
}

/** A finished scenario as reported. */
export interface ScenarioRecord {
  readonly name: string;
  readonly ok: boolean;
  readonly error?: string;
  /** Why its figures may not be trusted (a busy machine, a ratio above an upper-bound ceiling), if they may not. */
  readonly warning?: string;
  readonly durationMs: number;
  readonly metrics: EvaluatedMetric[];
  readonly details: Record<string, unknown>;
  readonly notes: string[];
}

/** A metric with its ratio and verdict worked out. */
export interface EvaluatedMetric extends Metric {
  readonly ratio: number | null;
  /** null when the metric has no target. */
  readonly pass: boolean | null;
}

/** What every scenario gets from the runner. */
export interface ScenarioContext {
  readonly quick: boolean;
  /** Where server CPU profiles go, or null when not profiling. */
  readonly profileDir: string | null;
  /** Scenarios that already ran in this invocation (baseline reads ingest-ws-batch from here). */
  readonly results: ReadonlyMap<string, ScenarioRecord>;
  /** Print a progress line. */
  log(text: string): void;
}

/** A benchmark scenario: self-contained, starts and stops everything it needs. */
export interface Scenario {
  readonly name: string;
  readonly summary: string;
  run(context: ScenarioContext): Promise<ScenarioOutcome>;
}

function meets(target: Target, value: number): boolean {
  return target.op === '>=' ? value >= target.value : value <= target.value;
}

/** Work out a metric's ratio and pass/fail. */
export function evaluate(metric: Metric): EvaluatedMetric {
  const ratio = metric.ceiling !== undefined && metric.ceiling.value > 0 ? metric.value / metric.ceiling.value : null;
  let pass: boolean | null = null;
  if (metric.target !== undefined) pass = meets(metric.target, metric.value);
  if (metric.ratioTarget !== undefined && ratio !== null) pass = (pass ?? true) && meets(metric.ratioTarget, ratio);
  return { ...metric, ratio, pass };
}

/** A program a scenario needs is not installed (nats-server): reported as its one-line message, without a stack. */
export class MissingTool extends Error {
  override readonly name = 'MissingTool';
}
