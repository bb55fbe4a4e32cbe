// The live tail: the client SDK's resumable subscription over /ws/subscribe, with server-side filters and replay.
import { LOG_REPLACED } from '/dashboard/client/ackPlan.js';
import { subscribe } from '/dashboard/client/subscriber.js';
import { badge, el, fillRows, timeCell } from './dom.js';
import { brief, idCell } from './visibleText.js';

const SHOWN = 200;
const RENDER_MS = 100;

/** One tail row; data attributes let tests and users find rows by field. */
function row(record) {
  return el(
    'tr',
    {
      'data-offset': record.offset,
      'data-type': record.event_type,
      'data-session': record.session_id ?? '',
      'data-user': record.user_id ?? '',
    },
    el('td', { class: 'num' }, record.offset),
    timeCell(record.timestamp),
    el('td', {}, record.event_type),
    idCell(record.session_id),
    idCell(record.user_id),
    idCell(record.source),
    el('td', { class: 'payload', title: brief(record.payload, 2000) }, brief(record.payload)),
  );
}

/** The filters as the SDK takes them (empty fields match everything). */
export function tailFilters(type, sessionId, userId) {
  const filters = {};
  if (type !== '') filters.event_types = [type];
  if (sessionId !== '') filters.session_id = sessionId;
  if (userId !== '') filters.user_id = userId;
  return filters;
}

/** A subscription rendered into a table: newest first, the last 200 kept, redrawn at most every 100 ms. */
export class Tail {
  constructor(table, status, options) {
    this.table = table;
    this.status = status;
    this.options = options;
    this.subscription = null;
    this.records = [];
    this.timer = null;
    this.healthy = true;
    this.replaced = false;
    this.filters = {};
    this.from = 1;
  }

  /** (Re)subscribe with `filters` from offset `from`: the table starts empty and fills from there. */
  start(filters, from) {
    this.records = [];
    this.table.dataset.empty = Object.keys(filters).length === 0 ? 'no events yet' : 'no matching events yet';
    this.render();
    this.open(filters, from);
    this.status.dataset.filters = JSON.stringify(filters);
    this.following(`following from offset ${from}`);
  }

  /** Subscribe again after the last record received, keeping the table: the API key in use has changed. */
  resume() {
    const next = this.subscription?.nextOffset ?? this.from;
    this.open(this.filters, next);
    this.following(`following again from offset ${next}`);
  }

  open(filters, from) {
    void this.stop();
    const subscription = subscribe({
      url: window.location.origin,
      apiKey: this.options.apiKey() || undefined,
      filters,
      from,
      onLogReplaced: 'from-head',
      onEvent: (record) => {
        if (this.subscription === subscription) this.add(record);
      },
      onError: (error) => this.trouble(`stopped: ${error.message}`),
      onNotice: (notice) => {
        // Hint: "log replaced" stays until a record of the new log arrives; it says why the table emptied.
        if (notice.kind === 'resumed') {
          if (this.subscription === subscription && !this.replaced) this.following(notice.message);
          return;
        }
        // Hint: a new log numbers from 1 again; kept, the old log's records would sit among the new ones.
        const replaced = notice.message.startsWith(LOG_REPLACED);
        if (this.subscription === subscription && replaced) this.clear();
        this.trouble(notice.message, replaced);
      },
    });
    this.subscription = subscription;
    this.filters = filters;
    this.from = from;
    this.status.dataset.from = String(from);
  }

  following(text) {
    this.healthy = true;
    this.replaced = false;
    badge(this.status, text, 'ok');
  }

  /** Show what went wrong; `replaced`: the log was replaced (kept until a record of the new log arrives). */
  trouble(text, replaced = false) {
    this.healthy = false;
    this.replaced = replaced;
    badge(this.status, text, 'bad');
  }

  /** Close the subscription (the table keeps what it shows). */
  async stop() {
    const subscription = this.subscription;
    this.subscription = null;
    if (subscription !== null) await subscription.close();
  }

  /** Forget what the table shows (records of a log that was replaced). */
  clear() {
    this.records = [];
    this.render();
  }

  add(record) {
    // Hint: a record after a notice (a retention gap, a start past the head) means all is well again.
    if (!this.healthy) this.following(`following, at offset ${record.offset}`);
    this.records.push(record);
    if (this.records.length > 2 * SHOWN) this.records.splice(0, this.records.length - SHOWN);
    this.options.onRecord();
    this.timer ??= setTimeout(() => this.render(), RENDER_MS);
  }

  render() {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    fillRows(this.table, this.records.slice(-SHOWN).reverse().map(row));
  }
}
