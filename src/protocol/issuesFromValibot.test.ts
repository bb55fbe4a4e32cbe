import fc from 'fast-check';
import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { MAX_LISTED_ISSUES } from './issue.js';
import { issuesFromValibot } from './issuesFromValibot.js';

const Numbers = v.object({ numbers: v.array(v.number('must be a number')) });

function issuesFor(numbers: unknown[]) {
  const result = v.safeParse(Numbers, { numbers });
  return result.success ? [] : issuesFromValibot(result.issues, 'message');
}

describe('issuesFromValibot', () => {
  it('names each field by its path, the root by the name given, and a missing key as required', () => {
    expect(issuesFor(['a', 1, 'b'])).toEqual([
      { field: 'numbers[0]', message: 'must be a number' },
      { field: 'numbers[2]', message: 'must be a number' },
    ]);
    const missing = v.safeParse(Numbers, {});
    expect(missing.success || issuesFromValibot(missing.issues, 'message')).toEqual([
      { field: 'numbers', message: 'field required' },
    ]);
    const notObject = v.safeParse(v.object({}, 'must be an object'), 3);
    expect(notObject.success || issuesFromValibot(notObject.issues, 'body')).toEqual([
      { field: 'body', message: 'must be an object' },
    ]);
  });

  it('writes an array index in brackets and an object key after a dot, at any depth, as batch issues are named', () => {
    // Before: `filters.event_types.0` here, where a batch's issue read `[0].source`.
    const Nested = v.array(v.object({ tags: v.array(v.object({ name: v.string('must be a string') })) }));
    const result = v.safeParse(Nested, [{ tags: [] }, { tags: [{ name: 'a' }, { name: 5 }] }]);
    expect(result.success || issuesFromValibot(result.issues, 'body')).toEqual([
      { field: '[1].tags[1].name', message: 'must be a string' },
    ]);
  });

  it('lists at most MAX_LISTED_ISSUES and counts the rest in one last issue', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 3 * MAX_LISTED_ISSUES }), (bad) => {
        const issues = issuesFor(Array.from({ length: bad }, () => 'x'));
        const listed = Math.min(bad, MAX_LISTED_ISSUES);
        const fieldsOk = issues.slice(0, listed).every((issue, i) => issue.field === `numbers[${i}]`);
        const rest = issues.slice(listed);
        const restOk =
          bad <= MAX_LISTED_ISSUES
            ? rest.length === 0
            : rest.length === 1 &&
              rest[0]!.field === '' &&
              rest[0]!.message === `… and ${bad - MAX_LISTED_ISSUES} more issues (${bad} in all)`;
        return fieldsOk && restOk;
      }),
      { numRuns: 50 },
    );
  });
});
