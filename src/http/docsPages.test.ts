import { describe, expect, it } from 'vitest';
import { asyncApiDocument } from '../protocol/asyncApiDocument.js';
import { asyncApiPage, escapeHtml, markdownHtml } from './docsPages.js';

describe('markdownHtml', () => {
  it('escapes HTML before applying **bold** and `code`', () => {
    expect(markdownHtml('a <script>x</script> **b** `c<d>`')).toBe(
      '<p>a &#60;script&#62;x&#60;/script&#62; <strong>b</strong> <code>c&#60;d&#62;</code></p>',
    );
  });

  it('turns pipe tables into tables and blank-line blocks into paragraphs', () => {
    const html = markdownHtml('one\ntwo\n\n| A | B |\n|---|---|\n| 1 | `x` |');
    expect(html).toBe(
      '<p>one two</p>\n<table><thead><tr><th>A</th><th>B</th></tr></thead><tbody><tr><td>1</td><td><code>x</code></td></tr></tbody></table>',
    );
  });
});

describe('asyncApiPage', () => {
  it('renders every message of the document under its channel, with no script', () => {
    const doc = asyncApiDocument('1.2.3');
    const html = asyncApiPage(doc);
    expect(html).not.toContain('<script');
    for (const message of Object.values(doc.components.messages)) expect(html).toContain(escapeHtml(message.title));
    expect(html.indexOf('/ws/publish')).toBeLessThan(html.indexOf('/ws/subscribe'));
    expect(html).toContain('client → server');
    expect(html).toContain('server → client');
  });
});
