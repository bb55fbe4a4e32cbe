import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { filePositionStore } from './node.js';

describe('filePositionStore', () => {
  const dirs: string[] = [];
  const fileIn = (...parts: string[]) => {
    const dir = mkdtempSync(join(tmpdir(), 'position-store-'));
    dirs.push(dir);
    return join(dir, ...parts);
  };
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('keeps one position per key, in a directory it makes, and loads null for a key it never saved', async () => {
    const path = fileIn('nested', 'positions.json');
    const store = filePositionStore(path);
    await store.save('a', { offset: 3, epoch: 'e1' });
    await store.save('b', { offset: 9, epoch: 'e1' });
    await store.save('a', { offset: 4, epoch: 'e1' });
    expect(await filePositionStore(path).load('a')).toEqual({ offset: 4, epoch: 'e1' });
    expect(await store.load('b')).toEqual({ offset: 9, epoch: 'e1' });
    expect(await store.load('c')).toBeNull();
    expect(readdirSync(join(path, '..'))).toEqual(['positions.json']);
  });

  it('two stores on one file lose neither key when they save at once', async () => {
    const path = fileIn('positions.json');
    const first = filePositionStore(path);
    const second = filePositionStore(path);
    const saves: (Promise<void> | void)[] = [];
    for (let offset = 1; offset <= 20; offset++) {
      saves.push(first.save('first', { offset, epoch: 'e' }));
      saves.push(second.save('second', { offset, epoch: 'e' }));
    }
    await Promise.all(saves);
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual({
      first: { offset: 20, epoch: 'e' },
      second: { offset: 20, epoch: 'e' },
    });
  });

  it('reads a damaged file as holding no position, and replaces it whole at the next save', async () => {
    const path = fileIn('positions.json');
    writeFileSync(path, '{"a": {"offset": 3, "ep');
    const store = filePositionStore(path);
    expect(await store.load('a')).toBeNull();
    await store.save('a', { offset: 5, epoch: 'e' });
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual({ a: { offset: 5, epoch: 'e' } });
  });
});
