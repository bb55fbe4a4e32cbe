import { type Issue, IssueList, moreIssues } from '../protocol/issue.js';
import { HttpError } from './httpError.js';

/** An error reply may always be this large, however small the request (one or two issues fit). */
const MIN_BUDGET_BYTES = 4096;

/** One FastAPI validation entry. */
interface DetailEntry {
  readonly loc: (string | number)[];
  readonly msg: string;
  readonly type: string;
}

/** Hint: an issue with the whole body (`body`) or a whole event of an array (`[3].body`) names no field inside it. */
const WHOLE_BODY = /^(?:\[\d+\]\.)?body$/;

function entryOf(issue: Issue, where: 'body' | 'query'): DetailEntry {
  const field = where === 'body' && WHOLE_BODY.test(issue.field) ? issue.field.slice(0, -'body'.length) : issue.field;
  return {
    loc: [
      where,
      ...field
        .split(/[.[\]]+/)
        .filter((p) => p !== '')
        .map((p) => (/^\d+$/.test(p) ? Number(p) : p)),
    ],
    msg: `${issue.field}: ${issue.message}`,
    type: 'value_error',
  };
}

/**
 * FastAPI-compatible 422: `{detail: [{loc, msg, type}]}`, one entry per listed issue (an IssueList also counts the
 * issues it did not keep and the events it did not check); entries stop once they would outgrow `budgetBytes` (the
 * request's size, at least 4 KiB), and a last entry then says how many were left out, so an error reply is never
 * much larger than the request that caused it.
 */
export function validationError(
  found: readonly Issue[] | IssueList,
  where: 'body' | 'query' = 'body',
  budgetBytes = 0,
): HttpError {
  const {
    listed: issues,
    total,
    notChecked,
  } = found instanceof IssueList ? found : { listed: found, total: found.length, notChecked: 0 };
  const budget = Math.max(MIN_BUDGET_BYTES, budgetBytes);
  const detail: DetailEntry[] = [];
  let size = 0;
  for (const issue of issues) {
    const entry = entryOf(issue, where);
    // Hint: an estimate of the entry's JSON size; exact enough for a budget, and no serialization per entry.
    size += entry.msg.length * 2 + issue.field.length * 2 + 48;
    if (size > budget && detail.length > 0) break;
    detail.push(entry);
  }
  const left = total - detail.length;
  if (left > 0 || notChecked > 0) {
    detail.push({ loc: [where], msg: moreIssues(left, total, notChecked).message, type: 'value_error.truncated' });
  }
  return new HttpError(422, detail);
}
