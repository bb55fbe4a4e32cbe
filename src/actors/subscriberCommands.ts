import type { EventLog } from '../persistence/eventLog.js';
import { CLOSE_UNCONFIRMED, unconfirmedStart } from '../protocol/subscribedAck.js';
import type { SubscriberSocket } from './subscriber.js';
import type { SubscriberEvent, SubscriberMode } from './subscriberMachine.js';
import { type PendingStart, planSubscription, subscriberCommand } from './subscriberProtocol.js';
import type { SupervisorEvent, SupervisorParts } from './supervisorEvent.js';

/** The log's answer for a subscription that waited for it: the highest offset that exists, or why it cannot say. */
export type Confirmation = { readonly known: number } | { readonly reason: string };

/** What handling a subscriber's message reads of its actor and connection. */
export interface ChildView {
  readonly mode: SubscriberMode;
  readonly batch: boolean;
  readonly socket: SubscriberSocket;
}

const reasonOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * A subscriber's text message as the event for its actor, its filter filed with the router first (in the same turn,
 * so no commit is routed in between). A from_offset beyond what this node knows exists is sent to the log to
 * confirm (a cluster node asks its stream): the actor waits (`subscriber.confirming`) for `subscriber.confirmed`.
 */
export function messageCommand(
  parts: SupervisorParts,
  id: string,
  child: ChildView,
  message: { readonly text: string; readonly maxJsonDepth: number },
  send: (event: SupervisorEvent) => void,
): SubscriberEvent | null {
  const command = subscriberCommand(id, message.text, child.mode, { log: parts.log, ...message });
  if (command?.type === 'subscriber.confirm') {
    askToConfirm(parts.log, id, command, send);
    return { type: 'subscriber.confirming' };
  }
  if (command?.type === 'subscriber.configure')
    parts.router.file(id, command.plan.filter, command.plan.batch, child.socket);
  else if (command?.type === 'subscriber.updateFilters') parts.router.file(id, command.filter, child.batch);
  return command;
}

/**
 * What a subscriber whose subscription waited for the log is sent once it answered: the subscription planned now
 * (beyond_head only past what the log confirmed), filed with the router first; or, when the log could not answer, a
 * retryable refusal and close 1013, never a start guessed from this node's own view.
 */
export function confirmationCommands(
  parts: SupervisorParts,
  id: string,
  socket: SubscriberSocket,
  answer: PendingStart & { readonly outcome: Confirmation },
): SubscriberEvent[] {
  const { request, ignored, outcome } = answer;
  const { log } = parts;
  if ('known' in outcome) {
    const plan = planSubscription(id, request, ignored, log, outcome.known);
    parts.router.file(id, plan.filter, plan.batch, socket);
    return [{ type: 'subscriber.configure', plan }];
  }
  const known = Math.max(log.headOffset(), log.knownHead?.() ?? 0);
  const { reply, closeReason } = unconfirmedStart(request.from_offset ?? 0, known, outcome.reason);
  return [
    { type: 'subscriber.reply', message: reply },
    { type: 'subscriber.close', code: CLOSE_UNCONFIRMED, reason: closeReason },
  ];
}

/** Ask the log for the highest offset that exists now; the answer comes back through `send`. */
function askToConfirm(
  log: Pick<EventLog, 'confirmKnownHead' | 'headOffset'>,
  id: string,
  pending: PendingStart,
  send: (event: SupervisorEvent) => void,
): void {
  const { request, ignored } = pending;
  const asked = log.confirmKnownHead?.() ?? Promise.resolve(log.headOffset());
  asked.then(
    (known) => send({ type: 'subscriber.confirmed', id, request, ignored, outcome: { known } }),
    (error: unknown) =>
      send({ type: 'subscriber.confirmed', id, request, ignored, outcome: { reason: reasonOf(error) } }),
  );
}
