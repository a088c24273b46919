import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Outbox } from '../../src/device/outbox';
import { ModelDisplay } from '../../hosts/node/display';
import { nodeClock, nodeCrypto, nodeTimers } from '../../hosts/node/host';
import { ConsoleLog, redact } from '../../hosts/node/log';
import { FileStorage } from '../../hosts/node/storage';

function tmpDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'thermo-host-'));
}

describe('Node host', () => {
  it('file storage round-trips keys with slashes, lists by prefix and leaves no temp files', () => {
    const dir = tmpDir();
    const s = new FileStorage(dir);
    s.set('ob/1', 'one');
    s.set('ob/m', '0,2,0,0');
    s.set('cfg', '{"a":1}');
    s.set('ob/1', 'uno');
    expect(s.get('ob/1')).toBe('uno');
    expect(s.get('nope')).toBeUndefined();
    expect(s.keys('ob/')).toEqual(['ob/1', 'ob/m']);
    s.delete('ob/1');
    expect(s.keys()).toEqual(['cfg', 'ob/m']);
    expect(fs.readdirSync(dir).filter((n) => n.startsWith('.tmp'))).toEqual([]);
    // A second instance (a restart) sees the same data.
    expect(new FileStorage(dir).get('cfg')).toBe('{"a":1}');
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('the outbox survives a process-level restart on file storage', () => {
    const dir = tmpDir();
    const a = new Outbox(new FileStorage(dir), nodeClock);
    a.push('{"n":1}', { type: 'telemetry' });
    a.push('{"n":2}', { type: 'telemetry' });
    const b = new Outbox(new FileStorage(dir), nodeClock);
    expect(b.takeNext()?.body).toBe('{"n":1}');
    expect(b.counts.pending).toBe(2);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('log redaction masks SAS signatures, keys and passwords', () => {
    const key = 'q83vEjRWeJASNFZ4kBI0VniQEjRWeJASNFZ4kBI0Vng=';
    const line = redact(`SharedAccessSignature sr=hub%2Fdevices%2Fd1&sig=AbC%2Bd%3D&se=1 HostName=h;DeviceId=d;SharedAccessKey=${key} password=hunter2 raw ${key}`);
    expect(line).not.toContain('AbC');
    expect(line).not.toContain(key);
    expect(line).not.toContain('hunter2');
    expect(line).toContain('HostName=h');
    const lines: string[] = [];
    new ConsoleLog({ sink: (_l, s) => lines.push(s), level: 'info' }).write('info', 'x', `sig=secretsig1234`);
    new ConsoleLog({ sink: (_l, s) => lines.push(s), level: 'info' }).write('debug', 'x', 'hidden');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('sig=***');
  });

  it('display notifies listeners; clock, timers and HMAC work', async () => {
    const d = new ModelDisplay();
    const seen: string[] = [];
    const off = d.onRender((m) => seen.push(m.deviceId));
    const model = { deviceId: 'x', sensors: [], status: { network: 'up', hub: 'connected', outbox: 0 }, message: undefined, anomaly: false, identify: false };
    d.render(model);
    off();
    d.render({ ...model, deviceId: 'y' });
    expect(seen).toEqual(['x']);
    expect(d.latest?.deviceId).toBe('y');
    const t0 = nodeClock.now();
    await new Promise<void>((resolve) => nodeTimers.set(resolve, 20));
    expect(nodeClock.now() - t0).toBeGreaterThanOrEqual(15);
    const mac = nodeCrypto.hmacSha256(new TextEncoder().encode('key'), new TextEncoder().encode('The quick brown fox jumps over the lazy dog'));
    expect(Buffer.from(mac).toString('hex')).toBe('f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8');
  });
});

describe('Node random', () => {
  it('is uniform in [0, 1)', async () => {
    const { nodeRandom } = await import('../../hosts/node/host');
    let sum = 0;
    for (let i = 0; i < 2000; i++) {
      const x = nodeRandom.next();
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThan(1);
      sum += x;
    }
    expect(sum / 2000).toBeGreaterThan(0.4);
    expect(sum / 2000).toBeLessThan(0.6);
  });
});
