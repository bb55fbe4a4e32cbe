/**
 * One connection's message count in fixed windows: `take` says whether a message still fits. Hint: uWS hands every
 * message of a read (up to 512 KiB, some 75,000 one-byte frames) to the handlers in one go, so a client flooding a
 * socket held the thread that serves every other client for seconds; past the budget the connection is closed.
 */
export class MessageBudget {
  private windowStart = Number.NEGATIVE_INFINITY;
  private count = 0;

  constructor(
    private readonly max: number,
    private readonly windowMs: number,
  ) {}

  /** Count one message at `now` (ms); false once more than `max` arrived within the current window. */
  take(now: number): boolean {
    if (now - this.windowStart >= this.windowMs) {
      this.windowStart = now;
      this.count = 0;
    }
    this.count++;
    return this.count <= this.max;
  }
}

/** What a connection past its budget is told before it is closed. */
export interface OverBudget {
  readonly max: number;
  readonly windowMs: number;
  /** The error message sent, and the close reason (with what `detail`, asked after the send, adds). */
  readonly message: string;
  readonly closeCode: number;
}

/** A socket that can be told and closed. */
export interface BudgetedSocket {
  send(text: string): void;
  end(code: number, reason: string): void;
}

/**
 * A check per counted message on many connections (keyed by their state object): true while the connection is
 * within its budget; past it, the error is sent, the socket closed, and false returned (for every later message too).
 */
export function connectionBudgets<K extends { closed: boolean }>(
  rule: OverBudget,
  now: () => number,
): (key: K, socket: BudgetedSocket, detail?: () => string) => boolean {
  const budgets = new WeakMap<K, MessageBudget>();
  return (key, socket, detail) => {
    let budget = budgets.get(key);
    if (budget === undefined) {
      budget = new MessageBudget(rule.max, rule.windowMs);
      budgets.set(key, budget);
    }
    if (budget.take(now())) return true;
    if (!key.closed) {
      socket.send(JSON.stringify({ status: 'error', message: rule.message }));
      socket.end(rule.closeCode, rule.message + (detail?.() ?? ''));
      key.closed = true;
    }
    return false;
  };
}
