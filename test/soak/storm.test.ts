/** CI form of the sensor fault storm: 3,000 cycles (the soak runs 10,000). */
import { describe, expect, it } from 'vitest';
import { runStorm } from './storm';

describe('soak: sensor fault storm', () => {
  it('every fault class at random, and no invalid reading is ever sampled as online or published', () => {
    const r = runStorm({ cycles: 3000, seed: 11 });
    expect(r.samples).toBe(3000);
    expect(r.firstInvalid).toBe('');
    expect(r.invalidSamples).toBe(0);
    expect(r.invalidPublished).toBe(0);
    for (const c of ['crc-some', 'crc-always', 'disconnected', 'power-on-once', 'power-on-always', 'zero', 'slow-ok', 'slow-fail', 'short']) {
      expect(r.faultsInjected[c], c).toBeGreaterThan(50);
    }
    // Recoverable cycles still produce good readings, and they are published.
    expect(r.online).toBeGreaterThan(r.readings / 3);
    expect(r.publishedValues).toBeGreaterThan(1000);
  });

  it('negative control: a source that passes stale values off as current is caught', () => {
    const r = runStorm({ cycles: 300, seed: 11, tamperFromSample: 100 });
    expect(r.invalidSamples).toBeGreaterThan(0);
    expect(r.invalidPublished).toBeGreaterThan(0);
    expect(r.firstInvalid).toMatch(/truth|under fault/);
  });
});
