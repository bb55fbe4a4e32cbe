import { mkdir, open, readFile, rename } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { type PositionStore, parsePosition } from './positionStore.js';

export * from './index.js';

/** Each file's pending saves, shared by every store on it in this process (see filePositionStore). */
const chains = new Map<string, Promise<void>>();

/**
 * A store in a JSON file (Node only), written atomically and fsynced, holding one position per key. Stores on the
 * same file in one process share one queue of saves, so none overwrites another's key with what it read before;
 * across processes, give each its own file. A key the file does not hold (`{}` holds none) loads null: no saved
 * position. A file that exists but is not a JSON object (empty, cut short, edited, unreadable) fails `load` and `save`
 * naming it, and so does a key whose entry is not a position. Hint: read as empty, such a file would start the
 * subscription over from `from` (the head by default), silently skipping everything since the saved position, and the
 * next save would erase the other keys.
 */
export function filePositionStore(path: string): PositionStore {
  const file = resolve(path);
  const chain = () => chains.get(file) ?? Promise.resolve();
  const readAll = async (): Promise<Record<string, unknown>> => {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      if (codeOf(error) === 'ENOENT') return {};
      throw new Error(`positions file ${path}: cannot be read (${messageOf(error)})`, { cause: error });
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      throw new Error(`positions file ${path}: ${messageOf(error)}; ${REMEDY}`, { cause: error });
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value))
      throw new Error(`positions file ${path}: expected a JSON object of positions by key; ${REMEDY}`);
    return { ...value };
  };
  return {
    load: async (key) => {
      await chain();
      const all = await readAll();
      if (!(key in all)) return null;
      const position = parsePosition(JSON.stringify(all[key]));
      if (position === null)
        throw new Error(`positions file ${path}: key ${JSON.stringify(key)} holds no position (offset, epoch)`);
      return position;
    },
    save: (key, position) => {
      // Hint: saves are serialized, and a rename replaces the file whole, so a crash never leaves half a file.
      const saved = chain().then(async () => {
        const all = await readAll();
        all[key] = position;
        await mkdir(dirname(path), { recursive: true });
        // Hint: a name of this process's own, so another process saving beside it never renames a half-written file.
        await replaceDurably(path, `${path}.${process.pid}.tmp`, JSON.stringify(all));
      });
      // Hint: a failed save fails its caller, not the saves queued after it.
      chains.set(
        file,
        saved.catch(() => undefined),
      );
      return saved;
    },
  };
}

const REMEDY = 'fix it, or remove it to start from the `from` option';

/**
 * Write `text` to `temporary`, fsync it, rename it over `path`, and fsync the directory. Hint: without the fsyncs a
 * power cut can leave the renamed file empty (the rename reached the disk before the data).
 */
async function replaceDurably(path: string, temporary: string, text: string): Promise<void> {
  const handle = await open(temporary, 'w');
  try {
    await handle.writeFile(text);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temporary, path);
  const directory = await open(dirname(path), 'r').catch(() => null);
  if (directory === null) return;
  try {
    await directory.sync();
  } catch {
    // Some platforms cannot fsync a directory; the rename is then as durable as they make it.
  } finally {
    await directory.close();
  }
}

function codeOf(error: unknown): string {
  return typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : '';
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
