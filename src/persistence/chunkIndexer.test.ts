import Database from 'better-sqlite3';
import fc from 'fast-check';
import { urlAlphabet } from 'nanoid';
import { describe, expect, it } from 'vitest';
import { idOffset, offsetIds } from '../protocol/offsetIds.js';
import { namesOwnOffsetSql } from './chunkIndexer.js';

describe('namesOwnOffsetSql', () => {
  it('holds for a row exactly when idOffset reads the row offset from its id (so the id index may skip it)', () => {
    const db = new Database(':memory:');
    const holds = db
      .prepare<[string, number], number>(`SELECT ${namesOwnOffsetSql()} FROM (SELECT ? AS id, ? AS offset)`)
      .pluck();
    const next = offsetIds('evt_');
    const symbols = fc.constantFrom(...urlAlphabet);
    const id = fc.oneof(
      fc.string({ unit: symbols, minLength: 0, maxLength: 30 }).map((s) => `evt_${s}`),
      fc.string({ unit: 'grapheme-ascii' }),
      fc.integer({ min: 0, max: 2 ** 48 - 1 }).map((o) => next(o)),
    );
    try {
      fc.assert(
        fc.property(id, fc.integer({ min: 0, max: 2 ** 48 - 1 }), fc.boolean(), (text, other, own) => {
          const offset = own && idOffset(text) !== null ? idOffset(text)! : other;
          expect(holds.get(text, offset) === 1).toBe(idOffset(text) === offset);
        }),
        { numRuns: 2_000 },
      );
      expect(holds.get(next(12_345), 12_345)).toBe(1);
      expect(holds.get(next(12_345), 12_346)).toBe(0);
    } finally {
      db.close();
    }
  });
});
