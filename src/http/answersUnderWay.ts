import { AddressBudget } from './addressBudget.js';
import { HttpError } from './httpError.js';

/**
 * An answer over this many bytes is refused (429) to an address that has all its answers under way. Hint: small answers
 * (/health, acks, errors, /metrics) are never refused: a connection holds at most one of them (see endOrHold).
 */
export const LARGE_ANSWER_BYTES = 64 * 1024;

/** How a reply counts its answer among its address's answers under way. */
export interface AnswerBudget {
  /** The 429 to send instead of an answer of `bytes` (null: send it). */
  refusal(bytes: number): HttpError | null;
  /** Count the answer as under way (the socket did not take it at once) until the release is called. */
  hold(): () => void;
}

/**
 * Answers still being sent, per client address (MAX_HTTP_STREAMS_PER_IP): a `GET /events` answer from its start (it
 * may be sent a piece at a time), and any other answer the socket could not take at once, until it is out or cut off.
 */
export class AnswersUnderWay {
  private readonly budget: AddressBudget;
  private readonly tooMany: string;

  /** `refused` is told of each 429 (the request log's rate-limit metric). */
  constructor(
    limit: number,
    private readonly refused: () => void,
  ) {
    this.budget = new AddressBudget(limit);
    this.tooMany = `too many answers still being sent to this address (MAX_HTTP_STREAMS_PER_IP: ${limit}); read or close them first`;
  }

  /** A place for a streamed answer from its start: its release; throws a 429 when the address has all its places. */
  take(address: string): () => void {
    const release = this.budget.take(address);
    if (release === null) throw this.refuse();
    return release;
  }

  /**
   * The budget a reply to `client()` counts its answer in; `gate`: refuse a large answer when the address has all its
   * places (off for a streamed answer, whose place was taken at its start).
   */
  forReply(client: () => string, gate: boolean): AnswerBudget {
    const { budget } = this;
    const full = () => budget.heldBy(client()) >= budget.limit;
    return {
      refusal: (bytes) => (gate && bytes > LARGE_ANSWER_BYTES && full() ? this.refuse() : null),
      hold: () => budget.add(client()),
    };
  }

  /** Answers under way, all addresses together (a /metrics gauge). */
  get total(): number {
    return this.budget.total;
  }

  private refuse(): HttpError {
    this.refused();
    return new HttpError(429, this.tooMany, { 'Retry-After': '1' });
  }
}
