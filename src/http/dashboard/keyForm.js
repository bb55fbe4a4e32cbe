// The API key form: shown whenever the server refuses the key in use, and never submitted by the browser itself.
import { AuthError, currentKey, failureText, getJson, keyProblem, useKey } from './api.js';
import { badge, byId } from './dom.js';

/** Resolves with the next typed key; null while no key is asked for or one is being tried. */
let waiting = null;

/**
 * Handle every submit of the key form. Hint: a native submit is a GET that puts the key in the URL (the address bar,
 * the history); a second Connect while the first key is tried is ignored. The key is trimmed: HTTP trims a header,
 * so REST took " key " while the tail's upgrade, the key in a subprotocol, was refused and retried forever.
 */
export function wireKeyForm() {
  byId('key-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const key = byId('key-input').value.trim();
    const problem = keyProblem(key);
    if (problem !== '') return void showKeyError(problem);
    const resolve = waiting;
    waiting = null;
    resolve?.(key);
  });
}

/** Say under the form why a key was not taken. */
function showKeyError(text) {
  const error = byId('key-error');
  error.textContent = text;
  error.hidden = false;
}

/** The key typed into the form, once it is submitted. */
function typedKey() {
  return new Promise((resolve) => (waiting = resolve));
}

/** Wait until the server answers and takes our key (none, the one in use, or one typed into the form); its stats. */
export async function authorize(connection) {
  const form = byId('key-form');
  let typed = false;
  for (;;) {
    try {
      const stats = await getJson('/api/v1/stats');
      if (currentKey() !== '') useKey(currentKey(), true);
      form.hidden = true;
      return stats;
    } catch (error) {
      if (!(error instanceof AuthError)) {
        badge(connection, failureText(error), 'bad');
        await new Promise((resolve) => setTimeout(resolve, 2_000));
        continue;
      }
      badge(connection, currentKey() === '' ? 'API key needed' : 'API key refused', 'bad');
      const refused = byId('key-error');
      refused.hidden = currentKey() === '';
      refused.textContent = typed
        ? 'That key was refused.'
        : "The key in use was refused: the server's key may have changed.";
      form.hidden = false;
      useKey(await typedKey(), false);
      typed = true;
    }
  }
}
