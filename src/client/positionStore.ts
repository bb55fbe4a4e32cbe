import type { Position } from './types.js';

/** Where a subscriber keeps its position between runs of the process. */
export interface PositionStore {
  load(key: string): Position | null | Promise<Position | null>;
  save(key: string, position: Position): void | Promise<void>;
}

/** A store in this process's memory (resume across reconnects, not restarts). */
export function memoryPositionStore(): PositionStore {
  const positions = new Map<string, Position>();
  return { load: (key) => positions.get(key) ?? null, save: (key, position) => void positions.set(key, position) };
}

/** The Web Storage subset a store needs. */
export interface StorageLike {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

/** Parse a saved position, or null when it is missing or not one. */
export function parsePosition(text: string | null): Position | null {
  if (text === null) return null;
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value !== 'object' || value === null) return null;
    const offset: unknown = Reflect.get(value, 'offset');
    const epoch: unknown = Reflect.get(value, 'epoch');
    if (typeof offset !== 'number' || !Number.isInteger(offset) || offset < 0) return null;
    return { offset, epoch: typeof epoch === 'string' ? epoch : null };
  } catch {
    return null;
  }
}

/** A store in the browser's `localStorage` (or any Web Storage), one item per key. */
export function localStoragePositionStore(storage?: StorageLike, prefix = 'event-pipeline:position:'): PositionStore {
  const resolveStorage = (): StorageLike => {
    const found: unknown = storage ?? Reflect.get(globalThis, 'localStorage');
    if (typeof found !== 'object' || found === null) throw new TypeError('no localStorage here; pass a Storage');
    return found as StorageLike;
  };
  return {
    load: (key) => {
      const text = resolveStorage().getItem(prefix + key);
      const position = parsePosition(text);
      // Hint: read as missing, it would start the subscription over from `from`, skipping what came since.
      if (text !== null && position === null)
        throw new Error(`storage item ${prefix + key}: holds no position (offset, epoch); fix or remove it`);
      return position;
    },
    save: (key, position) => resolveStorage().setItem(prefix + key, JSON.stringify(position)),
  };
}
