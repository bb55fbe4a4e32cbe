import { deletedOffsetsNotice, firstAvailableOf } from './deletedOffsets.js';
import { checkBefore, nextCursor } from './pageCursor.js';
import { type RecordFields, RecordsReply } from './replySchemas.js';
import { getReply } from './restClient.js';

/** Where a forward read goes and what it says about deleted offsets. */
export interface ForwardRead {
  readonly url: string;
  readonly apiKey: string | undefined;
  /** Filters as a query string (may be empty). */
  readonly query: string;
  readonly from: number;
  /** Last offset to read (inclusive); the head when absent. */
  readonly to?: number;
  /** Called with one line per run of offsets retention deleted inside the range (see deletedOffsetsNotice). */
  readonly onDeleted: (notice: string) => void;
}

const PAGE = 1000;

/**
 * Pages of GET /events from `from` in offset order, up to `to` or the head. Hint: the server names offsets that
 * retention deleted from a range in X-First-Available-Offset; reading past them without a word looked like a complete
 * range (`export --from 100000 --to 140000` printed nothing, exit 0).
 */
export async function* forwardPages(read: ForwardRead): AsyncGenerator<RecordFields[]> {
  for (let after = read.from - 1; ; ) {
    const params = [
      read.query,
      'order=asc',
      `limit=${PAGE}`,
      `after_offset=${after}`,
      read.to === undefined ? '' : `before_offset=${read.to + 1}`,
    ];
    const path = `events?${params.filter((p) => p !== '').join('&')}`;
    const { body: page, headers } = await getReply(read.url, path, read.apiKey, RecordsReply);
    const first = firstAvailableOf(headers);
    const notice = first === null ? null : deletedOffsetsNotice(after, first, read.to);
    if (notice !== null) read.onDeleted(notice);
    if (page.length === 0) return;
    after = nextCursor(page, after, 'asc', `GET /${path}`);
    if (read.to !== undefined) checkBefore(page, read.to + 1, `GET /${path}`);
    yield page;
  }
}
