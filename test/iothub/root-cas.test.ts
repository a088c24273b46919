/** Node-only: the bundled IoT Hub roots are the real certificates and match their PEM sources. */
import { X509Certificate } from 'node:crypto';
import * as fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderRootCas } from '../../resources/certs/generate';
import { ROOT_CAS, rootCaPems } from '../../src/iothub/root-cas';

// Published SHA-256 fingerprints (DigiCert and Microsoft PKI repositories).
const EXPECTED: Record<string, string> = {
  'CN=DigiCert Global Root G2': 'CB:3C:CB:B7:60:31:E5:E0:13:8F:8D:D3:9A:23:F9:DE:47:FF:C3:5E:43:C1:14:4C:EA:27:D4:6A:5A:B1:CB:5F',
  'CN=Microsoft RSA Root Certificate Authority 2017': 'C7:41:F7:0F:4B:2A:8D:88:BF:2E:71:C1:41:22:EF:53:EF:10:EB:A0:CF:A5:E6:4C:FA:20:F4:18:85:30:73:E0',
};

describe('bundled root CAs', () => {
  it('holds DigiCert Global Root G2 and Microsoft RSA Root CA 2017 with their published fingerprints', () => {
    expect(ROOT_CAS).toHaveLength(2);
    for (const [cn, fingerprint] of Object.entries(EXPECTED)) {
      const entry = ROOT_CAS.find((c) => c.subject.endsWith(cn));
      expect(entry, cn).toBeDefined();
      const cert = new X509Certificate(entry!.pem);
      expect(cert.fingerprint256).toBe(fingerprint);
      expect(entry!.fingerprint256).toBe(fingerprint);
      expect(cert.ca).toBe(true);
      expect(cert.checkIssued(cert)).toBe(true); // self-signed root
      expect(cert.verify(cert.publicKey)).toBe(true);
    }
  });

  it('the generated module is up to date with resources/certs/*.pem', () => {
    const generated = fs.readFileSync(new URL('../../src/iothub/root-cas.ts', import.meta.url), 'utf8');
    expect(generated).toBe(renderRootCas());
    expect(rootCaPems().every((p) => p.startsWith('-----BEGIN CERTIFICATE-----\n') && p.endsWith('-----END CERTIFICATE-----\n'))).toBe(true);
  });
});
