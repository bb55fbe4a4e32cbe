import { SETTINGS, type Setting } from './settings.js';

const shownDefault = (setting: Setting): string =>
  setting.fallback === '' ? '—' : setting.fallback === 'off' ? 'off' : `\`${setting.fallback}\``;

/** The meaning with an integer setting's bounds, as `integer` enforces them. */
function meaningOf(setting: Setting): string {
  const { range } = setting;
  if (range === undefined) return setting.meaning;
  const bounds = range.max === undefined ? `≥ ${range.min}` : `${range.min}–${range.max}`;
  return `${setting.meaning}. An integer ${bounds}`;
}

/** The settings as the README's markdown table. */
export function settingsMarkdown(): string {
  const rows = SETTINGS.map((s) => `| \`${s.name}\` | ${shownDefault(s)} | ${meaningOf(s)} |`);
  return ['| Variable | Default | Meaning |', '|----------|---------|---------|', ...rows].join('\n');
}

/** The text `--help` prints: usage, the exit codes, and every setting with its default. */
export function usageText(version: string): string {
  const width = Math.max(...SETTINGS.map((s) => s.name.length));
  const rows = SETTINGS.map(
    (s) =>
      `  ${s.name.padEnd(width)}  ${(s.fallback === '' ? '(unset)' : s.fallback).padEnd(16)}  ${meaningOf(s).replaceAll('`', '')}`,
  );
  return [
    `realtime-event-pipeline ${version}`,
    '',
    'Usage: node dist/src/main.js [--help | --version]   (or: npm start)',
    'Configured by environment variables; SIGTERM or SIGINT stops it cleanly.',
    '',
    'Exit codes: 0 stopped cleanly; 1 internal error (logged at fatal level); 2 configuration error, one line naming the',
    'variable (also a HOST that is not an address of this machine); 3 uWebSockets.js native binary did not load;',
    '4 could not listen: the port is already in use (rarely a system error the line names); 5 DATABASE_PATH is held',
    'by another running server; 6 LOG_BACKEND=jetstream and the NATS cluster or its stream cannot be reached.',
    '',
    `  ${'VARIABLE'.padEnd(width)}  ${'DEFAULT'.padEnd(16)}  MEANING`,
    ...rows,
    '',
  ].join('\n');
}
