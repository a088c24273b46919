/** Shared (Node + XS): the one UTF-8 module every part of src/ uses (src/text/utf8). */
import type { Json, Suite } from '../harness';
import { SCAN_INVALID_UTF8, SCAN_NULL_CHARACTER } from '../../src/mqtt/errors';
import {
  decodeUtf8,
  decodeUtf8Lenient,
  decodeUtf8OrThrow,
  encodeUtf8,
  nativeStrictUtf8Decoder,
  nativeUtf8Encoder,
  utf8Length,
  UTF8_INVALID,
  UTF8_NUL,
  writeUtf8,
} from '../../src/text/utf8';
import { fromHex, toHex } from '../mqtt/codec-vectors';

/** Malformed: overlongs, surrogates, > U+10FFFF, F5..FF, stray continuations, truncations. */
const MALFORMED = ['c0af', 'c080', 'c1bf', 'e080af', 'f08080af', 'eda080', 'edbfbf', 'f4908080', 'f5808080', 'ff', '80', '6180', 'e282', 'e26161', 'f09f8c'];

const SAMPLES = [
  '',
  'thermo-01',
  "A-Z a-z 0-9 -_.!~*'()",
  'é',
  'Grüße, 温度 °C',
  '\u0000\u007f\u0080\u07ff\u0800\uffff',
  '😀 thermometer 🌡️',
  '\ufeffa',
];

export const suite: Suite = {
  name: 'text/utf8',
  cases: [
    {
      name: 'lengths and writes match TextEncoder at code point boundaries; strict decoding inverts them',
      run: (t) => {
        const samples = ['\u007f', '\u0080', '\u07ff', '\u0800', '\ud7ff', '\ue000', '\uffff', '\u{10000}', '\u{10ffff}', 'a\u00e9\u20ac\u{1F321}z', ...SAMPLES];
        const encoder = new TextEncoder();
        const out: Json[] = [];
        for (const s of samples) {
          const reference = encoder.encode(s);
          t.equal(utf8Length(s), reference.length, `length of ${JSON.stringify(s)}`);
          const buffer = new Uint8Array(reference.length + 2);
          const end = writeUtf8(s, buffer, 1);
          t.equal(end, 1 + reference.length);
          t.equal(toHex(buffer.subarray(1, end)), toHex(reference));
          t.equal(toHex(encodeUtf8(s)), toHex(reference));
          t.equal(decodeUtf8(buffer, 1, end), s);
          t.equal(decodeUtf8OrThrow(buffer, 1, end), s);
          t.equal(decodeUtf8Lenient(buffer, 1, end), s);
          out.push(toHex(reference));
        }
        return out;
      },
    },
    {
      name: 'lone surrogates: utf8Length reports them and encodeUtf8 throws',
      run: (t) => {
        t.equal(utf8Length('\ud800\udc00'), 4);
        const lone = ['\ud800', 'a\udc00b', '\udc00\ud800', '\ud83d', 'x\ud800y', '\ud83d\ud83d'];
        for (const s of lone) {
          t.equal(utf8Length(s), UTF8_INVALID, JSON.stringify(s));
          t.equal(utf8Length(s, true), UTF8_INVALID, JSON.stringify(s));
          t.throws(() => encodeUtf8(s), /lone surrogate/);
        }
        return lone.map((s) => utf8Length(s));
      },
    },
    {
      name: 'U+0000 is refused only when asked (MQTT), and the first problem found wins',
      run: (t) => {
        t.equal(utf8Length('a\u0000b'), 3);
        t.equal(utf8Length('a\u0000b', true), UTF8_NUL);
        t.equal(utf8Length('\u0000\ud800', true), UTF8_NUL);
        t.equal(utf8Length('\ud800\u0000', true), UTF8_INVALID);
        t.equal(decodeUtf8(fromHex('610062'), 0, 3), 'a\u0000b');
        t.equal(decodeUtf8(fromHex('610062'), 0, 3, true), UTF8_NUL);
        t.equal(decodeUtf8(fromHex('00c3a9'), 0, 3, true), UTF8_NUL, 'U+0000 before non-ASCII');
        t.equal(decodeUtf8(fromHex('c3a900'), 0, 3, true), UTF8_NUL, 'U+0000 after non-ASCII');
        t.equal(decodeUtf8(fromHex('00c0af'), 0, 3, true), UTF8_INVALID, 'malformed wins over U+0000');
        t.equal(decodeUtf8OrThrow(fromHex('00')), '\u0000');
        // The MQTT codec hands these codes on as its own scan codes.
        t.equal(UTF8_INVALID, SCAN_INVALID_UTF8);
        t.equal(UTF8_NUL, SCAN_NULL_CHARACTER);
        return [UTF8_INVALID, UTF8_NUL];
      },
    },
    {
      name: 'strict decoding refuses malformed input; decodeUtf8OrThrow throws RangeError',
      run: (t) => {
        for (const hex of MALFORMED) {
          const bytes = fromHex(hex);
          t.equal(decodeUtf8(bytes, 0, bytes.length), UTF8_INVALID, `invalid ${hex}`);
          t.equal(decodeUtf8(bytes, 0, bytes.length, true), UTF8_INVALID, `invalid ${hex}`);
          t.throws(() => decodeUtf8OrThrow(bytes), /invalid UTF-8/);
        }
        // Only the given range counts: a valid middle of a malformed buffer decodes.
        t.equal(decodeUtf8(fromHex('ffc3a9ff'), 1, 3), 'é');
        t.equal(decodeUtf8(fromHex('e282ac'), 0, 2), UTF8_INVALID, 'truncated by the range');
        t.equal(decodeUtf8OrThrow(fromHex('efbbbf61')), '\ufeffa', 'a leading BOM is kept');
        return MALFORMED.length;
      },
    },
    {
      name: 'lenient decoding replaces each maximal invalid subpart with U+FFFD',
      run: (t) => {
        const table: [string, string][] = [
          ['48c3a9ffe28241f09f9880eda080c0af', 'Hé\ufffd\ufffdA😀\ufffd\ufffd\ufffd\ufffd\ufffd'],
          ['e080af', '\ufffd\ufffd\ufffd'],
          ['f09f98', '\ufffd'],
          ['f09f9841', '\ufffdA'],
          ['f4908080', '\ufffd\ufffd\ufffd\ufffd'],
          ['f5', '\ufffd'],
          ['e26161', '\ufffdaa'],
          ['61e282', 'a\ufffd'],
          ['efbbbf61', '\ufeffa'],
          ['610062', 'a\u0000b'],
        ];
        for (const [hex, expected] of table) t.equal(decodeUtf8Lenient(fromHex(hex)), expected, hex);
        t.equal(decodeUtf8Lenient(fromHex('ffc3a9ff'), 1, 3), 'é', 'range');
        return table.map(([hex]) => decodeUtf8Lenient(fromHex(hex)));
      },
    },
    {
      name: 'long text crosses the chunked String.fromCharCode paths in every decoder',
      run: (t) => {
        const long = 'x'.repeat(3000) + '\u00e9'.repeat(1500) + '😀'.repeat(700) + 'y'.repeat(2000);
        const bytes = encodeUtf8(long);
        t.equal(decodeUtf8(bytes, 0, bytes.length, true), long);
        t.equal(decodeUtf8OrThrow(bytes), long);
        t.equal(decodeUtf8Lenient(bytes), long);
        const ascii = new Uint8Array(10000).fill(65);
        t.equal(decodeUtf8(ascii, 0, ascii.length), 'A'.repeat(10000));
        t.equal(decodeUtf8Lenient(ascii), 'A'.repeat(10000));
        let codePoints = 0; // not long.length: on Moddable's XS that counts code points already
        for (const _ of long) codePoints++;
        return [bytes.length, codePoints];
      },
    },
    {
      name: 'the native encoder and strict decoder, where the engine has them, agree with the hand-written code',
      run: (t) => {
        const encoder = nativeUtf8Encoder();
        const decoder = nativeStrictUtf8Decoder();
        t.ok(encoder !== undefined, 'Node and xsnap both have TextEncoder');
        t.ok(decoder !== undefined, 'Node and xsnap both have a fatal TextDecoder');
        const out: Json[] = [];
        for (const s of SAMPLES) {
          const n = utf8Length(s);
          const ours = new Uint8Array(n);
          writeUtf8(s, ours, 0);
          const native = new Uint8Array(n);
          const r = encoder!.encodeInto(s, native);
          t.equal(r.written, n);
          t.equal(toHex(native), toHex(ours));
          t.equal(decoder!.decode(ours), s);
          out.push(r.written);
        }
        for (const hex of MALFORMED) t.throws(() => decoder!.decode(fromHex(hex)), undefined, `native refuses ${hex}`);
        return out;
      },
    },
  ],
};
