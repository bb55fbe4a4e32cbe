// Fails when SQL in src binds a bare `LIMIT ?`: SQLite prepares such a statement again on every run with a new
// binding (see BOUND_LIMIT in src/persistence/sqlRows.ts), which costs more than many of our reads themselves.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const files = readdirSync('src', { recursive: true, encoding: 'utf8' })
  .filter((name) => name.endsWith('.ts') && !name.endsWith('.test.ts'))
  .map((name) => join('src', name));
const found = [];
for (const file of files)
  readFileSync(file, 'utf8')
    .split('\n')
    .forEach((line, i) => {
      const comment = /^\s*(\*|\/\/|\/\*)/.test(line);
      if (!comment && /LIMIT\s+\?(?!\s*\+|[?.])/i.test(line)) found.push(`${file}:${i + 1}: ${line.trim()}`);
    });
for (const line of found) console.error(`${line}\n  a bare LIMIT ? is prepared again on every run: use \${BOUND_LIMIT}`);
if (found.length > 0) process.exit(1);
console.log(`bound limits: ${files.length} source files, no bare LIMIT ?`);
