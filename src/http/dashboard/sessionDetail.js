// One session's state (GET /sessions/{session_id}) and its timeline: its newest events (GET /events?session_id=…&order=desc),
// shown oldest first.
import { getJson } from './api.js';
import { byId, count, el, exactTime, fillRows, localTime, timeCell } from './dom.js';
import { brief, idCell, usersText, visibleId } from './visibleText.js';

const TIMELINE_LIMIT = 500;
/**
 * The users the state names, as a listing does; the rest are counted. Hint: all 50,000 users of 190 characters made
 * a 9.65 MB view and a 9.6-million-character line (a long task of 6-13 s in the browser).
 */
const USERS_SHOWN = 20;

/** The state fields worth a line each: name, text and title (the whole text, or a time's exact UTC ISO). */
function stateRows(view) {
  const counts = Object.entries(view.counts ?? {})
    .filter(([, n]) => n > 0)
    .map(([type, n]) => `${type} ${n}`)
    .join(', ');
  return [
    ['status', view.status],
    ['users', usersText(view) || '–'],
    ['events', count(view.event_count)],
    ['quiz', view.quiz_id === null ? '–' : visibleId(view.quiz_id)],
    ['started', localTime(view.started_at), exactTime(view.started_at)],
    ['completed', localTime(view.completed_at), exactTime(view.completed_at)],
    ['offsets', `${view.first_offset ?? '–'} … ${view.last_offset ?? '–'}`],
    ['by type', counts || '–'],
  ];
}

/** Show one session; resolves with its event count (the caller reloads when that changes). */
export async function showSession(sessionId) {
  const path = encodeURIComponent(sessionId);
  // Hint: the newest, since a teacher wants what just happened; a long session's first 500 hid every later event.
  const query = new URLSearchParams({ session_id: sessionId, order: 'desc', limit: String(TIMELINE_LIMIT) });
  const [view, newest] = await Promise.all([
    getJson(`/api/v1/sessions/${path}?user_limit=${USERS_SHOWN}`),
    getJson(`/api/v1/events?${query}`),
  ]);
  const events = newest.reverse();
  byId('timeline-note').textContent =
    events.length < view.event_count
      ? `showing the newest ${count(events.length)} of ${count(view.event_count)} events`
      : `all ${count(events.length)} events`;
  byId('session-detail').hidden = false;
  byId('detail-id').textContent = visibleId(sessionId);
  byId('detail-state').replaceChildren(
    ...stateRows(view).flatMap(([name, value, title = value]) => [
      el('dt', {}, name),
      el('dd', { 'data-field': name, title: title || null }, value),
    ]),
  );
  fillRows(
    byId('timeline'),
    events.map((e) =>
      el(
        'tr',
        { 'data-offset': e.offset, 'data-type': e.event_type },
        el('td', { class: 'num' }, e.offset),
        timeCell(e.timestamp),
        el('td', {}, e.event_type),
        idCell(e.user_id),
        el('td', { class: 'payload', title: brief(e.payload, 2000) }, brief(e.payload)),
      ),
    ),
  );
  return view.event_count;
}

/** Hide the session panel. */
export function hideSession() {
  byId('session-detail').hidden = true;
}
