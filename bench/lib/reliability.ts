import type { EvaluatedMetric } from './scenario.js';

/**
 * Why a scenario's figures should not be trusted, as one line, or null: the machine was busy as it started (a 1-minute
 * load average above the core count, so the server and its load generators queued for cores with other work), or a
 * value came out above a ceiling it cannot really pass (then the ceiling's own run was the one slowed down).
 */
export function reliabilityWarning(
  loadBefore: number,
  cores: number,
  metrics: readonly EvaluatedMetric[],
): string | null {
  const reasons: string[] = [];
  if (loadBefore > cores)
    reasons.push(
      `load average ${loadBefore.toFixed(2)} as it started, above the ${cores} cores: other work shared them`,
    );
  for (const metric of metrics) {
    if (metric.ceiling?.upperBound !== true || metric.ratio === null || metric.ratio <= 1) continue;
    reasons.push(
      `${metric.name} at ${metric.ratio.toFixed(2)}× its ceiling (${metric.ceiling.name}), which it cannot really pass: the ceiling ran slow`,
    );
  }
  return reasons.length === 0 ? null : `figures unreliable: ${reasons.join('; ')}`;
}
