/**
 * The one stderr line for output that cannot be written, e.g. `event-pipeline export: cannot write output: ENOSPC (no
 * space left on device)`. Hint: Node's message is `CODE: description, syscall`; the stack trace it came with told a
 * user of `> /dev/full` nothing more.
 */
export function outputErrorLine(command: string | undefined, error: Error & { code?: string | undefined }): string {
  const who = command !== undefined && /^[a-z]+$/.test(command) ? `event-pipeline ${command}` : 'event-pipeline';
  const parts = /^([A-Z0-9_]+): (.+?)(?:, [a-z_]+)?$/.exec(error.message);
  const why = parts === null ? `${error.code ?? 'error'} (${error.message})` : `${parts[1]} (${parts[2]})`;
  return `${who}: cannot write output: ${why}`;
}
