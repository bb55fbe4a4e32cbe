import { WorkerProcess } from '../lib/childProcesses.js';
import { runPublisher } from '../lib/loadRuns.js';
import type { Scenario, ScenarioContext, ScenarioOutcome } from '../lib/scenario.js';
import { ServerProcess } from '../lib/serverProcess.js';
import { TARGETS } from '../lib/targets.js';
import { withTempDir } from '../lib/tempDir.js';
import type { SdkPublishPlan, SdkPublishResult } from '../workers/sdkPublisher.js';
import type { PublishPlan, PublishResult } from '../workers/wsPublisher.js';

/** Run the SDK publisher in its own process against `url`. */
async function runSdkPublisher(plan: SdkPublishPlan): Promise<SdkPublishResult> {
  const worker = WorkerProcess.start('sdkPublisher');
  try {
    return await worker.request<SdkPublishResult>(
      { type: 'sdkPublish', plan },
      'sdkPublished',
      plan.warmupMs + plan.durationMs + 60_000,
    );
  } finally {
    await worker.stop();
  }
}

/** Run `fn` against a fresh server in `dir`/`label`. */
async function withServer<T>(
  dir: string,
  label: string,
  context: ScenarioContext,
  fn: (server: ServerProcess) => Promise<T>,
): Promise<T> {
  const server = await ServerProcess.start({ dir: `${dir}/${label}`, label, profileDir: context.profileDir });
  try {
    return await fn(server);
  } finally {
    await server.stop();
  }
}

/**
 * The client SDK's `publish()` (one call per event, auto-batched, acked after commit) through one socket, against
 * the raw protocol through one socket (pre-serialized arrays of 100, window 8) on a fresh server in the same run.
 */
export const sdkPublish: Scenario = {
  name: 'sdk-publish',
  summary: 'client SDK publish() through one socket, as a ratio to the raw-protocol publisher',
  run: (context) =>
    withTempDir('sdk-publish', async (dir): Promise<ScenarioOutcome> => {
      const warmupMs = context.quick ? 300 : 2_000;
      const durationMs = context.quick ? 1_500 : 10_000;
      // Hint: the SDK runs first so neither side always inherits the other's leftover load (index builds, page cache).
      const sdk = await withServer(dir, 'sdk', context, (server) =>
        runSdkPublisher({ url: server.baseUrl, seed: 7, warmupMs, durationMs }),
      );
      const raw = await withServer(dir, 'raw', context, (server) => {
        const plan: PublishPlan = {
          url: `${server.wsUrl}/ws/publish`,
          connections: 1,
          window: 8,
          eventsPerMessage: 100,
          expect: 'ack',
          traffic: 'realistic',
          seed: 7,
          warmupMs,
          durationMs,
          maxEvents: Number.MAX_SAFE_INTEGER,
          drainTimeoutMs: 10_000,
        };
        return runPublisher(plan);
      });
      const rawRate = rateOf(raw);
      const sdkRate = sdk.measuredMs > 0 ? (sdk.measuredEvents * 1000) / sdk.measuredMs : 0;
      context.log(
        `raw ${rawRate.toFixed(0)} ev/s, SDK ${sdkRate.toFixed(0)} ev/s, SDK client CPU ${((sdk.clientCpuMs * 1000) / Math.max(1, sdk.ackedEvents)).toFixed(1)} µs/event`,
      );
      return {
        metrics: [
          {
            name: 'SDK events/s (one socket)',
            value: sdkRate,
            unit: 'ev/s',
            ceiling: { name: 'raw protocol, one socket, arrays of 100', value: rawRate },
            ratioTarget: { op: '>=', value: TARGETS.sdkPublish.ofRawProtocol },
          },
          {
            name: 'SDK client CPU per event',
            value: (sdk.clientCpuMs * 1000) / Math.max(1, sdk.ackedEvents),
            unit: 'µs',
          },
          { name: 'SDK failed publishes', value: sdk.failed, unit: '', target: { op: '<=', value: 0 }, check: true },
        ],
        details: { raw, sdk },
        notes: sdk.firstErrors.length > 0 ? [`first errors: ${sdk.firstErrors.join(' | ')}`] : [],
      };
    }),
};

function rateOf(result: PublishResult): number {
  return result.measuredMs > 0 ? (result.measuredEvents * 1000) / result.measuredMs : 0;
}
