import * as v from 'valibot';
import { CliError, EXIT } from './command.js';

/** GET a JSON document from the server; unreachable → exit 3, 401/403 → exit 4, other errors → exit 1. */
export async function getJson(base: string, path: string, apiKey: string | undefined): Promise<unknown> {
  const url = new URL(path, base.endsWith('/') ? base : `${base}/`);
  let response: Response;
  try {
    response = await fetch(url, { headers: apiKey === undefined ? {} : { 'X-API-Key': apiKey } });
  } catch (error) {
    throw new CliError(
      `cannot reach ${url.origin}: ${(error as Error).cause instanceof Error ? ((error as Error).cause as Error).message : (error as Error).message}`,
      EXIT.unreachable,
    );
  }
  const text = await response.text();
  if (response.status === 401 || response.status === 403)
    throw new CliError(`${response.status}: the server refused the API key (${text})`, EXIT.unauthorized);
  if (!response.ok) throw new CliError(`${response.status} from ${url.pathname}: ${detailText(text)}`, EXIT.failed);
  return JSON.parse(text);
}

/** Fail fast with the right exit code when the server is down or refuses the key (WebSocket errors say less). */
export async function checkServer(base: string, apiKey: string | undefined): Promise<void> {
  await getJson(base, 'stats', apiKey);
}

/** The server's error body: `{detail}` as a string, or as a list naming each field (`msg` starts with the field). */
const DetailBody = v.object({ detail: v.union([v.string(), v.array(v.object({ msg: v.string() }))]) });

/** An error body as one line: the server's detail, or each field's message, else the body as sent. */
export function detailText(body: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return body;
  }
  const result = v.safeParse(DetailBody, parsed);
  if (!result.success) return body;
  const { detail } = result.output;
  return typeof detail === 'string' ? detail : detail.map((item) => item.msg).join('; ');
}
