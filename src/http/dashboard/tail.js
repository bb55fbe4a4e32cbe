// The live tail: the client SDK's resumable subscription over /ws/subscribe, with server-side filters and replay.
import { LOG_REPLACED } from '/dashboard/client/ackPlan.js';
import { subscribe } from '/dashboard/client/subscriber.js';
import { badge, el, fillRows, timeCell } from './dom.js';
import { brief, idCell } from './visibleText.js';

const SHOWN = 200;
const RENDER_MS = 100;
/** What the tail skipped since it started: the last notices kept for the note's tooltip. */
const SKIPS_KEPT = 20;
/** The SDK's notices that say what a subscription skips (`protocol`: records it did not hand out). */
const SKIPS = ['retention', 'beyond_head', 'protocol'];

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
  constructor(table, status, skipped, options) {
    this.table = table;
    this.status = status;
    /** The note saying what was skipped: `{box, text}`. */
    this.skipped = skipped;
    this.skips = [];
    this.skipCount = 0;
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
    this.forgetSkips();
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
        if (this.subscription === subscription && SKIPS.includes(notice.kind)) this.skip(notice.message);
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
    this.forgetSkips();
  }

  /**
   * Keep saying what was skipped. Hint: the badge's notice gave way to `following, at offset 201501` with the first
   * record, so a replay from 1 on a trimmed log never showed that offsets 1-201500 were deleted.
   */
  skip(message) {
    this.skipCount++;
    this.skips.push(message);
    if (this.skips.length > SKIPS_KEPT) this.skips.shift();
    const earlier = this.skipCount - 1;
    this.skipped.text.textContent = earlier === 0 ? message : `${message} (and ${earlier} earlier)`;
    this.skipped.box.title = this.skips.join('\n');
    this.skipped.box.hidden = false;
  }

  /** Hide the skipped note: the user dismissed it, or the table starts over. */
  forgetSkips() {
    this.skips = [];
    this.skipCount = 0;
    this.skipped.box.hidden = true;
    this.skipped.text.textContent = '';
    this.skipped.box.title = '';
  }

  add(record) {
    // Hint: a record after a notice (a retention gap, a start past the head) means all is well again; what was
    // skipped stays in its own note.
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
