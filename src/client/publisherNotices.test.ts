import { describe, expect, it } from 'vitest';
import { type PublisherNotice, PublisherNotices } from './publisherNotices.js';

function heard(): { notices: PublisherNotice[]; told: PublisherNotices } {
  const notices: PublisherNotice[] = [];
  const told = new PublisherNotices(
    (notice) => notices.push(notice),
    (error) => {
      throw error;
    },
  );
  return { notices, told };
}

describe('PublisherNotices', () => {
  it('says the wait before sending again in whole milliseconds, as the subscriber says its delays', () => {
    const { notices, told } = heard();
    // The pause left is read off a fractional clock (performance.now): before, `sending again in 58.93930499999988 ms`.
    told.refused('queue full; retry in 1 s', 58.93930499999988);
    told.refused('queue full', 0.4);
    told.refused('queue full', -0.2);
    expect(notices.map((notice) => notice.message)).toEqual([
      'queue full; retry in 1 s; sending again in 59 ms',
      'queue full; sending again in 0 ms',
      'queue full; sending again in 0 ms',
    ]);
  });

  it('says the reconnect delay in whole milliseconds too, and resumed after a loss', () => {
    const { notices, told } = heard();
    told.opened();
    told.lost('closed 1006', 250.6, 3);
    told.opened();
    expect(notices).toEqual([
      { kind: 'reconnecting', message: 'closed 1006; reconnecting in 251 ms with 3 event(s) not acknowledged yet' },
      { kind: 'resumed', message: 'connected again after: closed 1006' },
    ]);
  });
});
