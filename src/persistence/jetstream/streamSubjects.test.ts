import { describe, expect, it } from 'vitest';
import { epochFromNote, epochNote, streamEpoch } from './streamSubjects.js';

const created = '2026-12-04T13:40:18.123456789Z';

describe('the epoch a stream description gives', () => {
  it('is the epoch made with the stream, with or without its creation time', () => {
    expect(epochFromNote('EVENTS', epochNote('k3x9'), created)).toBe('k3x9');
    expect(epochFromNote('EVENTS', epochNote('k3x9', created), created)).toBe('k3x9');
  });

  it('is a new one, from the name and creation time, for a stream made again from an exported config', () => {
    const again = '2026-12-05T08:00:00.5Z';
    expect(epochFromNote('EVENTS', epochNote('k3x9', created), again)).toBe(streamEpoch('EVENTS', again));
    expect(streamEpoch('EVENTS', again)).not.toBe(streamEpoch('EVENTS', created));
  });

  it('is the name and creation time for a description this code did not write', () => {
    expect(epochFromNote('EVENTS', '', created)).toBe(streamEpoch('EVENTS', created));
    expect(epochFromNote('EVENTS', 'my events', created)).toBe(streamEpoch('EVENTS', created));
  });
});
