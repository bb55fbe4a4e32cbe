import { closeSync, copyFileSync, openSync, readSync } from 'node:fs';

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

/** Fill `bytes` from `position`; false at the end of the file. */
function readAt(fd: number, bytes: Buffer, position: number): boolean {
  return readSync(fd, bytes, 0, bytes.length, position) === bytes.length;
}

/** What SQLite's recovery of a WAL reads: its commits, and past the first damaged frame (-1: none) whole commits. */
interface WalScan {
  readonly commits: number;
  readonly broken: number;
  readonly commitsAfter: number;
}

/** scanFrames over the WAL at `path`; null when there is none, or it cannot be read (SQLite decides, as before). */
function scanWal(path: string): WalScan | null {
  let fd: number | null = null;
  try {
    fd = openSync(path, 'r');
    return scanFrames(fd);
  } catch {
    return null; // Hint: absent, a directory, unreadable: SQLite decides, as before.
  } finally {
    if (fd !== null) closeSync(fd);
  }
}

/**
 * Commits that SQLite's recovery of the WAL at `path` would drop for damage, not for a crash: frames of this WAL
 * generation (its salts) are read up to the first whose checksum fails, as SQLite does; a commit frame of the same
 * generation after it means a whole commit (acknowledged) follows the damage. Hint: a crash or `kill -9` leaves at
 * most a commit cut short at the end, with no commit frame after its break; that is no loss of an acknowledged commit.
 * Returns a sentence naming the frames, or null (no WAL, one that cannot be read, or nothing past a break).
 */
export function walDamage(path: string): string | null {
  const scan = scanWal(path);
  if (scan === null || scan.broken < 0 || scan.commitsAfter === 0) return null;
  const { broken, commitsAfter } = scan;
  return `frame ${broken + 1} of ${path} is damaged, and ${commitsAfter} commit${commitsAfter === 1 ? '' : 's'} after it cannot be read`;
}

/** The commits SQLite would read from the WAL at `path` over its database file (0: none, or no WAL). */
export function walCommits(path: string): number {
  return scanWal(path)?.commits ?? 0;
}

/** The frames of an open WAL, read a frame at a time (a WAL outgrows memory when checkpoints were held off). */
function scanFrames(fd: number): WalScan | null {
  const header = Buffer.alloc(WAL_HEADER_BYTES);
  if (!readAt(fd, header, 0)) return null;
  const magic = header.readUInt32BE(0);
  const pageSize = header.readUInt32BE(8) === 1 ? 65_536 : header.readUInt32BE(8);
  if (magic !== MAGIC_LITTLE_ENDIAN && magic !== MAGIC_BIG_ENDIAN) return null;
  if (pageSize < 512 || pageSize > 65_536 || (pageSize & (pageSize - 1)) !== 0) return null;
  const bigEndian = magic === MAGIC_BIG_ENDIAN;
  const sums: [number, number] = [0, 0];
  checksum(header, 0, 24, sums, bigEndian);
  if (sums[0] !== header.readUInt32BE(24) || sums[1] !== header.readUInt32BE(28)) return null;
  const frame = Buffer.alloc(FRAME_HEADER_BYTES + pageSize);
  let [broken, commits, commitsAfter] = [-1, 0, 0];
  for (let n = 0; readAt(fd, frame, WAL_HEADER_BYTES + n * frame.length); n++) {
    if (frame.readUInt32BE(8) !== header.readUInt32BE(16) || frame.readUInt32BE(12) !== header.readUInt32BE(20)) break;
    const commit = frame.readUInt32BE(4) !== 0;
    if (broken < 0) {
      checksum(frame, 0, 8, sums, bigEndian);
      checksum(frame, FRAME_HEADER_BYTES, pageSize, sums, bigEndian);
      if (sums[0] !== frame.readUInt32BE(16) || sums[1] !== frame.readUInt32BE(20)) broken = n;
      else if (commit) commits++;
    } else if (commit) commitsAfter++;
  }
  return { commits, broken, commitsAfter };
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
