/**
 * Shared (Node + XS): the WebSocket handshake's, the Event Grid topics' and the ROM id's checks are scans, not
 * RegExps (mcsim's XS crashed in RegExp exec: src/device/per-sensor-map.ts), and answer as the
 * RegExps they replaced did, which this suite keeps as the oracle.
 */
import type { Suite } from './harness';
import { buildRequest, HandshakeReader } from '../src/websocket/handshake';
import { deviceTopics, expandTemplate } from '../src/eventgrid/topics';
import { validateTopicName } from '../src/mqtt/topic';
import { romFromHex } from '../src/onewire/rom';

const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';
const HEADERS = 'Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: mqtt\r\n\r\n';

function latin1Bytes(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i) & 0xff;
  return out;
}

/** What the status line RegExp answered: 'ok' (101), the refusal message, as HandshakeReader words it. */
function statusByRegExp(line: string): string {
  const m = /^HTTP\/1\.1 (\d{3})(?: (.*))?$/.exec(line);
  if (!m) return 'the response is not HTTP/1.1';
  if (m[1] !== '101') return `the server answered ${m[1]} ${m[2] ?? ''}`.trim() + ' instead of 101 Switching Protocols';
  return 'ok';
}

function statusByReader(line: string): string {
  const step = new HandshakeReader(KEY, 'mqtt').push(latin1Bytes(`${line}\r\n${HEADERS}`));
  return step.kind === 'done' ? 'ok' : step.kind === 'error' ? step.message : 'more';
}

/** Characters around every boundary the RegExps drew: controls, space, DEL, Latin-1, Unicode spaces. */
function probeChars(): string[] {
  const codes = [0, 9, 10, 11, 12, 13, 31, 32, 33, 47, 48, 57, 58, 126, 127, 128, 133, 159, 160, 255, 0x1680, 0x1fff, 0x2000, 0x200a, 0x200b, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000, 0xfeff, 0xfffe];
  return codes.map((c) => String.fromCharCode(c)).concat(['/', '+', '#', '{', '}', '😀']);
}

export const suite: Suite = {
  name: 'regexp-free',
  cases: [
    {
      name: 'the status line: every code and reason shape is refused or accepted as the RegExp did',
      run: (t) => {
        const lines = ['HTTP/1.1 101', 'HTTP/1.1 101 Switching Protocols', 'HTTP/1.1 101 ', 'HTTP/1.1 10', 'HTTP/1.1 1011', 'HTTP/1.1 101x', 'HTTP/1.0 101 OK', 'HTTP/1.1 abc', 'HTTP/1.1 404 Not Found', 'HTTP/1.1  101', 'http/1.1 101', 'HTTP/1.1 1a1 x', 'HTTP/1.1 101 a\x85b', 'HTTP/1.1 200 \xe4'];
        for (const ch of probeChars()) if (ch.charCodeAt(0) < 256 && ch !== '\n' && ch !== '\r') lines.push(`HTTP/1.1 101 a${ch}b`, `HTTP/1.1 30${ch}`);
        const out: string[] = [];
        for (const line of lines) {
          const answer = statusByReader(line);
          t.equal(answer, statusByRegExp(line), JSON.stringify(line));
          out.push(answer);
        }
        return out;
      },
    },
    {
      name: 'the request: a host, path or protocol with white space or a control is refused exactly where the RegExp refused it',
      run: (t) => {
        const refused: boolean[] = [];
        for (const ch of probeChars()) {
          const host = `a${ch}b`;
          let threw = false;
          try {
            buildRequest({ host, path: '/$iothub/websocket', protocol: 'mqtt', key: KEY });
          } catch {
            threw = true;
          }
          t.equal(threw, /[\s\0-\x1f\x7f]/.test(host), JSON.stringify(host));
          refused.push(threw);
        }
        return refused;
      },
    },
    {
      name: 'Event Grid topics: a name with a separator or wildcard, and a template with a {variable} left, are refused as the RegExps did',
      run: (t) => {
        const out: boolean[] = [];
        for (const ch of probeChars()) {
          for (const [name, template] of [[`dev${ch}1`, 'devices/{deviceId}/telemetry'], ['dev1', `devices/{deviceId}/t${ch}x`], ['dev1', `a/{b${ch}}/c`], ['dev1', `a/${ch}x}`]]) {
            let threw = false;
            try {
              deviceTopics(name, { telemetry: template });
            } catch {
              threw = true;
            }
            const byRegExp = name === '' || /[/+#]/.test(name) || /\{[^}]*\}/.test(expandTemplate(template, name)) || validateTopicName(expandTemplate(template, name)) !== undefined;
            t.equal(threw, byRegExp, JSON.stringify([name, template]));
            out.push(threw);
          }
        }
        return out;
      },
    },
    {
      name: 'ROM ids: 16 hex digits of either case are taken, any other character anywhere is refused as the RegExp did',
      run: (t) => {
        const valid = '28FF64D1A0160317';
        const out: boolean[] = [];
        for (const text of [valid, valid.toLowerCase(), valid.slice(1), valid + '0', ''].concat(probeChars().map((ch) => valid.slice(0, 7) + ch + valid.slice(8)), ['28ff64d1a016031\x10', '\x1028FF64D1A016031'])) {
          let format = false;
          try {
            romFromHex(text);
          } catch (e) {
            format = e instanceof Error && e.message.indexOf('16 hex digits') >= 0;
          }
          t.equal(format, !/^[0-9A-Fa-f]{16}$/.test(text), JSON.stringify(text));
          out.push(format);
        }
        return out;
      },
    },
  ],
};
