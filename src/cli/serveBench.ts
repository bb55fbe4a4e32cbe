import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { type Command, EXIT } from './command.js';

const SERVE_USAGE = `usage: event-pipeline serve [--help] [--version]

Run the pipeline server, exactly as \`npm start\` does: configured by environment variables (HOST, PORT,
DATABASE_PATH, REQUIRE_AUTH, API_KEY, …; \`event-pipeline serve --help\` lists them all), SIGTERM/SIGINT shut it down.

exit codes: as the server's: 0 clean shutdown, 1 internal error, 2 bad configuration, 3 no native uWebSockets.js,
4 cannot bind, 5 log locked, 6 NATS unreachable (LOG_BACKEND=jetstream)`;

/** `event-pipeline serve`: hands the process to the server's own entry point (src/main.ts). */
export const serveCommand: Command = {
  name: 'serve',
  summary: 'run the server (same settings as npm start)',
  usage: SERVE_USAGE,
  run: async (args, io) => {
    if (args.includes('--help') || args.includes('-h')) io.stdout.write(`${SERVE_USAGE}\n\n`);
    // Hint: main.ts reads process.argv.slice(2) and starts on import; its --help prints every setting.
    process.argv = [process.argv[0]!, fileURLToPath(new URL('../main.js', import.meta.url)), ...args];
    await import('../main.js');
    return new Promise<number>(() => undefined); // the server owns the process from here, and exits itself
  },
};

const BENCH_USAGE = `usage: event-pipeline bench [scenario ...] [--quick] [--json FILE] [--list] [--help]

Run the benchmark harness (the same as \`npm run bench\`, on the built code). --help shows the harness's own options.

exit codes: the harness's: 0 ok, 1 an error or failed check, 2 usage`;

/** `event-pipeline bench`: runs dist/bench/run.js with the same arguments. */
export const benchCommand: Command = {
  name: 'bench',
  summary: 'run the benchmark harness (npm run bench)',
  usage: BENCH_USAGE,
  run: (args, io) => {
    if (args.includes('--help') || args.includes('-h')) io.stdout.write(`${BENCH_USAGE}\n\nthe harness:\n`);
    const runJs = fileURLToPath(new URL('../../bench/run.js', import.meta.url));
    const child = spawn(process.execPath, [runJs, ...args], { stdio: 'inherit' });
    return new Promise((resolve) => child.once('exit', (code) => resolve(code ?? EXIT.failed)));
  },
};
