// Text a reader can trust: characters that are invisible, reorder what follows or stand for nothing are shown by name.
import { count, el } from './dom.js';

/**
 * Controls and format characters (bidi overrides and isolates, zero-width ones, the BOM, soft hyphen, tags), line
 * and paragraph separators, spaces other than U+0020, the blank Hangul fillers, lone surrogates, private-use
 * characters and noncharacters. Hint: "\u202E10-tneduts" displays as "student-01", "student\u200B-01" looks exactly
 * like "student-01", and a private-use character is whatever glyph a font puts there.
 */
const HIDDEN =
  /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Zs}\p{Cs}\p{Co}\p{Noncharacter_Code_Point}\u115F\u1160\u3164\uFFA0]|\u034F/gu;

/** `text` with every hidden character shown as ⟨U+XXXX⟩ and a newline as ⏎; the real value stays for lookups. */
export function visibleId(text) {
  if (text === null || text === undefined) return '';
  return String(text).replace(HIDDEN, (char) => {
    if (char === ' ') return char;
    if (char === '\n') return '⏎';
    return `⟨U+${char.codePointAt(0).toString(16).toUpperCase().padStart(4, '0')}⟩`;
  });
}

/** A cell showing an id with its hidden characters named, cut with an ellipsis (the title has it all). */
export function idCell(id) {
  return el('td', { class: 'cap', title: visibleId(id) }, visibleId(id));
}

/**
 * A value as JSON for one table cell: hidden characters named as in ids (a payload's "\u202Egnirts" showed as
 * "string"), cut to `max` characters. Hint: the cut never splits a surrogate pair, which would show as U+FFFD.
 */
export function brief(value, max = 90) {
  const text = visibleId(JSON.stringify(value) ?? '');
  if (text.length <= max) return text;
  const end = /[\uD800-\uDBFF]/.test(text[max - 2]) ? max - 2 : max - 1;
  return `${text.slice(0, end)}…`;
}

/** A session's users as a view lists them (the first few), saying how many more it has (`user_count`). */
export function usersText(view) {
  const more = (view.user_count ?? view.user_ids.length) - view.user_ids.length;
  const shown = view.user_ids.map(visibleId).join(', ');
  return more > 0 ? `${shown} (+${count(more)} more)` : shown;
}
