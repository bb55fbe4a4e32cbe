import type Database from 'better-sqlite3';

/**
 * The typed row helpers: every read of SQLite rows goes through these, so the row types are stated once per query
 * here instead of cast at each call site. Hint: better-sqlite3 cannot know a query's columns; the generic `Result`
 * of `Statement<BindParameters, Result>` is the one place that trust lives, and it follows schema.ts.
 */

/**
 * A LIMIT bound at run time: write `${BOUND_LIMIT}`, never a bare `LIMIT ?`. Hint: SQLite 3.53 reads a bare LIMIT
 * parameter while planning, so each new binding expires the statement and it is prepared again on its next run
 * (measured: +5.6 µs a run on a one-row range read, +13 µs on a keyed read, the cost of every new session's history
 * probe); an expression is not read, so the prepared plan is kept. The plans here do not depend on the limit (each
 * checked with EXPLAIN QUERY PLAN: the same with either form).
 */
export const BOUND_LIMIT = 'LIMIT ?+0';

/** A reader whose rows come back as tuples `R`, in select-list order (raw mode: no per-row object). */
export function tupleStatement<R extends unknown[], P extends unknown[] = unknown[]>(
  db: Database.Database,
  sql: string,
): Database.Statement<P, R> {
  return db.prepare<P, R>(sql).raw(true);
}

/** A reader of one column whose values come back as `T` (pluck mode). */
export function valueStatement<T, P extends unknown[] = unknown[]>(
  db: Database.Database,
  sql: string,
): Database.Statement<P, T> {
  return db.prepare<P, T>(sql).pluck(true);
}

/** The first column of the first row of a one-off query (undefined when there is no row). */
export function selectValue<T>(db: Database.Database, sql: string, ...params: unknown[]): T | undefined {
  return valueStatement<T>(db, sql).get(...params);
}

/** Every row of a one-off query, as tuples `R`. */
export function selectTuples<R extends unknown[]>(db: Database.Database, sql: string, ...params: unknown[]): R[] {
  return tupleStatement<R>(db, sql).all(...params);
}

/** Every row of a one-off query, as objects `R` keyed by column name. */
export function selectObjects<R extends object>(db: Database.Database, sql: string, ...params: unknown[]): R[] {
  return db.prepare<unknown[], R>(sql).all(...params);
}

/** A statement prepared on first use (queries of the attached index must not fail the open before it is checked). */
export function lazyStatement<S>(prepare: () => S): () => S {
  let statement: S | undefined;
  return () => (statement ??= prepare());
}

/** Tuple readers prepared once per SQL text, all with rows of type `R` (for SQL built from a filter). */
export class TupleStatements<R extends unknown[]> {
  private readonly statements = new Map<string, Database.Statement<unknown[], R>>();

  constructor(private readonly db: Database.Database) {}

  /** The statement for `sql`, prepared the first time it is asked for. */
  get(sql: string): Database.Statement<unknown[], R> {
    let statement = this.statements.get(sql);
    if (statement === undefined) {
      statement = tupleStatement<R>(this.db, sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }
}

/** One-column readers prepared once per SQL text, all with values of type `T` (for SQL built from a filter). */
export class ValueStatements<T> {
  private readonly statements = new Map<string, Database.Statement<unknown[], T>>();

  constructor(private readonly db: Database.Database) {}

  /** The statement for `sql`, prepared the first time it is asked for. */
  get(sql: string): Database.Statement<unknown[], T> {
    let statement = this.statements.get(sql);
    if (statement === undefined) {
      statement = valueStatement<T>(this.db, sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }
}

/** Runs a function in one (deferred: read-only unless it writes) transaction of `db`. */
export function readTransaction(db: Database.Database): <T>(read: () => T) => T {
  const inTransaction = db.transaction((read: () => void) => read());
  return <T>(read: () => T): T => {
    let value!: T;
    inTransaction(() => {
      value = read();
    });
    return value;
  };
}
