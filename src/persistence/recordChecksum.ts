import { crc32 } from 'node:zlib';
import { frameCrc } from './crcCombine.js';

/**
 * Each row of `events` keeps a CRC-32 (`crc`) of the record's contract JSON as UTF-8: the exact bytes every reader is
 * served (recordJson at append, rowJson or ROW_JSON_SQL at read). Why: SQLite keeps no checksums of content, so a
 * byte altered inside a payload (a bad sector, a stray write) was served as read: a body that is not JSON, a frame
 * that is not UTF-8. CRC-32 finds every change of one byte (any burst of up to 32 bits). Rows written before the
 * column existed hold NULL and are served unchecked.
 */
export function recordChecksum(json: string | Uint8Array): number {
  return crc32(json);
}

/** A record whose JSON does not match its stored checksum. */
export class ChecksumMismatch extends Error {
  override readonly name = 'ChecksumMismatch';
  constructor(readonly offset: number) {
    super(`the record at offset ${offset} does not match its checksum`);
  }
}

/** Throw a ChecksumMismatch unless the record at `offset`, served as `json`, matches `crc` (null: unchecked). */
export function verifyRecord(json: string, crc: number | null, offset: number): void {
  if (crc !== null && crc32(json) !== crc) throw new ChecksumMismatch(offset);
}

/**
 * Whether every record of a replay frame (`[r1,r2,…]` as UTF-8) matches its checksum, given each record's length in
 * bytes and its checksum (null: unchecked), in frame order. Hint: when every record has one, one crc32 over the whole
 * frame is held against what the checksums combine to (crcCombine.ts); else one crc32 per checked record, over a view
 * of the frame's bytes. A frame holds at least one record.
 */
export function frameMatches(frame: Uint8Array, lengths: readonly number[], crcs: readonly (number | null)[]): boolean {
  let bytes = 1 + lengths.length;
  for (const length of lengths) bytes += length;
  if (lengths.length === 0 || lengths.length !== crcs.length || bytes !== frame.length) return false;
  if (!crcs.includes(null)) return crc32(frame) === frameCrc(lengths, crcs as readonly number[]);
  let at = 1;
  for (let i = 0; i < lengths.length; i++) {
    const crc = crcs[i]!;
    if (crc !== null && crc32(frame.subarray(at, at + lengths[i]!)) !== crc) return false;
    at += lengths[i]! + 1;
  }
  return true;
}

/**
 * The writer worker's `rowChecksum(offset, iso, id, type, source, session, user, payload)` as JavaScript source
 * (the worker is eval'd CommonJS with `crc32` from node:zlib in scope): recordJson's text, since JSON.stringify
 * quotes exactly as recordJson's `quote` does. A unit test holds it equal to recordChecksum(recordJson(event)).
 */
export const ROW_CHECKSUM_SOURCE = `function rowChecksum(offset, iso, id, type, source, session, user, payload) {
  return crc32('{"id":' + JSON.stringify(id) + ',"offset":' + offset + ',"event_type":"' + type + '","source":"' +
    source + '","session_id":' + JSON.stringify(session) + ',"user_id":' + JSON.stringify(user) + ',"payload":' +
    payload + ',"timestamp":"' + iso + '"}');
}`;
