/**
 * No secret in any log or telemetry. A full device run on the Node host (src/device with the hub
 * client, TLS to the IoT Hub emulator) including its error paths — bad cloud input, the hub going
 * away and coming back, refused credentials, an untrusted certificate — with every Log.write
 * captured raw (before the Node log's redaction guard) and after it, plus everything the cloud
 * received (telemetry, reported twin, method answers) and the display. Scanned for the device key,
 * every HMAC output the run made (SAS signatures) in its encodings, and SAS/connection-string
 * markers. The Wi-Fi link (hosts/moddable/wifi.ts, run under Node with a fake driver) is scanned
 * for its password the same way.
 */
import * as esbuild from 'esbuild';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNodeHost, nodeCrypto } from '../../hosts/node/host';
import { ConsoleLog } from '../../hosts/node/log';
import { windowAnalytics } from '../../src/device/adapters/analytics';
import { HubClientConnection } from '../../src/device/adapters/hub';
import { startDevice, type Device } from '../../src/device/app';
import type { Log, LogLevel } from '../../src/platform';
import { startHub, type Hub } from '../../simulator/hub/hub';
import { FakeSensors } from '../device/fakes';
import { waitFor } from '../e2e/helpers';

let dir: string;
let hub: Hub;
afterAll(async () => {
  await hub?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sec-secrets-'));
});

async function until(what: string, condition: () => boolean, ms = 15_000): Promise<void> {
  await waitFor(what, condition, ms, 25);
}

/** Every encoding a secret could leak in. */
function forms(bytes: Uint8Array): string[] {
  const b = Buffer.from(bytes);
  const b64 = b.toString('base64');
  return [b64, encodeURIComponent(b64), b64.replace(/=+$/, ''), b.toString('hex'), b.toString('base64url')];
}

interface Capture {
  raw: string[];
  redacted: string[];
  log: Log;
}

function capture(prefix: string): Capture {
  const raw: string[] = [];
  const redacted: string[] = [];
  const consoleLog = new ConsoleLog({ level: 'debug', prefix, sink: (_l, line) => redacted.push(line) });
  return {
    raw,
    redacted,
    log: {
      write(level: LogLevel, source: string, message: string) {
        raw.push(`${level} [${source}] ${message}`);
        consoleLog.write(level, source, message);
      },
    },
  };
}

describe('security: no secret in logs or telemetry', () => {
  it('a full device run with its error paths leaks neither the key nor a SAS signature', async () => {
    hub = await startHub({ dataDir: path.join(dir, 'hub'), mqttPort: 0, httpPort: null, dpsPort: null });
    const port = hub.mqttPort;
    const info = hub.createDevice({ deviceId: 'secret-dev' });
    const key = info.primaryKey as string;
    const macs: Uint8Array[] = [];
    const crypto = { hmacSha256: (k: Uint8Array, d: Uint8Array) => { const out = nodeCrypto.hmacSha256(k, d); macs.push(out); return out; } };

    const cap = capture('secret-dev');
    const host = { ...createNodeHost({ dataDir: path.join(dir, 'dev'), log: cap.log }), crypto };
    const endpoint = { host: '127.0.0.1', port, tls: { ca: [hub.caPem] } };
    const conn = new HubClientConnection({ connectionString: hub.connectionString('secret-dev'), endpoint, backoff: { minMs: 100, maxMs: 400 } }, host);
    const sensors = new FakeSensors();
    const device: Device = startDevice(host, { sensors, hub: conn, analytics: windowAnalytics() }, { deviceId: 'secret-dev', config: { samplingIntervalMs: 200, telemetryIntervalMs: 1000 } });
    await until('telemetry', () => hub.telemetry('secret-dev').length >= 2);

    // Bad cloud input.
    // (The emulator itself refuses C2D over 64 KB, as IoT Hub does: the largest it takes, with control characters.)
    hub.sendC2D('secret-dev', { body: Buffer.alloc(65_536, 0x07) });
    hub.sendC2D('secret-dev', { body: Buffer.from('{'), properties: { command: 'setInterval' } });
    hub.updateDesired('secret-dev', { samplingIntervalMs: 'never', resolution: 99 });
    const unknown = await hub.invokeMethod('secret-dev', 'leakKeys', { please: true }, 5);
    const stats = await hub.invokeMethod('secret-dev', 'getStats', null, 5);
    expect(unknown.status).toBe(404);
    expect(stats.status).toBe(200);

    // The hub goes away and comes back on the same port.
    await hub.stop();
    await until('disconnect noticed', () => device.display().status.hub !== 'connected');
    await new Promise((r) => setTimeout(r, 600));
    hub = await startHub({ dataDir: path.join(dir, 'hub'), mqttPort: port, httpPort: null, dpsPort: null });
    await until('reconnected', () => device.display().status.hub === 'connected');
    await until('telemetry after the restart', () => hub.telemetry('secret-dev').length >= 2);

    // Refused credentials (a wrong key) and an untrusted certificate, on the same log.
    const wrongKey = Buffer.alloc(32, 5).toString('base64');
    const bad = new HubClientConnection(
      { connectionString: `HostName=${hub.hostName};DeviceId=secret-dev;SharedAccessKey=${wrongKey}`, endpoint, backoff: { minMs: 100, maxMs: 200 } },
      host,
    );
    const badStates: string[] = [];
    bad.setHandlers({ onState: (s) => { badStates.push(`${s.hub} ${s.error ?? ''}`); if (s.error) cap.log.write('warn', 'hub', `bad device: ${s.error}`); }, onC2D: () => undefined, onDesired: () => undefined, onMethod: () => undefined, onError: () => undefined });
    bad.start();
    const untrusted = new HubClientConnection({ connectionString: hub.connectionString('secret-dev'), endpoint: { host: '127.0.0.1', port }, backoff: { minMs: 100, maxMs: 200 } }, host);
    untrusted.setHandlers({ onState: (s) => { if (s.error) cap.log.write('warn', 'hub', `untrusted: ${s.error}`); }, onC2D: () => undefined, onDesired: () => undefined, onMethod: () => undefined, onError: () => undefined });
    untrusted.start();
    await until('error paths logged', () => cap.raw.some((l) => /CONNACK/.test(l)) && cap.raw.some((l) => /TLS_CERT_UNTRUSTED/.test(l)));
    bad.stop();
    untrusted.stop();
    device.stop();

    // Everything that left the device or was shown or logged.
    const telemetry = hub.telemetry('secret-dev').map((e) => JSON.stringify(e));
    const surfaces = [
      ...cap.raw,
      ...cap.redacted,
      ...telemetry,
      JSON.stringify(hub.twin('secret-dev')),
      JSON.stringify(unknown),
      JSON.stringify(stats),
      JSON.stringify(device.display()),
      JSON.stringify(device.stats()),
      ...badStates,
    ].join('\n');
    // The run did exercise the paths it claims to.
    expect(cap.raw.length).toBeGreaterThanOrEqual(8);
    expect(cap.redacted.length).toBe(cap.raw.length);
    expect(surfaces).toMatch(/arguments are not valid JSON/);
    expect(surfaces).toMatch(/samplingIntervalMs: expected a number/);
    expect(surfaces).toMatch(/CONNACK/);
    expect(surfaces).toMatch(/TLS_CERT_UNTRUSTED/);
    expect(macs.length).toBeGreaterThanOrEqual(3); // a token per connection attempt
    const secrets = [key, ...forms(Buffer.from(key, 'base64')), wrongKey, ...macs.flatMap(forms)];
    for (const s of secrets) expect(surfaces.includes(s), `secret ${s.slice(0, 6)}… leaked`).toBe(false);
    expect(surfaces).not.toMatch(/sig=|SharedAccessSignature|SharedAccessKey/i);
  }, 60_000);

  it('the Wi-Fi link logs its reconnects but never the password', async () => {
    const out = path.join(dir, 'wifi-bundle.mjs');
    await esbuild.build({
      entryPoints: [path.resolve('hosts/moddable/wifi.ts')],
      bundle: true,
      format: 'esm',
      platform: 'neutral',
      outfile: out,
      alias: { wifi: path.resolve('test/fixtures/fake-wifi.ts') },
      logLevel: 'silent',
    });
    const mod = (await import(pathToFileURL(out).href)) as { WifiLink: new (...a: unknown[]) => { start(): void; current: string } };
    const cap = capture('wifi');
    const password = 'hunter2-Wi-Fi-secret!';
    const pending = new Set<ReturnType<typeof setTimeout>>();
    const timers = {
      set: (cb: () => void, ms: number) => {
        const t = setTimeout(() => { pending.delete(t); cb(); }, Math.min(ms, 5));
        pending.add(t);
        return t;
      },
      clear: (t: unknown) => clearTimeout(t as ReturnType<typeof setTimeout>),
    };
    const states: string[] = [];
    const link = new mod.WifiLink('office', password, timers, cap.log, (s: string) => states.push(s));
    link.start();
    await until('wifi up', () => link.current === 'up', 5000);
    for (const t of pending) clearTimeout(t);
    expect(states).toContain('down');
    expect(cap.raw.some((l) => /reconnecting/.test(l))).toBe(true);
    const all = [...cap.raw, ...cap.redacted, ...states].join('\n');
    expect(all).not.toContain(password);
    expect(all).not.toContain(Buffer.from(password).toString('base64'));
  });
});
