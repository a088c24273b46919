/** The device screen's text layout (hosts/moddable/text-layout.ts) with a fake fixed-width font. */
import { describe, expect, it } from 'vitest';
import { ELLIPSIS, REPLACEMENT, withReplacementMarks, wrapText, type TextMeasure } from '../../hosts/moddable/text-layout';

/** 8 px a character the font has (Latin, Latin-1, Latin Extended-A, marks); 0 for others. */
const font: TextMeasure = {
  width(text) {
    let w = 0;
    for (const ch of text) {
      const cp = ch.codePointAt(0) as number;
      if (cp < 0x180 || ch === ELLIPSIS || ch === REPLACEMENT || ch === '—') w += 8;
    }
    return w;
  },
};

describe('screen text layout', () => {
  it('keeps what the font draws and marks what it lacks, one mark per character (emoji included)', () => {
    expect(withReplacementMarks('Küche Süd 21.5 °C — ok', font)).toBe('Küche Süd 21.5 °C — ok');
    expect(withReplacementMarks('温度 😀!', font)).toBe(`${REPLACEMENT}${REPLACEMENT} ${REPLACEMENT}!`);
  });

  it('wraps on spaces within the width and the line count', () => {
    expect(wrapText('Grüße aus der Küche', font, 80, 2)).toEqual(['Grüße aus', 'der Küche']);
    expect(wrapText('short', font, 80, 2)).toEqual(['short']);
    for (const line of wrapText('a bb ccc dddd eeeee ffffff', font, 64, 5)) expect(font.width(line)).toBeLessThanOrEqual(64);
  });

  it('breaks a word longer than a line and ends text that does not fit with an ellipsis', () => {
    const lines = wrapText('ü' + 'a'.repeat(1000), font, 80, 2);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toBe('ü' + 'a'.repeat(9));
    expect(lines[1]!.endsWith(ELLIPSIS)).toBe(true);
    expect(font.width(lines[1]!)).toBeLessThanOrEqual(80);
    const words = wrapText('one two three four five six seven eight', font, 80, 2);
    expect(words[1]!.endsWith(ELLIPSIS)).toBe(true);
    expect(words.every((l) => font.width(l) <= 80)).toBe(true);
  });
});
