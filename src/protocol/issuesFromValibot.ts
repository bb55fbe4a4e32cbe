import type * as v from 'valibot';
import { type Issue, type IssueKind, MAX_LISTED_ISSUES, moreIssues } from './issue.js';

/**
 * The path of a valibot issue in the one notation every message uses (`payload.a`, `filters.event_types[0]`, as
 * `[3].source` names a batch's event), or '' at the root.
 */
function pathOf(issue: v.BaseIssue<unknown>): string {
  let path = '';
  for (const item of issue.path ?? []) {
    if (item.type === 'array') path += `[${String(item.key)}]`;
    else path += path === '' ? String(item.key) : `.${String(item.key)}`;
  }
  return path;
}

/**
 * Valibot's issues as ours: the field is the issue's path, or `root` for the value itself (`body`, `message`);
 * a missing required key says "field required" rather than valibot's type message. At most `MAX_LISTED_ISSUES` are
 * listed and the rest counted, so an error reply stays small whatever the input held. `kindOf` names the old
 * service's rule an issue breaks, where it had one (for a 422's pydantic `type`).
 */
export function issuesFromValibot(
  issues: readonly v.BaseIssue<unknown>[],
  root: string,
  kindOf?: (issue: v.BaseIssue<unknown>) => IssueKind | undefined,
): Issue[] {
  const listed = issues.slice(0, MAX_LISTED_ISSUES).map((issue): Issue => {
    const path = pathOf(issue);
    const field = path === '' ? root : path;
    const message = issue.input === undefined && path !== '' ? 'field required' : issue.message;
    const kind = kindOf?.(issue);
    return kind === undefined ? { field, message } : { field, message, kind };
  });
  const left = issues.length - listed.length;
  return left === 0 ? listed : [...listed, moreIssues(left, issues.length)];
}
