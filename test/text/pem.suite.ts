/** Shared (Node + XS): PEM bodies found by loops (src/text/pem), as the RegExps they replaced found them. */
import type { Suite } from '../harness';
import { pemBodies } from '../../src/text/pem';

const A = 'MIIBszCCAVmgAwIBAgIUQ0xBYXVkaWVuY2U=';
const B = 'TUlJQ2hEQ0NBZ3VnQXdJQkFnSVFBPT0=';
const block = (label: string, body: string, eol = '\n'): string => `-----BEGIN ${label}-----${eol}${body.slice(0, 16)}${eol}${body.slice(16)}${eol}-----END ${label}-----${eol}`;

/** What hosts/moddable/network.ts computed with RegExps before. */
function byRegExp(pem: string): string[] {
  const blocks = pem.match(/-----BEGIN [^-]+-----[^-]*-----END [^-]+-----/g) ?? [pem];
  return blocks.map((b) => b.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''));
}

export const suite: Suite = {
  name: 'text/pem',
  cases: [
    {
      name: 'one block, a bundle of two with text between, CRLF line ends, and a bare base64 body with spaces',
      run: (t) => {
        const texts = [
          block('CERTIFICATE', A),
          `subject=CN=a\n${block('CERTIFICATE', A)}issuer=CN=b\n${block('CERTIFICATE', B)}`,
          block('PRIVATE KEY', B, '\r\n'),
          `  ${A.slice(0, 10)}\n\t${A.slice(10)} \r\n`,
          `\ufeff${A.slice(0, 10)}\f${A.slice(10, 20)}\v${A.slice(20)}\u00a0`,
        ];
        const out: string[][] = [];
        for (const text of texts) {
          const bodies = pemBodies(text);
          t.equal(JSON.stringify(bodies), JSON.stringify(byRegExp(text)));
          out.push(bodies);
        }
        t.equal(JSON.stringify(out[1]), JSON.stringify([A, B]));
        return out;
      },
    },
    {
      name: 'a BEGIN line without its END throws instead of taking the rest of the text as a body',
      run: (t) => {
        t.throws(() => pemBodies(`-----BEGIN CERTIFICATE-----\n${A}\n`), /without its END/);
        t.throws(() => pemBodies('-----BEGIN CERTIFICATE'), /without its END/);
      },
    },
  ],
};
