import { defineConfig } from 'vitest/config';
import LongFirstSequencer from './test/support/longFirstSequencer.js';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // Hint: server tests bind real ports and SQLite files; forks isolate native handles.
    pool: 'forks',
    // Hint: vitest's default is one worker per core minus one, which is a single worker on a 2-core machine; many
    // files spend their time waiting on child processes, sockets and JetStream elections, so three run side by side:
    // on this 2-core machine 62-77 s against 84-86 s with two (interleaved full runs, 2026-12-01). Three once made the
    // failover file's elections miss their deadlines on a loaded machine; it now waits them out (see that file).
    maxWorkers: 3,
    // The long, mostly waiting cluster file starts first, so it overlaps the rest instead of ending the run.
    sequence: { sequencer: LongFirstSequencer },
    // Hint: each worker runs its files one after another in one process, so the server modules are imported once per
    // worker instead of once per file (about 0.25 s of CPU a file). Every test file starts and stops its own servers
    // and temp files and no test mutates globals; a file that needs a fresh process must say so in its own project.
    isolate: false,
    // Temp databases on tmpfs where there is one (see the file for why that proves the same).
    globalSetup: ['test/support/tmpfsTmpdir.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
