import { detailEntryOf } from '../protocol/detailEntry.js';
import { type DetailEntry, type Issue, IssueList, moreIssues } from '../protocol/issue.js';
import type { JsonBody } from '../protocol/jsonBody.js';
import { HttpError } from './httpError.js';

/** An error reply may always be this large, however small the request (one or two issues fit). */
const MIN_BUDGET_BYTES = 4096;

/** About how many bytes an entry's echoed `input` adds (its JSON text, at most 4 KiB; 0 when it has none). */
function inputBytes(entry: DetailEntry): number {
  if (!('input' in entry)) return 0;
  return (JSON.stringify(entry.input) ?? 'null').length * 2 + 32;
}

/**
 * FastAPI-compatible 422: `{detail: [{loc, msg, type}]}` (see detailEntryOf), one entry per listed issue (an
 * IssueList also counts the issues it did not keep and the events it did not check); entries stop once they would
 * outgrow `budgetBytes` (the request's size, at least 4 KiB), and a last entry then says how many were left out, so
 * an error reply is never much larger than the request that caused it.
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
    const entry = detailEntryOf(issue, where);
    // Hint: an estimate of the entry's JSON size, exact enough for a budget; only an echoed `input` (a few KiB at
    // most) is serialized.
    size += entry.msg.length * 2 + issue.field.length * 2 + 48 + inputBytes(entry);
    if (size > budget && detail.length > 0) break;
    detail.push(entry);
  }
  const left = total - detail.length;
  if (left > 0 || notChecked > 0) {
    detail.push({ loc: [where], msg: moreIssues(left, total, notChecked).message, type: 'value_error.truncated' });
  }
  return new HttpError(422, detail);
}

/** FastAPI's 400 detail for a body whose bytes it could not decode. */
const BODY_PARSE_ERROR = 'There was an error parsing the body';

/**
 * The answer to a body that cannot be read as JSON, as FastAPI 0.129 gives it (the old service's statuses and
 * shapes), each message ending with the precise reason: 422 `missing` for no body, 422 `json_invalid` at the position
 * for text that is not JSON, and 400 for bytes that are not UTF-8 text.
 */
export function unreadableBody(body: Exclude<JsonBody, { readonly ok: true }>): HttpError {
  if (body.kind === 'encoding') return new HttpError(400, `${BODY_PARSE_ERROR}: ${body.reason}`);
  if (body.kind === 'missing') {
    const msg = 'Field required: the body is empty; send one event or a JSON array of events';
    return new HttpError(422, [{ type: 'missing', loc: ['body'], msg, input: null }]);
  }
  const msg = `JSON decode error at position ${body.position}: ${body.reason}`;
  const entry: DetailEntry = {
    type: 'json_invalid',
    loc: ['body', body.position],
    msg,
    input: {},
    ctx: { error: body.reason },
  };
  return new HttpError(422, [entry]);
}
