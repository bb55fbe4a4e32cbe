import type { StreamInfo } from '@nats-io/jetstream';
import { describe, expect, it } from 'vitest';
import { identityChange, originOf } from './streamIdentity.js';
import { epochNote } from './streamSubjects.js';

const created = '2026-12-07T03:56:15.239153172Z';
const note = epochNote('n13m77na0z4lmddp', created);
const info = (description: string, at = created) =>
  ({ created: at, config: { name: 'S25', description } }) as StreamInfo;

describe('identityChange', () => {
  it('tells a stream whose description was edited from one deleted and made again, by its creation time', () => {
    const origin = originOf(info(note));
    expect(origin).toEqual({ epoch: 'n13m77na0z4lmddp', created, description: note });
    expect(identityChange(origin, info(note))).toEqual({ kind: 'same' });
    // Made again from its exported config: the description names another creation time, so a new epoch.
    expect(identityChange(origin, info(note, '2026-12-07T04:00:00Z'))).toEqual({
      kind: 'remade',
      epoch: 'S25-20261207040000',
    });
    const edited = identityChange(origin, info('event-pipeline log (prod)'));
    expect(edited).toEqual({
      kind: 'described',
      problem:
        `stream S25's description, which holds the log's epoch, was changed (${JSON.stringify(note)} → ` +
        '"event-pipeline log (prod)"); the stream was not deleted (same creation time), but a node started now ' +
        'would take it for a new log (epoch S25-20261207035615239153172) and rebuild its replica: this node refuses ' +
        `publishes until it is put back with \`nats stream edit S25 --description ${JSON.stringify(note)}\` (or ` +
        'restart every node to make it a new log on purpose)',
    });
  });

  it('takes a description naming the same epoch as the same log (the creation time added after creating)', () => {
    const origin = originOf(info(epochNote('e1')));
    expect(identityChange(origin, info(epochNote('e1', created)))).toEqual({ kind: 'same' });
    // A stream made by hand keeps the epoch of its name and creation time whatever its description says.
    expect(identityChange(originOf(info('')), info('orders, prod'))).toEqual({ kind: 'same' });
  });
});
