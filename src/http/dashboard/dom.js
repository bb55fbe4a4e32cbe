// Small DOM helpers: data only ever reaches the page as text nodes, never as HTML.

/** An element with attributes (`on…` functions become listeners) and children (strings become text). */
export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (typeof value === 'function') node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

/** The element with this id (the page's markup is fixed, so a missing one is a bug). */
export function byId(id) {
  const node = document.getElementById(id);
  if (node === null) throw new Error(`#${id} is missing from the page`);
  return node;
}

/** Replace a table body's rows. */
export function fillRows(table, rows) {
  table.tBodies[0].replaceChildren(...rows);
  sayWhenEmpty(table);
}

/** Under a table with no rows, its `data-empty` text ("no events yet"); an empty panel showed nothing at all. */
export function sayWhenEmpty(table) {
  const next = table.nextElementSibling;
  const note = next?.classList.contains('empty') ? next : null;
  if (table.tBodies[0].rows.length > 0 || table.dataset.empty === undefined) return void note?.remove();
  if (note === null) table.after(el('p', { class: 'hint empty' }, table.dataset.empty));
  else if (note.textContent !== table.dataset.empty) note.textContent = table.dataset.empty;
}

/**
 * A time as the page shows every time: local, `HH:MM:SS.mmm` (`ms` false: to the second), with the local date before
 * it when that is not today. Hint: the tail showed local time and the session's start UTC ISO, side by side unlabelled.
 */
export function localTime(iso, ms = true) {
  if (iso === null || iso === undefined) return '–';
  const date = new Date(iso);
  const pad = (n, width = 2) => String(n).padStart(width, '0');
  const day = `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
  const today = new Date();
  const sameDay = day === `${today.getFullYear()}-${pad(today.getMonth() + 1)}-${pad(today.getDate())}`;
  const time = `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
  const shown = ms ? `${time}.${pad(date.getMilliseconds(), 3)}` : time;
  return sameDay ? shown : `${day} ${shown}`;
}

/** The exact time, UTC ISO, for a shown time's title ('' when there is none). */
export function exactTime(iso) {
  return iso === null || iso === undefined ? '' : new Date(iso).toISOString();
}

/** A table cell with a time shown locally (localTime), the exact UTC ISO time as its title. */
export function timeCell(iso) {
  return el('td', { title: exactTime(iso) || null }, localTime(iso));
}

/** A number with thousands separators. */
export function count(n) {
  return typeof n === 'number' ? n.toLocaleString('en-US') : '–';
}

/** Set a badge's text and colour (`ok`, `bad` or neutral). */
export function badge(node, text, tone = '') {
  node.textContent = text;
  node.className = `badge ${tone}`.trim();
}
