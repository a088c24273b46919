/**
 * The Event Grid profile end to end on the Node host: the simulator's device (src/device with
 * src/eventgrid) against mosquitto configured as an Event Grid namespace would be
 * (simulator/eventgrid/broker: TLS client certificates, the certificate's name as the user
 * name, per-client ACL patterns for topic spaces), as `npm start -- --cloud eventgrid` runs it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventGridConnection } from '../../src/device/adapters/eventgrid';
import type { HubHandlers, HubState } from '../../src/device/ports';
import { createNodeHost } from '../../hosts/node/host';
import { ConsoleLog } from '../../hosts/node/log';
import { startSimulator, type Simulator } from '../../simulator/main';
import type { EventGridBroker } from '../../simulator/eventgrid/broker';
import type { EventGridService } from '../../simulator/eventgrid/service';
import { tempDir, waitFor } from '../e2e/helpers';

const ID = 'sim-1';
let dir: string;
let sim: Simulator;
let broker: EventGridBroker;
let service: EventGridService;

beforeAll(async () => {
  dir = tempDir('eventgrid-');
  sim = await startSimulator({ cloud: 'eventgrid', dataDir: dir, dashboardPort: 0, sensors: 2, log: 'warn', config: { samplingIntervalMs: 250, telemetryIntervalMs: 1000 } });
  broker = sim.eventGrid!.broker;
  service = sim.eventGrid!.service;
  await service.ready;
}, 60_000);

afterAll(async () => {
  await sim?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

/** A handler set that records what the device would see. */
function recorder(): { handlers: HubHandlers; states: HubState[]; errors: string[] } {
  const states: HubState[] = [];
  const errors: string[] = [];
  return {
    states,
    errors,
    handlers: { onState: (s) => states.push(s), onC2D: () => {}, onDesired: () => {}, onMethod: () => {}, onError: (source, m) => errors.push(`${source}: ${m}`) },
  };
}

function connection(name: string, extra: Partial<ConstructorParameters<typeof EventGridConnection>[0]> = {}, tls?: { cert?: string; key?: string }): EventGridConnection {
  const c = broker.device(name);
  const host = createNodeHost({ dataDir: path.join(dir, 'hosts', name), log: new ConsoleLog({ level: 'error' }) });
  return new EventGridConnection({
    hostName: broker.hostName,
    host: broker.host,
    port: broker.port,
    authenticationName: name,
    tls: { ca: [broker.caPem], cert: tls ? tls.cert : c.certPem, key: tls ? tls.key : c.keyPem },
    backoff: { minMs: 200, maxMs: 1000 },
    ...extra,
  }, host);
}

describe('Event Grid profile against the Event Grid-like mosquitto', () => {
  it('connects with its client certificate, its authentication name as the user name, over MQTT 5', async () => {
    const log = await broker.waitForLog(new RegExp(`New client connected .* as ${ID} .*p5.* u'${ID}'`));
    expect(log).toMatch(new RegExp(`as ${ID} \\(p5, c0`));
    await waitFor('device connected', () => sim.devices[0].app.display().status.hub === 'connected');
  });

  it('publishes telemetry on the topic template with content type and user properties', async () => {
    const t = await waitFor('telemetry', () => service.received.find((m) => m.deviceId === ID && m.kind === 'telemetry'));
    expect(t.topic).toBe(`devices/${ID}/telemetry`);
    expect(t.properties?.contentType).toBe('application/json');
    expect(t.properties?.payloadFormatIndicator).toBe(true);
    expect(t.properties?.userProperties).toContainEqual(['type', 'telemetry']);
    const body = JSON.parse(t.body) as { deviceId: string; sensors: unknown[] };
    expect(body.deviceId).toBe(ID);
    expect(body.sensors.length).toBe(2);
    const state = await waitFor('state', () => service.received.find((m) => m.deviceId === ID && m.kind === 'state'));
    expect((JSON.parse(state.body) as { firmware: string }).firmware).toBe('0.1.0');
  });

  it('answers commands through MQTT 5 request/response (response topic + correlation data)', async () => {
    const stats = await service.invoke(ID, 'getStats', null);
    expect(stats.status).toBe(200);
    expect(stats.payload).toHaveProperty('outbox');
    const set = await service.invoke(ID, 'setInterval', { telemetryIntervalMs: 2000 });
    expect(set.status).toBe(200);
    expect(sim.devices[0].app.config.telemetryIntervalMs).toBe(2000);
    const bad = await service.invoke(ID, 'setInterval', { telemetryIntervalMs: -5 });
    expect(bad.status).toBe(400);
    const unknown = await service.invoke(ID, 'selfDestruct', {});
    expect(unknown.status).toBe(404);
  });

  it('shows a message from the messages topic on the display', async () => {
    service.sendMessage(ID, 'hello from Event Grid', { sender: 'ops' });
    const shown = await waitFor('message shown', () => sim.devices[0].app.display().message);
    expect(shown.text).toBe('hello from Event Grid');
    expect(shown.sender).toBe('ops');
  });

  it('a publish outside the device\'s topic space is refused with PUBACK 0x87, and the device says so', async () => {
    const c = connection('sim-outsider', { topics: { telemetry: 'fleet/{deviceId}/telemetry' } });
    const r = recorder();
    c.setHandlers(r.handlers);
    c.start();
    try {
      await waitFor('connected', () => r.states.some((s) => s.hub === 'connected'));
      const error = await new Promise<string | undefined>((resolve) => c.sendTelemetry('{"x":1}', { '$.ct': 'application/json' }, (e) => resolve(e?.message)));
      expect(error).toMatch(/fleet\/sim-outsider\/telemetry: 0x87 Not authorized/);
      expect(r.errors.join('\n')).toMatch(/eventgrid: the broker refused the publish on fleet\/sim-outsider\/telemetry: 0x87 Not authorized \(outside the client's topic spaces\)/);
      await broker.waitForLog(/Denied PUBLISH from sim-outsider .*fleet\/sim-outsider\/telemetry/);
      // Nothing reached a subscriber.
      expect(service.received.some((m) => m.topic.startsWith('fleet/'))).toBe(false);
    } finally {
      c.stop();
    }
  });

  it('a device with another device\'s certificate is that device to the broker: its own topics are refused', async () => {
    const other = broker.device('sim-1');
    const c = connection('sim-impostor', {}, { cert: other.certPem, key: other.keyPem });
    const r = recorder();
    c.setHandlers(r.handlers);
    c.start();
    try {
      await waitFor('connected', () => r.states.some((s) => s.hub === 'connected'));
      const error = await new Promise<string | undefined>((resolve) => c.sendTelemetry('{"x":1}', {}, (e) => resolve(e?.message)));
      expect(error).toMatch(/devices\/sim-impostor\/telemetry: 0x87 Not authorized/);
    } finally {
      c.stop();
    }
  });

  it('without a client certificate the TLS handshake is refused and the device reports it', async () => {
    const c = connection('sim-nocert', {}, {});
    const r = recorder();
    c.setHandlers(r.handlers);
    c.start();
    try {
      const state = await waitFor('refused', () => r.states.find((s) => s.error !== undefined));
      expect(state.hub).not.toBe('connected');
      expect(state.error).toMatch(/TLS|ECONNRESET|CLOSED|certificate/i);
      expect(r.states.some((s) => s.hub === 'connected')).toBe(false);
    } finally {
      c.stop();
    }
  });
});
