import { CLUSTER_SETTINGS } from './clusterSettings.js';
import { LIMIT_SETTINGS } from './limitSettings.js';

/** One environment variable the server reads: its name, the default used when it is unset, and what it means. */
export interface Setting {
  readonly name: string;
  /** The value used when the variable is unset or empty; `loadConfig` parses this same text. */
  readonly fallback: string;
  readonly meaning: string;
  /** An integer setting's bounds, which `integer` enforces and the table and --help print. */
  readonly range?: { readonly min: number; readonly max?: number };
}

// Hint: the single source of truth for --help and the README's configuration table; loadConfig reads its defaults here.
export const SETTINGS: readonly Setting[] = [
  {
    name: 'HOST',
    fallback: '0.0.0.0',
    meaning: 'Listen address (an address of this machine, or a name that resolves to one)',
  },
  {
    name: 'PORT',
    fallback: '8001',
    meaning: 'Listen port (`0` picks a free one); a port another process holds is refused (exit 4)',
    range: { min: 0, max: 65_535 },
  },
  {
    name: 'DATABASE_PATH',
    fallback: 'data/events.db',
    meaning: 'SQLite log file (parent directories are created); must be a writable SQLite file or absent',
  },
  {
    name: 'DURABILITY',
    fallback: 'full',
    meaning:
      "`full`: SQLite `synchronous=FULL`; every commit is fsynced before it is acked, so an ack survives power loss and a failing disk (as the old service's SQLite default did). `normal`: `synchronous=NORMAL` in WAL mode, faster; a commit survives a process crash (kill -9) but the last acked commits may be lost on power loss",
  },
  {
    name: 'LOG_WRITER',
    fallback: 'hybrid',
    meaning:
      "`hybrid`: group commits of fewer than 64 events and under 256 KiB of payload are written on the I/O thread, larger ones by the writer thread. `thread`: a writer thread owns the log's write connection (every commit off the I/O thread). `inline`: every commit on the I/O thread, as before the writer thread",
  },
  {
    name: 'INTEGRITY_CHECK',
    fallback: 'on',
    meaning:
      '`on`: at start, SQLite\'s `PRAGMA integrity_check` reads every page of the log (measured: a start on 1,000,000 events, 352 MB, took 1.6–2.3 s from the page cache and 6.4–6.7 s from a cold disk, against 0.6–0.7 s without it); a damaged page refuses the start (exit 2 naming the file and the problem), as does a damaged frame of the WAL with acknowledged commits after it (they would be lost), and a damaged index is rebuilt. `full`: that, then every record is checked against its checksum, so a record altered inside a page that still parses refuses the start too (measured on 1,000,000 events, 205 MB, from the page cache: 2.9–3.1 s against 1.2–1.3 s with `on` and 0.4 s `off`). `off`: skip it; a damaged page is then found by the first read that meets it, damage that still parses is not found (see "A damaged page"), and a damaged WAL frame costs the commits after it (the log gets a new epoch). With any value, a record that does not match its checksum is never served (see "A damaged page")',
  },
  {
    name: 'CORS_ORIGINS',
    fallback: '*',
    meaning: 'Comma-separated allowed origins (`*`, or origins like `https://app.example.org`)',
  },
  {
    name: 'REQUIRE_AUTH',
    fallback: 'false',
    meaning:
      'Require `X-API-Key` on every endpoint that serves data; `/health`, `/readiness`, `/event-types` (a fixed list), the API documents (`/docs`, `/docs/ws`, `/openapi.json`, `/asyncapi.json`) and the dashboard page stay public (`true`/`false`, `1`/`0`, `yes`/`no`, `on`/`off`)',
  },
  {
    name: 'API_KEY',
    fallback: '',
    meaning:
      'The key (required when `REQUIRE_AUTH=true`): printable ASCII without leading or trailing spaces, as an `X-API-Key` header carries it. Without `REQUIRE_AUTH=true` it guards nothing, and the server warns so at start',
  },
  {
    name: 'API_KEY_PREVIOUS',
    fallback: '',
    meaning:
      'A second key accepted beside `API_KEY`, to rotate keys without refusing anyone: set `API_KEY` to the new key and this to the old one, move the clients, then unset it (same characters as `API_KEY`)',
  },
  {
    name: 'LOG_LEVEL',
    fallback: 'info',
    meaning:
      "pino level: `trace`, `debug`, `info`, `warn`, `error`, `fatal` or `silent` (any case; Python's `warning` and `critical` too)",
  },
  {
    name: 'LOG_REQUESTS',
    fallback: 'true',
    meaning: 'One `info` line per HTTP request and per WebSocket open/close (`false` turns them off)',
  },
  {
    name: 'METRICS_PUBLIC',
    fallback: 'false',
    meaning: 'Serve `/metrics` without `X-API-Key` even when `REQUIRE_AUTH=true` (for a scraper on a private network)',
  },
  ...LIMIT_SETTINGS,
  ...CLUSTER_SETTINGS,
];

const byName = new Map(SETTINGS.map((setting) => [setting.name, setting]));

/** The default text of a setting; throws for a name missing from the table (a programming error). */
export function fallbackOf(name: string): string {
  const setting = byName.get(name);
  if (setting === undefined) throw new Error(`setting ${name} is missing from SETTINGS`);
  return setting.fallback;
}

/** An integer setting's bounds; throws for a setting without them (a programming error). */
export function rangeOf(name: string): { readonly min: number; readonly max: number } {
  const range = byName.get(name)?.range;
  if (range === undefined) throw new Error(`setting ${name} has no range in SETTINGS`);
  return { min: range.min, max: range.max ?? Number.MAX_SAFE_INTEGER };
}
