// The polled panels: figures and counts by type (GET /stats), sessions (GET /sessions), subscribers (GET /subscribers).
import { brief, byId, clock, count, el, fillRows } from './dom.js';

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
        el('td', {}, clock(t.last_seen)),
        el('td', { class: 'bar-cell' }, bar),
      );
    }),
  );
}

/** Sessions by status, counted over the `limit` most recently active. */
export function renderSessionStatuses(sessions, limit) {
  const byStatus = new Map();
  for (const session of sessions) byStatus.set(session.status, (byStatus.get(session.status) ?? 0) + 1);
  byId('session-status-counts').replaceChildren(
    ...[...byStatus].map(([status, n]) => el('li', { 'data-status': status }, `${status}: ${n}`)),
  );
  byId('sessions-note').textContent =
    sessions.length >= limit ? `by status: the ${limit} most recently active` : `${sessions.length} in all`;
}

/** The most recently active sessions; clicking one opens its state and timeline. */
export function renderSessions(sessions, selected, onPick) {
  fillRows(
    byId('sessions'),
    sessions.map((s) =>
      el(
        'tr',
        { 'data-session': s.session_id, class: s.session_id === selected ? 'selected' : null },
        el(
          'td',
          {},
          el('button', { type: 'button', class: 'link', onclick: () => onPick(s.session_id) }, s.session_id),
        ),
        el('td', { class: 'status' }, s.status),
        el('td', { class: 'num' }, count(s.event_count)),
        el('td', {}, usersText(s)),
        el('td', {}, s.quiz_id ?? ''),
      ),
    ),
  );
}

/** A listed session's users: the listing holds the first 20, so say how many more there are. */
function usersText(s) {
  const more = (s.user_count ?? s.user_ids.length) - s.user_ids.length;
  return more > 0 ? `${s.user_ids.join(', ')} (+${more} more)` : s.user_ids.join(', ');
}

/** A subscriber's filter in a few words. */
function filterText(filter) {
  const parts = [];
  if (filter.event_types?.length) parts.push(`type=${filter.event_types.join('|')}`);
  for (const key of ['session_id', 'user_id', 'source'])
    if (filter[key] !== undefined) parts.push(`${key}=${filter[key]}`);
  return parts.length === 0 ? 'everything' : parts.join(' ');
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
        el('td', {}, s.id),
        el('td', { class: s.mode === 'lagging' ? 'lagging' : null }, s.mode),
        el('td', { title: brief(s.filter, 500) }, filterText(s.filter)),
        el('td', { class: 'num' }, s.last_delivered === null ? '–' : count(s.last_delivered)),
        el('td', { class: `num lag ${s.lag > 0 ? 'lagging' : ''}` }, s.lag === null ? '–' : count(s.lag)),
      ),
    ),
  );
}
