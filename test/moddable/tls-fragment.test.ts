/**
 * The TLS record size the firmware asks for (hosts/moddable/tls-fragment.ts, RFC 6066 §4):
 * Moddable's ssl/ssl_handshake.js sends max_fragment_length for the secure option
 * `tls_max_fragment_length`; the firmware asks for 4096 unless configured otherwise.
 */
import { describe, expect, it } from 'vitest';
import { checkFragmentLength, DEFAULT_FRAGMENT_LENGTH, requestFragmentLength } from '../../hosts/moddable/tls-fragment';
import * as fs from 'node:fs';

describe('TLS max_fragment_length request', () => {
  it('asks for 4 KB records by default, as the manifest config says', () => {
    const secure: Record<string, unknown> = {};
    requestFragmentLength(secure, DEFAULT_FRAGMENT_LENGTH);
    expect(secure).toEqual({ tls_max_fragment_length: 4096 });
    const manifest = JSON.parse(fs.readFileSync(new URL('../../manifest.json', import.meta.url), 'utf8')) as { config: { tlsMaxFragment: number } };
    expect(manifest.config.tlsMaxFragment).toBe(DEFAULT_FRAGMENT_LENGTH);
  });

  it('sends nothing for 0 and refuses lengths RFC 6066 does not define', () => {
    const secure: Record<string, unknown> = { protocolVersion: 0x303 };
    requestFragmentLength(secure, 0);
    expect(secure).toEqual({ protocolVersion: 0x303 });
    for (const n of [512, 1024, 2048, 4096]) expect(checkFragmentLength(n)).toBe(n);
    for (const n of [1, 256, 3000, 8192, 16384, -1, NaN]) expect(() => checkFragmentLength(n)).toThrow(RangeError);
  });
});
