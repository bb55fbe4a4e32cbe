import autocannon from 'autocannon';
import { EventFactory } from '../lib/eventFactory.js';
import { serveWorker } from '../lib/workerRuntime.js';

/** Keep-alive POST /events load with autocannon, bodies cycling through realistic single events. */
export interface RestPlan {
  /** Base URL; requests go to POST {url}/events (or any path on the echo server). */
  readonly url: string;
  readonly connections: number;
  readonly warmupSeconds: number;
  readonly durationSeconds: number;
}

async function load(plan: RestPlan) {
  const factory = new EventFactory({ seed: 5, sessions: 1_000, users: 5_000 });
  // Hint: static requests are serialized once per connection; a setupRequest hook would rebuild every request and
  // make autocannon, not the server, the bottleneck on a 2-core machine.
  const requests = Array.from({ length: 200 }, () => ({
    method: 'POST',
    path: '/events',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(factory.next()),
  }));
  const options = (duration: number) => ({
    url: plan.url,
    connections: plan.connections,
    pipelining: 1,
    duration,
    timeout: 10,
    requests,
  });
  const warmup = plan.warmupSeconds > 0 ? await autocannon(options(plan.warmupSeconds)) : null;
  const cpuBefore = process.cpuUsage();
  const result = await autocannon(options(plan.durationSeconds));
  const cpu = process.cpuUsage(cpuBefore);
  return {
    type: 'loaded',
    ok: result['2xx'],
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    warmupRequests: warmup === null ? 0 : warmup['2xx'] + warmup.non2xx,
    durationSeconds: result.duration,
    perSecond: result['2xx'] / result.duration,
    latencyMs: {
      p50: result.latency.p50,
      p90: result.latency.p90,
      p99: result.latency.p99,
      max: result.latency.max,
      mean: result.latency.mean,
    },
    clientCpuMs: (cpu.user + cpu.system) / 1000,
  };
}

serveWorker({ load: (message) => load(message.plan as RestPlan) });
