import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { COLD_PER_ACTIVE } from './actors/coldStatuses.js';
import { loadConfig } from './config.js';
import { fallbackOf, rangeOf, SETTINGS } from './settings.js';
import { settingsMarkdown, usageText } from './settingsText.js';

describe('SETTINGS', () => {
  it('lists exactly the variables loadConfig reads, each once', () => {
    const read = new Set<string>();
    const env = new Proxy<NodeJS.ProcessEnv>(
      {},
      {
        get: (_target, key) => {
          if (typeof key === 'string') read.add(key);
          return undefined;
        },
      },
    );
    loadConfig(env);
    const names = SETTINGS.map((setting) => setting.name);
    expect(new Set(names).size).toBe(names.length);
    expect([...read].sort()).toEqual([...names].sort());
  });

  it('holds the defaults loadConfig uses', () => {
    const config = loadConfig({});
    expect(config.port).toBe(Number(fallbackOf('PORT')));
    expect(config.host).toBe(fallbackOf('HOST'));
    expect(config.databasePath).toBe(fallbackOf('DATABASE_PATH'));
    expect(config.maxJsonDepth).toBe(Number(fallbackOf('MAX_JSON_DEPTH')));
    expect(config.trustProxy).toEqual(fallbackOf('TRUST_PROXY').split(','));
    expect(config.rateLimitPublish).toBeNull();
    expect(() => fallbackOf('NOT_A_SETTING')).toThrow(/missing from SETTINGS/);
  });

  it('renders one markdown row and one --help row per setting', () => {
    const markdown = settingsMarkdown().split('\n');
    expect(markdown).toHaveLength(SETTINGS.length + 2);
    expect(markdown).toContain(
      '| `PORT` | `8001` | Listen port (`0` picks a free one); a port another process holds is refused (exit 4). An integer 0–65535 |',
    );
    expect(markdown).toContain(
      '| `API_KEY` | — | The key (required when `REQUIRE_AUTH=true`): printable ASCII without leading or trailing spaces, as an `X-API-Key` header carries it. Without `REQUIRE_AUTH=true` it guards nothing, and the server warns so at start |',
    );
    const help = usageText('9.9.9');
    expect(help.startsWith('realtime-event-pipeline 9.9.9\n')).toBe(true);
    for (const setting of SETTINGS) expect(help).toContain(`  ${setting.name} `);
  });

  // Hint: the bounds the table and --help print are the ones loadConfig enforces (a probe found ten settings whose
  // minimum only the refusal named).
  it('enforces the range it prints for every integer setting, and names the variable when refusing', () => {
    const ranged = SETTINGS.filter((setting) => setting.range !== undefined);
    expect(ranged.length).toBeGreaterThan(20);
    for (const { name, range } of ranged) {
      const { min, max } = rangeOf(name);
      const outside = min > 0 ? min - 1 : range?.max !== undefined ? max + 1 : -1;
      const env = { LOG_BACKEND: 'jetstream', [name]: String(outside) };
      expect(() => loadConfig(env), `${name}=${outside}`).toThrow(new RegExp(`^${name} must be an integer`));
      if (min > 0) expect(() => loadConfig(env)).toThrow(new RegExp(`(≥|from) ${min}\\b`));
    }
    expect(() => rangeOf('HOST')).toThrow(/has no range/);
  });

  // Hint: a probe read "An integer ≥ 1024" for MAX_BODY_BUFFER_BYTES and was refused at 2000: the text said nothing of
  // the floor loadConfig enforces.
  it('names MAX_BODY_BYTES as the floor of each bound that must hold one body, as loadConfig refuses below it', () => {
    for (const name of ['MAX_BODY_BUFFER_BYTES', 'MAX_BODY_BUFFER_BYTES_PER_IP']) {
      expect(SETTINGS.find((setting) => setting.name === name)?.meaning, name).toContain('at least `MAX_BODY_BYTES`');
      expect(() => loadConfig({ [name]: '2000' })).toThrow(
        new RegExp(`^${name} \\(2000\\) must be at least MAX_BODY_BYTES`),
      );
    }
  });

  // Hint: the README's table is pasted from `npm run settings-table`; a row edited there by hand (MAX_ACTIVE_SESSIONS,
  // once) drifted from --help unseen, as the test above renders the table without reading the README.
  it("is the README's configuration table, row for row", () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8').split('\n');
    const header = settingsMarkdown().split('\n')[0];
    const start = readme.indexOf(header ?? '');
    expect(start, 'the README has the settings table').toBeGreaterThan(-1);
    expect(readme.indexOf(header ?? '', start + 1), 'the README has one settings table').toBe(-1);
    const end = readme.findIndex((line, i) => i > start && !line.startsWith('|'));
    expect(readme.slice(start, end).join('\n')).toBe(settingsMarkdown());
  });

  it('says how many passivated statuses are kept per MAX_ACTIVE_SESSIONS as the registry keeps them', () => {
    expect(SETTINGS.find((s) => s.name === 'MAX_ACTIVE_SESSIONS')?.meaning).toContain(
      `statuses of ${COLD_PER_ACTIVE} times as many`,
    );
  });
});
