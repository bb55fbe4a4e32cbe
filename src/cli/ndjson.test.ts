import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { UsageError } from './command.js';
import { checkInputFile, type NdjsonLine, NdjsonLines } from './ndjson.js';

let dir: string | undefined;
afterEach(() => {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

describe('checkInputFile', () => {
  it('accepts stdin (no path or -) and a readable file', () => {
    dir = mkdtempSync(join(tmpdir(), 'ndjson-'));
    const file = join(dir, 'events.ndjson');
    writeFileSync(file, '{}\n');
    expect(() => checkInputFile(undefined)).not.toThrow();
    expect(() => checkInputFile('-')).not.toThrow();
    expect(() => checkInputFile(file)).not.toThrow();
    // A pipe or a device reads like a file: `--file <(cmd)`, `--file /dev/null`.
    expect(() => checkInputFile('/dev/null')).not.toThrow();
  });

  it('refuses a missing path and a directory with a UsageError naming --file', () => {
    dir = mkdtempSync(join(tmpdir(), 'ndjson-'));
    const missing = join(dir, 'nope.ndjson');
    expect(() => checkInputFile(missing)).toThrow(new UsageError(`--file: no such file: ${missing}`));
    expect(() => checkInputFile(dir)).toThrow(new UsageError(`--file: is a directory: ${dir}`));
  });
});

/** All lines of `bytes` fed in the pieces cut at `cuts`. */
function linesOf(bytes: Buffer, cuts: readonly number[] = [], maxLineBytes?: number): NdjsonLine[] {
  const lines = new NdjsonLines(maxLineBytes);
  const out: NdjsonLine[] = [];
  let start = 0;
  for (const cut of [...cuts].sort((a, b) => a - b)) {
    out.push(...lines.push(bytes.subarray(start, cut)));
    start = cut;
  }
  out.push(...lines.push(bytes.subarray(start)), ...lines.end());
  return out;
}

describe('NdjsonLines', () => {
  it('refuses a line longer than its bound without holding it, and reads on after its newline, however it is cut', () => {
    // Before: a line was held whole until its newline (`--file /dev/zero`: 2.5 GB in 30 s).
    const long = `{"a":"${'x'.repeat(100)}"}`;
    const bytes = Buffer.from(`{"a":1}\n${long}\n{"b":2}\n${long}`);
    const refused = { error: 'longer than 50 bytes, more than a message can carry (not read)' };
    for (const cuts of [[], [3, 20, 60, 111, 120], Array.from({ length: bytes.length }, (_, i) => i)])
      expect(linesOf(bytes, cuts, 50)).toEqual([
        { line: 1, value: { a: 1 } },
        { line: 2, ...refused },
        { line: 3, value: { b: 2 } },
        { line: 4, ...refused },
      ]);
    // At the bound exactly, the line is read.
    expect(linesOf(Buffer.from(`${long}\n`), [], long.length)).toEqual([{ line: 1, value: { a: 'x'.repeat(100) } }]);
    const lines = new NdjsonLines(1_000);
    for (let i = 0; i < 1_000; i++) lines.push(Buffer.alloc(1_000, 0x20));
    expect(Reflect.get(lines, 'pending')).toEqual([]);
  });

  it('parses each non-blank line with its number, with CRLF endings, a leading BOM and no final newline', () => {
    const text = '\ufeff{"a":1}\r\n\r\n  \n{"b":"é"}\n[2]';
    expect(linesOf(Buffer.from(text))).toEqual([
      { line: 1, value: { a: 1 } },
      { line: 4, value: { b: 'é' } },
      { line: 5, value: [2] },
    ]);
  });

  it('refuses a line that is not UTF-8 instead of publishing U+FFFD, and reads the lines around it', () => {
    const latin1 = Buffer.concat([
      Buffer.from('{"a":1}\n{"name":"caf'),
      Buffer.from([0xe9]),
      Buffer.from('"}\n{"b":2}\n'),
    ]);
    expect(linesOf(latin1)).toEqual([
      { line: 1, value: { a: 1 } },
      { line: 2, error: 'not valid UTF-8 (write the file as UTF-8)' },
      { line: 3, value: { b: 2 } },
    ]);
  });

  it('refuses a line holding an integer the server would store as another number, naming its field', () => {
    const text = '{"payload":{"id":12345678901234567890}}\n{"payload":{"id":"12345678901234567890"}}\n';
    expect(linesOf(Buffer.from(text))).toEqual([
      {
        line: 1,
        error:
          'payload.id: is the integer 12345678901234567890, which a JSON number here (a 64-bit float) cannot hold: ' +
          'it would be stored as 12345678901234567000; send it as a string',
      },
      { line: 2, value: { payload: { id: '12345678901234567890' } } },
    ]);
  });

  it('refuses a line holding a number past the float range in what is stored, naming its field as the server does', () => {
    const beyond =
      'is a number beyond ±1.7976931348623157e308 (the 64-bit float range): JSON cannot carry it (it would become null)';
    const deep = `${'['.repeat(5_000)}1e400${']'.repeat(5_000)}`;
    const lines = [
      '{"payload":{"a":1e400}}',
      `{"payload":{"a":[1,-${'9'.repeat(309)}]}}`,
      '[{"payload":{}},{"payload":{"b":{"c":2E+308}}}]',
      // Not stored (a field no rule reads), or not a number: read, as the server takes them.
      '{"timestamp":1e400,"payload":{"id":"3f1e400","n":1.5e300}}',
      `{"payload":{"deep":${deep}}}`,
    ];
    const read = linesOf(Buffer.from(`${lines.join('\n')}\n`));
    // Before: all read, and the SDK refused the first three as `… payload.a is Infinity, which JSON would send as null`.
    expect(read.slice(0, 4)).toEqual([
      { line: 1, error: `payload.a: ${beyond}` },
      { line: 2, error: `payload.a[1]: ${beyond}` },
      { line: 3, error: `[1].payload.b.c: ${beyond}` },
      { line: 4, value: { timestamp: Number.POSITIVE_INFINITY, payload: { id: '3f1e400', n: 1.5e300 } } },
    ]);
    // Past the search's depth nothing is named (the SDK and the server refuse such nesting), and nothing overflows.
    expect(read[4]).toMatchObject({ line: 5, value: { payload: {} } });
  });

  it('names a line that is not JSON without echoing its control characters', () => {
    const [only] = linesOf(Buffer.from('\u001b[31mred\n'));
    expect(only).toMatchObject({ line: 1 });
    expect(only !== undefined && 'error' in only ? only.error : '').toMatch(
      /^invalid JSON: Unexpected token .*\\u001b/,
    );
  });

  it('says where a line holds a lone carriage return (a file with CR line ends reads as one line)', () => {
    const event = '{"event_type":"timer_tick","source":"cr","payload":{}}';
    const [only] = linesOf(Buffer.from(`${event}\r${event}\r`));
    expect(only !== undefined && 'error' in only ? only.error : '').toMatch(
      /^invalid JSON: .* \(a carriage return at position 54: lines end at \\n, not at \\r alone\)$/,
    );
    // A carriage return between tokens is JSON's whitespace: such a line reads, with no hint needed.
    expect(linesOf(Buffer.from('{"a":1,\r"b":2}\n'))).toEqual([{ line: 1, value: { a: 1, b: 2 } }]);
  });

  it('reads the same lines however the bytes are cut into chunks (a character split between chunks too)', () => {
    const line = fc.oneof(
      fc.jsonValue().map((value) => JSON.stringify(value)),
      fc.constantFrom('', ' ', '{"x":"日本語 ✓ 😀"}', 'not json'),
    );
    fc.assert(
      fc.property(
        fc.array(line, { maxLength: 8 }),
        fc.constantFrom('\n', '\r\n'),
        fc.array(fc.nat()),
        (lines, eol, cuts) => {
          const bytes = Buffer.from(lines.join(eol));
          expect(
            linesOf(
              bytes,
              cuts.map((cut) => cut % (bytes.length + 1)),
            ),
          ).toEqual(linesOf(bytes));
        },
      ),
    );
  });
});
