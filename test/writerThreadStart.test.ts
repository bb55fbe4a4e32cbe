import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

/**
 * In a child process (the fault is real: every file descriptor it may have is taken), a log whose writer thread has
 * not started yet commits, then the descriptors are given back and it commits again; the child prints what each
 * commit answered.
 */
const SCRIPT = `(async () => {
const { openSync, closeSync } = require('node:fs');
const { SqliteEventLog } = await import(process.argv[1]);
let ids = 0;
const log = new SqliteEventLog({
  path: process.argv[2], writer: 'thread', indexer: 'inline', newId: () => 'id-' + ++ids, newEpoch: () => 'e',
});
const input = (n) => ({ id: null, event_type: 'quiz_started', source: 'svc', session_id: 's', user_id: null,
  payloadJson: '{"n":' + n + '}' });
const answer = (commit) => commit.then(
  (outcomes) => ({ ok: outcomes[0].ok, offsets: outcomes[0].ok ? outcomes[0].appended.map((r) => r.offset) : [] }),
  (e) => ({ ok: false, message: e.message, uncertain: e.uncertain, reason: e.reason }));
const fds = [];
try { for (;;) fds.push(openSync('/dev/null', 'r')); } catch (e) { if (e.code !== 'EMFILE') throw e; }
const during = await answer(log.commit([[input(1)]]));
for (const fd of fds) closeSync(fd);
let after, tries = 0;
for (const deadline = Date.now() + 10000; Date.now() < deadline; tries++) {
  after = await answer(log.commit([[input(2)]]));
  if (after.ok) break;
  await new Promise((r) => setTimeout(r, 100));
}
const head = log.headOffset();
log.close();
console.log(JSON.stringify({ exhausted: fds.length, during, after, tries, head }));
})();
`;

describe('the log writer thread, when it cannot start for want of file descriptors', () => {
  let dir = '';
  afterEach(() => {
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });

  it('fails that commit as not committed, and a later commit starts it again once descriptors are free', () => {
    dir = mkdtempSync(join(tmpdir(), 'writer-start-'));
    const module = resolve('dist/src/persistence/sqliteEventLog.js');
    // Hint: a CommonJS script: the writer worker's eval'd source inherits the process's flags (--input-type too).
    const child = spawnSync(process.execPath, ['-e', SCRIPT, module, join(dir, 'events.db')], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(child.stderr).toBe('');
    const result = JSON.parse(child.stdout);
    expect(result.exhausted).toBeGreaterThan(100);
    // Nothing was written: certainly not committed (it had been 'may have landed'), and the reason names EMFILE.
    expect(result.during).toMatchObject({ ok: false, uncertain: false });
    expect(result.during.reason).toBe('the log writer thread could not start: Worker initialization failure: EMFILE');
    // Before, every later commit was refused until a restart ('the log writer thread failed: ...').
    expect(result.after).toEqual({ ok: true, offsets: [1] });
    expect(result.head).toBe(1);
  });
});
