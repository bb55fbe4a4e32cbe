import { describe, expect, it } from 'vitest';
import { cliWording, integerFlag, messageCapOf, printable, serverOf, UsageError } from './command.js';

describe('serverOf', () => {
  it('takes --url, then PIPELINE_URL, then the default, and the key likewise', () => {
    expect(serverOf({ url: 'https://a.example', 'api-key': 'k' }, { PIPELINE_URL: 'http://b', API_KEY: 'e' })).toEqual({
      url: 'https://a.example',
      apiKey: 'k',
    });
    expect(serverOf({}, { PIPELINE_URL: 'http://b:9', API_KEY: 'e' })).toEqual({ url: 'http://b:9', apiKey: 'e' });
    expect(serverOf({}, {})).toEqual({ url: 'http://localhost:8001', apiKey: undefined });
    expect(serverOf({}, { PIPELINE_URL: '' }).url).toBe('http://localhost:8001');
  });

  it('refuses a key no HTTP header can carry, naming where it came from and not showing it', () => {
    // Before: fetch's error quoted the key, and the run exited 3 as if the server could not be reached.
    const cases: ReadonlyArray<readonly [string, number]> = [
      ['abc\ndef', 4],
      ['secret\r', 7],
      ['ключ', 1],
      ['a\u0000', 2],
    ];
    for (const [key, at] of cases) {
      expect(() => serverOf({}, { API_KEY: key })).toThrow(UsageError);
      expect(() => serverOf({}, { API_KEY: key })).toThrow(
        `API_KEY: holds a control character or one past U+00FF (character ${at}), which no HTTP header can carry; the key is not shown`,
      );
      expect(() => serverOf({ 'api-key': key }, {})).toThrow(/^--api-key: holds a control character/);
    }
    expect(serverOf({ 'api-key': 'k é ~' }, {}).apiKey).toBe('k é ~');
    expect(() => serverOf({ 'api-key': '  ab\ncd' }, {})).toThrow(/\(character 5\)/);
  });

  it('trims spaces and tabs at the ends of a key, as HTTP trims a header (the WebSocket refused such a key)', () => {
    expect(serverOf({ 'api-key': '  key  ' }, {}).apiKey).toBe('key');
    expect(serverOf({}, { API_KEY: '\tkey with spaces \t' }).apiKey).toBe('key with spaces');
    expect(serverOf({ 'api-key': '   ' }, {}).apiKey).toBe('');
  });

  it('refuses a URL that is not http(s), naming where it came from', () => {
    expect(() => serverOf({ url: '' }, {})).toThrow('--url: expected an http(s) URL');
    for (const url of ['notaurl', 'localhost:8001', 'ws://localhost:8001', 'ftp://x']) {
      expect(() => serverOf({ url }, {})).toThrow(UsageError);
      expect(() => serverOf({ url }, {})).toThrow(
        `--url: expected an http(s) URL such as http://localhost:8001, got ${JSON.stringify(url)}`,
      );
      expect(() => serverOf({}, { PIPELINE_URL: url })).toThrow(/^PIPELINE_URL: /);
    }
  });

  it('refuses an http(s) URL that paths cannot be added to, saying why', () => {
    const cases: ReadonlyArray<readonly [string, string]> = [
      ['http://127.0.0.1:8001 ', 'a space or a control character'],
      [' http://127.0.0.1:8001', 'a space or a control character'],
      ['http://127.0.0.1:8001\t', 'a space or a control character'],
      ['http://127.0.0.1:8001/?x=1', 'no query or fragment'],
      ['http://127.0.0.1:8001#top', 'no query or fragment'],
      ['http://127.0.0.1:8001?', 'no query or fragment'],
      ['http://me:pw@127.0.0.1:8001', 'no user or password'],
      ['http://h:p', 'http://h:p"'],
    ];
    for (const [url, why] of cases) {
      expect(() => serverOf({ url }, {}), url).toThrow(UsageError);
      expect(() => serverOf({ url }, {}), url).toThrow(
        `--url: expected an http(s) URL such as http://localhost:8001, got ${JSON.stringify(url)}`,
      );
      expect(() => serverOf({ url }, {}), url).toThrow(why);
    }
    expect(serverOf({ url: 'http://proxy.example/pipeline/' }, {}).url).toBe('http://proxy.example/pipeline/');
  });
});

describe('serverOf', () => {
  it('names a port past 65535 rather than calling the URL invalid', () => {
    expect(() => serverOf({ url: 'http://127.0.0.1:99999' }, {})).toThrow(
      new UsageError(
        '--url: expected an http(s) URL such as http://localhost:8001, got "http://127.0.0.1:99999" (port 99999 is past 65535)',
      ),
    );
    expect(() => serverOf({ url: 'http://[::1]:70000/' }, {})).toThrow('(port 70000 is past 65535)');
    expect(serverOf({ url: 'http://127.0.0.1:65535' }, {}).url).toBe('http://127.0.0.1:65535');
  });
});

describe('integerFlag', () => {
  it('names a one-letter flag with one dash and a long one with two', () => {
    expect(() => integerFlag('n', 'abc', 1)).toThrow(new UsageError('-n: expected an integer ≥ 1, got "abc"'));
    expect(() => integerFlag('limit', '0', 1)).toThrow(new UsageError('--limit: expected an integer ≥ 1, got "0"'));
    expect(integerFlag('n', '5', 1)).toBe(5);
    expect(integerFlag('n', undefined, 1)).toBeUndefined();
  });

  it('reads decimal digits only, as the server reads limit', () => {
    for (const text of ['1e3', '0x10', '10.0', ' 12', '+5', '']) {
      expect(() => integerFlag('n', text, 1)).toThrow(
        new UsageError(`-n: expected an integer ≥ 1 in decimal digits, got ${JSON.stringify(text)}`),
      );
    }
    expect(() => integerFlag('to', '99999999999999999999', 1)).toThrow(
      new UsageError('--to: expected an integer from 1 to 9007199254740991 (2^53 - 1), got "99999999999999999999"'),
    );
    expect(() => integerFlag('from', '9007199254740993', 1)).toThrow('from 1 to 9007199254740991 (2^53 - 1)');
    expect(integerFlag('from', '007', 1)).toBe(7);
  });
});

describe('messageCapOf', () => {
  it("reads --max-message-bytes as the SDK's maxMessageBytes, from 1 to 2^31-1 in decimal digits", () => {
    expect(messageCapOf({})).toEqual({});
    expect(messageCapOf({ 'max-message-bytes': '8388608' })).toEqual({ maxMessageBytes: 8_388_608 });
    expect(messageCapOf({ 'max-message-bytes': '2147483647' })).toEqual({ maxMessageBytes: 2 ** 31 - 1 });
    const range = '--max-message-bytes: expected an integer from 1 to 2147483647';
    expect(() => messageCapOf({ 'max-message-bytes': '0' })).toThrow(new UsageError(`${range}, got "0"`));
    expect(() => messageCapOf({ 'max-message-bytes': '2147483648' })).toThrow(
      new UsageError(`${range}, got "2147483648"`),
    );
    expect(() => messageCapOf({ 'max-message-bytes': '8e6' })).toThrow(
      new UsageError(`${range} in decimal digits, got "8e6"`),
    );
  });
});

describe('printable', () => {
  it('escapes C0, DEL, C1 (0x9b is a CSI) and U+2028/U+2029, and leaves other text alone', () => {
    expect(printable('a\u001b[31mb\nc\u007f\u009b2J\u2028\u2029 é 日本 😀')).toBe(
      'a\\u001b[31mb\\u000ac\\u007f\\u009b2J\\u2028\\u2029 é 日本 😀',
    );
  });
});

describe('cliWording', () => {
  it("names the CLI's --url and --max-message-bytes where the SDK names its url and maxMessageBytes options", () => {
    expect(cliWording('closed 1006, and no connection has been made: check the url option')).toBe(
      'closed 1006, and no connection has been made: check --url',
    );
    expect(
      cliWording('event is 5 bytes as a message, over maxMessageBytes (4 bytes); … set maxMessageBytes to it'),
    ).toBe('event is 5 bytes as a message, over --max-message-bytes (4 bytes); … set --max-message-bytes to it');
  });
});
