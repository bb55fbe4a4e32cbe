/** A validation problem: which field, and why. Errors are data at the edges. */
export interface Issue {
  /** Dotted path of the offending field, e.g. `payload` or `[3].event_type`. */
  readonly field: string;
  readonly message: string;
}

/** Result of parsing untrusted input. */
export type ParseResult<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly issues: readonly Issue[] };

/** One human line naming every field and its reason. */
export function formatIssues(issues: readonly Issue[]): string {
  return issues.map((issue) => `${issue.field}: ${issue.message}`).join('; ');
}

/** Prefix every issue's field with `prefix` (e.g. an array index). */
export function prefixIssues(prefix: string, issues: readonly Issue[]): Issue[] {
  return issues.map((issue) => ({
    field: issue.field === '' ? prefix : issue.field.startsWith('[') ? `${prefix}${issue.field}` : `${prefix}.${issue.field}`,
    message: issue.message,
  }));
}
