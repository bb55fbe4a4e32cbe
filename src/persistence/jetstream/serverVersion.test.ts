import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { serverVersionWarning } from './serverVersion.js';

describe('serverVersionWarning', () => {
  it('warns for releases before 2.11, naming the version and what to run', () => {
    const warning = serverVersionWarning('2.9.10');
    expect(warning).toContain('nats-server 2.9.10 is older than 2.11');
    expect(warning).toContain('sync_interval: always');
    expect(serverVersionWarning('2.10.19')).toContain('older than 2.11');
    expect(serverVersionWarning('1.4.1')).toContain('older than 2.11');
  });

  it('names the releases that lost data on a process crash', () => {
    for (const version of ['2.10.20', '2.10.21', '2.10.22'])
      expect(serverVersionWarning(version)).toContain('2.10.20-2.10.22 also lost data on a process crash');
    expect(serverVersionWarning('2.10.23')).not.toContain('process crash');
    expect(serverVersionWarning('2.10.19')).not.toContain('process crash');
  });

  it('is silent for 2.11 and later, pre-releases included, and for a version it cannot read', () => {
    for (const version of ['2.11.0', '2.11.4', '2.12.0-RC.1', '3.0.0', 'v2.11.1', undefined, '', 'dev'])
      expect(serverVersionWarning(version)).toBeNull();
  });

  it('warns exactly for versions below 2.11.0', () => {
    fc.assert(
      fc.property(fc.nat(4), fc.nat(30), fc.nat(40), (major, minor, patch) => {
        const below = major < 2 || (major === 2 && minor < 11);
        return (serverVersionWarning(`${major}.${minor}.${patch}`) !== null) === below;
      }),
    );
  });
});
