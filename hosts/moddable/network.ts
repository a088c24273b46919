import { Socket } from 'socket';
import SecureSocket from 'securesocket';
import Resource from 'Resource';
import CertificateManager from 'ssl/cert';
import { base64Decode } from '../../src/iothub/base64';
import { ROOT_CAS } from '../../src/iothub/root-cas';
import type { Connection, ConnectionHandlers, ConnectOptions, Network } from '../../src/platform';
import { pemBodies } from '../../src/text/pem';
import { SocketConnection, type CallbackSocket } from './socket-connection';
import { checkFragmentLength, DEFAULT_FRAGMENT_LENGTH, requestFragmentLength } from './tls-fragment';

/** TLS 1.2 as ssl/session's protocolVersion: it is also the lowest version accepted. */
const TLS_1_2 = 0x303;

/** Root trusted when a TLS connection names no `ca` and no override is configured. */
export const DEFAULT_ROOT_RESOURCE = 'microsoft-rsa-root-2017.der';

/**
 * Resources (DER, in flash) for the roots of src/iothub/root-cas.ts, so the hub client's default
 * `ca` list costs no RAM: DigiCert Global Root G2 is the SDK store's ca170 (also what ssl/cert's
 * lookup by key identifier, ca.ski, finds), Microsoft RSA Root CA 2017 is not in that store.
 */
const ROOT_RESOURCES: Readonly<Record<string, string>> = Object.freeze({
  'digicert-global-root-g2.pem': 'ca170.der',
  'microsoft-rsa-root-ca-2017.pem': DEFAULT_ROOT_RESOURCE,
});

/** A DER certificate: bytes in RAM, or a Resource in flash (ssl/cert reads either). */
export type Der = ArrayBuffer | ResourceData;
type ResourceData = InstanceType<typeof Resource>;

export interface ModdableNetworkOptions {
  /**
   * Trusted roots (DER) for a TLS connection whose options carry no `ca` (e.g. the emulator's
   * CA from `hubCa`). Default: Microsoft RSA Root CA 2017 from resources. A `ca` list wins.
   */
  roots?: readonly Der[];
  /**
   * TLS record plaintext the device asks the server not to exceed, bytes: 512, 1024, 2048 or
   * 4096, 0 not to ask (./tls-fragment.ts: why). Default 4096. IoT Hub supports the extension
   * in preview; a server that ignores it still sends up to 16 KB.
   */
  maxFragmentLength?: number;
}

/**
 * TCP and TLS over Moddable's "socket" and "securesocket". TLS is pinned to 1.2 (Moddable's
 * default floor is 1.1), verification stays on, SNI/host check uses serverName or host.
 *
 * Every root of the connection's `ca` list is trusted. SecureSocket takes one root per
 * connection (`secure.certificate`); ssl/cert's static CertificateManager.register adds more
 * for all connections (kept for the process, deduplicated by content). Besides those,
 * ssl/cert trusts any root of the SDK store whose caN.der is among the resources (ca170).
 */
export class ModdableNetwork implements Network {
  private readonly maxFragmentLength: number;

  /** Throws RangeError when maxFragmentLength is not one of RFC 6066's values or 0. */
  constructor(private readonly options: ModdableNetworkOptions = {}) {
    this.maxFragmentLength = checkFragmentLength(options.maxFragmentLength ?? DEFAULT_FRAGMENT_LENGTH);
  }

  connect(options: ConnectOptions, handlers: ConnectionHandlers): Connection {
    const roots = options.tls ? this.rootsFor(options.tls.ca) : [];
    return new SocketConnection(() => openSocket(options, roots, this.maxFragmentLength), handlers);
  }

  private rootsFor(ca: readonly string[] | undefined): readonly Der[] {
    if (ca && ca.length > 0) {
      const roots: Der[] = [];
      for (const pem of ca) {
        const known = ROOT_CAS.find((c) => c.pem === pem);
        const name = known ? ROOT_RESOURCES[known.file] : undefined;
        if (name !== undefined && Resource.exists(name)) roots.push(new Resource(name));
        else for (const der of pemToDerList(pem)) roots.push(der);
      }
      return roots;
    }
    if (this.options.roots && this.options.roots.length > 0) return this.options.roots;
    return Resource.exists(DEFAULT_ROOT_RESOURCE) ? [new Resource(DEFAULT_ROOT_RESOURCE)] : [];
  }
}

/** Opens the SDK socket for one connection: TLS pinned to 1.2 with every root trusted, or plain TCP. */
function openSocket(options: ConnectOptions, roots: readonly Der[], maxFragmentLength: number): CallbackSocket {
  const tls = options.tls;
  if (!tls) return new Socket({ host: options.host, port: options.port }) as unknown as CallbackSocket;
  const secure: Record<string, unknown> = { protocolVersion: TLS_1_2, serverName: tls.serverName ?? options.host };
  requestFragmentLength(secure, maxFragmentLength);
  if (tls.cert !== undefined || tls.key !== undefined) {
    // SecureSocket's clientCertificates / clientKey (documentation/network/securesocket.md);
    // ssl/cert parses the key with PKCS8.parse and signs CertificateVerify with RSA only.
    if (!tls.cert || !tls.key) throw new Error('a TLS client certificate needs both cert and key');
    secure.clientCertificates = [clientDer(tls.cert, 'certificate')];
    secure.clientKey = clientDer(tls.key, 'key');
  }
  if (roots.length > 0) secure.certificate = roots[0];
  for (let i = 1; i < roots.length; i++) CertificateManager.register(roots[i]!);
  return new SecureSocket({ host: options.host, port: options.port, secure }) as unknown as CallbackSocket;
}

/**
 * A client certificate or key: the name of a DER resource (kept in flash), or PEM text. The key
 * must be an RSA key in unencrypted PKCS#8 (`BEGIN PRIVATE KEY`): Moddable's TLS takes no other.
 */
export function clientDer(value: string, what: 'certificate' | 'key'): Der {
  if (value.indexOf('-----BEGIN') < 0) {
    if (Resource.exists(value)) return new Resource(value);
    throw new Error(`client ${what}: no resource named "${value}" (add it to the manifest's resources)`);
  }
  if (what === 'key' && value.indexOf('-----BEGIN PRIVATE KEY-----') < 0) throw new Error('client key: only an unencrypted PKCS#8 RSA key (BEGIN PRIVATE KEY) is supported');
  return pemToDerList(value)[0]!;
}

/**
 * DER of each certificate in PEM text (a bundle may hold several), or of the whole text taken
 * as one base64 body when it has no PEM armour (src/text/pem.ts). Throws Base64Error on malformed
 * base64, an Error on a BEGIN line without its END.
 */
export function pemToDerList(pem: string): ArrayBuffer[] {
  return pemBodies(pem).map((body) => base64Decode(body).buffer as ArrayBuffer);
}
