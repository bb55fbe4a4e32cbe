// Fails when a source file (tests excepted) passes the house limit: past ~250 lines a file usually holds two concerns.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const MAX_LINES = 250;
const files = readdirSync('src', { recursive: true, encoding: 'utf8' })
  .filter((name) => name.endsWith('.ts') && !name.endsWith('.test.ts'))
  .map((name) => join('src', name));
const over = files
  .map((file) => ({ file, lines: readFileSync(file, 'utf8').split('\n').length - 1 }))
  .filter(({ lines }) => lines > MAX_LINES);
for (const { file, lines } of over) console.error(`${file}: ${lines} lines (at most ${MAX_LINES})`);
if (over.length > 0) process.exit(1);
console.log(`file sizes: ${files.length} source files, none over ${MAX_LINES} lines`);
