import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AckBacklogTotal } from './ackBacklogTotal.js';

class Holder {
  backlogBytes = 0;
}

describe('AckBacklogTotal', () => {
  it('names the holder with the most unread acks, only once the total passes the bound', () => {
    const total = new AckBacklogTotal<Holder>(100);
    const [a, b] = [new Holder(), new Holder()];
    total.opened(a, 'x');
    total.opened(b, 'y');
    a.backlogBytes += 60;
    total.changed(a, 0);
    b.backlogBytes += 40;
    total.changed(b, 0);
    expect(total.bytes).toBe(100);
    expect(total.overBound()).toBeNull();
    b.backlogBytes += 30;
    total.changed(b, 40);
    expect(total.overBound()).toBe(b);
    total.closed(b);
    expect([total.bytes, total.overBound()]).toEqual([60, null]);
  });

  it('past the bound, names the largest holder of the address holding the most, not the largest alone', () => {
    const total = new AckBacklogTotal<Holder>(100);
    const [big, many1, many2] = [new Holder(), new Holder(), new Holder()];
    total.opened(big, 'honest');
    total.opened(many1, 'greedy');
    total.opened(many2, 'greedy');
    for (const [holder, bytes] of [
      [big, 50],
      [many1, 35],
      [many2, 30],
    ] as const) {
      holder.backlogBytes = bytes;
      total.changed(holder, 0);
    }
    expect(total.overBound()).toBe(many1);
  });

  it('keeps the sum of open holders through any fills, flushes and closes, late fills after a close included', () => {
    const step = fc.record({
      holder: fc.nat(4),
      kind: fc.constantFrom('fill', 'flush', 'close', 'open'),
      bytes: fc.nat(1_000),
    });
    fc.assert(
      fc.property(fc.array(step, { maxLength: 200 }), (steps) => {
        const holders = Array.from({ length: 5 }, () => new Holder());
        // Two addresses: holders 0-2 and 3-4.
        const addressOf = (h: Holder) => (holders.indexOf(h) < 3 ? 'a' : 'b');
        const open = new Set<Holder>();
        const total = new AckBacklogTotal<Holder>(1_000);
        for (const { holder: index, kind, bytes } of steps) {
          const holder = holders[index]!;
          if (kind === 'open' && !open.has(holder)) {
            holder.backlogBytes = 0;
            open.add(holder);
            total.opened(holder, addressOf(holder));
          } else if (kind === 'close') {
            open.delete(holder);
            total.closed(holder);
          } else {
            const before = holder.backlogBytes;
            holder.backlogBytes += kind === 'fill' ? bytes : -Math.min(bytes, before);
            total.changed(holder, before);
          }
        }
        const sum = [...open].reduce((acc, h) => acc + h.backlogBytes, 0);
        expect(total.bytes).toBe(sum);
        const largest = total.overBound();
        if (sum <= 1_000) expect(largest).toBeNull();
        else {
          const live = [...open];
          const held = (address: string) =>
            live.filter((h) => addressOf(h) === address).reduce((acc, h) => acc + h.backlogBytes, 0);
          // On a tie between the addresses either may be chosen; otherwise it is the one holding the most.
          if (held('a') !== held('b')) expect(addressOf(largest!)).toBe(held('a') > held('b') ? 'a' : 'b');
          const ofItsAddress = live.filter((h) => addressOf(h) === addressOf(largest!));
          expect(largest!.backlogBytes).toBe(Math.max(...ofItsAddress.map((h) => h.backlogBytes)));
        }
      }),
    );
  });
});
