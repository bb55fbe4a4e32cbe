import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { slashRedirect } from './trailingSlash.js';

const redirect = slashRedirect(['/events', '/events/:id', '/api/v1/events', '/stats']);

describe('slashRedirect', () => {
  it('sends a known path with one trailing slash to the path without it, keeping the query', () => {
    expect(redirect('/events/', '')).toBe('/events');
    expect(redirect('/events/', 'limit=2&order=asc')).toBe('/events?limit=2&order=asc');
    expect(redirect('/events/evt_1/', '')).toBe('/events/evt_1');
    expect(redirect('/api/v1/events/', '')).toBe('/api/v1/events');
  });

  it('leaves alone paths without a slash, with two, unknown ones and the root', () => {
    for (const path of ['/events', '/events//', '/nope/', '/', '/stats/x/', '/events/a/b/', '//'])
      expect(redirect(path, ''), path).toBeNull();
  });

  it('never redirects to a path that ends in a slash or that no route serves', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^\/[a-z/:_1]{0,20}$/), (path) => {
        const target = redirect(path, '');
        if (target === null) return;
        expect(target.endsWith('/')).toBe(false);
        expect(redirect(`${target}/`, '')).toBe(target);
        expect(`${target}/`).toBe(path);
      }),
    );
  });
});
