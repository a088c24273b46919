// The hub's TLS identity: a local CA and a server certificate, made once and kept in the data dir.
import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import forge from 'node-forge';

export interface HubCerts {
  caPem: string;
  caPath: string;
  /** DER form of the CA, for Moddable manifests that embed trusted roots as resources */
  caDerPath: string;
  /**
   * The chain the server presents: its certificate followed by the CA, as IoT Hub sends its
   * leaf with the intermediate. Moddable's TLS (ssl/cert verify) checks the subjectAltName only
   * on certificates that have an issuer in the received chain, so a lone leaf fails there.
   */
  certPem: string;
  keyPem: string;
}

export interface CertPair {
  certPem: string;
  keyPem: string;
  /** upper-case hex SHA-1 of the DER certificate: the X.509 thumbprint IoT Hub registers */
  sha1: string;
  sha256: string;
}

const DAY = 24 * 3600 * 1000;

// Key generation via node:crypto is native and fast; forge only assembles and signs the certificates.
function newKeys(): { privateKey: forge.pki.rsa.PrivateKey; publicKey: forge.pki.rsa.PublicKey; keyPem: string } {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const keyPem = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  const forgeKey = forge.pki.privateKeyFromPem(keyPem) as forge.pki.rsa.PrivateKey;
  return { privateKey: forgeKey, publicKey: forge.pki.setRsaPublicKey(forgeKey.n, forgeKey.e), keyPem };
}

function serial(): string {
  // positive, 16 bytes
  return '01' + randomBytes(15).toString('hex');
}

export function thumbprints(certPem: string): { sha1: string; sha256: string } {
  const der = Buffer.from(forge.asn1.toDer(forge.pki.certificateToAsn1(forge.pki.certificateFromPem(certPem))).getBytes(), 'binary');
  return {
    sha1: createHash('sha1').update(der).digest('hex').toUpperCase(),
    sha256: createHash('sha256').update(der).digest('hex').toUpperCase(),
  };
}

export function makeCa(): { certPem: string; keyPem: string } {
  const keys = newKeys();
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = serial();
  cert.validity.notBefore = new Date(Date.now() - DAY);
  cert.validity.notAfter = new Date(Date.now() + 3650 * DAY);
  const name = [{ name: 'commonName', value: 'iothub-thermo local hub CA' }, { name: 'organizationName', value: 'iothub-thermo' }];
  cert.setSubject(name);
  cert.setIssuer(name);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
    // Its own key id, as OpenSSL's v3_ca does: Moddable's TLS looks up the issuer of the last
    // received certificate by this extension and fails without it.
    { name: 'authorityKeyIdentifier', keyIdentifier: true },
  ]);
  cert.sign(keys.privateKey, forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem: keys.keyPem };
}

export function makeServerCert(ca: { certPem: string; keyPem: string }, hostNames: string[]): { certPem: string; keyPem: string } {
  const caCert = forge.pki.certificateFromPem(ca.certPem);
  const caKey = forge.pki.privateKeyFromPem(ca.keyPem);
  const keys = newKeys();
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = serial();
  cert.validity.notBefore = new Date(Date.now() - DAY);
  // under 398 days, so strict TLS stacks accept it
  cert.validity.notAfter = new Date(Date.now() + 397 * DAY);
  cert.setSubject([{ name: 'commonName', value: hostNames[0] }]);
  cert.setIssuer(caCert.subject.attributes);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    { name: 'subjectAltName', altNames: [...hostNames.map((value) => ({ type: 2, value })), { type: 7, ip: '127.0.0.1' }] },
  ]);
  cert.sign(caKey, forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem: keys.keyPem };
}

function sanNames(certPem: string): string[] {
  const ext = forge.pki.certificateFromPem(certPem).getExtension('subjectAltName') as { altNames?: { type: number; value?: string }[] } | undefined;
  return (ext?.altNames ?? []).filter((n) => n.type === 2).map((n) => n.value ?? '');
}

/**
 * Loads the CA and server certificate from `dir`, creating what is missing. The server
 * certificate is remade (with the same CA) when a configured host name is not in its SAN or it
 * is about to expire, so devices that trust the CA keep working.
 */
export function ensureHubCerts(dir: string, hostNames: string[]): HubCerts {
  mkdirSync(dir, { recursive: true });
  const names = Array.from(new Set(['localhost', ...hostNames]));
  const caPath = join(dir, 'ca.pem');
  const caKeyPath = join(dir, 'ca-key.pem');
  const certPath = join(dir, 'server.pem');
  const keyPath = join(dir, 'server-key.pem');
  const caDerPath = join(dir, 'ca.der');
  let ca: { certPem: string; keyPem: string };
  if (existsSync(caPath) && existsSync(caKeyPath)) {
    ca = { certPem: readFileSync(caPath, 'utf8'), keyPem: readFileSync(caKeyPath, 'utf8') };
  } else {
    ca = makeCa();
    writeFileSync(caKeyPath, ca.keyPem, { mode: 0o600 });
    writeFileSync(caPath, ca.certPem);
  }
  if (!existsSync(caDerPath)) {
    writeFileSync(caDerPath, Buffer.from(forge.asn1.toDer(forge.pki.certificateToAsn1(forge.pki.certificateFromPem(ca.certPem))).getBytes(), 'binary'));
  }
  let server: { certPem: string; keyPem: string } | undefined;
  if (existsSync(certPath) && existsSync(keyPath)) {
    const certPem = readFileSync(certPath, 'utf8');
    const present = sanNames(certPem);
    const fresh = forge.pki.certificateFromPem(certPem).validity.notAfter.getTime() > Date.now() + 7 * DAY;
    if (fresh && names.every((n) => present.includes(n))) server = { certPem, keyPem: readFileSync(keyPath, 'utf8') };
  }
  if (!server) {
    server = makeServerCert(ca, names);
    writeFileSync(keyPath, server.keyPem, { mode: 0o600 });
    writeFileSync(certPath, server.certPem);
  }
  return { caPem: ca.certPem, caPath, caDerPath, certPem: chain(server.certPem, ca.certPem), keyPem: server.keyPem };
}

function chain(leafPem: string, caPem: string): string {
  return `${leafPem.trimEnd()}\n${caPem.trimEnd()}\n`;
}

/**
 * A client certificate (CN = `commonName`) signed by `ca`, for CA-based X.509 authentication.
 * The key is PKCS#8 PEM: what Moddable's ssl/cert (PKCS8.parse) takes as `clientKey` in DER.
 */
export function createSignedClientCertificate(ca: { certPem: string; keyPem: string }, commonName: string, days = 30): CertPair {
  const caCert = forge.pki.certificateFromPem(ca.certPem);
  const caKey = forge.pki.privateKeyFromPem(ca.keyPem);
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const keyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const forgeKey = forge.pki.privateKeyFromPem(keyPem) as forge.pki.rsa.PrivateKey;
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.setRsaPublicKey(forgeKey.n, forgeKey.e);
  cert.serialNumber = serial();
  cert.validity.notBefore = new Date(Date.now() - DAY);
  cert.validity.notAfter = new Date(Date.now() + days * DAY);
  cert.setSubject([{ name: 'commonName', value: commonName }]);
  cert.setIssuer(caCert.subject.attributes);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', clientAuth: true },
  ]);
  cert.sign(caKey, forge.md.sha256.create());
  const certPem = forge.pki.certificateToPem(cert);
  return { certPem, keyPem, ...thumbprints(certPem) };
}

/** A self-signed device certificate (CN = device id) for X.509 thumbprint authentication. */
export function createDeviceCertificate(commonName: string, days = 365): CertPair {
  const keys = newKeys();
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = serial();
  cert.validity.notBefore = new Date(Date.now() - DAY);
  cert.validity.notAfter = new Date(Date.now() + days * DAY);
  const name = [{ name: 'commonName', value: commonName }];
  cert.setSubject(name);
  cert.setIssuer(name);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', clientAuth: true },
  ]);
  cert.sign(keys.privateKey, forge.md.sha256.create());
  const certPem = forge.pki.certificateToPem(cert);
  return { certPem, keyPem: keys.keyPem, ...thumbprints(certPem) };
}
