// Ids as text a reader can trust: characters that are invisible or reorder what follows are shown by name.
import { el } from './dom.js';

/**
 * Controls and format characters (bidi overrides and isolates, zero-width ones, the BOM, soft hyphen, tags), line
 * and paragraph separators, spaces other than U+0020, and the blank Hangul fillers. Hint: "\u202E10-tneduts"
 * displays as "student-01", and "student\u200B-01" looks exactly like "student-01".
 */
const HIDDEN = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Zs}\u115F\u1160\u3164\uFFA0]|\u034F/gu;

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
