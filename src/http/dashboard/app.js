// The dashboard: asks for the API key when the server wants one, then polls the REST figures and runs the live tail.
import { EVENT_TYPES } from '/dashboard/protocol/eventTypes.js';
import { AuthError, currentKey, failureText, getJson, ServerError } from './api.js';
import { badge, byId, el } from './dom.js';
import { authorize, wireKeyForm } from './keyForm.js';
import {
  holdSessionsWhilePressed,
  renderSessionStatuses,
  renderSessions,
  renderSessionsNote,
  renderStats,
  renderSubscribers,
} from './panels.js';
import { RateChart } from './rateChart.js';
import { hideSession, showSession } from './sessionDetail.js';
import { figuresAge, markFresh, markStale } from './stalePanels.js';
import { Tail, tailFilters } from './tail.js';
import { visibleId } from './visibleText.js';

const POLL_MS = 500;
const SESSIONS_SHOWN = 15;
/** Sessions by status: counted over the most recently active, every fourth poll (that listing is the large one). */
const STATUS_LIMIT = 1000;
const STATUS_EVERY = 4;
/** A poll that has waited this long for the server says so: the badge said `connected` over figures 45 s old. */
const STALL_MS = 3000;

const connection = byId('connection');
const chart = new RateChart(byId('rate-chart'), byId('rate'), byId('rate-max'));
/** The open session: its id, the event count its panel shows, and whether a pick is still reading it. */
const detail = { id: null, events: -1, note: null, opening: false };
let polling = false;
/** When the poll under way began (Date.now()), or null between polls. */
let pollStarted = null;
let polls = 0;
let again = false;
/** Set while the key form asks for a new key (the server refused the one in use); polls wait meanwhile. */
let reauthorizing = null;
let tail = null;
/** How many sessions there are, from the last status count (null: at least STATUS_LIMIT; undefined: not counted yet). */
let sessionTotal;

/** Why a session cannot be read. Hint: the server answers 404 for a session with no events in the log. */
function unreadable(error) {
  if (error instanceof ServerError && error.status === 404)
    return 'it has no events left (deleted by retention, or it never existed)';
  return error.message;
}

/** Close the session panel; `why` (when it closed on its own) shows beside the connection state. */
function closeDetail(why = null) {
  detail.id = null;
  detail.note = why;
  hideSession();
}

/** Open a session's state and timeline. */
async function pick(sessionId) {
  // Hint: a browser reads a path segment `.` or `..` (also as %2E) as a directory step, so no URL can name them.
  if (sessionId === '.' || sessionId === '..') {
    closeDetail(`session "${sessionId}" cannot be opened from a browser (its URL would be read as a directory step)`);
    void refresh();
    return;
  }
  detail.id = sessionId;
  detail.note = null;
  detail.opening = true;
  try {
    detail.events = await showSession(sessionId);
  } catch (error) {
    closeDetail(`session ${visibleId(sessionId)}: ${unreadable(error)}`);
  } finally {
    detail.opening = false;
  }
  void refresh();
}

/** Fetch and render every panel once; the status counts over many sessions only every few polls. */
async function pollOnce() {
  const counting = polls++ % STATUS_EVERY === 0;
  const open = detail.id;
  const [stats, sessions, subscribers, statuses, view] = await Promise.all([
    // Hint: the head is read when its answer arrives; the rate divides by the time between two such readings.
    getJson('/api/v1/stats').then((answer) => {
      chart.observe(answer.head_offset, performance.now());
      return answer;
    }),
    getJson(`/api/v1/sessions?limit=${SESSIONS_SHOWN}`),
    getJson('/api/v1/subscribers?limit=50'),
    counting ? getJson(`/api/v1/sessions?limit=${STATUS_LIMIT}`) : null,
    // Hint: the open session failing (deleted by retention, say) closes it; it must not stop every other panel. Its
    // users are left out (user_limit=0): only its event count is compared, and 50,000 users made 9.65 MB a poll.
    open === null
      ? null
      : getJson(`/api/v1/sessions/${encodeURIComponent(open)}?user_limit=0`).catch((error) => ({ error })),
  ]);
  renderStats(stats);
  if (statuses !== null) sessionTotal = renderSessionStatuses(statuses, STATUS_LIMIT);
  renderSessions(sessions, detail.id, pick);
  if (sessionTotal !== undefined)
    renderSessionsNote(
      sessions.length,
      sessionTotal === null ? null : Math.max(sessionTotal, sessions.length),
      STATUS_LIMIT,
    );
  renderSubscribers(subscribers);
  if (view !== null && 'error' in view) {
    if (open === detail.id) closeDetail(`session ${visibleId(open)} closed: ${unreadable(view.error)}`);
  } else if (view !== null && open === detail.id && !detail.opening && view.event_count !== detail.events)
    // Hint: the open session's timeline is read again only when its event count moved (not while a pick reads it).
    detail.events = await showSession(open);
  badge(connection, detail.note === null ? 'connected' : `connected; ${detail.note}`, 'ok');
}

/** Poll now; asked while a poll runs, one more poll follows it. Never rejects. */
async function refresh() {
  if (polling) {
    again = true;
    return;
  }
  polling = true;
  try {
    do {
      again = false;
      pollStarted = Date.now();
      await pollOnce();
      // Hint: per poll, not per loop: records arriving in the tail can keep the loop going for as long as they flow.
      markFresh(new Date());
    } while (again);
  } catch (error) {
    markStale();
    if (error instanceof AuthError)
      reauthorizing ??= authorize(connection)
        .then(() => tail?.resume())
        .finally(() => (reauthorizing = null));
    else badge(connection, failureText(error), 'bad');
  } finally {
    polling = false;
    pollStarted = null;
  }
}

/** Once a second: a poll waiting on the server for STALL_MS dims the panels and says how old their figures are. */
function sayIfStalled(now) {
  if (pollStarted === null || now - pollStarted < STALL_MS) return;
  markStale();
  badge(connection, `waiting for the server: ${figuresAge(now)}`, 'bad');
}

/** Poll forever; records arriving in the tail also trigger a poll, so counts follow the tail closely. */
function poll() {
  void (reauthorizing ?? refresh()).finally(() => setTimeout(poll, POLL_MS));
}

/** The filter form and the replay button. */
function wireTail() {
  const select = byId('filter-type');
  select.append(...EVENT_TYPES.map((type) => el('option', { value: type }, type)));
  const filters = () =>
    tailFilters(select.value, byId('filter-session').value.trim(), byId('filter-user').value.trim());
  byId('tail-filters').addEventListener('submit', async (event) => {
    event.preventDefault();
    try {
      const stats = await getJson('/api/v1/stats');
      tail.start(filters(), stats.head_offset + 1);
    } catch (error) {
      badge(byId('tail-status'), `not applied: ${error.message}`, 'bad');
    }
  });
  byId('tail-skipped-clear').addEventListener('click', () => tail.forgetSkips());
  byId('replay').addEventListener('click', () => {
    const from = Number(byId('replay-offset').value);
    if (Number.isInteger(from) && from >= 1) tail.start(filters(), from);
  });
}

/** The "open session" form: any session by id, not only the listed ones. */
function wireOpenSession() {
  byId('open-session').addEventListener('submit', (event) => {
    event.preventDefault();
    const id = byId('open-session-id').value.trim();
    if (id !== '') void pick(id);
  });
}

/** Authorize, then start the tail, the chart and the polls. */
async function main() {
  wireKeyForm();
  // Hint: Enter in a filter field before the key is accepted would submit the form natively and reload the page.
  byId('tail-filters').addEventListener('submit', (event) => event.preventDefault());
  byId('open-session').addEventListener('submit', (event) => event.preventDefault());
  const stats = await authorize(connection);
  let soon = null;
  const skipped = { box: byId('tail-skipped'), text: byId('tail-skipped-text') };
  tail = new Tail(byId('tail'), byId('tail-status'), skipped, {
    apiKey: currentKey,
    onRecord: () => (soon ??= setTimeout(() => void refresh().finally(() => (soon = null)), 50)),
  });
  wireTail();
  wireOpenSession();
  holdSessionsWhilePressed();
  byId('detail-close').addEventListener('click', () => closeDetail());
  chart.observe(stats.head_offset, performance.now());
  setInterval(() => {
    chart.sample();
    sayIfStalled(Date.now());
  }, 1000);
  tail.start({}, stats.head_offset + 1);
  poll();
}

main().catch((error) => badge(connection, `failed: ${error.message}`, 'bad'));
