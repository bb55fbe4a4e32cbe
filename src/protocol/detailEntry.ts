import type { DetailEntry, Issue, IssueKind } from './issue.js';

/** A pydantic error type and its `ctx`, as pydantic 2.12 names the failure of a rule. */
function pydanticError(kind: IssueKind): { readonly type: string; readonly ctx?: Readonly<Record<string, unknown>> } {
  switch (kind.rule) {
    case 'missing':
      return { type: 'missing' };
    case 'type':
      return { type: { string: 'string_type', dict: 'dict_type', model: 'model_attributes_type' }[kind.expected] };
    case 'int_parsing':
      return { type: 'int_parsing' };
    case 'too_short':
      return { type: 'string_too_short', ctx: { min_length: kind.min } };
    case 'too_long':
      return { type: 'string_too_long', ctx: { max_length: kind.max } };
    case 'pattern':
      return { type: 'string_pattern_mismatch', ctx: { pattern: kind.pattern } };
    case 'ge':
      return { type: 'greater_than_equal', ctx: { ge: kind.bound } };
    case 'le':
      return { type: 'less_than_equal', ctx: { le: kind.bound } };
    case 'validator':
      // Hint: FastAPI's jsonable_encoder turns the ValueError pydantic puts here into `{}`.
      return { type: 'value_error', ctx: { error: {} } };
  }
}

/** The most bytes of JSON an entry's `input` may hold; a larger value is left out. */
export const MAX_INPUT_JSON_CHARS = 4096;

/**
 * True when `input` may be echoed: its JSON text is at most MAX_INPUT_JSON_CHARS. Hint: an error reply must not echo
 * a megabyte value back (pydantic would), and a value nested too deep to serialize is never echoed.
 */
function echoable(input: unknown): boolean {
  if (typeof input === 'string' && input.length > MAX_INPUT_JSON_CHARS) return false;
  try {
    return (JSON.stringify(input) ?? '').length <= MAX_INPUT_JSON_CHARS;
  } catch {
    return false;
  }
}

/** The `loc` of `field` (`[3].payload.a`) under `where`: `["body", 3, "payload", "a"]`. */
function locOf(field: string, where: 'body' | 'query'): (string | number)[] {
  // Hint: an issue with the whole body (`body`) names no field inside it; a batch's item is `[3]`, its field `[3].id`.
  const inside = where === 'body' && field === 'body' ? '' : field;
  const parts = inside.split(/[.[\]]+/).filter((p) => p !== '');
  return [where, ...parts.map((p) => (/^\d+$/.test(p) ? Number(p) : p))];
}

/**
 * One 422 entry for an issue: our `msg` (field and reason) at its `loc`, with the `type`, `input` and `ctx` pydantic
 * 2.12 gives when the issue breaks a rule the old service's models had (`input` only while echoable), else
 * `value_error` alone.
 */
export function detailEntryOf(issue: Issue, where: 'body' | 'query'): DetailEntry {
  const loc = locOf(issue.field, where);
  const msg = `${issue.field}: ${issue.message}`;
  const { kind } = issue;
  if (kind === undefined) return { loc, msg, type: 'value_error' };
  // Hint: FastAPI reads a JSON `null` body as no body at all: `missing`, not a value of the wrong type.
  const nullBody = kind.rule === 'type' && kind.input === null && loc.length === 1 && where === 'body';
  const { type, ctx } = pydanticError(nullBody ? { rule: 'missing', input: null } : kind);
  const entry = echoable(kind.input) ? { type, loc, msg, input: kind.input } : { type, loc, msg };
  return ctx === undefined ? entry : { ...entry, ctx };
}
