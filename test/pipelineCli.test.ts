import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { stablePort } from './support/childServer.js';
import { type CliRun, cli, cliServers } from './support/cliRun.js';
import { readLog } from './support/restartableServer.js';

const CLI_JS = fileURLToPath(new URL('../dist/src/cli/main.js', import.meta.url));

/** Run the built CLI as a child process to completion (killed after 30 s) with `input` on stdin. */
function binary(args: readonly string[], input = '', env: Record<string, string> = {}): Promise<CliRun> {
  const proc = spawn(process.execPath, [CLI_JS, ...args], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  proc.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  proc.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  proc.stdin.end(input);
  const timer = setTimeout(() => proc.kill('SIGKILL'), 30_000);
  return new Promise((resolve) =>
    proc.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    }),
  );
}

const { dir, server } = cliServers('pipeline-cli-');

const ndjson = (count: number): string =>
  `${Array.from({ length: count }, (_, i) =>
    JSON.stringify({
      event_type: ['quiz_started', 'answer_submitted', 'timer_tick'][i % 3],
      source: 'cli_test',
      ...(i % 2 === 0 ? { session_id: `s-${i % 7}` } : {}),
      ...(i % 5 === 0 ? { user_id: `u-${i}` } : {}),
      payload: { i, nested: { ok: i % 2 === 0 } },
    }),
  ).join('\n')}\n`;

describe('event-pipeline CLI', () => {
  it('answers --help on every command with exit 0, and an unknown option with its usage and exit 2', async () => {
    // Hint: serve and bench hand over to other entry points, and the top-level answers come from the binary (exit
    // codes through process.exitCode); the rest run in this process. The child runs go side by side.
    const commands = ['serve', 'tail', 'publish', 'stats', 'sessions', 'export', 'import', 'bench'];
    const children = new Set(['serve', 'bench']);
    const [helps, top, bad, unknown] = await Promise.all([
      Promise.all(commands.map((command) => (children.has(command) ? binary : cli)([command, '--help']))),
      binary(['--help']),
      binary(['export', '--nope']),
      binary(['frobnicate']),
    ]);
    for (const [i, command] of commands.entries()) {
      expect(helps[i]!.code, command).toBe(0);
      expect(helps[i]!.stdout, command).toContain(`usage: event-pipeline ${command}`);
    }
    expect(top.stdout).toContain('exit codes');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('usage: event-pipeline export');
    expect(unknown.code).toBe(2);
  });

  it('export of an empty log, or from past the head, writes nothing and exits 0; an explicit --to before --from is a usage error', async () => {
    const a = await server('empty');
    for (const args of [[], ['--from', '10']]) {
      const run = await cli(['export', '--url', a.base, ...args]);
      expect([run.code, run.stdout, run.stderr]).toEqual([0, '', '']);
    }
    expect((await cli(['publish', '--url', a.base], ndjson(3))).code).toBe(0);
    const past = await cli(['export', '--url', a.base, '--from', '4']);
    expect([past.code, past.stdout]).toEqual([0, '']);
    const tail = await cli(['export', '--url', a.base, '--from', '3']);
    expect(
      tail.stdout
        .trim()
        .split('\n')
        .map((line) => (JSON.parse(line) as { offset: number }).offset),
    ).toEqual([3]);
    const backwards = await cli(['export', '--url', a.base, '--from', '3', '--to', '2']);
    expect(backwards.code).toBe(2);
    expect(backwards.stderr).toContain('--to 2 is before --from 3');
  });

  it('export → import into a fresh server gives an identical log (ids, types, payloads, offsets from 1); re-import changes nothing', async () => {
    const a = await server('a');
    const published = await cli(['publish', '--url', a.base], ndjson(2_500));
    expect(published.code, published.stderr).toBe(0);
    expect(published.stderr).toContain('published 2500 event(s), offsets 1–2500');
    const exported = await cli(['export', '--url', a.base]);
    expect(exported.code, exported.stderr).toBe(0);
    const file = join(dir(), 'log.ndjson');
    writeFileSync(file, exported.stdout);
    expect(exported.stdout.trim().split('\n').length).toBe(2_500);

    const b = await server('b');
    const imported = await cli(['import', '--url', b.base, '--file', file]);
    expect(imported.code, imported.stderr).toBe(0);
    expect(imported.stderr).toBe('imported 2500 record(s), offsets 1–2500\n');
    const strip = (records: Awaited<ReturnType<typeof readLog>>) =>
      records.map(({ id, offset, event_type, session_id, payload }) => ({
        id,
        offset,
        event_type,
        session_id,
        payload,
      }));
    const original = strip(await readLog(a.base));
    expect(strip(await readLog(b.base))).toEqual(original);
    expect(original.map((r) => r.offset)).toEqual(Array.from({ length: 2_500 }, (_, i) => i + 1));
    const fullB = await readLog(b.base);
    const fullA = await readLog(a.base);
    expect(fullB.map((r) => [(r as { user_id?: unknown }).user_id, (r as { source?: unknown }).source])).toEqual(
      fullA.map((r) => [(r as { user_id?: unknown }).user_id, (r as { source?: unknown }).source]),
    );

    const again = await cli(['import', '--url', b.base], readFileSync(file, 'utf8'));
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toBe('imported 2500 record(s), offsets 1–2500 (0 new, 2500 already stored)\n');
    expect((await readLog(b.base)).length).toBe(2_500);
  });

  it('says how many events were new and how many already stored under their id, also within one message', async () => {
    const s = await server('duplicates');
    const once = await cli(['publish', '--url', s.base, '--type', 'quiz_started', '--source', 'cli', '--id', 'x-1']);
    expect([once.code, once.stderr]).toEqual([0, 'published 1 event(s), offsets 1–1\n']);
    const twice = await cli(['publish', '--url', s.base, '--type', 'quiz_started', '--source', 'cli', '--id', 'x-1']);
    expect([twice.code, twice.stderr]).toEqual([0, 'published 1 event(s), offsets 1–1 (0 new, 1 already stored)\n']);
    // A stored id among new ones, and one id twice: x-1 is at offset 1, y-2 and y-4 are new, y-2 again is not.
    const lines = ['y-2', 'x-1', 'y-4', 'y-2'].map((id) =>
      JSON.stringify({ id, event_type: 'quiz_started', source: 'cli', payload: {} }),
    );
    const mixed = await cli(['publish', '--url', s.base, '--acks'], `${lines.join('\n')}\n`);
    expect(mixed.stderr).toBe('published 4 event(s), offsets 1–3 (2 new, 2 already stored)\n');
    expect(
      mixed.stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as object),
    ).toEqual([
      { line: 1, id: 'y-2', offset: 2 },
      { line: 2, id: 'x-1', offset: 1, duplicate: true },
      { line: 3, id: 'y-4', offset: 3 },
      { line: 4, id: 'y-2', offset: 2, duplicate: true },
    ]);
    expect((await readLog(s.base)).map((r) => r.id)).toEqual(['x-1', 'y-2', 'y-4']);
  });

  it('export stops at Ctrl-C after the page under way, ending its output on a whole record, and says so (exit 130)', async () => {
    const s = await server('export-interrupt');
    expect((await cli(['publish', '--url', s.base], ndjson(3_000))).code).toBe(0);
    const proc = spawn(process.execPath, [CLI_JS, 'export', '--url', s.base], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    proc.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const closed = new Promise((resolve) => proc.once('close', resolve));
    let stdout = '';
    proc.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    // Its first output says it is writing pages; then nothing reads for a while, so a page (about 150 KB) fills the
    // pipe and the export waits on it, as for a slow reader.
    await new Promise((resolve) => proc.stdout.once('data', resolve));
    proc.stdout.pause();
    await new Promise((resolve) => setTimeout(resolve, 200));
    proc.kill('SIGINT');
    proc.stdout.resume();
    expect(await closed).toBe(130);
    // Before: SIGINT's default action ended it at once, a pipe's last line cut mid-record, with nothing said.
    const lines = stdout.split('\n');
    expect(lines.at(-1)).toBe('');
    const offsets = lines.slice(0, -1).map((line) => (JSON.parse(line) as { offset: number }).offset);
    expect(offsets).toEqual(Array.from({ length: offsets.length }, (_, i) => i + 1));
    expect(offsets.length).toBeLessThan(3_000);
    expect(stderr).toBe(`export interrupted: records up to offset ${offsets.length} written, each whole\n`);
  });

  it('tail -n past one page prints that many of the latest, oldest first; --from head without --follow is refused', async () => {
    const s = await server('pages');
    expect((await cli(['publish', '--url', s.base], ndjson(2_500))).code).toBe(0);
    const offsetsOf = (stdout: string) =>
      stdout
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as { offset: number }).offset);
    const many = await cli(['tail', '--url', s.base, '-n', '2100', '--json']);
    expect(many.code, many.stderr).toBe(0);
    expect(offsetsOf(many.stdout)).toEqual(Array.from({ length: 2_100 }, (_, i) => 401 + i));
    const all = await cli(['tail', '--url', s.base, '-n', '5000', '--json']);
    expect(offsetsOf(all.stdout)).toEqual(Array.from({ length: 2_500 }, (_, i) => 1 + i));
    // A reader that stops early (`| head -1`) ends the command quietly: exit 0, nothing on stderr.
    const early = spawn(process.execPath, [CLI_JS, 'export', '--url', s.base], { stdio: ['ignore', 'pipe', 'pipe'] });
    let earlyStderr = '';
    early.stderr.on('data', (chunk: Buffer) => (earlyStderr += chunk.toString()));
    early.stdout.once('data', () => early.stdout.destroy());
    const earlyCode = await new Promise((resolve) => early.once('close', resolve));
    expect([earlyCode, earlyStderr]).toEqual([0, '']);
    // `publish --acks | head -1`: the acks' reader has gone, so publish stops as at a Ctrl-C and says so, exit 1 (before:
    // exit 0, nothing on stderr, 8,500 of 50,000 lines stored and the rest silently never sent).
    const acking = spawn(process.execPath, [CLI_JS, 'publish', '--acks', '--url', s.base], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let ackingStderr = '';
    acking.stderr.on('data', (chunk: Buffer) => (ackingStderr += chunk.toString()));
    acking.stdout.once('data', () => acking.stdout.destroy());
    // It stops reading its input when it stops, so the rest of this write meets a closed pipe (EPIPE), as expected.
    acking.stdin.on('error', () => {});
    acking.stdin.end(ndjson(20_000));
    const ackingCode = await new Promise((resolve) => acking.once('close', resolve));
    expect(ackingCode, ackingStderr).toBe(1);
    const told =
      /^published (\d+) event\(s\), offsets 2501–(\d+); standard output was closed, so later acks were not printed; stopped after line (\d+), later lines not sent\n$/.exec(
        ackingStderr,
      );
    expect(told, ackingStderr).not.toBeNull();
    const [published, lastOffset, stoppedAfter] = (told ?? []).slice(1).map(Number);
    expect(stoppedAfter).toBeLessThan(20_000);
    expect(lastOffset).toBe(2_500 + (published ?? 0));
    const stats = (await (await fetch(`${s.base}/stats`)).json()) as { head_offset: number };
    expect(stats.head_offset).toBe(lastOffset);
    const hostile =
      '{"event_type":"timer_tick","source":"t","session_id":"s\\u001b[31mRED\\nfake","user_id":"u\\r\\u0007"}\n';
    expect((await cli(['publish', '--url', s.base], hostile)).code).toBe(0);
    const shown = await cli(['tail', '--url', s.base, '-n', '1']);
    expect(shown.stdout).toContain('session=s\\u001b[31mRED\\u000afake user=u\\u000d\\u0007');
    const listed = await cli(['sessions', '--url', s.base, '--limit', '1']);
    expect(listed.stdout).toMatch(/^s\\u001b\[31mRED\\u000afake +\S+ +1 events {2}users u\\u000d\\u0007 /);
    const controls = (out: string) => [...out.trimEnd()].filter((c) => c.charCodeAt(0) < 0x20);
    expect([controls(shown.stdout), controls(listed.stdout)]).toEqual([[], []]);
    const tooMany = await cli(['sessions', '--url', s.base, '--limit', '1001']);
    expect([tooMany.code, tooMany.stderr]).toEqual([
      2,
      expect.stringContaining('--limit: expected an integer from 1 to 1000, got "1001"'),
    ]);
    const head = await cli(['tail', '--url', s.base, '--from', 'head']);
    expect([head.code, head.stdout]).toEqual([2, '']);
    expect(head.stderr).toContain('--from head: prints nothing without --follow; use -n N for the latest events');
  });

  it('publish reports each rejected line with its field and exits 1; tail, stats and sessions read the log', async () => {
    const s = await server('c');
    const input = `${ndjson(3)}{"event_type":"quiz_started","source":"bad source!"}\nnot json\n`;
    const run = await cli(['publish', '--url', s.base, '--acks'], input);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/line 4: source: /);
    expect(run.stderr).toContain('line 5: invalid JSON');
    expect(
      run.stdout
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as { offset: number }).offset)
        .sort(),
    ).toEqual([1, 2, 3]);
    const one = await cli(
      ['publish', '--type', 'session_created', '--source', 'cli', '--session', 'x-1', '--payload', '{"k":1}'],
      '',
      { PIPELINE_URL: s.base },
    );
    expect(one.code, one.stderr).toBe(0);
    expect(one.stderr).toContain('offsets 4–4');

    const tail = await cli(['tail', '--url', s.base, '--from', '1', '--json']);
    expect(
      tail.stdout
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as { offset: number }).offset),
    ).toEqual([1, 2, 3, 4]);
    const last = await cli(['tail', '--url', s.base, '-n', '2', '--type', 'session_created']);
    expect(last.stdout).toMatch(/^#4 .*session_created .*session=x-1 .*\{"k":1\}\n$/);
    const stats = await cli(['stats', '--url', s.base, '--json']);
    expect(JSON.parse(stats.stdout)).toMatchObject({ total_events: 4, head_offset: 4 });
    const sessions = await cli(['sessions', '--url', s.base, '--json']);
    expect(sessions.stdout).toContain('"session_id":"x-1"');
    // A refusal only the server can make (an unknown --status is refused before asking: cliFilterFlags.test.ts).
    const refused = await cli(['tail', '--url', s.base, '--session', 's'.repeat(201)]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe('tail: 422 from /events: session_id: must be at most 200 characters (got 201)\n');
    const stray = await cli(['publish', '--url', s.base, '--source', 'qe'], ndjson(1));
    expect([stray.code, stray.stderr]).toEqual([2, expect.stringContaining('--source: only with --type')]);
    const both = await cli([
      'publish',
      '--url',
      s.base,
      '--type',
      'timer_tick',
      '--source',
      'q',
      '--file',
      '/dev/null',
    ]);
    expect([both.code, both.stderr]).toEqual([2, expect.stringContaining('--file: not with --type')]);
    expect((await cli(['stats', '--url', s.base, '--json'])).stdout).toContain('"total_events": 4');
    const badUrl = await cli(['stats', '--url', 'localhost:8001']);
    expect(badUrl.code).toBe(2);
    expect(badUrl.stderr).toContain(
      '--url: expected an http(s) URL such as http://localhost:8001, got "localhost:8001"',
    );
  });

  it('publish skips a BOM, refuses a line that is not UTF-8 instead of storing U+FFFD, and never echoes control bytes', async () => {
    const s = await server('bytes');
    const input = Buffer.concat([
      Buffer.from('\ufeff{"event_type":"timer_tick","source":"cli","payload":{"n":1}}\r\n'),
      Buffer.from('{"event_type":"timer_tick","source":"cli","payload":{"name":"caf'),
      Buffer.from([0xe9]),
      Buffer.from('"}}\n\u001b]0;owned\u0007\n'),
    ]);
    const run = await cli(['publish', '--url', s.base], input);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('line 2: not valid UTF-8');
    expect(run.stderr).toMatch(/line 3: invalid JSON: .*\\u001b/);
    expect(run.stderr).not.toContain('\u001b');
    expect((await readLog(s.base)).map((r) => r.payload)).toEqual([{ n: 1 }]);
  });

  it('exits 4 when the server refuses the key and 3 when nothing listens', async () => {
    const s = await server('auth', { REQUIRE_AUTH: 'true', API_KEY: 'sekrit' });
    // The refusals through the binary (their exit codes), the successes in process.
    expect((await binary(['stats', '--url', s.base])).code).toBe(4);
    expect((await cli(['stats', '--url', s.base, '--api-key', 'sekrit'])).code).toBe(0);
    expect((await cli(['stats'], '', { API_KEY: 'sekrit', PIPELINE_URL: s.base })).code).toBe(0);
    expect((await binary(['stats', '--url', `http://127.0.0.1:${await stablePort()}`])).code).toBe(3);
  });

  it('takes a key with spaces around it on the WebSocket too, as REST takes it', async () => {
    const s = await server('spaced-key', { REQUIRE_AUTH: 'true', API_KEY: 'sekrit' });
    const flags = ['--url', s.base, '--api-key', '  sekrit\t'];
    expect((await cli(['stats', ...flags])).code).toBe(0);
    const published = await cli(['publish', ...flags, '--type', 'timer_tick', '--source', 'cli']);
    expect(published).toMatchObject({ code: 0, stderr: 'published 1 event(s), offsets 1–1\n' });
    expect(
      (
        await cli(
          ['import', ...flags],
          `${JSON.stringify({ id: 'spaced-1', event_type: 'timer_tick', source: 'cli' })}\n`,
        )
      ).code,
    ).toBe(0);
  });

  it('tail --follow replays from --from, then prints matching events live, and exits 0 on SIGINT', async () => {
    const s = await server('follow');
    const input = ['f-1', 'f-2', 'f-1', 'f-1']
      .map((session, i) =>
        JSON.stringify({ event_type: 'timer_tick', source: 'cli', session_id: session, payload: { i } }),
      )
      .join('\n');
    expect((await cli(['publish', '--url', s.base], input)).code).toBe(0);
    const proc = spawn(
      process.execPath,
      [CLI_JS, 'tail', '--follow', '--from', '1', '--json', '--session', 'f-1', '--url', s.base],
      { env: { PATH: process.env.PATH ?? '' }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    proc.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
    const offsets = (): number[] =>
      stdout
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => (JSON.parse(l) as { offset: number }).offset);
    const until = async (count: number) => {
      const deadline = Date.now() + 20_000;
      while (offsets().length < count && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    };
    await until(3);
    expect(offsets()).toEqual([1, 3, 4]);
    expect((await cli(['publish', '--url', s.base], input)).code).toBe(0);
    await until(6);
    expect(offsets()).toEqual([1, 3, 4, 5, 7, 8]);
    proc.kill('SIGINT');
    expect(await exited).toBe(0);
  });

  it('serve runs the same server as npm start and stops cleanly on SIGTERM', async () => {
    const port = await stablePort();
    const proc = spawn(process.execPath, [CLI_JS, 'serve'], {
      env: {
        PATH: process.env.PATH ?? '',
        HOST: '127.0.0.1',
        PORT: String(port),
        DATABASE_PATH: join(dir(), 'serve.db'),
        LOG_LEVEL: 'warn',
      },
      stdio: 'ignore',
    });
    const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
    const deadline = Date.now() + 15_000;
    let health: { service?: string } = {};
    while (Date.now() < deadline) {
      try {
        health = (await (await fetch(`http://127.0.0.1:${port}/health`)).json()) as { service?: string };
        break;
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    }
    expect(health.service).toBe('event-pipeline');
    proc.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
