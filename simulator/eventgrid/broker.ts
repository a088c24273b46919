/**
 * A local stand-in for an Event Grid namespace's MQTT broker: mosquitto (Debian's package)
 * configured as the namespace would be, on loopback.
 *
 *   Event Grid                                   here
 *   MQTT 5 over TLS 1.2+ on 8883                 a TLS listener (1.2 with ECDHE suites, and 1.3) on `port` (0: a free one)
 *   CA certificate registered in the namespace   a local CA; every client certificate is signed by it
 *   client authentication name                   the certificate's CN: `require_certificate` and
 *                                                `use_identity_as_username`, so a client can only be
 *                                                the name its certificate carries
 *   topic spaces + permission bindings           per-client ACL patterns (%u = authentication name):
 *                                                devices publish devices/%u/{telemetry,state,replies/#}
 *                                                and subscribe devices/%u/{commands/+,messages};
 *                                                the service (SERVICE_NAME) may use every topic
 * A publish outside the client's space gets PUBACK 0x87 Not authorized, as Event Grid answers
 * a publish its permission bindings do not allow.
 *
 * Files (private keys included) live in `dir`, never in the repository; the CA and the
 * certificates are made once and reused, so a firmware built with them keeps working.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import forge from 'node-forge';
import { createSignedClientCertificate, makeCa, makeServerCert } from '../hub/certs';

export const MOSQUITTO = '/usr/sbin/mosquitto';
/** The authentication name of the cloud-side client (the operator's application). */
export const SERVICE_NAME = 'thermo-service';
/** The TLS name the broker's certificate carries, standing for `{namespace}.{region}-1.ts.eventgrid.azure.net`. */
export const LOCAL_HOST_NAME = 'thermo.local-1.ts.eventgrid.azure.net';

export interface ClientCredentials {
  authenticationName: string;
  certPem: string;
  /** PKCS#8 PEM. */
  keyPem: string;
  certPath: string;
  keyPath: string;
}

export interface EventGridBrokerOptions {
  /** Where the certificates, configuration and log go. */
  dir: string;
  /** Port (0: a free one). Default 0. */
  port?: number;
  /** Authentication names of the devices to issue certificates for. */
  devices: string[];
}

export interface EventGridBroker {
  host: string;
  port: number;
  hostName: string;
  caPem: string;
  caPath: string;
  /** The CA in DER, for a Moddable manifest's resources. */
  caDerPath: string;
  device(name: string): ClientCredentials;
  service: ClientCredentials;
  log(): string;
  waitForLog(pattern: RegExp, timeoutMs?: number): Promise<string>;
  stop(): Promise<void>;
}

/** ACL standing in for the namespace's topic spaces and permission bindings. */
export function aclText(): string {
  return [
    `user ${SERVICE_NAME}`,
    'topic readwrite #',
    '',
    '# every device, by its authentication name (%u): topic template devices/${client.authenticationName}/...',
    'pattern write devices/%u/telemetry',
    'pattern write devices/%u/state',
    'pattern write devices/%u/replies/#',
    'pattern read devices/%u/commands/+',
    'pattern read devices/%u/messages',
    '',
  ].join('\n');
}

function der(pem: string): Buffer {
  return Buffer.from(forge.asn1.toDer(forge.pki.certificateToAsn1(forge.pki.certificateFromPem(pem))).getBytes(), 'binary');
}

/** Reads a PEM pair from `dir`, or makes it with `make` and writes it (the key mode 0600). */
function pair(dir: string, name: string, make: () => { certPem: string; keyPem: string }): { certPem: string; keyPem: string; certPath: string; keyPath: string } {
  const certPath = path.join(dir, `${name}.pem`);
  const keyPath = path.join(dir, `${name}-key.pem`);
  if (!(fs.existsSync(certPath) && fs.existsSync(keyPath))) {
    const made = make();
    fs.writeFileSync(keyPath, made.keyPem, { mode: 0o600 });
    fs.writeFileSync(certPath, made.certPem);
  }
  return { certPem: fs.readFileSync(certPath, 'utf8'), keyPem: fs.readFileSync(keyPath, 'utf8'), certPath, keyPath };
}

/** A client's PEM pair plus DER copies (certificate, PKCS#8 key) for Moddable resources. */
function clientPair(dir: string, ca: { certPem: string; keyPem: string }, name: string): ClientCredentials {
  const p = pair(dir, `client-${name}`, () => createSignedClientCertificate(ca, name));
  const derCert = path.join(dir, `client-${name}.der`);
  if (!fs.existsSync(derCert)) fs.writeFileSync(derCert, der(p.certPem));
  const derKey = path.join(dir, `client-${name}-key.der`);
  if (!fs.existsSync(derKey)) {
    const body = p.keyPem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');
    fs.writeFileSync(derKey, Buffer.from(body, 'base64'), { mode: 0o600 });
  }
  return { authenticationName: name, certPem: p.certPem, keyPem: p.keyPem, certPath: p.certPath, keyPath: p.keyPath };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

const running = new Set<ChildProcess>();
let exitHook = false;

export async function startEventGridBroker(options: EventGridBrokerOptions): Promise<EventGridBroker> {
  if (!fs.existsSync(MOSQUITTO)) throw new Error(`${MOSQUITTO} not found: install Debian's mosquitto package (apt-get install mosquitto)`);
  if (!exitHook) {
    exitHook = true;
    process.on('exit', () => {
      for (const child of running) child.kill('SIGKILL');
    });
  }
  const dir = path.resolve(options.dir);
  fs.mkdirSync(dir, { recursive: true });
  const ca = pair(dir, 'ca', makeCa);
  const caDerPath = path.join(dir, 'ca.der');
  if (!fs.existsSync(caDerPath)) fs.writeFileSync(caDerPath, der(ca.certPem));
  const server = pair(dir, 'server', () => makeServerCert(ca, [LOCAL_HOST_NAME, 'localhost']));
  // The chain (leaf + CA): Moddable's TLS checks the server name only on a certificate whose issuer is in the chain.
  const chainPath = path.join(dir, 'server-chain.pem');
  fs.writeFileSync(chainPath, `${server.certPem.trimEnd()}\n${ca.certPem.trimEnd()}\n`);
  const devices = new Map<string, ClientCredentials>();
  for (const name of options.devices) devices.set(name, clientPair(dir, ca, name));
  const service = clientPair(dir, ca, SERVICE_NAME);

  const port = options.port || (await freePort());
  const aclPath = path.join(dir, 'acl');
  fs.writeFileSync(aclPath, aclText());
  const logPath = path.join(dir, 'mosquitto.log');
  fs.writeFileSync(logPath, '');
  const configPath = path.join(dir, 'mosquitto.conf');
  fs.writeFileSync(configPath, [
    'per_listener_settings true',
    'user root',
    `log_dest file ${logPath}`,
    'log_type all',
    'connection_messages true',
    'log_timestamp true',
    'persistence false',
    '',
    `listener ${port} 127.0.0.1`,
    'allow_anonymous false',
    'require_certificate true',
    'use_identity_as_username true',
    `cafile ${ca.certPath}`,
    `certfile ${chainPath}`,
    `keyfile ${server.keyPath}`,
    `acl_file ${aclPath}`,
    // TLS 1.2 key exchange by ECDHE only. Moddable's TLS signs a client certificate's
    // CertificateVerify only after RSA or ECDHE_RSA key exchange (ssl_handshake.js:
    // "certificateVerify: unimplemented" otherwise), and it offers DHE_RSA suites first, which
    // OpenSSL would take.
    'ciphers ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-SHA256:ECDHE-RSA-AES256-SHA384',
    '',
  ].join('\n'));

  let stderr = '';
  const child = spawn(MOSQUITTO, ['-c', configPath], { stdio: ['ignore', 'ignore', 'pipe'] });
  running.add(child);
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  child.once('exit', () => running.delete(child));
  const log = (): string => {
    try {
      return fs.readFileSync(logPath, 'utf8');
    } catch {
      return '';
    }
  };
  const deadline = Date.now() + 10_000;
  while (!(await canConnect(port))) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`mosquitto exited at startup: ${stderr}\n${log()}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`mosquitto did not open port ${port}: ${stderr}\n${log()}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }

  return {
    host: '127.0.0.1',
    port,
    hostName: LOCAL_HOST_NAME,
    caPem: ca.certPem,
    caPath: ca.certPath,
    caDerPath,
    service,
    device(name) {
      let d = devices.get(name);
      if (!d) {
        d = clientPair(dir, ca, name);
        devices.set(name, d);
      }
      return d;
    },
    log,
    async waitForLog(pattern, timeoutMs = 10_000) {
      const end = Date.now() + timeoutMs;
      for (;;) {
        const text = log();
        if (pattern.test(text)) return text;
        if (Date.now() > end) throw new Error(`the broker's log never matched ${pattern}:\n${text.slice(-3000)}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}
