/** Shared (Node + XS): base64 and URL encoding used by SAS and property bags (UTF-8: test/text). */
import type { Json, Suite } from '../harness';
import { Base64Error, base64Decode, base64Encode } from '../../src/iothub/base64';
import { UrlEncodingError, urlDecode, urlEncode } from '../../src/iothub/url-encoding';
import { hex, hmacSha256, sha256 } from './sha256';

function ascii(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}

/** Deterministic pseudo-random bytes (xorshift), the same in both engines. */
function bytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed | 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

const SAMPLES = [
  '',
  'thermo-01',
  'myhub.azure-devices.net/devices/thermo-01',
  "A-Z a-z 0-9 -_.!~*'()",
  'application/json',
  'utf-8',
  '$.ct',
  'k=v&x=y?z#f%20',
  'é',
  'Grüße, 温度 °C',
  '\u0000\u007f\u0080\u07ff\u0800\uffff',
  '😀 thermometer 🌡️',
  'a+b c',
];

export const suite: Suite = {
  name: 'iothub/encoding',
  cases: [
    {
      name: 'base64 matches the RFC 4648 vectors',
      run(t) {
        const vectors: [string, string][] = [
          ['', ''], ['f', 'Zg=='], ['fo', 'Zm8='], ['foo', 'Zm9v'],
          ['foob', 'Zm9vYg=='], ['fooba', 'Zm9vYmE='], ['foobar', 'Zm9vYmFy'],
        ];
        for (const [plain, coded] of vectors) {
          t.equal(base64Encode(ascii(plain)), coded, plain);
          t.equal(hex(base64Decode(coded)), hex(ascii(plain)), coded);
        }
        return vectors.map((v) => base64Encode(ascii(v[0])));
      },
    },
    {
      name: 'base64 round-trips every byte value and every tail length',
      run(t) {
        const all = new Uint8Array(256);
        for (let i = 0; i < 256; i++) all[i] = i;
        t.equal(hex(base64Decode(base64Encode(all))), hex(all));
        const out: Json[] = [];
        for (let n = 0; n <= 40; n++) {
          const b = bytes(n, 1000 + n);
          const coded = base64Encode(b);
          t.equal(coded.length, Math.ceil(n / 3) * 4, `length for ${n}`);
          t.equal(hex(base64Decode(coded)), hex(b), `round trip ${n}`);
          out.push(coded);
        }
        return [base64Encode(all), ...out];
      },
    },
    {
      name: 'base64 decoding refuses malformed input without quoting it',
      run(t) {
        const bad = ['abc', 'ab=c', 'a===', '====', 'ab c', 'Zg=', 'Zh==', 'Zm9=', 'Zm9v!A==', 'Zg==Zg==', '\u00e9abc'];
        const messages: string[] = [];
        for (const text of bad) {
          let message = '';
          try {
            base64Decode(text);
          } catch (e) {
            t.ok(e instanceof Base64Error, `${text}: Base64Error`);
            message = (e as Error).message;
          }
          t.ok(message !== '', `"${text}" must be refused`);
          if (text.length > 2) t.ok(message.indexOf(text) < 0, 'the message must not quote the input');
          messages.push(message);
        }
        return messages;
      },
    },
    {
      name: 'urlEncode equals the engine\'s encodeURIComponent',
      run(t) {
        const cases = SAMPLES.slice();
        let everyAscii = '';
        for (let c = 0; c < 128; c++) everyAscii += String.fromCharCode(c);
        cases.push(everyAscii);
        for (let c = 0x80; c < 0x3000; c += 37) cases.push(String.fromCharCode(c) + 'x');
        for (const text of cases) t.equal(urlEncode(text), encodeURIComponent(text), JSON.stringify(text));
        return cases.map(urlEncode);
      },
    },
    {
      name: 'urlDecode inverts urlEncode and equals decodeURIComponent',
      run(t) {
        for (const text of SAMPLES) {
          t.equal(urlDecode(urlEncode(text)), text, JSON.stringify(text));
        }
        const coded = ['%24.ct', 'a%2Fb', 'a+b', '%e2%82%ac', '%F0%9F%98%80', 'plain', '100%25'];
        for (const text of coded) t.equal(urlDecode(text), decodeURIComponent(text), text);
        t.equal(urlDecode('xx%41%42yy', 2, 8), 'AB', 'range');
        return coded.map((c) => urlDecode(c));
      },
    },
    {
      name: 'URL encoding refuses lone surrogates and malformed escapes, like the builtins',
      run(t) {
        const cannotEncode = ['\ud800', 'a\udc00b', '\ud83d'];
        for (const text of cannotEncode) {
          t.throws(() => urlEncode(text), /lone surrogate/);
          t.throws(() => encodeURIComponent(text), undefined, 'the builtin agrees');
        }
        const syntaxOnly = ['%', '%4', '%zz', '%C3', '%C3%28'];
        const cannotDecode = [...syntaxOnly, '%ED%A0%80', '%C0%80', '%F5%80%80%80'];
        for (const text of cannotDecode) {
          let ours = false;
          try {
            urlDecode(text);
          } catch (e) {
            ours = e instanceof UrlEncodingError;
          }
          t.ok(ours, `urlDecode(${text}) must throw UrlEncodingError`);
          // XS's decodeURIComponent accepts overlong forms and encoded surrogates (%C0%80,
          // %ED%A0%80), which the spec and V8 refuse; ours refuses them everywhere.
          if (syntaxOnly.indexOf(text) >= 0) t.throws(() => decodeURIComponent(text), undefined, `decodeURIComponent(${text}) agrees`);
        }
        return cannotDecode.length;
      },
    },
    {
      name: 'test SHA-256 and HMAC-SHA256 match FIPS 180-4 and RFC 4231 vectors',
      run(t) {
        t.equal(hex(sha256(ascii('abc'))), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
        t.equal(hex(sha256(ascii(''))), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
        t.equal(
          hex(sha256(ascii('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq'))),
          '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1',
        );
        t.equal(
          hex(hmacSha256(ascii('Jefe'), ascii('what do ya want for nothing?'))),
          '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
        );
        // RFC 4231 case 6: a 131-byte key (longer than the block) is hashed first.
        const key = new Uint8Array(131).fill(0xaa);
        t.equal(
          hex(hmacSha256(key, ascii('Test Using Larger Than Block-Size Key - Hash Key First'))),
          '60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54',
        );
        return hex(sha256(bytes(1000, 7)));
      },
    },
  ],
};
