import { describe, expect, it } from 'vitest';
import { heldTimers, recordingSocket } from '../../test/support/clientDoubles.js';
import { endSocket } from './endSocket.js';

describe('endSocket', () => {
  it('stops listening, closes an open socket, and terminates it if the close is not done within the grace', () => {
    const { scheduler, advance, pending } = heldTimers();
    const { socket, calls } = recordingSocket();
    socket.onmessage = () => calls.push('message');
    endSocket(socket, 1000, 'consumer busy', scheduler, 2_000);
    expect(socket.onmessage).toBeNull();
    expect(calls).toEqual(['close 1000 consumer busy']);
    advance(1_999);
    expect(calls).toEqual(['close 1000 consumer busy']);
    advance(1);
    expect(calls).toEqual(['close 1000 consumer busy', 'terminate']);
    expect(pending()).toBe(0);
  });

  it('holds no timer once the close is done, and terminates at once with no grace or a socket not open', () => {
    const { scheduler, pending } = heldTimers();
    const open = recordingSocket();
    endSocket(open.socket, 1000, 'closed', scheduler, 2_000);
    open.socket.onclose?.({ code: 1000, reason: '' });
    expect(pending()).toBe(0);
    const connecting = recordingSocket(0);
    endSocket(connecting.socket, 1000, 'closed', scheduler, 2_000);
    expect(connecting.calls).toEqual(['terminate']);
    const idle = recordingSocket();
    endSocket(idle.socket, 4001, 'idle', scheduler, 0);
    expect(idle.calls).toEqual(['terminate']);
  });
});
