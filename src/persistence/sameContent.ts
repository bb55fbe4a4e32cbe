import type { EventInput } from '../protocol/eventInput.js';

/** The fields that decide whether a resent producer id is the same event. */
export type EventContent = Pick<EventInput, 'event_type' | 'source' | 'session_id' | 'user_id' | 'payloadJson'>;

/** JSON text with object keys sorted at every level, so key order does not change it. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  // Hint: built as text, not as a new object, so a "__proto__" key stays a key.
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record).sort();
  return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalJson(record[key])}`).join(',')}}`;
}

/** Same payload content: equal text (the fast path), else equal canonical forms (keys reordered). */
export function samePayload(a: string, b: string): boolean {
  if (a === b) return true;
  try {
    return canonicalJson(JSON.parse(a)) === canonicalJson(JSON.parse(b));
  } catch {
    // Hint: text that cannot be parsed or is nested past the stack's reach is only equal to itself.
    return false;
  }
}

/** Is `b` a resend of `a`? Fields compared as stored; the payload by content, not key order. */
export function sameContent(a: EventContent, b: EventContent): boolean {
  return (
    a.event_type === b.event_type &&
    a.source === b.source &&
    a.session_id === b.session_id &&
    a.user_id === b.user_id &&
    samePayload(a.payloadJson, b.payloadJson)
  );
}
