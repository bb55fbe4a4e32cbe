import type { SubscriberSocket } from './subscriber.js';

/** A subscriber socket for tests: it records what was written; `buffered` is what the test says is still queued. */
export class FakeSocket implements SubscriberSocket {
  readonly sent: string[] = [];
  buffered = 0;
  ended: { code: number; reason: string } | null = null;
  send(text: string): void {
    this.sent.push(text);
  }
  bufferedAmount(): number {
    return this.buffered;
  }
  cork(fn: () => void): void {
    fn();
  }
  end(code: number, reason: string): void {
    this.ended = { code, reason };
  }
  /** Everything sent, parsed; arrays (batch:true) flattened into their records. */
  records(): { offset: number }[] {
    return this.sent.flatMap((text) => {
      const value: unknown = JSON.parse(text);
      const items: unknown[] = Array.isArray(value) ? value : [value];
      return items.filter(
        (m): m is { offset: number } => typeof m === 'object' && m !== null && 'offset' in m && !('type' in m),
      );
    });
  }

  /** Every message sent, parsed. */
  messages(): unknown[] {
    return this.sent.map((text): unknown => JSON.parse(text));
  }
}
