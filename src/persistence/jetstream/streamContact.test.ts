import { describe, expect, it } from 'vitest';
import { confirmStreamHead } from './streamContact.js';

/** An applier whose stream requests the test answers one by one, and a feed that knows the last answer. */
function fakeNode() {
  const requests: ((last: number) => void)[] = [];
  let known = 10;
  const applier = {
    refusal: null,
    followStream: () =>
      new Promise<boolean>((resolve) =>
        requests.push((last) => {
          known = Math.max(known, last);
          resolve(true);
        }),
      ),
  };
  return { node: { applier, feed: { knownHead: () => known } }, requests };
}

const settle = async () => {
  for (let i = 0; i < 10; i++) await Promise.resolve();
};

describe('confirmStreamHead', () => {
  it('shares stream requests, but answers each caller from one sent after it asked', async () => {
    const { node, requests } = fakeNode();
    const first = confirmStreamHead(node, true);
    expect(requests).toHaveLength(1);
    // Asked while the first request is out: that answer may predate what these callers have, so they wait for one more.
    const second = confirmStreamHead(node, true);
    const third = confirmStreamHead(node, true);
    expect(requests).toHaveLength(1);
    requests[0]!(20);
    expect(await first).toBe(20);
    await settle();
    expect(requests).toHaveLength(2);
    requests[1]!(30);
    expect(await second).toBe(30);
    expect(await third).toBe(30);
    const fourth = confirmStreamHead(node, true);
    expect(requests).toHaveLength(3);
    requests[2]!(31);
    expect(await fourth).toBe(31);
  });

  it('asks nothing while the node is cut off', async () => {
    const { node, requests } = fakeNode();
    await expect(confirmStreamHead(node, false)).rejects.toThrow('the NATS cluster is unreachable');
    expect(requests).toHaveLength(0);
  });
});
