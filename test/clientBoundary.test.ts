import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const dir = new URL('../src/client/', import.meta.url);
const files = readdirSync(dir).filter((name) => name.endsWith('.ts') && !name.endsWith('.test.ts'));

/** Runtime (non-type) module specifiers a file imports, static and dynamic. */
function runtimeImports(source: string): string[] {
  const out: string[] = [];
  for (const match of source.matchAll(/^(import|export)\s+(type\s+)?[^;]*?from\s+'([^']+)'/gms))
    if (match[2] === undefined) out.push(match[3]!);
  for (const match of source.matchAll(/import\('([^']+)'\)/g)) out.push(match[1]!);
  return out;
}

describe('the client SDK stays a client', () => {
  it('loads nothing server-side at runtime: only its own files, the pure event type list, filter keys, id maker, non-finite number finder, key protocol, publish limits and upgrade refusal mark, nanoid and ws', () => {
    expect(files.length).toBeGreaterThan(5);
    for (const name of files) {
      const allowed = new Set([
        'nanoid',
        'ws',
        '../protocol/eventTypes.js',
        // Pure too: it imports only prefixedIds' alphabet and random bytes (which import only nanoid's alphabet).
        '../protocol/risingIds.js',
        // Pure, imports nothing: finds the NaN or Infinity JSON would send as null.
        '../protocol/nulledValues.js',
        // Pure, imports only a type: the filter keys (the SDK refuses others) and the reference matcher.
        '../protocol/eventFilter.js',
        // Pure, imports nothing: the API key as a WebSocket protocol (platform btoa, TextEncoder).
        '../protocol/wsKeyProtocol.js',
        // Pure, imports nothing: the /ws/publish limits a producer must know (hard message size, invalid-message notice).
        '../protocol/wsPublishLimits.js',
        // Pure, imports nothing: the header that marks an upgrade's refusal as this server's.
        '../protocol/upgradeRefusal.js',
        ...(name === 'node.ts' ? ['node:fs/promises', 'node:path'] : []),
      ]);
      for (const spec of runtimeImports(readFileSync(new URL(name, dir), 'utf8'))) {
        expect(spec.startsWith('./') || allowed.has(spec), `${name} imports ${spec}`).toBe(true);
      }
    }
  });

  it('takes its wire types from src/protocol (one source of truth)', () => {
    const types = readFileSync(new URL('types.ts', dir), 'utf8');
    expect(types).toContain("from '../protocol/eventRecord.js'");
    expect(types).toContain("from '../protocol/eventTypes.js'");
    expect(types).toContain("from '../protocol/eventFilter.js'");
  });
});
