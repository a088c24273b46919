/**
 * The firmware's DPS path (hosts/moddable/application.ts, provisionedHub) with `transport=auto`
 * on a network that blocks 8883, run on Node's Host against the emulator (no SDK needed: the
 * application module is host-neutral). DPS and the hub take the same transport choice: 8883 is
 * probed once (refused), DPS registers over wss, and the assigned hub is dialled straight on 443,
 * remembered from DPS. The test network stands in for DNS and the firewall: port 8883 refused,
 * 443 routed by host name to the emulator's DPS or hub wss endpoint, with the emulator's CA.
 */
// eslint-disable-next-line @typescript-eslint/triple-slash-reference -- mc/config is declared for hosts/moddable/tsconfig.json only
/// <reference path="../../hosts/moddable/types/mc-config.d.ts" />
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startApplication, type Application } from '../../hosts/moddable/application';
import type { FirmwareConfig } from '../../hosts/moddable/config';
import { createNodeHost } from '../../hosts/node/host';
import { NodeNetwork } from '../../hosts/node/network';
import { startHub, type Hub } from '../../simulator/hub/hub';
import type { Connection, ConnectionHandlers, ConnectOptions, Log, Network } from '../../src/platform';

const REGISTRATION = 'fw-dps-wss';
const DPS_HOST = 'localhost'; // a name in the emulator's certificate, other than the hub's
let dir: string;
let hub: Hub;
let app: Application | undefined;

/** Port 8883 refused (a firewall); 443 routed by host name to the emulator's wss endpoints (DNS). */
class BlockedNetwork implements Network {
  readonly dialled: string[] = [];
  private readonly inner = new NodeNetwork({ closeLingerMs: 200 });
  connect(options: ConnectOptions, handlers: ConnectionHandlers): Connection {
    this.dialled.push(`${options.host}:${options.port}`);
    const port = options.port === 443 ? (options.host === DPS_HOST ? hub.dpsWssPort : options.host === hub.hostName ? hub.wssPort : undefined) : undefined;
    if (port === undefined) {
      let closed = false;
      setImmediate(() => closed || handlers.onClose({ code: 'ECONNREFUSED', message: `blocked: ${options.host}:${options.port}` }));
      return { write: () => false, close: () => void (closed = true) };
    }
    const tls = { ...options.tls, ca: [hub.caPem], serverName: options.tls?.serverName ?? options.host };
    return this.inner.connect({ host: '127.0.0.1', port, tls }, handlers);
  }
}

const quiet: Log = { write: () => undefined };

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'thermo-fw-dps-wss-'));
  hub = await startHub({ dataDir: path.join(dir, 'hub'), mqttPort: 0, dpsPort: 0, httpPort: null, wssPort: 0, dpsWssPort: 0, dpsRetryAfter: 1 });
});

afterAll(async () => {
  app?.stop();
  await hub?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe("the firmware's DPS path over wss (transport=auto, 8883 blocked)", () => {
  it('probes 8883 once, registers with DPS over wss, and connects to the assigned hub on 443 straight away', async () => {
    const key = Buffer.from('firmware-dps-wss-key-0123456789ab').toString('base64');
    hub.addEnrollment({ registrationId: REGISTRATION, primaryKey: key, secondaryKey: Buffer.from('firmware-dps-wss-key2-0123456789a').toString('base64') });
    const network = new BlockedNetwork();
    const host = createNodeHost({ dataDir: path.join(dir, 'device'), network, log: quiet });
    const config = {
      ssid: '', password: '', connectionString: '',
      idScope: hub.idScope, registrationId: REGISTRATION, deviceKey: key, dpsHost: DPS_HOST,
      hubCa: 'the emulator CA (the test network adds it)', hubHost: '', hubPort: 0,
      transport: 'auto', hubWssPort: 0,
      onewirePin: 16, simSensors: 0, simFaults: '', sampleIntervalMs: 1000, telemetryIntervalMs: 1000, analyticsWindow: 60, maxSensors: 10,
      outboxMaxCount: 50, outboxMaxBytes: 8192, maxInFlight: 1, maxIncomingBytes: 8192, tlsMaxFragment: 4096, memoryProbeMs: 0, sntp: '',
      cloud: 'iothub', egHost: '', egName: '', egCert: '', egKey: '', egTelemetryTopic: '', egCommandsTopic: '', egMessagesTopic: '', egStateTopic: '',
    } satisfies FirmwareConfig;
    const connected = new Promise<string>((resolve) => hub.on('connected', (e) => resolve(e.deviceId)));
    app = startApplication(host, config);
    expect(await connected).toBe(REGISTRATION);
    expect(hub.device(REGISTRATION)?.provisionedBy).toBeDefined();
    expect(network.dialled).toEqual([`${DPS_HOST}:8883`, `${DPS_HOST}:443`, `${hub.hostName}:443`]);
    // The device runs over it: its reported twin arrives.
    const deadline = Date.now() + 15_000;
    const firmware = (): string | undefined => (hub.twin(REGISTRATION) as { properties: { reported: { firmware?: string } } }).properties.reported.firmware;
    while (Date.now() < deadline && !firmware()) await new Promise((r) => setTimeout(r, 100));
    expect(firmware()).toBe('0.1.0');
  }, 60_000);
});
