import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ASYNCAPI_DEFAULT_HOST, asyncApiDocument, servedAsyncApiText } from './asyncApiDocument.js';
import { parseSubscriberMessage } from './subscriberMessage.js';

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

interface Node {
  readonly type?: string;
  readonly pattern?: string;
  readonly maxLength?: number;
  readonly minItems?: number;
  readonly anyOf?: readonly Node[];
  readonly properties?: Readonly<Record<string, Node>>;
}

const schemas = asyncApiDocument('0').components.schemas as Record<string, Node>;
/** The string form of a nullable field. */
const stringOf = (node: Node | undefined) => node?.anyOf?.find((option) => option.type === 'string') ?? node;
/** What a JSON Schema string node accepts (maxLength counts code points, as JSON Schema does). */
const accepts = (node: Node | undefined, text: string) =>
  new RegExp(node?.pattern ?? '', 'u').test(text) && [...text].length <= (node?.maxLength ?? Number.POSITIVE_INFINITY);

describe('asyncApiDocument schemas', () => {
  it("states the server's `source` filter rule in subscribe and update_filters", () => {
    const subscribe = stringOf(schemas.subscribe?.properties?.source);
    const filters = schemas.updateFilters?.properties?.filters?.anyOf?.find((node) => node.type === 'object');
    const update = stringOf(filters?.properties?.source);
    // Before: both were a bare string; the server refused `{"source":"has space"}` and a 101-character source.
    fc.assert(
      fc.property(fc.oneof(fc.stringMatching(/^[A-Za-z0-9_.\- ]{0,110}$/), fc.string({ maxLength: 4 })), (source) => {
        const live = parseSubscriberMessage({ type: 'update_filters', filters: { source } }, 'live').type;
        const first = parseSubscriberMessage({ source }, 'subscribe').type;
        expect(accepts(subscribe, source), source).toBe(first === 'subscribe');
        expect(accepts(update, source), source).toBe(live === 'update_filters');
      }),
      { numRuns: 300 },
    );
    expect(accepts(subscribe, 'x'.repeat(101))).toBe(false);
  });

  it('asks for at least one event in a batch, as an array or in an envelope', () => {
    const [, array, envelope] = schemas.publish?.anyOf ?? [];
    // Before: `[]` and `{"events":[]}` matched, though the server answers "must contain at least one event".
    expect(array?.minItems).toBe(1);
    expect(envelope?.properties?.events?.minItems).toBe(1);
  });
});
