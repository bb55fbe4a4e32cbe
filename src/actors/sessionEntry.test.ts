import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { newEntry, type SessionEntry, SessionTable } from './sessionEntry.js';

describe('SessionTable', () => {
  it('keeps its entries by id and in touch order, whatever adds, touches and removes', () => {
    const op = fc.tuple(fc.constantFrom('add', 'touch', 'remove'), fc.integer({ min: 0, max: 7 }));
    fc.assert(
      fc.property(fc.array(op, { maxLength: 80 }), (ops) => {
        const table = new SessionTable();
        const entries = new Map<string, SessionEntry>();
        let model: string[] = [];
        ops.forEach(([kind, n], now) => {
          const id = `s${n}`;
          const held = table.get(id);
          if (kind === 'add' && held === undefined) {
            const entry = newEntry(id, now);
            entries.set(id, entry);
            table.add(entry);
            model.push(id);
          } else if (kind === 'touch' && held !== undefined) {
            table.touch(held, now);
            model = [...model.filter((m) => m !== id), id];
            expect(held.touchedAt).toBe(now);
          } else if (kind === 'remove' && held !== undefined) {
            table.remove(held);
            model = model.filter((m) => m !== id);
          }
          expect(table.ids()).toEqual(model);
          expect(table.size).toBe(model.length);
          expect(table.first()?.sessionId ?? null).toBe(model[0] ?? null);
          for (const [key, entry] of entries) expect(table.get(key)).toBe(model.includes(key) ? entry : undefined);
        });
      }),
    );
  });
});
