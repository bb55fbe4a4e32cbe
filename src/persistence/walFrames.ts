import { closeSync, copyFileSync, fstatSync, openSync, readSync } from 'node:fs';

const WAL_HEADER_BYTES = 32;
const FRAME_HEADER_BYTES = 24;
const MAGIC_LITTLE_ENDIAN = 0x377f0682;
const MAGIC_BIG_ENDIAN = 0x377f0683;

/** SQLite's WAL checksum of `length` bytes (a multiple of 8) at `at`, continuing from `sums`. */
function checksum(bytes: Buffer, at: number, length: number, sums: [number, number], bigEndian: boolean) {
  let [s0, s1] = sums;
  for (let i = at; i < at + length; i += 8) {
    const x0 = bigEndian ? bytes.readUInt32BE(i) : bytes.readUInt32LE(i);
    const x1 = bigEndian ? bytes.readUInt32BE(i + 4) : bytes.readUInt32LE(i + 4);
    s0 = (s0 + x0 + s1) >>> 0;
    s1 = (s1 + x1 + s0) >>> 0;
  }
  sums[0] = s0;
  sums[1] = s1;
}

/** The whole file, or null when it cannot be read (absent, a directory): then SQLite decides, as before. */
function readWhole(path: string): Buffer | null {
  let fd: number | null = null;
  try {
    fd = openSync(path, 'r');
    const bytes = Buffer.alloc(fstatSync(fd).size);
    readSync(fd, bytes, 0, bytes.length, 0);
    return bytes;
  } catch {
    return null;
  } finally {
    if (fd !== null) closeSync(fd);
  }
}

/**
 * Commits that SQLite's recovery of the WAL at `path` would drop for damage, not for a crash: frames of this WAL
 * generation (its salts) are read up to the first whose checksum fails, as SQLite does; a commit frame of the same
 * generation after it means a whole commit (acknowledged) follows the damage. Hint: a crash or `kill -9` leaves at
 * most a commit cut short at the end, with no commit frame after its break; that is no loss of an acknowledged commit.
 * Returns a sentence naming the frames, or null (no WAL, or nothing past a break).
 */
export function walDamage(path: string): string | null {
  const bytes = readWhole(path);
  if (bytes === null || bytes.length < WAL_HEADER_BYTES) return null;
  const magic = bytes.readUInt32BE(0);
  if (magic !== MAGIC_LITTLE_ENDIAN && magic !== MAGIC_BIG_ENDIAN) return null;
  const bigEndian = magic === MAGIC_BIG_ENDIAN;
  const pageSize = bytes.readUInt32BE(8) === 1 ? 65_536 : bytes.readUInt32BE(8);
  const sums: [number, number] = [0, 0];
  checksum(bytes, 0, 24, sums, bigEndian);
  if (sums[0] !== bytes.readUInt32BE(24) || sums[1] !== bytes.readUInt32BE(28)) return null;
  const frameBytes = FRAME_HEADER_BYTES + pageSize;
  let broken = -1;
  let commitsAfter = 0;
  for (let frame = 0; WAL_HEADER_BYTES + (frame + 1) * frameBytes <= bytes.length; frame++) {
    const at = WAL_HEADER_BYTES + frame * frameBytes;
    if (bytes.readUInt32BE(at + 8) !== bytes.readUInt32BE(16) || bytes.readUInt32BE(at + 12) !== bytes.readUInt32BE(20))
      break;
    if (broken < 0) {
      checksum(bytes, at, 8, sums, bigEndian);
      checksum(bytes, at + FRAME_HEADER_BYTES, pageSize, sums, bigEndian);
      if (sums[0] !== bytes.readUInt32BE(at + 16) || sums[1] !== bytes.readUInt32BE(at + 20)) broken = frame;
    } else if (bytes.readUInt32BE(at + 4) !== 0) commitsAfter++;
  }
  if (broken < 0 || commitsAfter === 0) return null;
  return `frame ${broken + 1} of ${path} is damaged, and ${commitsAfter} commit${commitsAfter === 1 ? '' : 's'} after it cannot be read`;
}

/**
 * walDamage, and when there is some, a copy of the WAL kept as `<wal>.damaged` (named in the sentence): SQLite's
 * recovery is about to drop those commits and the next checkpoint to overwrite them, so the copy is all that is left
 * of them for whoever salvages them. Hint: a copy that fails (a full disk) must not stop the open. When a checkpoint
 * had already copied pages of the lost commits into the database file, the file no longer agrees with what is left of
 * the WAL: the open then fails as corrupt, and its message names this damage too (openSqliteLog).
 */
export function keepDamagedWal(path: string): string | null {
  const damage = walDamage(path);
  if (damage === null) return null;
  try {
    copyFileSync(path, `${path}.damaged`);
    return `${damage} (a copy of it is kept as ${path}.damaged)`;
  } catch {
    return damage;
  }
}
