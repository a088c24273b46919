// C2D queues outlive an emulator restart (as IoT Hub's do) until they expire or are completed.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { C2DQueues } from '../../simulator/hub/c2d-queue';
import { connect, deviceOptions, nextMessage, sleep, startTestHub, type TestHub } from './helpers';

const dirs: string[] = [];
const hubs: TestHub[] = [];

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'hub-c2d-'));
  dirs.push(d);
  return d;
}

async function hubOn(dir: string): Promise<TestHub> {
  // a 0.1 s minimum TTL (IoT Hub's is 60 s) so a message can expire within the test
  const t = await startTestHub({ dataDir: dir, dpsPort: null, httpPort: null, c2dMinTtlSeconds: 0.1 });
  hubs.push(t);
  return t;
}

afterEach(async () => {
  for (const t of hubs.splice(0)) await t.hub.stop().catch(() => undefined);
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const C2D = (id: string) => `devices/${id}/messages/devicebound/#`;
/** Receives QoS 1 messages without ever sending PUBACK. */
function withholdAcks(c: MqttClient): void {
  (c as unknown as { handleMessage: (p: unknown, cb: () => void) => void }).handleMessage = () => undefined;
}

describe('C2D queue persistence', () => {
  it('a message queued for an offline device arrives after the emulator restarts; an expired one does not', async () => {
    const dir = tempDir();
    const first = await hubOn(dir);
    const key = first.hub.createDevice({ deviceId: 'offline-dev' }).primaryKey!;
    first.hub.sendC2D('offline-dev', { body: Buffer.from('survives a restart'), properties: { severity: 'info' }, messageId: 'keep-1', correlationId: 'c-1' });
    first.hub.sendC2D('offline-dev', { body: Buffer.from('too late'), messageId: 'expire-1', ttlSeconds: 0.3 });
    expect(readdirSync(join(dir, 'c2d'))).toEqual(['offline-dev.json']);
    await first.hub.stop();
    await sleep(400);

    const second = await hubOn(dir);
    // Reloaded with its id, body, properties and enqueue time; the expired one is gone.
    const queue = second.hub.c2dQueue('offline-dev');
    expect(queue.map((m) => m.messageId)).toEqual(['keep-1']);
    expect(queue[0]).toMatchObject({ deliveryCount: 0, properties: { severity: 'info', '$.cid': 'c-1' } });
    expect(second.hub.device('offline-dev')?.cloudToDeviceMessageCount).toBe(1);

    const c = await connect(deviceOptions(second.hub, 'offline-dev', key, { clean: false }));
    const got = nextMessage(c);
    await c.subscribeAsync(C2D('offline-dev'), { qos: 1 });
    const m = await got;
    expect(m.qos).toBe(1);
    expect(m.payload.toString()).toBe('survives a restart');
    expect(m.topic).toContain('%24.mid=keep-1');
    expect(m.topic).toContain('severity=info');
    expect(await nextMessage(c, () => true, 300).then(() => 'got', () => 'none')).toBe('none');
    // Completed by the PUBACK: gone from memory and from disk.
    await sleep(100);
    expect(second.hub.c2dQueue('offline-dev')).toHaveLength(0);
    expect(existsSync(join(dir, 'c2d', 'offline-dev.json'))).toBe(false);
    await c.endAsync();
    await second.hub.stop();

    const third = await hubOn(dir);
    expect(third.hub.c2dQueue('offline-dev')).toHaveLength(0);
  });

  it('an unacknowledged message is redelivered after a restart with its delivery count; CleanSession=1 still discards', async () => {
    const dir = tempDir();
    const first = await hubOn(dir);
    const key = first.hub.createDevice({ deviceId: 'flaky' }).primaryKey!;
    const c = await connect(deviceOptions(first.hub, 'flaky', key, { clean: false }));
    withholdAcks(c);
    await c.subscribeAsync(C2D('flaky'), { qos: 1 });
    const got = nextMessage(c);
    first.hub.sendC2D('flaky', { body: Buffer.from('not acknowledged'), messageId: 'unacked' });
    expect((await got).payload.toString()).toBe('not acknowledged');
    c.end(true);
    await first.hub.stop();

    const second = await hubOn(dir);
    expect(second.hub.c2dQueue('flaky').map((m) => [m.messageId, m.deliveryCount])).toEqual([['unacked', 1]]);
    const again = await connect(deviceOptions(second.hub, 'flaky', key, { clean: false }));
    const redelivered = nextMessage(again);
    await again.subscribeAsync(C2D('flaky'), { qos: 1 });
    expect((await redelivered).payload.toString()).toBe('not acknowledged');
    await sleep(100);
    expect(second.hub.c2dQueue('flaky')).toHaveLength(0);
    await again.endAsync();

    // Queued while offline, then a clean session: discarded, and that survives a restart too.
    second.hub.sendC2D('flaky', { body: Buffer.from('stale') });
    await second.hub.stop();
    const third = await hubOn(dir);
    expect(third.hub.c2dQueue('flaky')).toHaveLength(1);
    const clean = await connect(deviceOptions(third.hub, 'flaky', key, { clean: true }));
    expect(third.hub.c2dQueue('flaky')).toHaveLength(0);
    await clean.endAsync();
    await third.hub.stop();
    const fourth = await hubOn(dir);
    expect(fourth.hub.c2dQueue('flaky')).toHaveLength(0);
  });
});

describe('C2DQueues on disk', () => {
  it('writes atomically, keeps ids safe as file names, drops expired messages and skips corrupt files on load', () => {
    const dir = tempDir();
    let now = 1_000_000;
    const q = new C2DQueues(() => now, 60, dir);
    const odd = 'dev:*?/..\\x';
    q.enqueue(odd, { body: Buffer.from([0, 1, 2, 255]) });
    q.enqueue(odd, { body: Buffer.from('later'), ttlSeconds: 120 });
    for (let i = 0; i < 50; i++) q.enqueue('full', { body: Buffer.alloc(1024, i) });
    const files = readdirSync(dir).sort();
    expect(files).toHaveLength(2);
    expect(files.every((f) => f.endsWith('.json') && !f.includes('/') && !f.includes('..') && !f.includes('*'))).toBe(true);
    // Binary bodies and the id round-trip exactly.
    const copy = new C2DQueues(() => now, 60, dir);
    expect([...copy.list(odd)[0].body]).toEqual([0, 1, 2, 255]);
    expect(copy.list(odd)[0].deviceId).toBe(odd);
    writeFileSync(join(dir, 'corrupt.json'), '{not json');
    now += 90_000; // the first message of `odd` has expired, the second has not
    const reloaded = new C2DQueues(() => now, 60, dir);
    expect(reloaded.list(odd).map((m) => m.body.toString())).toEqual(['later']);
    expect(reloaded.list('full')).toHaveLength(0); // all expired (60 s)
    // The expired ones are dropped from disk as well; the corrupt file is left alone.
    expect(readdirSync(dir).sort()).toEqual(['corrupt.json', files.find((f) => f.startsWith('dev'))]);
    const stored = JSON.parse(readFileSync(join(dir, files.find((f) => f.startsWith('dev'))!), 'utf8')) as { messages: unknown[] };
    expect(stored.messages).toHaveLength(1);
    expect(readdirSync(dir).some((f) => f.endsWith('.tmp'))).toBe(false);
  });
});
