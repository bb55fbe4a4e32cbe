/** HTML-escape text. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The little markdown the documents use: paragraphs, **bold**, `code`, and pipe tables. */
export function markdownHtml(text: string): string {
  const inline = (line: string) =>
    escapeHtml(line)
      .replace(/\*\*([^*]+)\*\*/g, '<strong>$1</strong>')
      .replace(/`([^`]+)`/g, '<code>$1</code>');
  const out: string[] = [];
  for (const block of text.split(/\n\s*\n/)) {
    const lines = block.split('\n').filter((line) => line.trim() !== '');
    if (lines.length > 0 && lines.every((line) => line.trim().startsWith('|'))) {
      const cells = (line: string) =>
        line
          .trim()
          .replace(/^\||\|$/g, '')
          .split('|');
      const [head, , ...rows] = lines;
      const th = cells(head!).map((c) => `<th>${inline(c.trim())}</th>`);
      const trs = rows.map(
        (r) =>
          `<tr>${cells(r)
            .map((c) => `<td>${inline(c.trim())}</td>`)
            .join('')}</tr>`,
      );
      out.push(`<table><thead><tr>${th.join('')}</tr></thead><tbody>${trs.join('')}</tbody></table>`);
    } else if (lines.length > 0) out.push(`<p>${lines.map(inline).join(' ')}</p>`);
  }
  return out.join('\n');
}

/** Swagger UI's page: its own stylesheet and scripts, served from swagger-ui-dist under /docs (no CDN). */
export const SWAGGER_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Realtime event pipeline: API docs</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="docs/swagger-ui.css">
<link rel="stylesheet" href="docs/docs.css">
</head>
<body>
<nav class="docs-nav">REST API (OpenAPI: <a href="openapi.json">openapi.json</a>) ·
<a href="docs/ws">WebSocket protocol</a> (AsyncAPI: <a href="asyncapi.json">asyncapi.json</a>) ·
<a href="dashboard">Dashboard</a></nav>
<div id="swagger-ui"></div>
<script src="docs/swagger-ui-bundle.js"></script>
<script src="docs/docs.js"></script>
</body>
</html>
`;

/** Starts Swagger UI on the OpenAPI document (a file, since the page's CSP allows no inline script). */
export const SWAGGER_INIT = `window.ui = SwaggerUIBundle({
  url: new URL('openapi.json', document.baseURI).href,
  dom_id: '#swagger-ui',
  deepLinking: true,
  tryItOutEnabled: false,
});
`;

/** Shared by /docs and /docs/ws. */
export const DOCS_CSS = `.docs-nav{font:14px sans-serif;padding:10px 20px;background:#1b1b1b;color:#ddd}
.docs-nav a{color:#8fd1ff}
.ws{font:15px/1.5 sans-serif;max-width:1000px;margin:0 auto;padding:0 20px 40px;color:#222}
.ws h2{border-bottom:1px solid #ccc;margin-top:2em}.ws h3{margin:1.4em 0 .3em}
.ws pre{background:#f5f5f5;padding:8px;overflow:auto;font-size:13px}
.ws table{border-collapse:collapse}.ws td,.ws th{border:1px solid #ccc;padding:3px 8px;text-align:left}
.ws .dir{font-size:12px;color:#666;font-weight:normal}
`;

/** The CSP of the docs pages: scripts and styles from this server only (Swagger UI sets inline styles). */
export const DOCS_CSP =
  "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'";

interface Channel {
  readonly address: string;
  readonly title: string;
  readonly description: string;
  readonly messages: Readonly<Record<string, unknown>>;
}

interface Operation {
  readonly action: 'send' | 'receive';
  readonly channel: { readonly $ref: string };
  readonly messages: readonly { readonly $ref: string }[];
}

interface MessageComponent {
  readonly title: string;
  readonly summary: string;
  readonly examples: readonly { readonly payload: unknown }[];
}

/** The parts of the AsyncAPI document the page renders. */
export interface AsyncApiView {
  readonly info: { readonly title: string; readonly version: string; readonly description: string };
  readonly channels: Readonly<Record<string, Channel>>;
  readonly operations: Readonly<Record<string, Operation>>;
  readonly components: {
    readonly schemas: Readonly<Record<string, unknown>>;
    readonly messages: Readonly<Record<string, MessageComponent>>;
  };
}

const json = (value: unknown) => `<pre>${escapeHtml(JSON.stringify(value, null, 2))}</pre>`;

function messageHtml(doc: AsyncApiView, name: string, direction: string): string {
  const message = doc.components.messages[name]!;
  return [
    `<h3 id="${escapeHtml(name)}">${escapeHtml(message.title)} <span class="dir">${direction}</span></h3>`,
    `<p>${markdownHtml(message.summary)}</p>`,
    '<details><summary>Schema</summary>',
    json(doc.components.schemas[name]),
    '</details>',
    ...message.examples.map((example) => json(example.payload)),
  ].join('\n');
}

/** /docs/ws: the AsyncAPI document as a page, rendered on the server (no script), one section per channel. */
export function asyncApiPage(doc: AsyncApiView): string {
  const sections: string[] = [];
  for (const [id, channel] of Object.entries(doc.channels)) {
    const parts = [`<h2>${escapeHtml(channel.address)}: ${escapeHtml(channel.title)}</h2>`];
    parts.push(markdownHtml(channel.description));
    for (const operation of Object.values(doc.operations)) {
      if (operation.channel.$ref !== `#/channels/${id}`) continue;
      const direction = operation.action === 'receive' ? 'client → server' : 'server → client';
      for (const ref of operation.messages) parts.push(messageHtml(doc, ref.$ref.split('/').pop()!, direction));
    }
    sections.push(parts.join('\n'));
  }
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>${escapeHtml(doc.info.title)}</title><link rel="icon" href="data:,">
<link rel="stylesheet" href="docs.css"></head>
<body>
<nav class="docs-nav"><a href="../docs">REST API</a> · WebSocket protocol (AsyncAPI 3:
<a href="../asyncapi.json">asyncapi.json</a>)</nav>
<main class="ws">
<h1>${escapeHtml(doc.info.title)} <small>${escapeHtml(doc.info.version)}</small></h1>
${markdownHtml(doc.info.description)}
${sections.join('\n')}
</main>
</body>
</html>
`;
}
