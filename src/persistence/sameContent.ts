import type { EventInput } from '../protocol/eventInput.js';

/** The fields that decide whether a resent producer id is the same event. */
export type EventContent = Pick<EventInput, 'event_type' | 'source' | 'session_id' | 'user_id' | 'payloadJson'>;

/** JSON with object keys sorted at every level, so key order does not change the text. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== 'object') return value;
  const record = value as Record<string, unknown>;
  const sorted: Record<string, unknown> = {};
  for (const key of Object.keys(record).sort()) sorted[key] = sortKeys(record[key]);
  return sorted;
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
