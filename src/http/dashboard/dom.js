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
}

/** `HH:MM:SS.mmm` of an ISO timestamp, in local time. */
export function clock(iso) {
  if (iso === null || iso === undefined) return '–';
  const date = new Date(iso);
  const pad = (n, width = 2) => String(n).padStart(width, '0');
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`;
}

/** JSON cut to `max` characters, for one table cell. */
export function brief(value, max = 90) {
  const text = JSON.stringify(value) ?? '';
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
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
