// Panels whose last poll failed, or waits on the server: dimmed, saying when what they show was read, until a poll succeeds.
import { byId, el, exactTime, localTime } from './dom.js';

/** The panels the polls fill (the tail has its own badge). */
const POLLED = ['rate-panel', 'types-panel', 'sessions-panel', 'session-detail', 'subscribers-panel'];

let readAt = null;

/** A poll succeeded at `now`: every panel is current again. */
export function markFresh(now) {
  readAt = now;
  byId('figures').classList.remove('stale');
  for (const id of POLLED) {
    const panel = byId(id);
    panel.classList.remove('stale');
    panel.querySelector('h2 .as-of')?.remove();
  }
}

/** How old the figures are at `now` (ms), for the connection badge: `figures 45 s old`. */
export function figuresAge(now) {
  return readAt === null ? 'no figures read yet' : `figures ${Math.round((now - readAt.getTime()) / 1000)} s old`;
}

/** A poll failed (or waits on the server): the panels keep their figures, dimmed, each saying when they were read. */
export function markStale() {
  // Hint: with kill -9 for 20 s every panel kept its figures as if live (Subscribers "live: 1, lag 0").
  const text = readAt === null ? 'not read yet' : `as of ${localTime(readAt, false)}`;
  byId('figures').classList.add('stale');
  for (const id of POLLED) {
    const panel = byId(id);
    panel.classList.add('stale');
    const heading = panel.querySelector('h2');
    const note = heading.querySelector('.as-of') ?? heading.appendChild(el('span', { class: 'badge as-of' }));
    note.textContent = text;
    note.title = readAt === null ? '' : exactTime(readAt);
  }
}
