import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import Database from 'better-sqlite3';

/** A leaf page of a table and the rows its cells hold (1-based positions in key order: offsets, for `events`). */
export interface EventsLeaf {
  readonly page: number;
  readonly pageSize: number;
  readonly from: number;
  readonly to: number;
}

/**
 * The leaf page of `table` holding its `position`th row in key order (1-based), read with SQLite's dbstat table (the
 * log must be closed, so its WAL is copied in). Hint: a WITHOUT ROWID table keeps a row in each interior cell too,
 * between the leaves it divides; `withoutRowid` counts them (for a tree of two levels).
 */
export function leafOf(path: string, table: string, position: number, withoutRowid = false): EventsLeaf {
  const db = new Database(path, { readonly: true });
  try {
    const pageSize = Number(db.pragma('page_size', { simple: true }));
    const leaves = db
      .prepare<[string], { pageno: number; ncell: number }>(
        "SELECT pageno, ncell FROM dbstat WHERE name = ? AND pagetype = 'leaf' ORDER BY path",
      )
      .all(table);
    let from = 1;
    for (const { pageno, ncell } of leaves) {
      if (position < from + ncell) return { page: pageno, pageSize, from, to: from + ncell - 1 };
      from += ncell + (withoutRowid ? 1 : 0);
    }
    throw new Error(`no leaf of ${table} holds row ${position}`);
  } finally {
    db.close();
  }
}

/** The leaf page of `events` that holds `offset` (the log holds offsets from 1 without gaps). */
export function eventsLeafOf(path: string, offset: number): EventsLeaf {
  return leafOf(path, 'events', offset);
}

/** The leaf page of `producer_ids` that holds producer id `id`. */
export function producerIdLeafOf(path: string, id: string): EventsLeaf {
  const db = new Database(path, { readonly: true });
  const before = db.prepare<[string], number>('SELECT count(*) FROM producer_ids WHERE k < ?').pluck().get(id)!;
  db.close();
  return leafOf(path, 'producer_ids', before + 1, true);
}

/** Read `length` bytes at `at` within a page. */
function readAt(path: string, leaf: EventsLeaf, at: number, length: number): Buffer {
  const fd = openSync(path, 'r');
  try {
    const bytes = Buffer.alloc(length);
    readSync(fd, bytes, 0, length, (leaf.page - 1) * leaf.pageSize + at);
    return bytes;
  } finally {
    closeSync(fd);
  }
}

/** Overwrite bytes at `at` within a page, in place (as a bad disk sector or a stray write would). */
export function writeAt(path: string, leaf: EventsLeaf, at: number, bytes: Uint8Array): void {
  const fd = openSync(path, 'r+');
  try {
    writeSync(fd, bytes, 0, bytes.length, (leaf.page - 1) * leaf.pageSize + at);
  } finally {
    closeSync(fd);
  }
}

/** The length of the SQLite varint at the start of `bytes`. */
function varintLength(bytes: Buffer): number {
  let length = 1;
  while (length < 9 && (bytes[length - 1]! & 0x80) !== 0) length++;
  return length;
}

/**
 * Garble the rowid (the offset) of the leaf's first cell into the largest value of the same length, so the page
 * still parses: a read sees that offset out of order, and only an integrity check notices.
 */
export function garbleFirstOffset(path: string, leaf: EventsLeaf): void {
  const cell = readAt(path, leaf, 8, 2).readUInt16BE(0);
  const head = readAt(path, leaf, cell, 18);
  const sizeLength = varintLength(head);
  const idLength = varintLength(head.subarray(sizeLength));
  const garbled = Buffer.alloc(idLength, 0xff);
  garbled[idLength - 1] = 0x7f;
  writeAt(path, leaf, cell + sizeLength, garbled);
}

/**
 * Change the first letter of the first `s<digit>` key stored in a leaf page of the index (say of ix_session) to `z`,
 * so the page still parses but its keys are out of order: returns the key as it was.
 */
export function garbleIndexKey(path: string, leaf: EventsLeaf): string {
  const page = readAt(path, leaf, 0, leaf.pageSize);
  const contentStart = page.readUInt16BE(5);
  for (let at = contentStart; at < page.length - 1; at++) {
    if (page[at] !== 0x73 || page[at + 1]! < 0x30 || page[at + 1]! > 0x39) continue;
    writeAt(path, leaf, at, Buffer.from('z'));
    return `s${String.fromCharCode(page[at + 1]!)}`;
  }
  throw new Error(`no key like s<digit> on page ${leaf.page}`);
}

/**
 * Overwrite the one place the leaf page holds `text` (as UTF-8) with `altered` of the same length, say a letter inside
 * a payload: the page still parses and SQLite's integrity check passes; only the record's checksum tells.
 */
export function alterText(path: string, leaf: EventsLeaf, text: string, altered: string): void {
  const page = readAt(path, leaf, 0, leaf.pageSize);
  const at = page.indexOf(text);
  if (at < 0 || page.indexOf(text, at + 1) >= 0)
    throw new Error(`page ${leaf.page} does not hold ${text} exactly once`);
  const replacement = Buffer.from(altered);
  if (replacement.length !== Buffer.byteLength(text)) throw new Error('the altered text must keep its length');
  writeAt(path, leaf, at, replacement);
}
