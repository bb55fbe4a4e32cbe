import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { keyProtocols, readOfferedProtocols, WS_KEY_PROTOCOL_PREFIX, WS_PROTOCOL } from './wsKeyProtocol.js';

// RFC 6455 protocol names are RFC 7230 tokens; the `ws` package and browsers refuse anything else.
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

describe('keyProtocols and readOfferedProtocols', () => {
  it('carry any key exactly, as tokens, and answer with the protocol that carries none', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', minLength: 1 }), (key) => {
        const offered = keyProtocols(key);
        expect(offered.every((name) => TOKEN.test(name))).toBe(true);
        expect(readOfferedProtocols(offered.join(', '))).toEqual({ answer: WS_PROTOCOL, apiKey: key });
        // Hint: browsers and `ws` join the list with ", "; a proxy may drop the space.
        expect(readOfferedProtocols(offered.join(','))).toEqual({ answer: WS_PROTOCOL, apiKey: key });
      }),
    );
  });

  it('answers with the first protocol offered that carries no key', () => {
    expect(readOfferedProtocols('')).toEqual({ answer: '', apiKey: null });
    expect(readOfferedProtocols('chat, pipeline')).toEqual({ answer: 'chat', apiKey: null });
    expect(readOfferedProtocols(`${WS_KEY_PROTOCOL_PREFIX}a2V5, chat`)).toEqual({ answer: 'chat', apiKey: 'key' });
  });

  it('answers a lone key protocol with itself, so the handshake still completes', () => {
    expect(readOfferedProtocols(`${WS_KEY_PROTOCOL_PREFIX}a2V5`)).toEqual({
      answer: `${WS_KEY_PROTOCOL_PREFIX}a2V5`,
      apiKey: 'key',
    });
  });

  it('reads a carrier that is not base64url, or not UTF-8, as no key', () => {
    expect(readOfferedProtocols(`pipeline, ${WS_KEY_PROTOCOL_PREFIX}a+b/`).apiKey).toBeNull();
    expect(readOfferedProtocols(`pipeline, ${WS_KEY_PROTOCOL_PREFIX}a`).apiKey).toBeNull();
    // 0xff 0xfe is not UTF-8.
    expect(readOfferedProtocols(`pipeline, ${WS_KEY_PROTOCOL_PREFIX}__4`).apiKey).toBeNull();
  });
});
