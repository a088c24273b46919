/**
 * The Moddable lane, Event Grid profile: the firmware built with `cloud=eventgrid` runs in mcsim
 * against the local Event Grid-like broker (simulator/eventgrid/broker: mosquitto with TLS client
 * certificates, the certificate's name as user name, ACL patterns for topic spaces). The client
 * certificate and its PKCS#8 RSA key go in as resources of a variant manifest (SecureSocket's
 * clientCertificates / clientKey), the broker's CA as hubCa. Asserts what the service client
 * receives (telemetry with MQTT 5 properties, the reported state) and the command round trip
 * through MQTT 5 request/response, and saves a screenshot of the simulator with a display message.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEventGridBroker, type EventGridBroker } from '../../simulator/eventgrid/broker';
import { connectService, type EventGridService } from '../../simulator/eventgrid/service';
import { projectRoot } from '../xs/lane';
import { buildFirmware, requireSdk, runFirmware, type RunningFirmware } from './rig';

const ID = 'modsim-eg';
const results = path.join(projectRoot, 'test-results');
let dir: string;
let broker: EventGridBroker;
let service: EventGridService;
let firmware: RunningFirmware;

async function until<T>(what: string, probe: () => T | undefined | false, timeoutMs = 60_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; last firmware lines:\n${firmware?.lines.slice(-12).join('\n')}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

beforeAll(async () => {
  const sdk = requireSdk();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'thermo-eventgrid-lane-'));
  broker = await startEventGridBroker({ dir: path.join(dir, 'broker'), devices: [ID] });
  service = connectService(broker);
  await service.ready;
  // The lane's manifest plus the device's certificate and key (DER, made above, never committed).
  const manifestDir = path.join(dir, 'eventgrid-lane');
  fs.mkdirSync(manifestDir);
  fs.writeFileSync(path.join(manifestDir, 'manifest.json'), JSON.stringify({
    include: [path.join(projectRoot, 'test/moddable-lane/manifest.json')],
    resources: { '*': [path.join(dir, 'broker', `client-${ID}`), path.join(dir, 'broker', `client-${ID}-key`)] },
  }, null, 2));
  const mcso = buildFirmware(sdk, manifestDir, {
    storageDir: path.join(dir, 'storage/'),
    cloud: 'eventgrid',
    egHost: broker.hostName,
    egName: ID,
    egCert: `client-${ID}.der`,
    egKey: `client-${ID}-key.der`,
    hubCa: fs.readFileSync(broker.caDerPath).toString('base64'),
    hubHost: '127.0.0.1',
    hubPort: broker.port,
    simSensors: 3,
    sampleIntervalMs: 1000,
    telemetryIntervalMs: 2000,
  });
  firmware = await runFirmware(sdk, mcso, path.join(results, 'moddable-eventgrid.log'));
  await firmware.waitForLine(/hub: hub connected/, 180_000);
}, 30 * 60_000);

afterAll(async () => {
  await firmware?.stop();
  service?.close();
  await broker?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe('firmware in mcsim against the Event Grid-like broker', () => {
  it('authenticates with its client certificate over MQTT 5 and publishes telemetry with MQTT 5 properties', async () => {
    await broker.waitForLog(new RegExp(`New client connected .* as ${ID} \\(p5.* u'${ID}'`));
    const t = await until('telemetry', () => service.received.find((m) => m.deviceId === ID && m.kind === 'telemetry'));
    expect(t.topic).toBe(`devices/${ID}/telemetry`);
    expect(t.properties?.contentType).toBe('application/json');
    expect(t.properties?.userProperties).toContainEqual(['type', 'telemetry']);
    const body = JSON.parse(t.body) as { deviceId: string; sensors: { status: string }[] };
    expect(body.deviceId).toBe(ID);
    expect(body.sensors.length).toBe(3);
    const state = await until('state', () => service.received.find((m) => m.deviceId === ID && m.kind === 'state'));
    expect(JSON.parse(state.body)).toHaveProperty('firmware');
  });

  it('answers commands through MQTT 5 request/response', async () => {
    const stats = await service.invoke(ID, 'getStats', null, 30_000);
    expect(stats.status).toBe(200);
    expect(stats.payload).toHaveProperty('outbox');
    const set = await service.invoke(ID, 'setInterval', { telemetryIntervalMs: 3000 }, 30_000);
    expect(set.status).toBe(200);
    const unknown = await service.invoke(ID, 'nope', {}, 30_000);
    expect(unknown.status).toBe(404);
  });

  it('shows a message from the messages topic (screenshot)', async () => {
    service.sendMessage(ID, 'Hello from Event Grid', { sender: 'eventgrid-lane' });
    await new Promise((r) => setTimeout(r, 3000));
    expect(firmware.screenshot(path.join(results, 'moddable-eventgrid.png'))).toBe(true);
    expect(firmware.fatalLines()).toEqual([]);
    expect(firmware.alive).toBe(true);
  });
});
