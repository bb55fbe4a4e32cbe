import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AckQueue, type AckSink } from './ackQueue.js';

/** A socket that buffers everything sent until `drainAll`, and reports a drop past `dropAt` buffered bytes. */
function fakeSink(dropAt = Number.POSITIVE_INFINITY) {
  const sent: string[] = [];
  let buffered = 0;
  const sink: AckSink = {
    buffered: () => buffered,
    cork: (fn) => fn(),
    send: (text) => {
      if (buffered > dropAt) return 2;
      sent.push(text);
      buffered += text.length;
      return buffered > 0 ? 0 : 1;
    },
  };
  return { sink, sent, drainAll: () => (buffered = 0) };
}

describe('AckQueue', () => {
  it('sends replies in message order, waiting for earlier commits', () => {
    const q = new AckQueue();
    const { sink, sent } = fakeSink();
    const a = q.reserve();
    const b = q.reserve();
    q.fill(b, 'B', 2);
    expect(q.flush(sink, 1000)).toBe('done');
    expect(sent).toEqual([]);
    q.fill(a, 'A', 1);
    q.flush(sink, 1000);
    expect(sent).toEqual(['A', 'B']);
    expect(q.ackedOffset).toBe(2);
    expect(q.size).toBe(0);
  });

  it('holds replies past the high-water mark and never sends into a full socket', () => {
    const q = new AckQueue();
    const { sink, sent, drainAll } = fakeSink(10);
    for (let i = 1; i <= 10; i++) q.fill(q.reserve(), 'xxxx', i);
    expect(q.flush(sink, 8)).toBe('blocked');
    expect(sent).toHaveLength(2);
    expect(q.backlogBytes).toBe(32);
    expect(q.ackedOffset).toBe(2);
    expect(q.committedOffset).toBe(10);
    while (q.size > 0) {
      drainAll();
      expect(q.flush(sink, 8)).not.toBe('dropped');
    }
    expect(sent).toHaveLength(10);
    expect(q.backlogBytes).toBe(0);
  });

  it('reports a send the socket dropped', () => {
    const q = new AckQueue();
    const { sink } = fakeSink(0);
    for (let i = 1; i <= 3; i++) q.fill(q.reserve(), 'xxxx', i);
    expect(q.flush(sink, 100)).toBe('dropped');
    expect(q.ackedOffset).toBe(1);
  });

  it('keeps the first reply of a message and ignores later ones', () => {
    const q = new AckQueue();
    const { sink, sent } = fakeSink();
    const a = q.reserve();
    q.fill(a, 'first', 1);
    q.fill(a, 'second', 2);
    q.flush(sink, 1000);
    q.fill(a, 'late', 3);
    q.flush(sink, 1000);
    expect(sent).toEqual(['first']);
  });

  it('delivers every reply exactly once, in order, whatever the order of commits and drains', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(), fc.boolean()), { minLength: 1, maxLength: 3000 }), (steps) => {
        const q = new AckQueue();
        const { sink, sent, drainAll } = fakeSink();
        const open: number[] = [];
        let next = 0;
        for (const [pick, drain] of steps) {
          open.push(q.reserve());
          const seq = open.splice(pick % open.length, 1)[0]!;
          q.fill(seq, String(seq), seq + 1);
          if (drain) drainAll();
          q.flush(sink, 50);
          next++;
        }
        for (const seq of open) q.fill(seq, String(seq), seq + 1);
        for (let i = 0; i < next && q.size > 0; i++) {
          drainAll();
          q.flush(sink, 50);
        }
        expect(sent).toEqual(Array.from({ length: next }, (_, i) => String(i)));
      }),
      { numRuns: 200 },
    );
  });
});
