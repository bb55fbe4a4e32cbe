import { CliError, EXIT } from './command.js';

/**
 * The offset the next page starts from: the last of `page`, after checking that its offsets run strictly past
 * `cursor` in `order` (up for `asc`, down for `desc`). Hint: paging trusts the server to move forward; a reply that
 * does not (some other service, a proxy's cache) would make `export` or `tail` loop writing the same page forever.
 */
export function nextCursor(
  page: ReadonlyArray<{ readonly offset: number }>,
  cursor: number,
  order: 'asc' | 'desc',
  request: string,
): number {
  let previous = cursor;
  for (const [i, record] of page.entries()) {
    const forward = order === 'asc' ? record.offset > previous : record.offset < previous;
    if (!forward)
      throw new CliError(
        `${request}: record [${i}] has offset ${record.offset}, not ${order === 'asc' ? 'after' : 'before'} ${previous}; the server's pages must run in offset order`,
        EXIT.failed,
      );
    previous = record.offset;
  }
  return previous;
}

/**
 * Check that no record of `page` is at or past `before` (the `before_offset` asked for). Hint: a server that ignored
 * it made `export --to 5` write offsets 6–9; the range asked for is what is written, or nothing past it and exit 1.
 */
export function checkBefore(page: ReadonlyArray<{ readonly offset: number }>, before: number, request: string): void {
  const i = page.findIndex((record) => record.offset >= before);
  if (i >= 0)
    throw new CliError(
      `${request}: record [${i}] has offset ${page[i]!.offset}, not before ${before}; the server ignored before_offset (the range ends at ${before - 1})`,
      EXIT.failed,
    );
}
