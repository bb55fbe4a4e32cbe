import { describe, expect, it } from 'vitest';
import { outputErrorLine } from './outputError.js';

describe('outputErrorLine', () => {
  it("names the command, the code and Node's description, without the syscall", () => {
    const full = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    expect(outputErrorLine('export', full)).toBe(
      'event-pipeline export: cannot write output: ENOSPC (no space left on device)',
    );
    expect(outputErrorLine('--help', full)).toBe(
      'event-pipeline: cannot write output: ENOSPC (no space left on device)',
    );
    const odd = Object.assign(new Error('write failed'), { code: 'EIO' });
    expect(outputErrorLine(undefined, odd)).toBe('event-pipeline: cannot write output: EIO (write failed)');
  });
});
