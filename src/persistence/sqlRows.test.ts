import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import {
  lazyStatement,
  selectObjects,
  selectTuples,
  selectValue,
  TupleStatements,
  tupleStatement,
  valueStatement,
} from './sqlRows.js';

function database(): Database.Database {
  const db = new Database(':memory:');
  db.exec("CREATE TABLE t (a INTEGER, b TEXT); INSERT INTO t VALUES (1, 'x'), (2, NULL)");
  return db;
}

describe('typed row helpers', () => {
  it('read tuples, single values and objects', () => {
    const db = database();
    expect(
      tupleStatement<[number, string | null], [number]>(db, 'SELECT a, b FROM t WHERE a >= ? ORDER BY a').all(1),
    ).toEqual([
      [1, 'x'],
      [2, null],
    ]);
    expect(valueStatement<string, [number]>(db, 'SELECT b FROM t WHERE a = ?').get(1)).toBe('x');
    expect(selectValue<number>(db, 'SELECT COUNT(*) FROM t')).toBe(2);
    expect(selectValue<number>(db, 'SELECT a FROM t WHERE a > 5')).toBeUndefined();
    expect(selectTuples<[number]>(db, 'SELECT a FROM t WHERE b IS NULL')).toEqual([[2]]);
    expect(selectObjects<{ a: number }>(db, 'SELECT a FROM t ORDER BY a')).toEqual([{ a: 1 }, { a: 2 }]);
    db.close();
  });

  it('prepare a lazy statement only when first used, and a cached one once per SQL text', () => {
    const db = database();
    let prepared = 0;
    const later = lazyStatement(() => {
      prepared++;
      return valueStatement<number>(db, 'SELECT COUNT(*) FROM u');
    });
    expect(prepared).toBe(0);
    db.exec('CREATE TABLE u (c INTEGER)');
    expect(later().get()).toBe(0);
    expect(later().get()).toBe(0);
    expect(prepared).toBe(1);
    const cache = new TupleStatements<[number]>(db);
    expect(cache.get('SELECT a FROM t ORDER BY a')).toBe(cache.get('SELECT a FROM t ORDER BY a'));
    expect(cache.get('SELECT a FROM t ORDER BY a').all()).toEqual([[1], [2]]);
    db.close();
  });
});
