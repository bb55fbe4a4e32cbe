/**
 * Who hears that the reader of standard output has gone (EPIPE). Hint: for most commands that ends the command quietly
 * (`export | head`), but `publish --acks` would lose the acks of what it goes on storing, so it stops like a Ctrl-C.
 */
let listener: (() => void) | null = null;
/** A listener heard it: later errors of the same closed output (writes queued before it) are that news again. */
let heard = false;

/** Take the news of a closed standard output until `dispose` is called. */
export function onStdoutClosed(hear: () => void): () => void {
  listener = hear;
  return () => {
    if (listener === hear) listener = null;
  };
}

/** Tell the listener that standard output closed; false when none listens (the caller ends the command). */
export function stdoutClosed(): boolean {
  if (heard) return true;
  if (listener === null) return false;
  heard = true;
  listener();
  return true;
}

/**
 * Resolves once every write to `out` so far was taken by the OS or failed, and a failure's 'error' event was heard
 * (main.ts tells the listener of an EPIPE then). Hint: an empty write's callback runs after those of earlier writes.
 */
export function writesSettled(out: NodeJS.WritableStream): Promise<void> {
  if (!out.writable) return Promise.resolve();
  // Hint: the error event follows the failed write's callbacks on the next tick; setImmediate runs after it.
  return new Promise((resolve) => out.write('', () => setImmediate(resolve)));
}
