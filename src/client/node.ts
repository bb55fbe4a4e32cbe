import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { type PositionStore, parsePosition } from './positionStore.js';

export * from './index.js';

/** A store in a JSON file (Node only), written atomically, holding one position per key. */
export function filePositionStore(path: string): PositionStore {
  let chain: Promise<void> = Promise.resolve();
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
      await chain;
      const all = await readAll();
      return parsePosition(key in all ? JSON.stringify(all[key]) : null);
    },
    save: (key, position) => {
      // Hint: saves are serialized, and a rename replaces the file whole, so a crash never leaves half a file.
      chain = chain.then(async () => {
        const all = await readAll();
        all[key] = position;
        await mkdir(dirname(path), { recursive: true });
        await writeFile(`${path}.tmp`, JSON.stringify(all));
        await rename(`${path}.tmp`, path);
      });
      return chain;
    },
  };
}
