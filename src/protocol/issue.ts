/** A validation problem: which field, and why. Errors are data at the edges. */
export interface Issue {
  /** Dotted path of the offending field, e.g. `payload` or `[3].event_type`. */
  readonly field: string;
  readonly message: string;
  /** The old service's rule it breaks, for a 422's pydantic `type` (see detailEntryOf); absent for our own rules. */
  readonly kind?: IssueKind;
}

/**
 * Which rule of the FastAPI service's models an issue breaks, and the value pydantic would echo as `input` (for a
 * missing field, the object that lacks it).
 */
export type IssueKind = { readonly input: unknown } & (
  | { readonly rule: 'missing' }
  | { readonly rule: 'type'; readonly expected: 'string' | 'dict' | 'model' }
  | { readonly rule: 'int_parsing' }
  | { readonly rule: 'too_short'; readonly min: number }
  | { readonly rule: 'too_long'; readonly max: number }
  | { readonly rule: 'pattern'; readonly pattern: string }
  | { readonly rule: 'ge'; readonly bound: number }
  | { readonly rule: 'le'; readonly bound: number }
  // Hint: a ValueError raised by one of the models' field validators (event_type, payload limits).
  | { readonly rule: 'validator' }
);

/**
 * One entry of a 422's `detail`, as FastAPI writes it: where (`["body", 1, "source"]`), why, and its pydantic kind,
 * with the `input` and `ctx` pydantic gives for it (none for a rule of our own, whose kind is `value_error`).
 */
export interface DetailEntry {
  readonly loc: readonly (string | number)[];
  readonly msg: string;
  readonly type: string;
  readonly input?: unknown;
  readonly ctx?: Readonly<Record<string, unknown>>;
}

/** Result of parsing untrusted input. */
export type ParseResult<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly issues: readonly Issue[] };

/** How many issues an error reply lists; the rest are only counted. */
export const MAX_LISTED_ISSUES = 100;

/** How many characters of a client's value an error message echoes. */
const PREVIEW_CHARS = 40;

/**
 * One human line naming every field and its reason (an issue without a field, such as the count of the rest, is its
 * message alone).
 */
export function formatIssues(issues: readonly Issue[]): string {
  return issues.map((issue) => (issue.field === '' ? issue.message : `${issue.field}: ${issue.message}`)).join('; ');
}

/** Prefix every issue's field with `prefix` (e.g. an array index). */
export function prefixIssues(prefix: string, issues: readonly Issue[]): Issue[] {
  return issues.map((issue) => prefixIssue(prefix, issue));
}

function prefixIssue(prefix: string, issue: Issue): Issue {
  return {
    ...issue,
    field:
      issue.field === ''
        ? prefix
        : issue.field.startsWith('[')
          ? `${prefix}${issue.field}`
          : `${prefix}.${issue.field}`,
  };
}

const SURROGATE = /[\ud800-\udfff]/;

/**
 * How many characters `text` holds, as the old service counted them (Python: code points), not UTF-16 units: an
 * emoji is one. Hint: one native regex test answers for text without surrogates.
 */
export function codePoints(text: string): number {
  if (!SURROGATE.test(text)) return text.length;
  let count = 0;
  for (const _ of text) count++;
  return count;
}

/**
 * A client's string as a JSON literal for an error message, cut to a short prefix: an error reply must not echo a
 * megabyte value back (or grow larger than the request). Hint: cut and counted by code points, so an emoji is never
 * halved into a `\ud83d` escape, and the count is the one the client sent (100 emoji read as "200 characters").
 */
export function preview(text: string): string {
  if (text.length <= PREVIEW_CHARS) return JSON.stringify(text);
  const count = codePoints(text);
  if (count <= PREVIEW_CHARS) return JSON.stringify(text);
  let end = 0;
  for (let n = 0; n < PREVIEW_CHARS; n++) end += text.codePointAt(end)! > 0xffff ? 2 : 1;
  return `${JSON.stringify(text.slice(0, end))}… (${count} characters)`;
}

/** Any client value for an error message: a string as `preview` cuts it, a number or literal as is, else its kind. */
export function previewValue(value: unknown): string {
  if (typeof value === 'string') return preview(value);
  if (value === null || typeof value === 'number' || typeof value === 'boolean') return String(value);
  // Hint: SQLite hands a BLOB over as bytes (migrate-legacy said `a value of type object` of one).
  if (value instanceof Uint8Array) return `a BLOB of ${value.length} byte${value.length === 1 ? '' : 's'}`;
  return Array.isArray(value) ? 'an array' : `a value of type ${typeof value}`;
}

/**
 * Issues gathered over many items: the first `cap` are kept, the rest only counted, so ten million bad events
 * cost a counter, not ten million objects. A caller may stop checking items once the list is `full` and say how many
 * it left unchecked.
 */
export class IssueList {
  readonly listed: Issue[] = [];
  total = 0;
  /** Items not checked at all because the list was already full. */
  notChecked = 0;

  constructor(private readonly cap = MAX_LISTED_ISSUES) {}

  /** Add an item's issues, prefixing their fields with `prefix` (e.g. `[3]`) when given. */
  add(issues: readonly Issue[], prefix?: string): void {
    for (const issue of issues) {
      this.total++;
      if (this.listed.length < this.cap) this.listed.push(prefix === undefined ? issue : prefixIssue(prefix, issue));
    }
  }

  get empty(): boolean {
    return this.total === 0;
  }

  /** True once `cap` issues are listed: another item's issues would only be counted. */
  get full(): boolean {
    return this.listed.length >= this.cap;
  }

  /** The listed issues plus, when some were left out or items went unchecked, one line saying so. */
  summarized(): Issue[] {
    const left = this.total - this.listed.length;
    if (left === 0 && this.notChecked === 0) return this.listed;
    return [...this.listed, moreIssues(left, this.total, this.notChecked)];
  }
}

/** The issue standing for `left` issues not listed out of `total`, and for `notChecked` items never checked. */
export function moreIssues(left: number, total: number, notChecked = 0): Issue {
  const n = (count: number) => count.toLocaleString('en-US');
  const unchecked = `${n(notChecked)} more ${notChecked === 1 ? 'event was' : 'events were'} not checked`;
  if (notChecked === 0) return { field: '', message: `… and ${n(left)} more issues (${n(total)} in all)` };
  if (left === 0) return { field: '', message: `… ${unchecked}` };
  return { field: '', message: `… and ${n(left)} more issues (${n(total)} in the events checked); ${unchecked}` };
}
