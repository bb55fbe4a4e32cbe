import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { filePositionStore, localStoragePositionStore, subscribe } from './node.js';

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

  it('refuses a damaged file, naming it, instead of starting over from `from`, and never saves over it', async () => {
    const path = fileIn('positions.json');
    const damaged = '{"a": {"offset": 3, "ep';
    writeFileSync(path, damaged);
    const store = filePositionStore(path);
    await expect(store.load('a')).rejects.toThrow(
      `positions file ${path}: Unterminated string in JSON at position 23; fix it, or remove it to start from the \`from\` option`,
    );
    await expect(store.save('b', { offset: 5, epoch: 'e' })).rejects.toThrow(`positions file ${path}:`);
    expect(readFileSync(path, 'utf8')).toBe(damaged);
    writeFileSync(path, '[]');
    await expect(store.load('a')).rejects.toThrow('expected a JSON object of positions by key');
    writeFileSync(path, '{"a": {"offset": "three"}}');
    await expect(store.load('a')).rejects.toThrow(`positions file ${path}: key "a" holds no position (offset, epoch)`);
    expect(await store.load('b')).toBeNull();
  });

  it('reads a file holding {} as no saved position (the subscription starts at `from`), and an empty file as damaged', async () => {
    const path = fileIn('positions.json');
    writeFileSync(path, '{}');
    const store = filePositionStore(path);
    expect(await store.load('a')).toBeNull();
    await store.save('a', { offset: 7, epoch: 'e' });
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual({ a: { offset: 7, epoch: 'e' } });
    writeFileSync(path, '');
    await expect(store.load('a')).rejects.toThrow(`positions file ${path}: Unexpected end of JSON input`);
  });

  it('fails a load it cannot read, naming the file, rather than reading it as empty', async () => {
    const path = fileIn('positions.json');
    mkdirSync(path);
    await expect(filePositionStore(path).load('a')).rejects.toThrow(`positions file ${path}: cannot be read (EISDIR`);
  });

  it('fails a subscription whose saved position is damaged, before it connects', async () => {
    const path = fileIn('positions.json');
    writeFileSync(path, '{');
    const subscription = subscribe({ url: 'http://127.0.0.1:9', store: filePositionStore(path), key: 'k' });
    await expect(subscription[Symbol.asyncIterator]().next()).rejects.toThrow(`positions file ${path}:`);
    await subscription.close();
  });
});

describe('localStoragePositionStore', () => {
  it('refuses an item that holds no position instead of reading it as missing', () => {
    const items = new Map([['event-pipeline:position:k', '{"offset":-1}']]);
    const store = localStoragePositionStore({
      getItem: (key) => items.get(key) ?? null,
      setItem: (key, value) => void items.set(key, value),
    });
    expect(() => store.load('k')).toThrow('storage item event-pipeline:position:k: holds no position');
    expect(store.load('other')).toBeNull();
  });
});
