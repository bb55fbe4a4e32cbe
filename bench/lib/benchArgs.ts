import { closeSync, existsSync, mkdirSync, openSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

/** What the command line asks of a run. */
export interface BenchOptions {
  /** The scenarios named (empty: all). */
  readonly scenarios: readonly string[];
  readonly quick: boolean;
  /** Absolute path of the results file. */
  readonly jsonPath: string;
  /** Absolute directory for server CPU profiles, or null when not profiling. */
  readonly profileDir: string | null;
  readonly strict: boolean;
  readonly list: boolean;
  readonly help: boolean;
}

/** The options, or the one line that says which argument is wrong and why. */
export type ParsedBenchArgs =
  | { readonly ok: true; readonly options: BenchOptions }
  | { readonly ok: false; readonly message: string };

const DEFAULT_JSON = 'bench-results/latest.json';
const DEFAULT_PROFILE_DIR = 'bench-results/profiles';

/** The harness's usage text, listing `names`. */
export function usage(names: readonly string[]): string {
  return `usage: npm run bench -- [scenario ...] [--quick] [--json FILE] [--profile] [--profile-dir DIR] [--strict] [--list]

  scenario           run only these (default: all): ${names.join(', ')}
  --quick            small counts, every scenario together in about 80 s (the CI smoke run)
  --json FILE        machine-readable results (default ${DEFAULT_JSON})
  --profile          write V8 CPU profiles of each server child, one per thread (default dir ${DEFAULT_PROFILE_DIR})
  --profile-dir DIR  write the profiles under DIR instead (implies --profile)
  --strict           also exit 1 when a performance target is missed (default: only on errors and failed checks)
  --list             list the scenarios (or only those named) and exit

exit codes: 0 done, 1 a scenario error or failed check (with --strict also a missed target), 2 usage or an
unwritable output, 130 / 143 stopped by SIGINT / SIGTERM`;
}

/** What each option with a value takes, for the message when it is missing. */
const VALUE_OF: Readonly<Record<string, string>> = { '--json': 'a file name', '--profile-dir': 'a directory' };

/** The option parseArgs complained about, from its message ("Unknown option '-q'", "Option '--json <value>' …"). */
function optionIn(message: string): string {
  return /'(-{1,2}[^' ]+)/.exec(message)?.[1] ?? 'an option';
}

/** parseArgs's error as one line naming the option and the reason. */
function argumentProblem(error: unknown): string {
  const code = error instanceof Error && 'code' in error ? error.code : undefined;
  const message = error instanceof Error ? error.message : String(error);
  const option = optionIn(message);
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return `unknown option ${option}`;
  if (code !== 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') return message;
  if (message.includes('does not take an argument')) return `${option} takes no value`;
  const value = VALUE_OF[option] ?? 'a value';
  if (message.includes('ambiguous')) return `${option} needs ${value}, but the next argument is an option`;
  return `${option} needs ${value}`;
}

/** Read the command line; `names` are the scenarios there are. Errors are data: a message, never a throw. */
export function parseBenchArgs(args: readonly string[], names: readonly string[]): ParsedBenchArgs {
  let parsed: ReturnType<typeof parseCommandLine>;
  try {
    parsed = parseCommandLine(args);
  } catch (error) {
    return { ok: false, message: argumentProblem(error) };
  }
  const { values, positionals } = parsed;
  const unknown = positionals.filter((name) => !names.includes(name));
  if (unknown.length > 0) {
    // Hint: `--profile <dir>` was the usage's old spelling; a path there means the directory, which has its own flag.
    const path = values.profile && unknown.some((name) => name.includes('/'));
    const hint = path ? ' (for a directory of profiles: --profile-dir DIR)' : '';
    return { ok: false, message: `unknown scenario(s): ${unknown.join(', ')}${hint}` };
  }
  if (values.json === '') return { ok: false, message: '--json needs a file name' };
  if (values['profile-dir'] === '') return { ok: false, message: '--profile-dir needs a directory' };
  const profiling = values.profile || values['profile-dir'] !== undefined;
  return {
    ok: true,
    options: {
      scenarios: positionals,
      quick: values.quick,
      jsonPath: resolve(values.json ?? DEFAULT_JSON),
      profileDir: profiling ? resolve(values['profile-dir'] ?? DEFAULT_PROFILE_DIR) : null,
      strict: values.strict,
      list: values.list,
      help: values.help,
    },
  };
}

function parseCommandLine(args: readonly string[]) {
  return parseArgs({
    args: [...args],
    allowPositionals: true,
    options: {
      quick: { type: 'boolean', default: false },
      json: { type: 'string' },
      profile: { type: 'boolean', default: false },
      'profile-dir': { type: 'string' },
      strict: { type: 'boolean', default: false },
      list: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
}

const reason = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * Why the run could not write its outputs, checked before any scenario runs (a bad --json path used to be found
 * only after the whole run, losing its results): the JSON file's directory is made and the file opened for writing
 * (an existing file is not truncated, a new one is removed again), the profile directory made and written to.
 */
export function outputProblem(options: BenchOptions): string | null {
  try {
    mkdirSync(dirname(options.jsonPath), { recursive: true });
    if (existsSync(options.jsonPath)) closeSync(openSync(options.jsonPath, 'r+'));
    else {
      closeSync(openSync(options.jsonPath, 'wx'));
      rmSync(options.jsonPath);
    }
  } catch (error) {
    return `cannot write --json ${options.jsonPath}: ${reason(error)}`;
  }
  if (options.profileDir === null) return null;
  try {
    mkdirSync(options.profileDir, { recursive: true });
    const probe = join(options.profileDir, `.write-check-${process.pid}`);
    closeSync(openSync(probe, 'wx'));
    rmSync(probe);
  } catch (error) {
    return `cannot write profiles to --profile-dir ${options.profileDir}: ${reason(error)}`;
  }
  return null;
}
