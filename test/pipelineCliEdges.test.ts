import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { type AddressInfo, connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { interruptedText, publishEvents } from '../src/cli/publishEvents.js';
import { Publisher } from '../src/client/index.js';
import { CLI_BINARY, cli, cliBinary, cliServers } from './support/cliRun.js';
import { fakePublishServer } from './support/fakePublishServer.js';

/** Edges of `event-pipeline` found by a hostile user: deleted offsets, refused flag mixes, output and input errors. */

const { server } = cliServers('pipeline-cli-edges-');

const ndjson = (count: number, source = 'edges'): string =>
  Array.from(
    { length: count },
    (_, i) => `${JSON.stringify({ event_type: 'timer_tick', source, payload: { i } })}\n`,
  ).join('');

const offsetsOf = (stdout: string): number[] =>
  stdout
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => (JSON.parse(line) as { offset: number }).offset);

describe('event-pipeline on a log that retention has trimmed', () => {
  it('tail --from and export --from name the deleted offsets on stderr and go on at the first stored one (exit 0)', async () => {
    const s = await server('trimmed');
    expect((await cli(['publish', '--url', s.base], ndjson(30))).code).toBe(0);
    expect(await (await fetch(`${s.base}/events`, { method: 'DELETE' })).json()).toEqual({ deleted: 30 });
    expect((await cli(['publish', '--url', s.base], ndjson(10))).code).toBe(0);

    const tail = await cli(['tail', '--url', s.base, '--from', '5', '--json']);
    expect([tail.code, tail.stderr]).toEqual([0, 'offsets 5–30 were deleted by retention; output starts at 31\n']);
    expect(offsetsOf(tail.stdout)).toEqual(Array.from({ length: 10 }, (_, i) => 31 + i));
    const gone = await cli(['export', '--url', s.base, '--from', '5', '--to', '20']);
    expect([gone.code, gone.stdout, gone.stderr]).toEqual([
      0,
      '',
      'offsets 5–20 were deleted by retention; none of the range asked for remains\n',
    ]);
    const part = await cli(['export', '--url', s.base, '--from', '30', '--to', '32']);
    expect([part.code, offsetsOf(part.stdout), part.stderr]).toEqual([
      0,
      [31, 32],
      'offset 30 was deleted by retention; output starts at 31\n',
    ]);
    // Without --from, export writes the log as stored: nothing was asked of the deleted part.
    const whole = await cli(['export', '--url', s.base]);
    expect([whole.code, offsetsOf(whole.stdout).length, whole.stderr]).toEqual([0, 10, '']);
    const stored = await cli(['tail', '--url', s.base, '--from', '31', '--json']);
    expect([offsetsOf(stored.stdout).length, stored.stderr]).toEqual([10, '']);
  });
});

describe('tail -n', () => {
  it('is refused with --from or --follow (it counts the latest events), and in any form but decimal digits', async () => {
    const s = await server('counts');
    expect((await cli(['publish', '--url', s.base], ndjson(5))).code).toBe(0);
    const mixed = await cli(['tail', '--url', s.base, '--from', '3', '-n', '1']);
    expect([mixed.code, mixed.stdout]).toEqual([2, '']);
    expect(mixed.stderr).toMatch(/^tail: -n: not with --from: /);
    const following = await cli(['tail', '--url', s.base, '--follow', '-n', '1']);
    expect([following.code, following.stdout]).toEqual([2, '']);
    expect(following.stderr).toMatch(/^tail: -n: not with --follow/);
    const exponent = await cli(['tail', '--url', s.base, '-n', '1e3']);
    expect([exponent.code, exponent.stdout]).toEqual([2, '']);
    expect(exponent.stderr).toMatch(/^tail: -n: expected an integer ≥ 1 in decimal digits, got "1e3"\n/);
    const two = await cli(['tail', '--url', s.base, '-n', '2', '--json']);
    expect([two.code, offsetsOf(two.stdout)]).toEqual([0, [4, 5]]);
  });
});

describe('output that cannot be written', () => {
  it('export, tail and --help > /dev/full say so in one line and exit 1, with no stack trace', async () => {
    const s = await server('full');
    expect((await cli(['publish', '--url', s.base], ndjson(3_000))).code).toBe(0);
    const full = openSync('/dev/full', 'w');
    try {
      const runs = await Promise.all([
        cliBinary(['export', '--url', s.base], full),
        cliBinary(['tail', '--url', s.base, '--from', '1'], full),
        cliBinary(['tail', '--url', s.base, '-n', '5', '--json'], full),
        cliBinary(['--help'], full),
      ]);
      expect(runs.map((run) => [run.code, run.stderr])).toEqual([
        [1, 'event-pipeline export: cannot write output: ENOSPC (no space left on device)\n'],
        [1, 'event-pipeline tail: cannot write output: ENOSPC (no space left on device)\n'],
        [1, 'event-pipeline tail: cannot write output: ENOSPC (no space left on device)\n'],
        [1, 'event-pipeline: cannot write output: ENOSPC (no space left on device)\n'],
      ]);
    } finally {
      closeSync(full);
    }
  });
});

describe('a malformed --url', () => {
  it('is a usage error naming --url (exit 2) for every command, even one the URL parser would forgive', async () => {
    const s = await server('urls');
    for (const command of ['publish', 'tail', 'export', 'stats']) {
      const run = await cli([command, '--url', `${s.base} `], ndjson(1));
      expect(run.code, command).toBe(2);
      expect(run.stderr, command).toMatch(
        new RegExp(
          `^${command}: --url: expected an http\\(s\\) URL .* \\(it holds a space or a control character\\)\\n`,
        ),
      );
    }
    expect((await cli(['stats', '--url', `${s.base}?x=1`])).code).toBe(2);
    expect(await (await fetch(`${s.base}/stats`)).json()).toMatchObject({ total_events: 0 });
  });
});

describe('SIGINT during publish', () => {
  it('stops reading, waits for the acks of what was sent, prints them and the summary, and exits 130', async () => {
    const s = await server('interrupted');
    const proc = spawn(process.execPath, [CLI_BINARY, 'publish', '--url', s.base, '--acks'], {
      env: { PATH: process.env.PATH ?? '' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    proc.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    proc.stdin.on('error', () => undefined);
    const exited = new Promise<number | null>((resolve) => proc.once('close', (code) => resolve(code)));
    // Hint: stdin stays open, as a producer piping in would leave it; the command must stop reading it by itself.
    proc.stdin.write(ndjson(20_000));
    const deadline = Date.now() + 20_000;
    while (!stdout.includes('\n') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
    proc.kill('SIGINT');
    const timer = setTimeout(() => proc.kill('SIGKILL'), 20_000);
    const code = await exited;
    clearTimeout(timer);
    expect([code, stderr]).toEqual([
      130,
      expect.stringMatching(
        /^published \d+ event\(s\), offsets 1–\d+; interrupted after line \d+, later lines not sent\n$/,
      ),
    ]);
    const [, published, last, line] = /^published (\d+) event\(s\), offsets 1–(\d+); interrupted after line (\d+)/.exec(
      stderr,
    ) ?? ['', '0', '-1', '-2'];
    const acks = stdout.split('\n').filter((l) => l !== '');
    const stored = (await (await fetch(`${s.base}/stats`)).json()) as { total_events: number };
    expect([acks.length, Number(last), Number(line), stored.total_events]).toEqual([
      Number(published),
      Number(published),
      Number(published),
      Number(published),
    ]);
  });
});

describe('publishEvents interrupted against a server that never acknowledges', () => {
  it('stops reading at once, waits graceMs, and counts what was handed over as unconfirmed, not failed', async () => {
    const silent = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise((resolve) => silent.once('listening', resolve));
    const { port } = silent.address() as AddressInfo;
    const publisher = new Publisher({ url: `http://127.0.0.1:${port}`, deliveryTimeoutMs: 60_000 });
    const controller = new AbortController();
    let read = 0;
    const events = (async function* () {
      for (let line = 1; ; line++) {
        read = line;
        if (line === 4) controller.abort();
        yield { line, event: { event_type: 'timer_tick', source: 'edges', payload: {} } };
      }
    })();
    const stderr = new PassThrough();
    const io = { stdout: new PassThrough(), stderr, stdin: Readable.from([]), env: {} };
    const started = Date.now();
    try {
      const summary = await publishEvents(io, publisher, events, true, { signal: controller.signal, graceMs: 300 });
      expect(summary).toMatchObject({ ok: 0, failed: 0, stoppedAfterLine: 3, unconfirmed: 3 });
      expect(read).toBe(4);
      expect(Date.now() - started).toBeGreaterThanOrEqual(290);
      expect(interruptedText(summary)).toBe(
        '; interrupted after line 3, later lines not sent; 3 not acknowledged in time (each may or may not be stored)',
      );
      expect(stderr.read()).toBeNull();
    } finally {
      for (const client of silent.clients) client.terminate();
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});

describe('publishEvents against a server that stops acknowledging', () => {
  it('hands over no more lines once publishes time out, and says after which line it stopped', async () => {
    const silent = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise((resolve) => silent.once('listening', resolve));
    const { port } = silent.address() as AddressInfo;
    const url = `http://127.0.0.1:${port}`;
    const publisher = new Publisher({ url, deliveryTimeoutMs: 500, maxInFlightEvents: 5, lingerMs: 0 });
    let read = 0;
    const events = (async function* () {
      for (let line = 1; line <= 50; line++) {
        read = line;
        yield { line, event: { event_type: 'timer_tick', source: 'edges', payload: {} } };
      }
    })();
    const io = { stdout: new PassThrough(), stderr: new PassThrough(), stdin: Readable.from([]), env: {} };
    try {
      // Before: each window of 5 waited its own 500 ms, all 50 lines read and failed (probe: a 60,000-line file ran
      // 184 s after its server died, 30 s per 10,000 lines).
      const summary = await publishEvents(io, publisher, events, false);
      expect(summary).toMatchObject({ ok: 0, failed: 5, timedOut: 5, gaveUpAfterLine: 5, stoppedAfterLine: null });
      expect(read).toBe(6);
      expect(interruptedText(summary)).toBe(
        '; stopped after line 5 as publishes were not acknowledged in time, later lines not sent',
      );
    } finally {
      for (const client of silent.clients) client.terminate();
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});

describe('publish and import error reports', () => {
  it('group lines that are not JSON into one stderr line, showing the first message', async () => {
    const s = await server('reports');
    const bad = Array.from({ length: 5_000 }, (_, i) => `not json ${i}\n`).join('');
    const run = await cli(['publish', '--url', s.base], `${ndjson(2)}${bad}${ndjson(1)}`);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      'lines 3–5002 (5,000 lines): invalid JSON (the first: Unexpected token \'o\', "not json 0" is not valid JSON)\n' +
        'published 3 event(s), offsets 1–3; 5000 failed\n',
    );
  });

  it('report failed lines in line order, whether the input or the server refused them', async () => {
    const s = await server('ordered');
    const good = (i: number) => JSON.stringify({ event_type: 'timer_tick', source: 'edges', payload: { i } });
    const refused = JSON.stringify({ event_type: 'timer_tick', source: 'bad source!' });
    // Line 2 is not JSON, line 3 the server refuses, line 6 is not UTF-8: read, refused and read again.
    const input = Buffer.concat([
      Buffer.from(`${good(1)}\nnot json\n${refused}\n${good(4)}\n${good(5)}\n`),
      Buffer.from([0x7b, 0xff, 0x7d, 0x0a]),
      Buffer.from(`${good(7)}\n`),
    ]);
    for (const command of ['publish', 'import']) {
      const run = await cli([command, '--url', s.base], input);
      const lines = run.stderr.split('\n').filter((line) => line !== '');
      expect(
        lines.slice(0, 3).map((line) => line.slice(0, 7)),
        run.stderr,
      ).toEqual(['line 2:', 'line 3:', 'line 6:']);
      expect(lines[1]).toMatch(/^line 3: source: /);
      expect(lines[3]).toMatch(/; 3 failed$/);
      expect(run.code).toBe(1);
    }
  });

  it('import names a line holding an array as publish does, not as missing fields', async () => {
    const s = await server('arrays');
    const array = JSON.stringify([
      { event_type: 'timer_tick', source: 'edges' },
      { event_type: 'timer_tick', source: 'edges' },
    ]);
    const published = await cli(['publish', '--url', s.base], `${array}\n`);
    const imported = await cli(['import', '--url', s.base], `${array}\n`);
    expect(published.stderr).toMatch(/^line 1: event must be an object, got an array\n/);
    expect(imported.stderr).toMatch(/^line 1: event must be an object, got an array\n/);
    expect([published.code, imported.code]).toEqual([1, 1]);
  });
});

describe('publish and import --max-message-bytes', () => {
  it("fail an event over the SDK's default at once, naming its line and the flag, and take it with the flag raised to the server's limit", async () => {
    const eight = String(8 * 1024 * 1024);
    const s = await server('cap', { MAX_PAYLOAD_BYTES: eight, MAX_WS_MESSAGE_BYTES: eight });
    const blob = 'x'.repeat(4 * 1024 * 1024);
    const big = `${JSON.stringify({ id: 'big-1', event_type: 'timer_tick', source: 'cap', payload: { blob } })}\n`;
    const started = Date.now();
    const refused = await cli(['publish', '--url', s.base], ndjson(1, 'cap') + big);
    // The SDK cannot know this server takes 8 MiB: by default it holds to a default server's cap (3.2 MiB), past
    // which a default server closes the connection with no reply; the flag says what this server takes.
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(
      /^line 2: event is 41944\d\d bytes as a message \(4\.0 MiB\), over --max-message-bytes \(3355443 bytes, 3\.2 MiB: the default, .*, set --max-message-bytes to it\npublished 1 event\(s\), offsets 1–1; 1 failed\n$/,
    );
    const taken = await cli(['publish', '--url', s.base, '--max-message-bytes', eight], big);
    expect([taken.code, taken.stderr]).toEqual([0, 'published 1 event(s), offsets 2–2\n']);
    const again = await cli(['import', '--url', s.base, '--max-message-bytes', eight], big);
    expect([again.code, again.stderr]).toEqual([0, 'imported 1 record(s), offsets 2–2 (0 new, 1 already stored)\n']);
    const bad = await cli(['import', '--url', s.base, '--max-message-bytes', '0'], big);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--max-message-bytes: expected an integer from 1 to 2147483647, got "0"');
  });
});

describe('publish and import whose input fails part way', () => {
  /** Run the binary with a TCP socket as stdin that sends `line`, then is reset: its exit code and stderr. */
  async function resetInput(command: 'publish' | 'import', base: string, line: string) {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const accepted = new Promise<Socket>((resolve) => server.once('connection', resolve));
    const input = connect((server.address() as AddressInfo).port, '127.0.0.1');
    await new Promise((resolve) => input.once('connect', resolve));
    const writer = await accepted;
    const proc = spawn(process.execPath, [CLI_BINARY, command, '--url', base], {
      env: { PATH: process.env.PATH ?? '' },
      stdio: [input, 'ignore', 'pipe'],
    });
    let stderr = '';
    proc.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    writer.write(line);
    // Hint: the line is published (its ack awaited below) before the reset, so the summary must count it.
    await expect
      .poll(async () => (await fetch(`${base}/stats`)).json(), { timeout: 10_000 })
      .toMatchObject({
        total_events: 1,
      });
    writer.resetAndDestroy();
    const timer = setTimeout(() => proc.kill('SIGKILL'), 20_000);
    const code = await new Promise<number | null>((resolve) => proc.once('close', resolve));
    clearTimeout(timer);
    input.destroy();
    server.close();
    return { code, stderr };
  }

  it.each(['publish', 'import'] as const)(
    '%s reports what it published and exits 1 instead of hanging',
    async (command) => {
      // Before: `read ECONNRESET` was thrown past the open publisher, whose socket kept the process alive (killed here).
      const s = await server(`input-reset-${command}`);
      const line = `${JSON.stringify({ event_type: 'timer_tick', source: 'reset', payload: {} })}\n`;
      const { code, stderr } = await resetInput(command, s.base, line);
      expect(code).toBe(1);
      expect(stderr).toMatch(/^(published 1 event\(s\), offsets 1–1|imported 1 record\(s\), offsets 1–1)/m);
      expect(stderr).toContain('; reading the input failed after line 1 (read ECONNRESET), later lines not read');
    },
  );
});

/** `publish --file` on a new FIFO: the CLI, its stderr so far, and how it ended (code, signal). */
async function publishFromFifo(base: string, dir: string) {
  const fifo = join(dir, 'events.fifo');
  execFileSync('mkfifo', [fifo]);
  const proc = spawn(process.execPath, [CLI_BINARY, 'publish', '--url', base, '--file', fifo], {
    env: { PATH: process.env.PATH ?? '' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const run = { fifo, proc, stderr: '' };
  proc.stderr.on('data', (chunk: Buffer) => (run.stderr += chunk.toString()));
  const exited = new Promise<[number | null, string | null]>((resolve) =>
    proc.once('close', (code, signal) => resolve([code, signal])),
  );
  return { ...run, exited, output: () => run.stderr };
}

/** Whether a thread of process `pid` waits in the open of a FIFO for a writer (its wchan; Linux). */
function waitsForWriter(pid: number | undefined): boolean {
  try {
    return readdirSync(`/proc/${pid}/task`).some(
      (task) => readFileSync(`/proc/${pid}/task/${task}/wchan`, 'utf8') === 'wait_for_partner',
    );
  } catch {
    return false;
  }
}

/** How the process ended, or 'killed' when it had not within `ms` (then it is killed). */
async function endWithin(
  proc: ChildProcess,
  exited: Promise<[number | null, string | null]>,
  ms: number,
): Promise<[number | null, string | null] | 'killed'> {
  const late = new Promise<'killed'>((resolve) => setTimeout(() => resolve('killed'), ms).unref());
  const ended = await Promise.race([exited, late]);
  if (ended === 'killed') proc.kill('SIGKILL');
  return ended;
}

describe('SIGINT during publish --file on a FIFO', () => {
  const line = JSON.stringify({ event_type: 'timer_tick', source: 'fifo', payload: {} });

  it('the first one stops reading a FIFO whose writer stays open, prints the summary and exits 130', async () => {
    // Before: the read of the FIFO waited in Node's thread pool for bytes that never came, and kept the process up.
    const s = await server('fifo-sigint');
    const dir = mkdtempSync(join(tmpdir(), 'cli-fifo-'));
    const run = await publishFromFifo(s.base, dir);
    const writer = spawn('sh', ['-c', `exec 3> "$0"; printf '%s\\n' '${line}' >&3; exec sleep 60`, run.fifo], {
      stdio: 'ignore',
    });
    try {
      await expect
        .poll(async () => (await fetch(`${s.base}/stats`)).json(), { timeout: 10_000 })
        .toMatchObject({ total_events: 1 });
      run.proc.kill('SIGINT');
      expect(await endWithin(run.proc, run.exited, 5_000)).toEqual([130, null]);
      expect(run.output()).toBe('published 1 event(s), offsets 1–1; interrupted after line 1, later lines not sent\n');
    } finally {
      writer.kill('SIGKILL');
      run.proc.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the first one ends the wait for a writer that never opens the FIFO', async () => {
    const s = await server('fifo-no-writer');
    const dir = mkdtempSync(join(tmpdir(), 'cli-fifo-'));
    const run = await publishFromFifo(s.base, dir);
    try {
      // Hint: the CLI sets its SIGINT handler before it opens the file; sent earlier, SIGINT's default ends it (after
      // a fixed 1 s wait on a loaded CI machine, it did).
      await expect.poll(() => waitsForWriter(run.proc.pid), { timeout: 15_000 }).toBe(true);
      run.proc.kill('SIGINT');
      expect(await endWithin(run.proc, run.exited, 5_000)).toEqual([130, null]);
      expect(run.output()).toBe(
        'published 0 event(s), no offsets; interrupted before the first line, later lines not sent\n',
      );
    } finally {
      run.proc.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reads every line the writers of a FIFO send, across writers, until the last one closes it', async () => {
    const s = await server('fifo-lines');
    const dir = mkdtempSync(join(tmpdir(), 'cli-fifo-'));
    const run = await publishFromFifo(s.base, dir);
    const lines = Array.from({ length: 2_000 }, () => line).join('\n');
    // Two writers in turn, the first holding the FIFO open while the second writes: one stream, read to its end.
    const writer = spawn(
      'sh',
      ['-c', `exec 3> "$0"; printf '%s\\n' "$1" >&3; printf '%s\\n' "$1" > "$0"`, run.fifo, lines],
      {
        stdio: 'ignore',
      },
    );
    try {
      expect(await endWithin(run.proc, run.exited, 20_000)).toEqual([0, null]);
      expect(run.output()).toMatch(/^published 4000 event\(s\), offsets 1–4000\n$/);
    } finally {
      writer.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('a second SIGINT while the first waits for acks a server never sends', () => {
  it('ends the process at once, by SIGINT (status 130 in a shell), without waiting the 5 s grace', async () => {
    const silent = await fakePublishServer(() => null);
    const proc = spawn(process.execPath, [CLI_BINARY, 'publish', '--url', silent.url], {
      env: { PATH: process.env.PATH ?? '' },
      stdio: ['pipe', 'ignore', 'ignore'],
    });
    const exited = new Promise<[number | null, string | null]>((resolve) =>
      proc.once('close', (code, signal) => resolve([code, signal])),
    );
    proc.stdin.on('error', () => undefined);
    proc.stdin.write(`${JSON.stringify({ event_type: 'timer_tick', source: 'silent', payload: {} })}\n`);
    try {
      await expect.poll(() => silent.received.length, { timeout: 10_000 }).toBeGreaterThan(0);
      proc.kill('SIGINT');
      await new Promise((resolve) => setTimeout(resolve, 300));
      proc.kill('SIGINT');
      expect(await endWithin(proc, exited, 3_000)).toEqual([null, 'SIGINT']);
    } finally {
      proc.kill('SIGKILL');
      await silent.close();
    }
  });
});
