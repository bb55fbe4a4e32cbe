import type { TemplatedApp } from 'uWebSockets.js';
import { performance } from 'node:perf_hooks';
import type { ListenGate } from './listenGate.js';
import type { SocketSet } from './wsApi.js';
import { shutdownReason } from './wsPublish.js';

/** Time for the loop to read what arrived while the last commit ran, answering each message and request (refused). */
const DRAIN_READ_MS = 25;
/** Longest wait for answers still being sent (a long GET /events) before their connections are closed. */
const DRAIN_ANSWERS_MS = 2_000;
/** Time for uWS to flush the close frames before the loop lets go. */
const CLOSE_FRAMES_MS = 50;

/** What a shutdown stops, in the order it stops them. */
export interface ClosingParts {
  readonly gate: ListenGate;
  readonly stopSweeping: () => void;
  readonly pipeline: { shutdown(): Promise<void> };
  readonly sockets: SocketSet;
  /** Answers being sent as their clients read (the router's count). */
  readonly answersUnderWay: () => number;
  readonly closeLog: () => void;
  readonly app: TemplatedApp;
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Stop accepting, drain the pipeline (every commit in flight is acked), then close. Every HTTP answer from the start
 * says `Connection: close` (see RouterDeps.draining), so keep-alive connections end one by one as they are answered.
 * Hint: before this order, 1001 went out straight after the last commit and uWS dropped the messages still unread
 * (a probe: 3-34 per producer per shutdown, none answered); and the log's close (17-80 ms of blocked loop) ran
 * before the app's, so requests arriving then were reset unread (ECONNRESET on POST in the last ~100 ms).
 */
export async function drainAndClose(parts: ClosingParts): Promise<void> {
  parts.gate.close();
  parts.stopSweeping();
  await parts.pipeline.shutdown();
  await pause(DRAIN_READ_MS);
  // Hint: and a turn through the poll phase after it: on a loaded machine the timer came due while the process waited
  // for a core, fired before the poll read what had arrived, and those messages crossed the 1001 (a CI run: 8 of 20).
  await new Promise((resolve) => setImmediate(resolve));
  for (const ws of [...parts.sockets]) {
    try {
      ws.end(1001, shutdownReason(ws.getUserData()));
    } catch {
      // already closed
    }
  }
  await pause(CLOSE_FRAMES_MS);
  // Hint: each look at the answers under way comes after a turn through the loop's poll phase, so a request already
  // sent has been read (its answer counted), and the close follows the last look in the same turn: a request read in
  // a pause after one look started an answer the close then cut (a probe: a scan sent 110 ms after SIGTERM, cut at
  // 164 ms). Monotonic time, so a clock stepped back cannot hold the shutdown.
  const until = performance.now() + DRAIN_ANSWERS_MS;
  for (;;) {
    await new Promise((resolve) => setImmediate(resolve));
    if (parts.answersUnderWay() === 0 || performance.now() >= until) break;
    await pause(10);
  }
  // Hint: uWS.js has close() since v20.x; its typings do not list it.
  (parts.app as { close?: () => void }).close?.();
  parts.closeLog();
}
