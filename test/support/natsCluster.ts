// The cluster harness lives with the benchmarks (which start the same cluster) so both build from one copy.
export { NatsCluster, type NatsNode } from '../../bench/lib/natsCluster.js';
