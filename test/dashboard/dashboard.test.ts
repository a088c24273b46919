/**
 * The dashboard in headless Chromium (Debian's, driven by playwright-core), against the whole
 * simulator: hub emulator, a simulated device on the Node host, the dashboard server.
 * Assertions are on what a person sees: the loading and empty states, the charts and their
 * legend colours, the contrast of every text (WCAG AA, 4.5:1) in each state of the page and
 * of the rendered device display; and the browser console stays free of errors throughout.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { chromium, type BrowserContext, type Page, type Route } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../simulator/main';
import { tempDir } from '../e2e/helpers';
import { auditContrast, type TextContrast } from './contrast-audit.js';

const AA = 4.5;

let dir: string;
let sim: Simulator;
let browser: BrowserContext;
let page: Page;
/** console errors, uncaught page errors and failed loads, from every page of the test */
const problems: string[] = [];
let releaseDevices: () => void = () => undefined;

function watch(p: Page): void {
  p.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console: ${m.text()}`);
  });
  p.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  p.on('response', (r) => {
    if (r.status() >= 400) problems.push(`${r.status()} ${r.url()}`);
  });
}

/** Every visible text in the current state meets 4.5:1; returns the texts measured. */
async function expectReadable(p: Page, state: string, minTexts: number): Promise<TextContrast[]> {
  const texts = await p.evaluate(auditContrast);
  expect(texts.length, `${state}: texts measured`).toBeGreaterThanOrEqual(minTexts);
  expect(texts.filter((t) => t.ratio < AA), `${state}: texts under ${AA}:1`).toEqual([]);
  return texts;
}

beforeAll(async () => {
  dir = tempDir('thermo-dash-');
  sim = await startSimulator({ dataDir: dir, dashboardPort: 0, mqttPort: 0, httpPort: null, log: 'warn', config: { samplingIntervalMs: 300, telemetryIntervalMs: 2000 }, detector: { warmupMs: 3000 } });
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
  watch(page);
  const external: string[] = [];
  page.on('request', (r) => {
    if (!r.url().startsWith(sim.dashboard.url)) external.push(r.url());
  });
  // The device list is held back until the first test has seen the loading state.
  const gate = new Promise<void>((resolve) => (releaseDevices = resolve));
  await page.route(
    (url) => url.pathname === '/api/devices',
    async (route: Route) => {
      await gate;
      await route.continue();
    },
  );
  await page.goto(sim.dashboard.url);
  expect(external).toEqual([]);
});

afterEach(() => {
  // any console error (a CSP violation, a 404, an exception) fails the test that caused it
  expect(problems.splice(0)).toEqual([]);
});

afterAll(async () => {
  releaseDevices();
  await browser?.close();
  await sim?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('dashboard', () => {
  it('shows a loading state before the first data, then the device screen and live charts', async () => {
    await expect.poll(() => page.locator('[data-testid=screen-loading]').isVisible()).toBe(true);
    expect(await page.locator('[data-testid=screen-loading]').textContent()).toBe('Waiting for the device…');
    expect(await page.locator('[data-testid=big-temp]').isVisible()).toBe(false);
    expect(await page.locator('[data-testid=charts-note]').textContent()).toBe('Loading devices…');
    expect(await page.locator('[data-testid=conn]').textContent()).not.toBe('live');
    expect(await page.locator('[data-testid=conn]').getAttribute('class')).not.toContain('ok');
    await expectReadable(page, 'loading', 15);

    releaseDevices();
    await page.unroute((url) => url.pathname === '/api/devices');
    await expect.poll(() => page.locator('[data-testid=screen-status]').textContent(), { timeout: 20000 }).toContain('hub connected');
    await expect.poll(() => page.locator('[data-testid=conn]').textContent()).toBe('live');
    expect(await page.locator('[data-testid=screen-loading]').isVisible()).toBe(false);
    await expect.poll(() => page.locator('[data-testid=screen-sensors] li').count()).toBe(3);
    const big = await page.locator('#scr-big').textContent();
    expect(Number(big)).toBeGreaterThan(15);
    await expect.poll(() => page.locator('.chart').count()).toBe(3);
    expect(await page.locator('[data-testid=charts-note]').isVisible()).toBe(false);
    const points = async (): Promise<number> => Number(await page.locator('.chart').first().getAttribute('data-points'));
    const p0 = await points();
    await expect.poll(points, { timeout: 10000 }).toBeGreaterThan(p0 + 2);
    // The canvas has really been drawn: some pixels are the value line's blue.
    const blue = await page.locator('.chart canvas').first().evaluate((el) => {
      const c = el as unknown as { width: number; height: number; getContext(k: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } | null };
      const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 0; i < d.length; i += 4) if (d[i] < 80 && d[i + 1] > 90 && d[i + 1] < 130 && d[i + 2] > 160) n++;
      return n;
    });
    expect(blue).toBeGreaterThan(20);
    const favicon = await fetch(`${sim.dashboard.url}/favicon.ico`);
    expect([favicon.status, favicon.headers.get('content-type')]).toEqual([200, 'image/svg+xml']);
  });

  it('shows a legend whose colour swatches are those of the chart', async () => {
    const legend = page.locator('.chart').first().locator('.legend .item');
    expect(await legend.allTextContents()).toEqual(['±σ', 'mean', 'value', 'limits', 'anomaly (S spike · L shift · T trend)', 'limit alarm (HIGH/LOW)', 'not online']);
    const swatches = await legend.evaluateAll((items) =>
      items.map((item) => {
        const sw = (item as unknown as { querySelector(s: string): unknown }).querySelector('.sw') as { getBoundingClientRect(): { width: number; height: number } };
        const css = (globalThis as unknown as { getComputedStyle(e: unknown): Record<string, string> }).getComputedStyle(sw);
        const r = sw.getBoundingClientRect();
        return { width: r.width, height: r.height, background: css.backgroundColor, border: css.borderTopStyle === 'dashed' ? css.borderTopColor : null };
      }),
    );
    expect(swatches.map((s) => [s.background, s.border])).toEqual([
      ['rgba(142, 68, 173, 0.2)', null],
      ['rgba(0, 0, 0, 0)', 'rgb(142, 68, 173)'],
      ['rgb(44, 111, 187)', null],
      ['rgba(0, 0, 0, 0)', 'rgb(160, 90, 0)'],
      ['rgb(231, 76, 60)', null],
      ['rgba(0, 0, 0, 0)', null],
      ['rgba(231, 76, 60, 0.25)', null],
    ]);
    for (const s of swatches) expect(s.width * Math.max(s.height, 2)).toBeGreaterThanOrEqual(16);
    // the canvas drew the mean in the swatch's purple (polled: the chart redraws as samples come,
    // and a mean line only a few samples long, or lying under the value line, shows few pixels)
    const purplePixels = () =>
      page.locator('.chart canvas').first().evaluate((el) => {
        const c = el as unknown as { width: number; height: number; getContext(k: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } | null };
        const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
        let n = 0;
        for (let i = 0; i < d.length; i += 4) if (Math.abs(d[i] - 142) < 20 && Math.abs(d[i + 1] - 68) < 20 && Math.abs(d[i + 2] - 173) < 20 && d[i + 3] > 200) n++;
        return n;
      });
    await expect.poll(purplePixels, { timeout: 15_000, interval: 300 }).toBeGreaterThan(5);
  });

  it('measures a low-contrast text when there is one (the audit can fail)', async () => {
    await page.evaluate(`(() => {
      const p = document.createElement('p');
      p.id = 'probe';
      p.textContent = 'grey on grey';
      p.style.color = '#777';
      p.style.background = '#888';
      document.querySelector('.panel').append(p);
    })()`);
    const probe = (await page.evaluate(auditContrast)).find((t) => t.what === 'p#probe');
    await page.evaluate(`document.getElementById('probe').remove()`);
    expect(probe).toMatchObject({ text: 'grey on grey', fg: '#777777', bg: '#888888' });
    expect(probe!.ratio).toBeLessThan(1.5);
  });

  it('sends a C2D message, clears the input and shows the message on the rendered device display', async () => {
    await page.fill('[data-testid=c2d-text]', 'Meeting moved to 3pm');
    await page.fill('[data-testid=c2d-sender]', 'alice');
    await page.click('[data-testid=c2d-send]');
    await expect.poll(() => page.locator('[data-testid=c2d-result]').textContent()).toBe('queued: "Meeting moved to 3pm"');
    expect(await page.inputValue('[data-testid=c2d-text]')).toBe('');
    await expect.poll(() => page.locator('[data-testid=screen-message] .text').textContent(), { timeout: 15000 }).toBe('Meeting moved to 3pm');
    expect(await page.locator('[data-testid=screen-message] .from').textContent()).toContain('alice');
    // The same model is served as JSON.
    const model = (await (await fetch(`${sim.dashboard.url}/api/devices/sim-1/display`)).json()) as { message: { text: string } };
    expect(model.message.text).toBe('Meeting moved to 3pm');
    // an empty text is not sent: the browser's own check stops it (no request, so no 400)
    const sent = sim.hub!.c2dQueue('sim-1').length;
    await page.click('[data-testid=c2d-send]');
    expect(await page.locator('[data-testid=c2d-text]').evaluate((el) => (el as unknown as { validity: { valueMissing: boolean } }).validity.valueMissing)).toBe(true);
    expect(sim.hub!.c2dQueue('sim-1').length).toBe(sent);
    await expectReadable(page, 'with a message', 40);
  });

  it('injects a sensor fault and sees the status change on the screen and the chart', async () => {
    const sensorId = await page.locator('[data-testid=fault-sensor]').inputValue();
    expect(sensorId).toMatch(/^28/);
    await page.click('[data-testid=fault-disconnect]');
    const line = page.locator(`[data-testid=screen-sensors] li[data-sensor="${sensorId}"]`);
    await expect.poll(() => line.textContent(), { timeout: 15000 }).toContain('MISSING');
    await expect.poll(() => page.locator(`.chart[data-sensor="${sensorId}"]`).getAttribute('data-status')).toBe('missing');
    await expectReadable(page, 'a sensor missing', 40);
    await page.click('[data-testid=fault-crc]');
    await page.click('[data-testid=fault-reconnect]');
    await expect.poll(() => line.textContent(), { timeout: 15000 }).toContain('FAULTY');
    await page.click('[data-testid=fault-clear]');
    await expect.poll(() => line.textContent(), { timeout: 15000 }).toContain('°C');
  });

  it('identify mode is readable in both phases of its flash', async () => {
    await page.selectOption('[data-testid=method-name]', 'identify');
    await page.fill('[data-testid=method-payload]', '{"durationMs":8000}');
    await page.click('[data-testid=method-invoke]');
    await expect.poll(() => page.locator('[data-testid=method-result]').textContent(), { timeout: 15000 }).toContain('200');
    await expect.poll(() => page.locator('#screen').getAttribute('class')).toContain('identify');
    // Hold the flash at each phase and measure: the dark palette, then the light one.
    const hold = (ms: number) =>
      page.evaluate(`(() => {
        const screen = document.getElementById('screen');
        const animations = screen.getAnimations();
        for (const a of animations) { a.pause(); a.currentTime = ${ms}; }
        return [animations.length, getComputedStyle(screen).backgroundColor];
      })()`);
    expect(await hold(200)).toEqual([1, 'rgb(0, 0, 0)']);
    const dark = await expectReadable(page, 'identify, dark phase', 40);
    expect(await hold(700)).toEqual([1, 'rgb(255, 255, 255)']);
    const light = await expectReadable(page, 'identify, light phase', 40);
    // the screen's texts were measured on white in the light phase
    expect(light.find((t) => t.what === 'span#scr-big')?.bg).toBe('#ffffff');
    expect(dark.find((t) => t.what === 'span#scr-big')?.bg).toBe('#000000');
    await page.evaluate(`document.getElementById('screen').getAnimations().forEach((a) => a.play())`);
    await expect.poll(() => page.locator('#screen').getAttribute('class'), { timeout: 15000 }).not.toContain('identify');
  });

  it('edits the twin, shows an anomaly and cuts the network', async () => {
    await page.fill('[data-testid=twin-desired]', '{"displayMessage": "Hello from the twin"}');
    await page.click('[data-testid=twin-apply]');
    await expect.poll(() => page.locator('[data-testid=screen-message] .text').textContent(), { timeout: 15000 }).toBe('Hello from the twin');
    await expect.poll(() => page.locator('[data-testid=twin-reported]').textContent(), { timeout: 15000 }).toContain('Hello from the twin');
    // an error line is readable too
    await page.fill('[data-testid=twin-desired]', '{not json');
    await page.click('[data-testid=twin-apply]');
    expect(await page.locator('#twin-result').getAttribute('class')).toContain('err');
    await expectReadable(page, 'an error shown', 40);

    // A spike on the second sensor once the detector judges (20 samples and the warm-up, shortened
    // to 3 s here): the badge appears.
    const second = await page.locator('[data-testid=fault-sensor] option').nth(1).getAttribute('value');
    const windowCount = async (): Promise<number> => {
      const r = await fetch(`${sim.dashboard.url}/api/devices/sim-1/methods/getStats`, { method: 'POST' });
      const body = (await r.json()) as { payload: { sensors: { id: string; count: number }[] } };
      return body.payload.sensors.find((x) => x.id === second)?.count ?? 0;
    };
    await expect.poll(windowCount, { timeout: 30000, interval: 500 }).toBeGreaterThanOrEqual(25);
    expect(await page.locator('[data-testid=anomaly-badge]').isVisible()).toBe(false);
    await page.selectOption('[data-testid=fault-sensor]', second as string);
    await page.click('[data-testid=fault-spike]');
    await expect.poll(() => page.locator('[data-testid=anomaly-badge]').isVisible(), { timeout: 15000 }).toBe(true);
    await expect.poll(() => page.locator(`.chart[data-sensor="${second}"] .st`).textContent()).toContain('anomaly');
    const alarm = await expectReadable(page, 'anomaly', 40);
    expect(alarm.some((t) => t.text === 'ANOMALY')).toBe(true);

    // A high limit below the second sensor's temperature, set through the twin: the limit alarm
    // shows on the screen (badge, HIGH on the sensor's line) and on the chart (status, limit line).
    await page.fill('[data-testid=twin-desired]', JSON.stringify({ alarms: { [second as string]: { high: 5, hysteresis: 0.5, holdMs: 0 } } }));
    await page.click('[data-testid=twin-apply]');
    await expect.poll(() => page.locator('[data-testid=alarm-badge]').isVisible(), { timeout: 15000 }).toBe(true);
    await expect.poll(() => page.locator(`[data-testid=screen-sensors] li[data-sensor="${second}"]`).textContent()).toContain('HIGH');
    await expect.poll(() => page.locator(`.chart[data-sensor="${second}"] .st`).textContent()).toContain('HIGH alarm');
    const limitPixels = () => page.locator(`.chart[data-sensor="${second}"] canvas`).evaluate((el) => {
      const c = el as unknown as { width: number; height: number; getContext(k: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } | null };
      const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 0; i < d.length; i += 4) if (Math.abs(d[i] - 160) < 20 && Math.abs(d[i + 1] - 90) < 20 && d[i + 2] < 30 && d[i + 3] > 200) n++;
      return n;
    });
    await expect.poll(limitPixels, { timeout: 10000 }).toBeGreaterThan(5);

    await page.click('[data-testid=net-cut]');
    await expect.poll(() => page.locator('[data-testid=screen-status]').textContent(), { timeout: 15000 }).toMatch(/net down/);
    expect(await page.locator('[data-testid=net-state]').textContent()).toBe('CUT');
    expect(await page.locator('[data-testid=net-result]').textContent()).toBe('link cut');
    await page.waitForTimeout(1500);
    // A cut link is transient: the device says it is reconnecting, not that it is misconfigured.
    expect(await page.locator('[data-testid=screen-status]').textContent()).toMatch(/hub connecting/);
    fs.mkdirSync('test-results', { recursive: true });
    await page.screenshot({ path: 'test-results/dashboard.png', fullPage: true });
    await page.click('[data-testid=net-restore]');
    await expect.poll(() => page.locator('[data-testid=screen-status]').textContent(), { timeout: 20000 }).toContain('hub connected');
  });
});

describe('dashboard of a device without sensors', () => {
  let empty: Simulator;
  let emptyDir: string;
  let p: Page;

  beforeAll(async () => {
    emptyDir = tempDir('thermo-dash-empty-');
    empty = await startSimulator({ dataDir: emptyDir, dashboardPort: 0, mqttPort: 0, httpPort: null, log: 'warn', sensors: 0, config: { samplingIntervalMs: 300, telemetryIntervalMs: 2000 } });
    p = await browser.newPage();
    watch(p);
    await p.goto(empty.dashboard.url);
  });

  afterAll(async () => {
    await p?.close();
    await empty?.stop();
    fs.rmSync(emptyDir, { recursive: true, force: true });
  });

  it('says so on the screen and in the charts pane, and offers no fault to inject', async () => {
    await expect.poll(() => p.locator('[data-testid=screen-status]').textContent(), { timeout: 20000 }).toContain('hub connected');
    await expect.poll(() => p.locator('[data-testid=charts-note]').textContent()).toBe('This device has no sensors: nothing to chart.');
    expect(await p.locator('#scr-bigname').textContent()).toBe('No sensors found on the 1-Wire bus');
    expect(await p.locator('[data-testid=big-temp]').isVisible()).toBe(false);
    expect(await p.locator('.chart').count()).toBe(0);
    expect(await p.locator('[data-testid=fault-disconnect]').isDisabled()).toBe(true);
    expect(await p.locator('[data-testid=fault-sensor]').textContent()).toBe('no sensors');
    expect(await p.locator('[data-testid=conn]').textContent()).toBe('live');
    await expectReadable(p, 'no sensors', 25);
  });
});
