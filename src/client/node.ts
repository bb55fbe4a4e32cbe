import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { type PositionStore, parsePosition } from './positionStore.js';

export * from './index.js';

/** Each file's pending saves, shared by every store on it in this process (see filePositionStore). */
const chains = new Map<string, Promise<void>>();

/**
 * A store in a JSON file (Node only), written atomically, holding one position per key. Stores on the same file in
 * one process share one queue of saves, so none overwrites another's key with what it read before; across processes,
 * give each its own file.
 */
export function filePositionStore(path: string): PositionStore {
  const file = resolve(path);
  const chain = () => chains.get(file) ?? Promise.resolve();
  const readAll = async (): Promise<Record<string, unknown>> => {
    try {
      const value: unknown = JSON.parse(await readFile(path, 'utf8'));
      return typeof value === 'object' && value !== null ? { ...value } : {};
    } catch {
      return {};
    }
  };
  return {
    load: async (key) => {
      await chain();
      const all = await readAll();
      return parsePosition(key in all ? JSON.stringify(all[key]) : null);
    },
    save: (key, position) => {
      // Hint: saves are serialized, and a rename replaces the file whole, so a crash never leaves half a file.
      const saved = chain().then(async () => {
        const all = await readAll();
        all[key] = position;
        await mkdir(dirname(path), { recursive: true });
        // Hint: a name of this process's own, so another process saving beside it never renames a half-written file.
        const temporary = `${path}.${process.pid}.tmp`;
        await writeFile(temporary, JSON.stringify(all));
        await rename(temporary, path);
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
