/** Why the pipeline did not queue a batch: shutting down, or a pending bound would be passed (named by its setting). */
export type SubmitRefusal = 'stopping' | 'MAX_PENDING_EVENTS' | 'MAX_PENDING_BYTES';

/** The pending bounds as configured, which a refusal names with their values. */
export interface PendingBounds {
  readonly maxPendingEvents: number;
  readonly maxPendingBytes: number;
}

/**
 * The text of a publish's retryable refusal: the setting whose bound it would pass and its value, so an operator
 * knows what to raise; `whenStopping` is the transport's advice during shutdown.
 */
export function submitRefusalMessage(refusal: SubmitRefusal, bounds: PendingBounds, whenStopping: string): string {
  switch (refusal) {
    case 'stopping':
      return whenStopping;
    case 'MAX_PENDING_EVENTS':
      return `too many events are waiting for a commit (MAX_PENDING_EVENTS: ${bounds.maxPendingEvents}); retry shortly`;
    case 'MAX_PENDING_BYTES':
      return `too many payload bytes are waiting for a commit (MAX_PENDING_BYTES: ${bounds.maxPendingBytes}); retry shortly`;
  }
}
