import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type ChildServer, killServer, spawnServer } from './support/childServer.js';
import { allEvents, getJson, postEvents } from './support/pipelineRest.js';
import { WsClient } from './support/wsClient.js';

/**
 * An ext4 file system on a loop device, mounted `errors=remount-ro`: writing to its `trigger_fs_error` knob makes the
 * kernel remount it read-only at once, as it does after an I/O error on a failing disk (needs root and loop devices;
 * null where the machine does not allow it).
 */
function ext4Disk(): { dir: string; device: string; image: string } | null {
  const dir = mkdtempSync(join(tmpdir(), 'ro-disk-'));
  const image = `${dir}.img`;
  let device = '';
  try {
    writeFileSync(image, '');
    execFileSync('truncate', ['-s', '32M', image]);
    device = execFileSync('losetup', ['-f', '--show', image], { encoding: 'utf8' }).trim();
    execFileSync('mkfs.ext4', ['-q', device], { stdio: 'ignore' });
    execFileSync('mount', ['-o', 'errors=remount-ro', device, dir], { stdio: 'ignore' });
    return { dir, device, image };
  } catch {
    if (device !== '') execFileSync('losetup', ['-d', device], { stdio: 'ignore' });
    rmSync(dir, { recursive: true, force: true });
    rmSync(image, { force: true });
    return null;
  }
}

/** Unmount, check and repair the file system (as an operator would before using the disk again), and mount it back. */
function repairAndRemount(disk: { dir: string; device: string }): void {
  execFileSync('umount', [disk.dir]);
  // Hint: fsck exits 1 when it corrected errors, which the forced error leaves behind.
  try {
    execFileSync('fsck.ext4', ['-fy', disk.device], { stdio: 'ignore' });
  } catch (error) {
    if ((error as { status?: number }).status !== 1) throw error;
  }
  execFileSync('mount', [disk.device, disk.dir], { stdio: 'ignore' });
}

const disk = ext4Disk();

const event = (id: string) => ({ id, event_type: 'timer_tick', source: 'disk_probe', payload: { id } });

describe.runIf(disk !== null)('a disk that turns read-only under the server (ext4 errors=remount-ro)', () => {
  let server: ChildServer | undefined;
  afterAll(async () => {
    await killServer(server);
    if (disk === null) return;
    execFileSync('umount', [disk.dir], { stdio: 'ignore' });
    execFileSync('losetup', ['-d', disk.device], { stdio: 'ignore' });
    rmSync(disk.dir, { recursive: true, force: true });
    rmSync(disk.image, { force: true });
  });

  it('refuses publishes as retryable and says why, stops cleanly, and with the default DURABILITY keeps every acked event', async () => {
    const path = join(disk!.dir, 'events.db');
    // Hint: the default (full); with DURABILITY=normal a probe lost all 3 acked events on this disk.
    server = await spawnServer(path);
    const acked: string[] = [];
    for (const id of ['rest-1', 'rest-2']) {
      expect((await postEvents(server.base, event(id))).status).toBe(201);
      acked.push(id);
    }
    const producer = await WsClient.open(`${server.wsBase}/ws/publish`);
    producer.send([event('ws-1'), event('ws-2')]);
    expect(await producer.next()).toMatchObject({ status: 'ok', count: 2 });
    acked.push('ws-1', 'ws-2');

    writeFileSync(`/sys/fs/ext4/${disk!.device.replace('/dev/', '')}/trigger_fs_error`, '1');
    const refused = await postEvents(server.base, event('rest-3'));
    expect(refused.status).toBe(503);
    // The publisher is told why, as /readiness tells an operator (before: only `…, retry`).
    const why = `disk I/O error: the file system holding ${path} is read-only (remounted after a disk error?)`;
    expect(refused.body).toEqual({ detail: `storage unavailable; not committed, retry (${why})` });
    producer.send(event('ws-3'));
    expect(await producer.next()).toMatchObject({
      status: 'error',
      retryable: true,
      message: `storage unavailable; not committed, retry (${why})`,
    });
    // Readiness turns after three failed commits in a row (a single failure may be transient).
    expect((await postEvents(server.base, event('rest-4'))).status).toBe(503);
    const readiness = await getJson<{ ready: boolean; reason: string }>(`${server.base}/readiness`);
    expect(readiness.status).toBe(503);
    expect(readiness.body.reason).toBe(
      `the last 3 commits failed: disk I/O error: the file system holding ${path} is read-only (remounted after a disk error?)`,
    );
    // The server goes on serving what it holds.
    expect((await allEvents(server.base)).map((r) => r.id)).toEqual(acked);
    await producer.close();

    server.proc.kill('SIGTERM');
    expect(await server.exited).toEqual({ code: 0, signal: null });
    repairAndRemount(disk!);
    server = await spawnServer(path);
    expect((await allEvents(server.base)).map((r) => r.id)).toEqual(acked);
    expect((await postEvents(server.base, event('rest-3'))).status).toBe(201);
  });
});
