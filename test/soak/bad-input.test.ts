/**
 * Bad cloud input against the device application (src/device/app) in simulated time: oversized,
 * malformed and hostile C2D messages, twin desired values of the wrong type or out of range,
 * unknown methods and malformed JSON. Each gets a clear error (logged, reported in the twin's
 * lastError/refused, or in the method's answer), the old configuration stays, and the device keeps
 * sampling and publishing afterwards.
 */
import { describe, expect, it } from 'vitest';
import { windowAnalytics } from '../../src/device/adapters/analytics';
import { startDevice } from '../../src/device/app';
import { DEFAULT_CONFIG } from '../../src/device/config';
import { FakeHost } from '../device/fake-host';
import { FakeHub, FakeSensors } from '../device/fakes';

function setup() {
  const host = new FakeHost();
  const hub = new FakeHub();
  const sensors = new FakeSensors();
  const device = startDevice(host, { sensors, hub, analytics: windowAnalytics() }, { deviceId: 'bad-input-1' });
  hub.connect();
  host.advance(10_000);
  return { host, hub, sensors, device };
}

type Reported = { refused: Record<string, string | null>; lastError: { source: string; message: string } | null; config: Record<string, unknown> };
const lastReported = (hub: FakeHub) => hub.reported.at(-1) as Reported;
const lastWarn = (host: FakeHost) => host.logs.filter((l) => l.level === 'warn' || l.level === 'error').at(-1);

/** The device still samples and publishes: more telemetry with later sequence numbers. */
function stillRunning(host: FakeHost, hub: FakeHub, sensorsReads: () => number): void {
  const before = hub.bodies('telemetry').length;
  const lastSeq = hub.bodies('telemetry').at(-1)?.seq as number;
  const reads = sensorsReads();
  host.advance(10_000);
  const after = hub.bodies('telemetry');
  expect(after.length).toBeGreaterThanOrEqual(before + 2);
  expect(after.at(-1)?.seq as number).toBeGreaterThan(lastSeq);
  expect(sensorsReads()).toBeGreaterThanOrEqual(reads + 9);
}

describe('soak: bad cloud input against the device', () => {
  it('C2D over 64 KB is refused before decoding; the display keeps its message', () => {
    const { host, hub, sensors, device } = setup();
    hub.c2d('hello');
    expect(device.display().message?.text).toBe('hello');
    hub.c2d(new Uint8Array(65537).fill(0x41));
    expect(device.display().message?.text).toBe('hello');
    expect(lastWarn(host)?.message).toMatch(/65537 bytes exceeds 65536/);
    // A message of exactly 64 KB is still accepted (and truncated for the screen).
    hub.c2d(new Uint8Array(65536).fill(0x42));
    expect(device.display().message?.text).toMatch(/^B+…$/);
    expect(Array.from(device.display().message?.text ?? '').length).toBeLessThanOrEqual(160);
    stillRunning(host, hub, () => sensors.reads);
    device.stop();
  });

  it('invalid UTF-8, control characters and very long text are sanitized and truncated for the display', () => {
    const { host, hub, sensors, device } = setup();
    // Overlong '/', a lone continuation byte, a truncated 3-byte sequence, an encoded surrogate.
    hub.c2d(Uint8Array.of(0x48, 0x69, 0xc0, 0xaf, 0x80, 0x21, 0xe2, 0x82, 0x20, 0xed, 0xa0, 0x80, 0x21));
    const text = device.display().message?.text ?? '';
    expect(text.startsWith('Hi')).toBe(true);
    expect(text).toContain('\uFFFD');
    expect(text).not.toMatch(/[\uD800-\uDFFF]/u); // no lone surrogate reached the screen
    const nasty = 'A\u0000B\u0007C\u001b[31mD\u007f\u0085E\tF\r\nG' + '\u{1F321}'.repeat(5000);
    hub.c2d(nasty, { sender: 'ops\u0000\u001b' + 'x'.repeat(100) });
    const m = device.display().message;
    expect(m?.text).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
    expect(m?.text.startsWith('ABC[31mDE F  G')).toBe(true);
    expect(Array.from(m?.text ?? '').length).toBeLessThanOrEqual(160);
    expect(m?.text.endsWith('…')).toBe(true);
    expect(m?.sender).not.toMatch(/[\u0000-\u001f]/);
    expect(Array.from(m?.sender ?? '').length).toBeLessThanOrEqual(32);
    // The same through the twin's displayMessage.
    hub.handlers?.onDesired({ $version: 2, displayMessage: 'line1\nline2\u0000\u0007' });
    expect(device.display().message?.text).toBe('line1 line2');
    stillRunning(host, hub, () => sensors.reads);
    device.stop();
  });

  it('twin desired values of the wrong type or out of range are refused, reported, and the old configuration kept', () => {
    const { host, hub, sensors, device } = setup();
    const before = { ...device.config };
    expect(before).toEqual(DEFAULT_CONFIG);
    hub.handlers?.onDesired({
      $version: 3,
      samplingIntervalMs: 'fast',
      telemetryIntervalMs: -5,
      aggregatePeriodMs: 1e12,
      anomalyThreshold: null,
      resolution: 12.5,
      displayMessage: 42,
      unknownKnob: true,
    });
    expect(device.config).toEqual(before);
    const rep = lastReported(hub);
    expect(rep.refused.samplingIntervalMs).toMatch(/expected a number, got string/);
    expect(rep.refused.telemetryIntervalMs).toMatch(/-5 is below the minimum 1000/);
    expect(rep.refused.aggregatePeriodMs).toMatch(/above the maximum/);
    expect(rep.refused.anomalyThreshold).toMatch(/got null/);
    expect(rep.refused.resolution).toMatch(/expected an integer/);
    expect(rep.refused.displayMessage).toMatch(/expected a string/);
    expect(rep.refused.unknownKnob).toMatch(/unknown property/);
    expect(rep.lastError?.source).toBe('twin');
    expect(rep.config).toEqual(before);
    // Non-finite and huge values, arrays and objects.
    hub.handlers?.onDesired({ $version: 4, samplingIntervalMs: [1000], telemetryIntervalMs: { ms: 1 }, anomalyThreshold: 1e309, displayMessage: 'x'.repeat(257) });
    expect(device.config).toEqual(before);
    expect(lastReported(hub).refused.displayMessage).toMatch(/longer than 256/);
    // A valid value afterwards applies and clears its refusal.
    hub.handlers?.onDesired({ $version: 5, telemetryIntervalMs: 2000 });
    expect(device.config.telemetryIntervalMs).toBe(2000);
    expect(lastReported(hub).refused.telemetryIntervalMs).toBeNull();
    stillRunning(host, hub, () => sensors.reads);
    device.stop();
  });

  it('unknown methods answer 404, malformed JSON 400; C2D commands with bad arguments are refused clearly', () => {
    const { host, hub, sensors, device } = setup();
    const unknown = hub.method('formatDisk', '{}');
    expect(unknown.status).toBe(404);
    expect((unknown.payload as { error: string }).error).toMatch(/unknown method 'formatDisk'/);
    const long = hub.method('x'.repeat(10_000), '{}');
    expect(long.status).toBe(404);
    expect(JSON.stringify(long.payload).length).toBeLessThan(200); // the echo of the name is bounded
    for (const payload of ['{', '{"samplingIntervalMs":', 'nul', '\u0000', '[1,2]', '"text"']) {
      const r = hub.method('setInterval', payload);
      expect(r.status, payload).toBe(400);
      expect((r.payload as { error: string }).error).toMatch(/JSON/);
    }
    const range = hub.method('setInterval', '{"samplingIntervalMs":5}');
    expect(range.status).toBe(400);
    expect((range.payload as { error: string }).error).toMatch(/below the minimum/);
    expect(device.config.samplingIntervalMs).toBe(DEFAULT_CONFIG.samplingIntervalMs);
    hub.c2d('{"samplingIntervalMs": ', { command: 'setInterval' });
    expect(lastWarn(host)?.message).toMatch(/setInterval: arguments are not valid JSON/);
    hub.c2d('{}', { command: 'selfDestruct' });
    expect(lastWarn(host)?.message).toMatch(/unknown command 'selfDestruct'/);
    expect(device.config).toEqual(DEFAULT_CONFIG);
    // Still answers good calls.
    expect(hub.method('getStats', '').status).toBe(200);
    stillRunning(host, hub, () => sensors.reads);
    device.stop();
  });

  it('a barrage of all of it, interleaved with normal traffic, never stops the device', () => {
    const { host, hub, sensors, device } = setup();
    for (let i = 0; i < 200; i++) {
      hub.c2d(new Uint8Array(70_000 + i));
      hub.c2d(Uint8Array.of(0xff, 0xfe, 0xc0, i & 0xff));
      hub.handlers?.onDesired({ $version: 10 + i, samplingIntervalMs: -i, resolution: 'x' });
      hub.method('nope' + i, '{{{');
      hub.method('setInterval', '{"telemetryIntervalMs": "soon"}');
      host.advance(500);
    }
    expect(device.config).toEqual(DEFAULT_CONFIG);
    stillRunning(host, hub, () => sensors.reads);
    expect(hub.bodies('telemetry').length).toBeGreaterThan(20);
    device.stop();
  });
});
