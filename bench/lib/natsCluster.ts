import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type JetStreamManager, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { track } from './childProcesses.js';
import { fetchJsz, portAnswers, streamDetail } from './natsMonitor.js';
import { type ClusterOptions, configText, NATS_SERVER, type NatsNode, unstartable } from './natsServers.js';
import { stablePort } from './stablePort.js';
import { holdTempDir, releaseTempDir } from './tempDir.js';

export type { NatsNode } from './natsServers.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A JetStream cluster on loopback for tests and benches: `size` nats-servers (1, or 3 with routes between them) on
 * free ports, each with its own config file and store under one temp dir; started, killed (-9 by PID) and restarted
 * one by one. `stop` ends them all and removes the dir.
 */
export class NatsCluster {
  /** What the last unanswered poll saw, for its timeout's message. */
  private lastWhy = '';
  /** Where each server's output of its current launch starts. */
  private readonly launchedAt = new Map<string, number>();

  private constructor(
    readonly dir: string,
    readonly nodes: readonly NatsNode[],
  ) {}

  /**
   * Start `size` servers and wait until JetStream answers on every one; `debug` turns on the servers' debug log, and
   * `advertise: false` stops them telling clients of the other servers (a client then reaches only its NATS_URL).
   */
  static async start(size: 1 | 3, options: ClusterOptions = {}): Promise<NatsCluster> {
    // Hint: a port found free can be taken by another process before the server binds it (tests run side
    // by side); the whole cluster is then started again on new ports.
    for (let attempt = 1; ; attempt++) {
      try {
        return await NatsCluster.startOnce(size, options);
      } catch (error) {
        if (attempt >= 3 || !/address already in use/.test(String(error))) throw error;
      }
    }
  }

  private static async startOnce(size: 1 | 3, options: ClusterOptions): Promise<NatsCluster> {
    const dir = mkdtempSync(join(tmpdir(), 'nats-cluster-'));
    holdTempDir(dir);
    const nodes: NatsNode[] = [];
    for (let i = 1; i <= size; i++) {
      const name = `n${i}`;
      nodes.push({
        name,
        clientPort: await stablePort(),
        routePort: await stablePort(),
        monitorPort: 0,
        conf: join(dir, `${name}.conf`),
        proc: null,
        output: '',
      });
    }
    const routes = nodes.map((node) => node.routePort);
    for (const node of nodes) {
      mkdirSync(join(dir, node.name), { recursive: true });
      writeFileSync(node.conf, configText(node, dir, routes, options));
    }
    const cluster = new NatsCluster(dir, nodes);
    try {
      for (let i = 0; i < size; i++) cluster.launch(i);
      for (let i = 0; i < size; i++) await cluster.waitListening(i);
    } catch (error) {
      await cluster.stop();
      throw error;
    }
    await cluster.waitForJetStream();
    return cluster;
  }

  /** Client URLs of every server, as NATS_URL wants them. */
  get url(): string {
    return this.nodes.map((node) => `nats://127.0.0.1:${node.clientPort}`).join(',');
  }

  /** kill -9 one server by its PID and wait for it to exit. */
  async kill(index: number): Promise<void> {
    const node = this.nodes[index]!;
    const proc = node.proc;
    if (proc === null) return;
    node.proc = null;
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise((resolve) => proc.once('exit', resolve));
    process.kill(proc.pid!, 'SIGKILL');
    await exited;
  }

  /**
   * Start a server that was killed, on the same ports and store. `lose`: what of its store is gone first: `store`
   * (all of it: a machine replaced, its disk lost) or `streams` (every stream's messages and raft state, but not its
   * JetStream meta group state), which the cluster fills again from the streams' other replicas.
   */
  async restart(index: number, { lose }: { lose?: 'store' | 'streams' } = {}): Promise<void> {
    const store = join(this.dir, this.nodes[index]!.name);
    if (lose === 'store') rmSync(store, { recursive: true, force: true });
    if (lose === 'streams') {
      const jetstream = join(store, 'jetstream');
      rmSync(join(jetstream, '$G', 'streams'), { recursive: true, force: true });
      const groups = join(jetstream, '$SYS', '_js_');
      for (const group of existsSync(groups) ? readdirSync(groups) : [])
        if (group.startsWith('S-')) rmSync(join(groups, group), { recursive: true, force: true });
    }
    mkdirSync(store, { recursive: true });
    this.launch(index);
    await this.waitListening(index);
  }

  /** The index of the server leading `stream` (its placement leader), waiting for one to be elected. */
  leaderOf(stream: string, timeoutMs = 20_000): Promise<number> {
    return this.poll(`no leader for ${stream}`, timeoutMs, 100, async (jsm) => {
      const leader = (await jsm.streams.info(stream)).cluster?.leader;
      const index = this.nodes.findIndex((node) => node.name === leader);
      return index >= 0 && this.nodes[index]!.proc !== null ? index : null;
    });
  }

  /** Ask `stream`'s leader to step down until another live server leads it; returns the new leader's index. */
  async stepDown(stream: string, timeoutMs = 20_000): Promise<number> {
    const old = await this.leaderOf(stream);
    return this.poll(`${stream}'s leader did not step down`, timeoutMs, 500, async (jsm, nc) => {
      const name = (await jsm.streams.info(stream)).cluster?.leader;
      const index = this.nodes.findIndex((node) => node.name === name);
      if (index >= 0 && index !== old && this.nodes[index]!.proc !== null) return index;
      if (index === old) await nc.request(`$JS.API.STREAM.LEADER.STEPDOWN.${stream}`, undefined, { timeout: 2_000 });
      return null;
    });
  }

  /**
   * Wait until every server holds a current copy of `stream` and of the JetStream meta group (whose leader answers
   * the API): the cluster is whole again. R3 tolerates one failure at a time; a kill before a restarted server
   * caught up is two.
   */
  async waitCurrent(stream: string, timeoutMs = 60_000): Promise<void> {
    await this.poll(`${stream} not current on every server`, timeoutMs, 200, async (jsm) => {
      const cluster = (await jsm.streams.info(stream)).cluster;
      const replicas = cluster?.replicas ?? [];
      const whole = replicas.length === this.nodes.length - 1 && replicas.every((r) => r.current && !r.offline);
      this.lastWhy = `(stream replicas: ${JSON.stringify(replicas.map((r) => [r.name, r.current, r.offline]))})`;
      if (!cluster?.leader || !whole) return null;
      this.lastWhy = '(the meta group is not whole)';
      if (!(await this.metaWhole())) return null;
      this.lastWhy = "(a server's own copy of the stream is not whole)";
      return (await this.copiesLacking(stream))?.length === 0 ? true : null;
    });
  }

  /**
   * The indices of the live servers whose own copy of `stream` (its /jsz) does not start where the leader's does or
   * has a hole; null while a server's copy or the leader is unknown. The raft view (`current`) alone said a server
   * restarted on an empty store was current while its store still lacked the stream's first messages.
   */
  async copiesLacking(stream: string): Promise<number[] | null> {
    const states = await Promise.all(
      this.nodes.map(async (node, index) => {
        if (node.proc === null) return null;
        const detail = streamDetail(await fetchJsz(node.monitorPort), stream);
        return detail === undefined ? undefined : { index, node: node.name, ...detail };
      }),
    );
    this.lastWhy = `(own copies: ${JSON.stringify(states.map((s) => s?.state ?? s))})`;
    const live = states.filter((s) => s !== null);
    if (live.some((s) => s === undefined)) return null;
    const copies = live.filter((s) => s !== undefined);
    const leader = copies.find((s) => s.cluster?.leader === s.node);
    if (leader === undefined) return null;
    const whole = ({ state }: (typeof copies)[number]) =>
      leader.state.messages === 0
        ? state.messages === 0
        : state.first_seq === leader.state.first_seq && state.messages === state.last_seq - state.first_seq + 1;
    return copies.filter((copy) => !whole(copy)).map((copy) => copy.index);
  }

  /** The meta group's leader (the one server whose /jsz lists the meta replicas) sees every other server current. */
  private async metaWhole(): Promise<boolean> {
    for (const node of this.nodes) {
      if (node.proc === null) return false;
      const meta = (await fetchJsz(node.monitorPort))?.meta_cluster;
      if (meta?.leader !== node.name || meta.replicas === undefined) continue;
      return meta.replicas.length === this.nodes.length - 1 && meta.replicas.every((r) => r.current && !r.offline);
    }
    return false;
  }

  /** Ask the live servers `question` until it answers non-null (a failed connection or request is asked again). */
  private async poll<T>(
    failure: string,
    timeoutMs: number,
    everyMs: number,
    question: (jsm: JetStreamManager, nc: NatsConnection) => Promise<T | null>,
  ): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    this.lastWhy = '';
    for (;;) {
      try {
        const nc = await connect({ servers: this.liveUrls(), timeout: 1_000, maxReconnectAttempts: 0 });
        try {
          const answer = await question(await jetstreamManager(nc, { timeout: 1_000 }), nc);
          if (answer !== null) return answer;
        } finally {
          await nc.close();
        }
      } catch {
        // not answering yet
      }
      if (Date.now() > deadline) throw new Error(`${failure} within ${timeoutMs} ms ${this.lastWhy}`.trim());
      await sleep(everyMs);
    }
  }

  /** No live server holds `stream`'s leadership (its /jsz): the stream cannot take a publish. */
  async leaderless(stream: string): Promise<boolean> {
    for (const node of this.nodes) {
      if (node.proc === null) continue;
      if (streamDetail(await fetchJsz(node.monitorPort), stream)?.cluster?.leader === node.name) return false;
    }
    return true;
  }

  /**
   * What each server says about itself, for a failure's message: alive or how it ended, its view of the meta and
   * stream leaders (/jsz), and the last lines of its log about elections, catch-ups and errors (with `debug`, its
   * votes too).
   */
  async describe(stream: string, lines = 12): Promise<string> {
    const parts = await Promise.all(
      this.nodes.map(async (node) => {
        const state = node.proc === null ? 'killed' : `pid ${node.proc.pid}`;
        const response = node.proc === null ? null : await fetchJsz(node.monitorPort);
        const detail = streamDetail(response, stream);
        const view = `meta leader ${response?.meta_cluster?.leader ?? '?'}, ${stream} leader ${detail?.cluster?.leader ?? '?'}, state ${JSON.stringify(detail?.state ?? null)}`;
        const log = node.output
          .split('\n')
          .filter((line) => /vote|candidate|leader|catch|quorum|WRN|ERR|FTL|Stepping/i.test(line))
          .filter((line) => !/connect to route|connection refused/.test(line))
          .slice(-lines)
          .join('\n');
        return `${node.name} (${state}): ${view}\n${log}`;
      }),
    );
    return parts.join('\n');
  }

  /** Stop every server (kill -9 by PID) and remove the temp dir. */
  async stop(): Promise<void> {
    for (let i = 0; i < this.nodes.length; i++) await this.kill(i);
    // Hint: the servers' own logs explain a stall or a divergence; kept beside the replicas when asked to.
    const keep = process.env.CLUSTER_KEEP_REPLICAS;
    if (keep !== undefined && keep !== '') {
      mkdirSync(keep, { recursive: true });
      for (const node of this.nodes) writeFileSync(join(keep, `${node.name}.log`), node.output);
    }
    rmSync(this.dir, { recursive: true, force: true });
    releaseTempDir(this.dir);
  }

  private liveUrls(): string[] {
    return this.nodes.filter((node) => node.proc !== null).map((node) => `nats://127.0.0.1:${node.clientPort}`);
  }

  private launch(index: number): void {
    const node = this.nodes[index]!;
    this.launchedAt.set(node.name, node.output.length);
    // Hint: tracked, so a test or bench run that ends early still kills its servers by PID.
    const proc = track(spawn(NATS_SERVER, ['-c', node.conf], { stdio: ['ignore', 'pipe', 'pipe'] }));
    proc.stdout?.on('data', (chunk: Buffer) => (node.output += chunk.toString()));
    proc.stderr?.on('data', (chunk: Buffer) => (node.output += chunk.toString()));
    proc.once('error', (error) => (node.output += `${error.message}\n`));
    node.proc = proc;
  }

  private async waitListening(index: number): Promise<void> {
    const node = this.nodes[index]!;
    const deadline = Date.now() + 10_000;
    while (!(await portAnswers(node.clientPort))) {
      if (node.proc !== null) unstartable(node.proc);
      if (node.proc?.exitCode !== null) throw new Error(`${node.name} exited:\n${node.output}`);
      if (Date.now() > deadline) throw new Error(`${node.name} not listening within 10 s:\n${node.output}`);
      await sleep(50);
    }
    for (;;) {
      const since = node.output.slice(this.launchedAt.get(node.name) ?? 0);
      const port = Number(/Starting http monitor on [\d.]+:(\d+)/.exec(since)?.[1] ?? 0);
      if (port !== 0) {
        node.monitorPort = port;
        return;
      }
      if (Date.now() > deadline) throw new Error(`${node.name} named no monitoring port within 10 s:\n${node.output}`);
      await sleep(20);
    }
  }

  /** JetStream answers (in a cluster: a meta leader was elected). */
  private async waitForJetStream(): Promise<void> {
    await this.poll('JetStream not ready', 20_000, 100, async (jsm) => {
      await jsm.getAccountInfo();
      return true;
    });
  }
}
