import type { EventInput } from '../../src/protocol/eventInput.js';
import type { EventType } from '../../src/protocol/eventTypes.js';

/** An event as a producer sends it on the wire. */
export interface WireEvent {
  event_type: EventType;
  source: string;
  session_id: string;
  user_id: string;
  payload: Record<string, unknown>;
}

/** Shape of the generated traffic. */
export interface TrafficShape {
  readonly seed: number;
  /** Distinct session ids (default 1,000). */
  readonly sessions: number;
  /** Distinct user ids (default 5,000); each session draws from its own slice of users. */
  readonly users: number;
}

export const DEFAULT_TRAFFIC: TrafficShape = { seed: 42, sessions: 1_000, users: 5_000 };

/** mulberry32: a small deterministic PRNG, so every run sends the same traffic. */
export function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The session id the factory uses for session number `index`. */
export function sessionName(index: number): string {
  return `sess_${String(index).padStart(5, '0')}`;
}

/** Event-type mix of a live quiz: mostly answers, views and timer ticks, a few lifecycle events. */
const TYPE_WEIGHTS: readonly [EventType, number][] = [
  ['answer_submitted', 34],
  ['question_viewed', 30],
  ['timer_tick', 25],
  ['answer_changed', 4],
  ['question_skipped', 3],
  ['quiz_started', 2],
  ['quiz_completed', 1],
  ['mastery_updated', 1],
];
const TOTAL_WEIGHT = TYPE_WEIGHTS.reduce((sum, [, w]) => sum + w, 0);
const SOURCES = ['quiz_engine', 'student_app', 'timer_service'] as const;
const ANSWERS = ['A', 'B', 'C', 'D'] as const;

/**
 * Deterministic, realistic quiz traffic: 1,000 sessions, 5,000 users (5 per session), payloads of about 100 bytes
 * serialized. The same seed yields the same sequence.
 */
export class EventFactory {
  private readonly random: () => number;
  private readonly usersPerSession: number;

  constructor(readonly shape: TrafficShape = DEFAULT_TRAFFIC) {
    this.random = prng(shape.seed);
    this.usersPerSession = Math.max(1, Math.floor(shape.users / shape.sessions));
  }

  private int(n: number): number {
    return Math.floor(this.random() * n);
  }

  private type(): EventType {
    let r = this.random() * TOTAL_WEIGHT;
    for (const [type, weight] of TYPE_WEIGHTS) {
      r -= weight;
      if (r < 0) return type;
    }
    return 'answer_submitted';
  }

  /** The next event; `session` overrides the random session number, `extra` is merged first into the payload. */
  next(session?: number, extra?: Record<string, unknown>): WireEvent {
    const s = session ?? this.int(this.shape.sessions);
    const user = (s * this.usersPerSession + this.int(this.usersPerSession)) % this.shape.users;
    const event_type = this.type();
    const quiz = `quiz_${String(s % 250).padStart(4, '0')}`;
    const question = `q_${String(this.int(40) + 1).padStart(3, '0')}`;
    let payload: Record<string, unknown>;
    switch (event_type) {
      case 'answer_submitted':
      case 'answer_changed':
        payload = {
          quiz_id: quiz,
          question_id: question,
          answer: ANSWERS[this.int(4)],
          correct: this.random() < 0.6,
          time_ms: 500 + this.int(30_000),
          attempt: 1 + this.int(2),
        };
        break;
      case 'timer_tick':
        payload = {
          quiz_id: quiz,
          question_id: question,
          remaining_s: this.int(1_800),
          elapsed_s: this.int(1_800),
          tick: this.int(1_000),
          paused: false,
        };
        break;
      case 'mastery_updated':
        payload = {
          skill_id: `skill_${this.int(500)}`,
          mastery: Math.round(this.random() * 1000) / 1000,
          previous: Math.round(this.random() * 1000) / 1000,
          evidence: this.int(50),
        };
        break;
      default:
        payload = {
          quiz_id: quiz,
          question_id: question,
          position: this.int(40) + 1,
          total: 40,
          device: this.random() < 0.7 ? 'web' : 'ios',
          locale: 'en-US',
        };
    }
    return {
      event_type,
      source: SOURCES[this.int(SOURCES.length)]!,
      session_id: sessionName(s),
      user_id: `user_${String(user).padStart(5, '0')}`,
      payload: extra === undefined ? payload : { ...extra, ...payload },
    };
  }

  /** `count` events as validated log inputs (payload serialized once, no producer id), as parseEventInput would give. */
  inputs(count: number): EventInput[] {
    const out: EventInput[] = [];
    for (let i = 0; i < count; i++) out.push(toEventInput(this.next()));
    return out;
  }
}

/** The log input for a wire event, with the server assigning the id. */
export function toEventInput(event: WireEvent): EventInput {
  return {
    id: null,
    event_type: event.event_type,
    source: event.source,
    session_id: event.session_id,
    user_id: event.user_id,
    payloadJson: JSON.stringify(event.payload),
  };
}

/** Mean serialized payload size of some inputs, in bytes. */
export function meanPayloadBytes(inputs: readonly EventInput[]): number {
  let total = 0;
  for (const input of inputs) total += Buffer.byteLength(input.payloadJson);
  return inputs.length === 0 ? 0 : total / inputs.length;
}
