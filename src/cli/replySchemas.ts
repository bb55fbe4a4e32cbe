import * as v from 'valibot';

/**
 * What the CLI reads from the server's replies, checked before use: a URL pointing at some other service (or a proxy's
 * error page) then fails naming the field, instead of with a TypeError or a loop. Hint: loose objects and plain
 * strings where the server may grow (new fields, new event types), so a newer server still reads, and `export` writes
 * every field the server sent.
 */
const count = v.pipe(v.number(), v.integer(), v.minValue(0));
const offset = v.pipe(v.number(), v.integer(), v.minValue(1));
const text = v.nullable(v.string());

const recordEntries = {
  id: v.string(),
  offset,
  event_type: v.string(),
  source: v.string(),
  session_id: text,
  user_id: text,
  payload: v.unknown(),
  timestamp: v.string(),
};

/** The fields of a record `tail` prints (the SDK's EventRecord has them too). */
export type RecordFields = v.InferOutput<v.ObjectSchema<typeof recordEntries, undefined>>;

/** One record of GET /events, as `tail` prints it and `export` writes it (with any field the server adds). */
export const RecordReply = v.looseObject(recordEntries);

export const RecordsReply = v.array(RecordReply);

/** GET /stats. */
export const StatsReply = v.looseObject({
  total_events: count,
  events_last_hour: count,
  head_offset: count,
  first_offset: count,
  epoch: v.string(),
  by_type: v.array(v.looseObject({ event_type: v.string(), count, last_seen: text })),
  router: v.record(v.string(), v.unknown()),
});

/** Each item of GET /sessions. */
export const SessionsReply = v.array(
  v.looseObject({
    session_id: v.string(),
    status: v.string(),
    event_count: count,
    user_ids: v.array(v.string()),
    // Hint: optional, as servers before it did not send it (their user_ids were complete).
    user_count: v.optional(count),
    last_offset: v.nullable(count),
  }),
);
