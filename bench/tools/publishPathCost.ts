import { fastSingleEvent } from '../../src/protocol/fastPublish.js';
import { decodeJsonMessage } from '../../src/protocol/jsonMessage.js';
import { publishInputs, readPublishMessage } from '../../src/protocol/publishMessage.js';
import { type PublishOutcome, wsPublishAckText } from '../../src/protocol/publishReply.js';
import { decodeUtf8 } from '../../src/protocol/utf8Text.js';
import { EventFactory } from '../lib/eventFactory.js';

/**
 * CPU per /ws/publish one-event message on the I/O thread's own path, in one process: UTF-8 decode, JSON parse and
 * depth check, validation, ack text (no sockets, no commit), with the one-event fast path as the server takes it. `node dist/bench/tools/publishPathCost.js`; run it in
 * two worktrees, alternately, to compare builds.
 */
const MESSAGES = 500_000;
const useFast = process.env.FAST !== '0';
const limits = { maxJsonDepth: 32, maxPayloadKeys: 100, maxPayloadBytes: 65_536 };
const factory = new EventFactory({ seed: 7, sessions: 1_000, users: 5_000 });
const frames: ArrayBuffer[] = [];
const outcomes: PublishOutcome[] = [];
for (let i = 0; i < 1_000; i++) {
  const bytes = Buffer.from(JSON.stringify(factory.next()));
  frames.push(new Uint8Array(bytes).buffer);
  const record = {
    offset: 1_000_000 + i,
    id: `evt_${i}`,
    event_type: 'quiz_started' as const,
    source: 's',
    session_id: null,
    user_id: null,
    payloadJson: '{}',
    ts: 0,
  };
  outcomes.push({ ok: true, records: [record], appended: [record] });
}

function onePath(frame: ArrayBuffer, outcome: PublishOutcome): number {
  const text = decodeUtf8(frame);
  if (text === null) return 0;
  // As handlePublish: the one-event fast path first (FAST=0 measures the general path alone).
  if (useFast && fastSingleEvent(text, limits) !== null) return wsPublishAckText(outcome, false, undefined).text.length;
  const decoded = decodeJsonMessage(text, limits.maxJsonDepth);
  if (!decoded.ok) return 0;
  const inputs = publishInputs(readPublishMessage(decoded.value, 'message'), limits, 'message');
  return inputs.ok ? wsPublishAckText(outcome, false, undefined).text.length : 0;
}

let sink = 0;
for (let round = 0; round < 4; round++) {
  const before = process.cpuUsage();
  for (let i = 0; i < MESSAGES; i++) sink += onePath(frames[i % frames.length]!, outcomes[i % outcomes.length]!);
  const cpu = process.cpuUsage(before);
  console.log(`round ${round + 1}: ${((cpu.user + cpu.system) / MESSAGES).toFixed(3)} µs CPU per message`);
}
if (sink === 0) console.log('no message was accepted');
