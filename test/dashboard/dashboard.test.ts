/**
 * The dashboard in headless Chromium (Debian's, driven by playwright-core), against the whole
 * simulator: hub emulator, a simulated device on the Node host, the dashboard server.
 * Assertions are on what a person sees.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../simulator/main';
import { tempDir } from '../e2e/helpers';

let dir: string;
let sim: Simulator;
let browser: BrowserContext;
let page: Page;

beforeAll(async () => {
  dir = tempDir('thermo-dash-');
  sim = await startSimulator({ dataDir: dir, dashboardPort: 0, mqttPort: 0, httpPort: null, log: 'warn', config: { samplingIntervalMs: 300, telemetryIntervalMs: 2000 } });
  // A fresh profile directory per run (playwright passes it as --user-data-dir).
  browser = await chromium.launchPersistentContext(path.join(dir, 'chromium'), {
    executablePath: '/usr/bin/chromium',
    viewport: { width: 1280, height: 900 },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  page = browser.pages()[0] ?? (await browser.newPage());
  const external: string[] = [];
  page.on('request', (r) => {
    if (!r.url().startsWith(sim.dashboard.url)) external.push(r.url());
  });
  await page.goto(sim.dashboard.url);
  expect(external).toEqual([]);
});

afterAll(async () => {
  await browser?.close();
  await sim?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('dashboard', () => {
  it('shows the device screen from the display model and live charts', async () => {
    await expect.poll(() => page.locator('[data-testid=screen-status]').textContent(), { timeout: 20000 }).toContain('hub connected');
    await expect.poll(() => page.locator('[data-testid=screen-sensors] li').count()).toBe(3);
    const big = await page.locator('#scr-big').textContent();
    expect(Number(big)).toBeGreaterThan(15);
    await expect.poll(() => page.locator('.chart').count()).toBe(3);
    const points = async (): Promise<number> => Number(await page.locator('.chart').first().getAttribute('data-points'));
    const p0 = await points();
    await expect.poll(points, { timeout: 10000 }).toBeGreaterThan(p0 + 2);
    // The canvas has really been drawn: some pixels are the value line's blue.
    const blue = await page.locator('.chart canvas').first().evaluate((el) => {
      const c = el as unknown as { width: number; height: number; getContext(k: "2d"): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } | null };
      const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 0; i < d.length; i += 4) if (d[i] < 80 && d[i + 1] > 90 && d[i + 1] < 130 && d[i + 2] > 160) n++;
      return n;
    });
    expect(blue).toBeGreaterThan(20);
  });

  it('sends a C2D message and sees it on the rendered device display', async () => {
    await page.fill('[data-testid=c2d-text]', 'Meeting moved to 3pm');
    await page.fill('[data-testid=c2d-sender]', 'alice');
    await page.click('[data-testid=c2d-send]');
    await expect.poll(() => page.locator('[data-testid=screen-message] .text').textContent(), { timeout: 15000 }).toBe('Meeting moved to 3pm');
    expect(await page.locator('[data-testid=screen-message] .from').textContent()).toContain('alice');
    // The same model is served as JSON.
    const model = (await (await fetch(`${sim.dashboard.url}/api/devices/sim-1/display`)).json()) as { message: { text: string } };
    expect(model.message.text).toBe('Meeting moved to 3pm');
  });

  it('injects a sensor fault and sees the status change on the screen and the chart', async () => {
    const sensorId = await page.locator('[data-testid=fault-sensor]').inputValue();
    expect(sensorId).toMatch(/^28/);
    await page.click('[data-testid=fault-disconnect]');
    const line = page.locator(`[data-testid=screen-sensors] li[data-sensor="${sensorId}"]`);
    await expect.poll(() => line.textContent(), { timeout: 15000 }).toContain('MISSING');
    await expect.poll(() => page.locator(`.chart[data-sensor="${sensorId}"]`).getAttribute('data-status')).toBe('missing');
    await page.click('[data-testid=fault-crc]');
    await page.click('[data-testid=fault-reconnect]');
    await expect.poll(() => line.textContent(), { timeout: 15000 }).toContain('FAULTY');
    await page.click('[data-testid=fault-clear]');
    await expect.poll(() => line.textContent(), { timeout: 15000 }).toContain('°C');
  });

  it('invokes a method, edits the twin, shows an anomaly and cuts the network', async () => {
    await page.selectOption('[data-testid=method-name]', 'identify');
    await page.fill('[data-testid=method-payload]', '{"durationMs":1500}');
    await page.click('[data-testid=method-invoke]');
    await expect.poll(() => page.locator('[data-testid=method-result]').textContent(), { timeout: 15000 }).toContain('200');
    await expect.poll(() => page.locator('#screen').getAttribute('class')).toContain('identify');
    await page.fill('[data-testid=twin-desired]', '{"displayMessage": "Hello from the twin"}');
    await page.click('[data-testid=twin-apply]');
    await expect.poll(() => page.locator('[data-testid=screen-message] .text').textContent(), { timeout: 15000 }).toBe('Hello from the twin');
    await expect.poll(() => page.locator('[data-testid=twin-reported]').textContent(), { timeout: 15000 }).toContain('Hello from the twin');
    await expect.poll(() => page.locator('#screen').getAttribute('class'), { timeout: 5000 }).not.toContain('identify');

    // A spike on the second sensor once its window is judged (10 samples): the badge appears.
    const second = await page.locator('[data-testid=fault-sensor] option').nth(1).getAttribute('value');
    const windowCount = async (): Promise<number> => {
      const r = await fetch(`${sim.dashboard.url}/api/devices/sim-1/methods/getStats`, { method: 'POST' });
      const body = (await r.json()) as { payload: { sensors: { id: string; count: number }[] } };
      return body.payload.sensors.find((x) => x.id === second)?.count ?? 0;
    };
    await expect.poll(windowCount, { timeout: 30000, interval: 500 }).toBeGreaterThanOrEqual(14);
    expect(await page.locator('[data-testid=anomaly-badge]').isVisible()).toBe(false);
    await page.selectOption('[data-testid=fault-sensor]', second as string);
    await page.click('[data-testid=fault-spike]');
    await expect.poll(() => page.locator('[data-testid=anomaly-badge]').isVisible(), { timeout: 15000 }).toBe(true);
    await expect.poll(() => page.locator(`.chart[data-sensor="${second}"] .st`).textContent()).toContain('anomaly');

    await page.click('[data-testid=net-cut]');
    await expect.poll(() => page.locator('[data-testid=screen-status]').textContent(), { timeout: 15000 }).toMatch(/net down/);
    expect(await page.locator('[data-testid=net-state]').textContent()).toBe('CUT');
    await page.waitForTimeout(1500);
    // A cut link is transient: the device says it is reconnecting, not that it is misconfigured.
    expect(await page.locator('[data-testid=screen-status]').textContent()).toMatch(/hub connecting/);
    fs.mkdirSync('test-results', { recursive: true });
    await page.screenshot({ path: 'test-results/dashboard.png', fullPage: true });
    await page.click('[data-testid=net-restore]');
    await expect.poll(() => page.locator('[data-testid=screen-status]').textContent(), { timeout: 20000 }).toContain('hub connected');
  });
});
