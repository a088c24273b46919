/**
 * MQTT over WebSockets under a lossy link: the fault proxy (test/fixtures/fault-proxy) sits
 * between HubClient (transport 'wss') and the emulator's wss port, and cuts every connection
 * while 100 KB publishes are crossing it, so the link dies inside WebSocket frames (frames carry
 * at most 1 KB; a cut at an arbitrary byte lands mid-frame) and inside TLS records. The client
 * must reconnect through a fresh handshake each time and lose no message (QoS 1 at least once).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodeClock, nodeCrypto, nodeRandom, nodeTimers } from '../../hosts/node/host';
import { NodeNetwork } from '../../hosts/node/network';
import { startHub, type Hub } from '../../simulator/hub/hub';
import { HubClient } from '../../src/iothub/hub-client';
import { waitFor } from '../e2e/helpers';
import { startFaultProxy, type FaultProxy } from '../fixtures/fault-proxy';

let hub: Hub;
let dir: string;
let proxy: FaultProxy;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'wss-cut-'));
  hub = await startHub({ dataDir: dir, mqttPort: 0, dpsPort: null, httpPort: null, wssPort: 0 });
  proxy = await startFaultProxy({ targetPort: hub.wssPort!, seed: 17 });
});

afterAll(async () => {
  await proxy.close();
  await hub.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('wss through the fault proxy', () => {
  it('cuts mid-frame during 100 KB publishes: every message arrives, each reconnect is a new WebSocket', async () => {
    const deviceId = 'wss-cut';
    hub.createDevice({ deviceId });
    let connects = 0;
    const errors: string[] = [];
    const client = new HubClient(
      {
        connectionString: hub.connectionString(deviceId),
        endpoint: { host: '127.0.0.1', port: 1, transport: 'wss', wssPort: proxy.port, tls: { ca: [hub.caPem], serverName: hub.hostName } },
        backoff: { minMs: 20, maxMs: 100 },
        features: { c2d: false, methods: false, twin: false },
      },
      { clock: nodeClock, timers: nodeTimers, network: new NodeNetwork({ closeLingerMs: 100, connectTimeoutMs: 5000 }), random: nodeRandom, crypto: nodeCrypto },
      { onConnected: () => connects++, onError: (e) => errors.push(e.code) },
    );
    try {
      // Each chunk held 3 ms: the transfer takes long enough for the cuts to land inside it.
      proxy.setDelay(3);
      client.start();
      await waitFor('first connection', () => connects === 1, 10_000, 10);
      const count = 12;
      const sends: Promise<void>[] = [];
      for (let i = 0; i < count; i++) sends.push(client.sendTelemetry(`${i}:`.padEnd(100 * 1024, 'z'), { messageId: `m-${i}` }));
      // Cut three times, each while bytes are flowing up.
      for (let cut = 0; cut < 3; cut++) {
        const before = proxy.stats.bytesUp;
        await waitFor('bytes flowing', () => proxy.stats.bytesUp > before + 30_000 + cut * 7_919, 10_000, 1);
        expect(proxy.cut()).toBeGreaterThan(0);
        await waitFor('reconnected', () => connects === cut + 2, 10_000, 5);
      }
      await Promise.all(sends);
      const ids = new Set(hub.telemetry(deviceId).map((e) => e.messageId));
      for (let i = 0; i < count; i++) expect(ids.has(`m-${i}`)).toBe(true);
      for (const e of hub.telemetry(deviceId)) expect(e.body.length).toBe(100 * 1024);
      expect(connects).toBe(4);
      expect(proxy.stats.accepted).toBeGreaterThanOrEqual(4);
      expect(proxy.stats.connectionsCut).toBeGreaterThanOrEqual(3);
    } finally {
      client.close();
    }
  });
});
