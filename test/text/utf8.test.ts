/**
 * src/text/utf8 against the engine's own UTF-8 (fast-check), and the MQTT codec without
 * TextEncoder/TextDecoder: it must load and give the same bytes and packets, in Node and in XS.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { decodeUtf8, decodeUtf8Lenient, decodeUtf8OrThrow, encodeUtf8, utf8Length, UTF8_INVALID, UTF8_NUL, writeUtf8 } from '../../src/text/utf8';
import { runInXs } from '../xs/lane';
import { codecRound } from './codec-round';

/** Bytes biased towards the edges of the UTF-8 ranges. */
const interesting = fc.oneof(fc.integer({ min: 0, max: 255 }), fc.constantFrom(0x00, 0x80, 0xbf, 0xc0, 0xc1, 0xc2, 0xdf, 0xe0, 0xed, 0xef, 0xf0, 0xf4, 0xf5, 0xa0, 0x9f, 0x90, 0x8f));
const anyText = fc.oneof(fc.string({ unit: 'binary', maxLength: 20 }), fc.string({ maxLength: 20 }));
const bytesLike = fc.oneof(fc.array(interesting, { maxLength: 12 }).map((a) => new Uint8Array(a)), anyText.map((s) => new TextEncoder().encode(s)));
/** Any UTF-16 units, lone surrogates included. */
const anyUnits = fc.array(fc.oneof(fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0xd800, max: 0xdfff })), { maxLength: 16 }).map((u) => String.fromCharCode(...u));

describe('text/utf8 against the engine', () => {
  it('strict decoding agrees with a fatal TextDecoder on arbitrary bytes (with and without U+0000 refusal)', () => {
    const native = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
    fc.assert(
      fc.property(bytesLike, (bytes) => {
        let expected: string | number;
        try {
          expected = native.decode(bytes);
        } catch {
          expected = UTF8_INVALID;
        }
        expect(decodeUtf8(bytes, 0, bytes.length)).toEqual(expected);
        const noNul = typeof expected === 'string' && expected.includes('\u0000') ? UTF8_NUL : expected;
        expect(decodeUtf8(bytes, 0, bytes.length, true)).toEqual(noNul);
        if (typeof expected === 'string') expect(decodeUtf8OrThrow(bytes)).toBe(expected);
        else expect(() => decodeUtf8OrThrow(bytes)).toThrow(RangeError);
      }),
      { numRuns: 5000 },
    );
  });

  it('lenient decoding agrees with a replacing TextDecoder (WHATWG maximal subparts)', () => {
    const native = new TextDecoder('utf-8', { ignoreBOM: true });
    fc.assert(
      fc.property(bytesLike, fc.nat(4), (bytes, cut) => {
        expect(decodeUtf8Lenient(bytes)).toBe(native.decode(bytes));
        const start = Math.min(cut, bytes.length);
        expect(decodeUtf8Lenient(bytes, start, bytes.length)).toBe(native.decode(bytes.subarray(start)));
      }),
      { numRuns: 5000 },
    );
  });

  it('utf8Length, writeUtf8 and encodeUtf8 agree with TextEncoder; lone surrogates are reported, not encoded', () => {
    const native = new TextEncoder();
    fc.assert(
      fc.property(fc.oneof(anyText, anyUnits), (text) => {
        const reference = native.encode(text);
        const wellFormed = !/\p{Surrogate}/u.test(text); // a lone surrogate, not half of a pair
        const length = utf8Length(text);
        if (wellFormed) {
          expect(length).toBe(reference.length);
          expect(encodeUtf8(text)).toEqual(reference);
          expect(decodeUtf8(reference, 0, reference.length)).toBe(text);
          const out = new Uint8Array(reference.length + 3);
          const end = writeUtf8(text, out, 3);
          expect(out.subarray(3, end)).toEqual(reference);
        } else {
          expect(length).toBe(UTF8_INVALID);
          expect(() => encodeUtf8(text)).toThrow(/lone surrogate/);
        }
        // With U+0000 refused, the first problem wins; which one is first is checked in the suite.
        const strict = utf8Length(text, true);
        if (!text.includes('\u0000')) expect(strict).toBe(length);
        else if (wellFormed) expect(strict).toBe(UTF8_NUL);
        else expect([UTF8_NUL, UTF8_INVALID]).toContain(strict);
      }),
      { numRuns: 5000 },
    );
  });
});

describe('the MQTT codec without TextEncoder/TextDecoder', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
    vi.resetModules();
  });

  it('loads in Node without them and encodes and decodes exactly as with them', async () => {
    const withNatives = codecRound();
    vi.stubGlobal('TextEncoder', undefined);
    vi.stubGlobal('TextDecoder', undefined);
    vi.resetModules();
    const utf8 = await import('../../src/text/utf8');
    expect(utf8.nativeUtf8Encoder()).toBeUndefined();
    expect(utf8.nativeStrictUtf8Decoder()).toBeUndefined();
    const round = await import('./codec-round');
    expect(round.codecRound()).toEqual(withNatives);
  });

  it('loads in XS without them (removed before the codec modules are evaluated) with the same results', () => {
    const [hidden, round] = runInXs('test/text/no-natives-entry.ts', [{ op: 'hiddenAtLoad' }, { op: 'round' }]);
    expect(hidden.reply).toEqual({ ok: true, value: true });
    expect(round.reply).toEqual({ ok: true, value: codecRound() });
  });
});
