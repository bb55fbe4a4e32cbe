// Table rows kept by key across redraws: a row under the pointer must survive a poll, or a press spanning it is no click.
import { sayWhenEmpty } from './dom.js';

/** The rows each keyed table shows, by key. */
const shown = new WeakMap();

/**
 * Show `items` in `table` in their order, one row per key: a known key's row is reused and `update` changes only what
 * changed; `make` builds a new key's row. With `hold` (a press in progress) no row is added, moved or removed.
 */
export function syncRows(table, items, keyOf, make, update, hold = false) {
  const body = table.tBodies[0];
  const before = shown.get(table) ?? new Map();
  if (hold) {
    for (const item of items) {
      const row = before.get(keyOf(item));
      if (row !== undefined) update(row, item);
    }
    return;
  }
  const after = new Map();
  let cursor = body.firstElementChild;
  for (const item of items) {
    const key = keyOf(item);
    const row = before.get(key) ?? make(item);
    update(row, item);
    after.set(key, row);
    // Hint: only rows out of place are moved; one in place is left alone.
    if (row === cursor) cursor = cursor.nextElementSibling;
    else body.insertBefore(row, cursor);
  }
  for (const [key, row] of before) if (!after.has(key)) row.remove();
  shown.set(table, after);
  sayWhenEmpty(table);
}

/** Set a node's text, and its title when given, only when they differ (an unchanged node is not touched). */
export function setText(node, text, title) {
  if (node.textContent !== text) node.textContent = text;
  if (title !== undefined && node.title !== title) node.title = title;
}
