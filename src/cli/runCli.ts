import { packageVersion } from '../packageVersion.js';
import { CliError, type CliIo, type Command, cliWording, EXIT, UsageError } from './command.js';
import { exportCommand, importCommand } from './exportImport.js';
import { migrateLegacyCommand } from './migrateLegacy.js';
import { publishCommand } from './publishCommand.js';
import { benchCommand, serveCommand } from './serveBench.js';
import { sessionsCommand, statsCommand } from './statsCommand.js';
import { tailCommand } from './tailCommand.js';

const COMMANDS: readonly Command[] = [
  serveCommand,
  tailCommand,
  publishCommand,
  statsCommand,
  sessionsCommand,
  exportCommand,
  importCommand,
  migrateLegacyCommand,
  benchCommand,
];

const USAGE = `usage: event-pipeline <command> [options]    (event-pipeline <command> --help for its options)

commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(14)} ${c.summary}`).join('\n')}

Commands that talk to a server take --url (default $PIPELINE_URL or http://localhost:8001) and --api-key (default $API_KEY);
publish, import and tail take --api-key-in protocol|query, how the WebSocket carries the key (default $API_KEY_IN or
protocol; query for a server of this project older than 2026-12-04 23:01 UTC).

exit codes: 0 ok, 1 failed (rejected events, server error, output not writable), 2 usage, 3 server unreachable, 4 unauthorized,
            5 log replaced while following, 130 publish or import stopped by SIGINT (after its summary);
            serve exits with the server's own codes`;

/** Run the CLI with `args` on `io`; resolves with the exit code (never exits the process itself; main.ts does). */
export async function runCli(args: readonly string[], io: CliIo): Promise<number> {
  const [name, ...rest] = args;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(`${USAGE}\n`);
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  if (name === '--version' || name === '-v') {
    io.stdout.write(`${packageVersion()}\n`);
    return EXIT.ok;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (command === undefined) {
    io.stderr.write(`unknown command ${JSON.stringify(name)}\n\n${USAGE}\n`);
    return EXIT.usage;
  }
  try {
    return await command.run(rest, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr.write(`${command.name}: ${error.message}\n\n${command.usage}\n`);
      return EXIT.usage;
    }
    if (error instanceof CliError) {
      io.stderr.write(`${command.name}: ${error.message}\n`);
      return error.exitCode;
    }
    io.stderr.write(`${command.name}: ${cliWording(error instanceof Error ? error.message : String(error))}\n`);
    return EXIT.failed;
  }
}
