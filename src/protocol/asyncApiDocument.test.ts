import { describe, expect, it } from 'vitest';
import { ASYNCAPI_DEFAULT_HOST, asyncApiDocument, servedAsyncApiText } from './asyncApiDocument.js';

const text = JSON.stringify(asyncApiDocument('1.2.3'));
const serverOf = (served: string) => Object.values((JSON.parse(served) as ReturnType<typeof asyncApiDocument>).servers);

describe('servedAsyncApiText', () => {
  it('names the host the client asked on, and wss when it came over https', () => {
    expect(serverOf(servedAsyncApiText(text, 'pipeline.example:443', true))).toEqual([
      expect.objectContaining({ host: 'pipeline.example:443', protocol: 'wss' }),
    ]);
    expect(serverOf(servedAsyncApiText(text, '[::1]:8001', false))).toEqual([
      expect.objectContaining({ host: '[::1]:8001', protocol: 'ws' }),
    ]);
  });

  it('keeps the default host for a Host that is not a plain host[:port], and changes nothing else', () => {
    for (const host of ['', 'a"b', 'evil.example/path', 'x y', 'h:1:2', `${'a'.repeat(254)}`]) {
      const served = servedAsyncApiText(text, host, false);
      expect(served).toBe(text);
      expect(serverOf(served)[0]!.host).toBe(ASYNCAPI_DEFAULT_HOST);
    }
    expect(JSON.parse(servedAsyncApiText(text, 'h.example', false))).toEqual({
      ...JSON.parse(text),
      servers: { local: expect.objectContaining({ host: 'h.example' }) },
    });
  });
});
