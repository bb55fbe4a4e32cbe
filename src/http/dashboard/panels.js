// The polled panels: figures and counts by type (GET /stats), sessions (GET /sessions), subscribers (GET /subscribers).
import { byId, count, el, fillRows, timeCell } from './dom.js';
import { setText, syncRows } from './keyedRows.js';
import { usersText, visibleId } from './visibleText.js';

/** Head offset, epoch, totals and the counts by type. */
export function renderStats(stats) {
  byId('head-offset').textContent = count(stats.head_offset);
  byId('total-events').textContent = count(stats.total_events);
  byId('epoch').textContent = stats.epoch;
  const types = [...stats.by_type].sort((a, b) => b.count - a.count || a.event_type.localeCompare(b.event_type));
  const top = Math.max(1, ...types.map((t) => t.count));
  fillRows(
    byId('type-counts'),
    types.map((t) => {
      const bar = el('span', { class: 'bar' });
      bar.style.width = `${Math.round((t.count / top) * 100)}%`;
      return el(
        'tr',
        { 'data-type': t.event_type },
        el('td', {}, t.event_type),
        el('td', { class: 'num count' }, count(t.count)),
        timeCell(t.last_seen),
        el('td', { class: 'bar-cell' }, bar),
      );
    }),
  );
}

/** Sessions by status, counted over the `limit` most recently active; returns how many sessions there are (null: more). */
export function renderSessionStatuses(sessions, limit) {
  const byStatus = new Map();
  for (const session of sessions) byStatus.set(session.status, (byStatus.get(session.status) ?? 0) + 1);
  byId('session-status-counts').replaceChildren(
    ...[...byStatus].map(([status, n]) => el('li', { 'data-status': status }, `${status}: ${n}`)),
  );
  return sessions.length >= limit ? null : sessions.length;
}

/** How many sessions the list shows, of how many (`total` null: at least `limit`, the most the counts read). */
export function renderSessionsNote(shown, total, limit) {
  // Hint: GET /sessions has no total, so it comes from the status counts, read every few polls (it may lag the list).
  const note =
    total === null
      ? `${shown} latest of ${count(limit)}+ (by status: the ${count(limit)} most recently active)`
      : shown < total
        ? `${shown} latest of ${count(total)}`
        : `all ${shown}`;
  setText(byId('sessions-note'), note);
}

let pressing = false;

/** Hold the session rows in place while a press on them lasts (a row that moved under the pointer is no click). */
export function holdSessionsWhilePressed() {
  byId('sessions').addEventListener('pointerdown', () => (pressing = true));
  for (const type of ['pointerup', 'pointercancel', 'blur']) window.addEventListener(type, () => (pressing = false));
}

/** The most recently active sessions, updated in place by session id; clicking one opens its state and timeline. */
export function renderSessions(sessions, selected, onPick) {
  const make = (s) =>
    el(
      'tr',
      { 'data-session': s.session_id },
      el('td', { class: 'cap' }, el('button', { type: 'button', class: 'link', onclick: () => onPick(s.session_id) })),
      el('td', { class: 'status' }),
      el('td', { class: 'num' }),
      el('td', { class: 'cap' }),
      el('td', { class: 'cap' }),
    );
  const update = (row, s) => {
    const [id, status, events, users, quiz] = row.cells;
    // Hint: long ids are cut with an ellipsis (a 10,000-character quiz id made the panel 142,813 px wide); the title
    // holds the whole text.
    setText(id.firstElementChild, visibleId(s.session_id), visibleId(s.session_id));
    setText(status, s.status);
    setText(events, count(s.event_count));
    setText(users, usersText(s), usersText(s));
    setText(quiz, visibleId(s.quiz_id), visibleId(s.quiz_id));
    row.classList.toggle('selected', s.session_id === selected);
  };
  syncRows(byId('sessions'), sessions, (s) => s.session_id, make, update, pressing);
}

/** A subscriber's filter in a few words. */
function filterText(filter) {
  const parts = [];
  if (filter.event_types?.length) parts.push(`type=${filter.event_types.join('|')}`);
  for (const key of ['session_id', 'user_id', 'source'])
    if (filter[key] !== undefined) parts.push(`${key}=${visibleId(filter[key])}`);
  return parts.length === 0 ? 'everything' : parts.join(' ');
}

/** `text` with a line break opportunity (`<wbr>`) after each underscore, and none that copying would carry along. */
function breakable(text) {
  return text.split('_').flatMap((part, i) => (i === 0 ? [part] : ['_', el('wbr'), part]));
}

/** Subscribers by mode, and the most lagging ones with their lag behind the head. */
export function renderSubscribers(listing) {
  byId('subscriber-mode-counts').replaceChildren(
    ...Object.entries(listing.by_mode).map(([mode, n]) => el('li', { 'data-mode': mode }, `${mode}: ${n}`)),
  );
  fillRows(
    byId('subscribers'),
    listing.subscribers.map((s) =>
      el(
        'tr',
        { 'data-subscriber': s.id, 'data-mode': s.mode },
        el('td', { class: 'subscriber-id', title: s.id }, s.id),
        // Hint: a phone may break `awaiting_config` after its underscore (style.css), nowhere else.
        el('td', { class: s.mode === 'lagging' ? 'mode lagging' : 'mode' }, breakable(s.mode)),
        el('td', { class: 'filter', title: filterText(s.filter) }, filterText(s.filter)),
        el('td', { class: 'num' }, s.last_delivered === null ? '–' : count(s.last_delivered)),
        el('td', { class: `num lag ${s.lag > 0 ? 'lagging' : ''}` }, s.lag === null ? '–' : count(s.lag)),
      ),
    ),
  );
}
