/**
 * Text layout for the device's screen, independent of Poco so it is tested on Node: characters
 * the font cannot draw become a visible replacement mark, and text wraps into a fixed number of
 * lines, the last ending with an ellipsis when the text does not fit.
 *
 * Iterates by code point (`for...of`), which is right on both string representations: UTF-16 on
 * V8 and xsnap, code points on Moddable's XS.
 */

/** What layout needs from a font: the width of a string in pixels (0 when nothing is drawn). */
export interface TextMeasure {
  width(text: string): number;
}

/** U+FFFD REPLACEMENT CHARACTER: drawn for a character the font lacks. */
export const REPLACEMENT = '\ufffd';
/** U+2026 HORIZONTAL ELLIPSIS: the end of text that did not fit. */
export const ELLIPSIS = '\u2026';

/**
 * `text` with every character the font draws as nothing replaced by U+FFFD (a glyph, or an ASCII
 * substitute the font engine offers, counts as drawn). Spaces stay.
 */
export function withReplacementMarks(text: string, font: TextMeasure): string {
  let out = '';
  for (const ch of text) out += ch === ' ' || font.width(ch) > 0 ? ch : REPLACEMENT;
  return out;
}

/**
 * Greedy word wrap into at most `maxLines` lines no wider than `width`. A word wider than a line
 * is broken between characters. When the text does not fit, the last line is cut to leave room
 * for an ellipsis and ends with it.
 */
export function wrapText(text: string, font: TextMeasure, width: number, maxLines: number): string[] {
  const lines: string[] = [];
  let line = '';
  let overflow = false;
  const push = (): boolean => {
    lines.push(line);
    line = '';
    return lines.length < maxLines;
  };
  outer: for (const word of text.split(' ')) {
    if (word === '') continue;
    const candidate = line === '' ? word : `${line} ${word}`;
    if (font.width(candidate) <= width) {
      line = candidate;
      continue;
    }
    if (line !== '' && !push()) {
      overflow = true;
      break;
    }
    for (const ch of word) {
      if (line !== '' && font.width(line + ch) > width && !push()) {
        overflow = true;
        break outer;
      }
      line += ch;
    }
  }
  if (!overflow && line !== '') {
    if (lines.length < maxLines) lines.push(line);
    else overflow = true;
  }
  if (overflow && lines.length > 0) lines[lines.length - 1] = withEllipsis(lines[lines.length - 1]!, font, width);
  return lines;
}

/** `line` cut by whole characters until it and an ellipsis fit in `width`. */
function withEllipsis(line: string, font: TextMeasure, width: number): string {
  const chars: string[] = [];
  for (const ch of line) chars.push(ch);
  while (chars.length > 0 && font.width(chars.join('') + ELLIPSIS) > width) chars.pop();
  return chars.join('').trimEnd() + ELLIPSIS;
}
