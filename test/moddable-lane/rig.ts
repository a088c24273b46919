/**
 * The Moddable lane's rig: builds the firmware with mcconfig for sim/moddable_two and runs it in
 * mcsim, headless under Xvfb, with the SDK's xsbug-log as the debugger that prints its trace
 * output. The lane needs the Moddable SDK (not an npm package; CI cannot fetch it): without it,
 * requireSdk() throws with what is missing, and the lane fails loudly.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { SIMULATED_SENSOR_XS_HEAP } from '../../simulator/hardware/onewire-bus';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { projectRoot } from '../xs/lane';

export interface Sdk {
  moddable: string;
  bin: string;
}

/** The SDK from $MODDABLE, with mcconfig, mcsim, Xvfb and xsbug-log's modules, or a clear error. */
export function requireSdk(): Sdk {
  const moddable = process.env.MODDABLE;
  const missing: string[] = [];
  if (!moddable) missing.push('MODDABLE is not set (export MODDABLE=<the SDK, built by its Linux guide>)');
  const bin = moddable ? path.join(moddable, 'build/bin/lin/release') : '';
  if (moddable) {
    for (const tool of ['mcconfig', 'mcsim', 'xsc', 'xsl']) if (!fs.existsSync(path.join(bin, tool))) missing.push(`${path.join(bin, tool)} is missing (build the SDK's tools)`);
    if (!fs.existsSync(path.join(moddable, 'tools/xsbug-log/node_modules/saxophone'))) missing.push(`xsbug-log's modules are missing: (cd ${moddable}/tools/xsbug-log && npm install)`);
  }
  if (spawnSync('which', ['Xvfb']).status !== 0) missing.push('Xvfb is not installed (apt-get install xvfb)');
  if (spawnSync('which', ['tsc']).status !== 0) missing.push('tsc is not on the PATH (npm install -g typescript@6)');
  // The screenshots (docs/moddable-sim-alarm.png, test-results/*.png) are taken with ImageMagick's import.
  if (spawnSync('which', ['import']).status !== 0) missing.push('ImageMagick is not installed (apt-get install imagemagick): the lane takes screenshots with import');
  if (missing.length > 0) throw new Error(`the Moddable lane cannot run:\n  - ${missing.join('\n  - ')}`);
  return { moddable: moddable as string, bin };
}

/**
 * Builds the firmware (debug, sim/moddable_two) from the manifest in `manifestDir` (the project's,
 * or one that includes it) with `config` as mcconfig name=value arguments. Returns the mc.so path.
 * Secrets in `config` (the emulator's device key) are not logged.
 */
export function buildFirmware(sdk: Sdk, manifestDir: string, config: Record<string, string | number>): string {
  // The simulators' storage is a folder of files (hosts/moddable/storage-sim.ts): each lane run
  // gets its own, so parallel lanes and earlier runs never read each other's settings or outbox.
  if (typeof config.storageDir !== 'string' || !path.isAbsolute(config.storageDir)) throw new Error('buildFirmware: config.storageDir must be an absolute folder of this run');
  // Each checkout builds into its own build/moddable (mcconfig -o), so two working copies never
  // share the SDK's build/tmp/<name> directory and overwrite each other's mc.so mid-run.
  const output = path.join(projectRoot, 'build/moddable');
  fs.mkdirSync(output, { recursive: true });
  const args = ['-d', '-m', '-p', 'sim/moddable_two', '-t', 'build', '-o', output, ...Object.entries(config).map(([k, v]) => `${k}=${v}`)];
  const out = spawnSync(path.join(sdk.bin, 'mcconfig'), args, {
    cwd: manifestDir,
    env: { ...process.env, PATH: `${sdk.bin}:${process.env.PATH ?? ''}` },
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    timeout: 60 * 60_000, // a full build took 40 minutes on a machine shared by five agents
  });
  if (out.status !== 0) throw new Error(`mcconfig failed (exit ${out.status}):\n${(out.stdout + out.stderr).split('\n').slice(-40).join('\n')}`);
  const mcso = path.join(output, 'bin/lin/moddable_two/debug', path.basename(manifestDir), 'mc.so');
  if (!fs.existsSync(mcso)) throw new Error(`mcconfig succeeded but ${mcso} is missing`);
  return mcso;
}

/** The ESP32 targets' default slot heap and chunk heap, which the lane's manifests give mcsim (plus the simulated sensors' models). */
export const ESP32_SLOTS = 4928;
export const ESP32_CHUNK = 78_848;
/** What one simulated DS18B20 takes in the firmware's XS machine, which the lane adds to the ESP32's heap. */
export const SIM_SENSOR_SLOTS = SIMULATED_SENSOR_XS_HEAP.slots;
export const SIM_SENSOR_CHUNK = SIMULATED_SENSOR_XS_HEAP.chunkBytes;

/**
 * Writes a lane manifest for `sensors` simulated sensors into build/moddable/manifests/<name>:
 * the project's manifest with the slot and chunk heaps of the ESP32 plus what the simulated
 * sensors take, and `extra` slots and chunk bytes for a device configured beyond the ESP32's default heap.
 * Returns its folder (for buildFirmware).
 */
export function laneManifest(name: string, sensors: number, extra: { slots?: number; chunk?: number } = {}): string {
  const dir = path.join(projectRoot, 'build/moddable/manifests', name);
  fs.mkdirSync(dir, { recursive: true });
  const manifest = {
    include: [path.join(projectRoot, 'manifest.json')],
    platforms: {
      'lin/*': {
        creation: {
          chunk: { initial: ESP32_CHUNK + (extra.chunk ?? 0) + sensors * SIM_SENSOR_CHUNK, incremental: 0 },
          heap: { initial: ESP32_SLOTS + (extra.slots ?? 0) + sensors * SIM_SENSOR_SLOTS, incremental: 0 },
        },
      },
    },
  };
  const file = path.join(dir, 'manifest.json');
  const text = JSON.stringify(manifest, null, 2);
  // Unchanged text keeps mcconfig's build of it incremental.
  if (!fs.existsSync(file) || fs.readFileSync(file, 'utf8') !== text) fs.writeFileSync(file, text);
  return dir;
}

/**
 * Memory samples over a soak: the median of the first and of the last third (at least two
 * samples each), slots and chunk bytes as the simulator reports them. Flat means the late
 * medians are within 2 % (slots) and 4 KB (chunk) of the early ones: the ESP32's heap leaves no
 * room for a leak of a slot a message.
 */
export function heapTrend(soak: readonly MemorySample[]): { early: { slots: number; chunk: number }; late: { slots: number; chunk: number }; flat: boolean } {
  const third = Math.max(2, Math.floor(soak.length / 3));
  const median = (xs: number[]): number => xs.slice().sort((a, b) => a - b)[xs.length >> 1]!;
  const of = (part: readonly MemorySample[]) => ({ slots: median(part.map((s) => s.slots)), chunk: median(part.map((s) => s.chunk)) });
  const early = of(soak.slice(0, third));
  const late = of(soak.slice(-third));
  return { early, late, flat: late.slots <= early.slots * 1.02 && late.chunk <= early.chunk + 4096 };
}

/** After a lane file: a screenshot of the simulator, then everything it started is stopped and removed. */
export async function endLane(firmware: RunningFirmware | undefined, screenshot: string, hub: { stop(): Promise<void> } | undefined, dataDir: string | undefined): Promise<void> {
  if (firmware) {
    firmware.screenshot(screenshot);
    await firmware.stop();
  }
  await hub?.stop();
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
}

/**
 * The firmware configuration that points it at the emulator whose data folder is `dataDir` (its
 * CA, on loopback at `hubPort`) as device `deviceId`, with this run's own storage folder.
 */
export function emulatorConfig(hub: { connectionString(deviceId: string): string }, deviceId: string, dataDir: string, hubPort: number): Record<string, string | number> {
  return {
    storageDir: path.join(dataDir, 'storage/'),
    connectionString: hub.connectionString(deviceId),
    hubCa: fs.readFileSync(path.join(dataDir, 'ca.der')).toString('base64'),
    hubHost: '127.0.0.1',
    hubPort,
  };
}

/** A free TCP port on loopback. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

/** Lines that mean the firmware died or lost an exception: a test fails on any of them. */
export const FATAL = /XS abort|unhandled (exception|rejection)|stack overflow|memory full|# Break:|Segmentation|not enough memory/i;

export interface MemorySample {
  atMs: number;
  slots: number;
  chunk: number;
  stack: number;
}

export class RunningFirmware {
  /** Everything xsbug-log printed, ANSI escapes removed, one entry per line. */
  readonly lines: string[] = [];
  readonly memory: MemorySample[] = [];
  private readonly waiters: { re: RegExp; from: number; resolve: (line: string) => void }[] = [];
  private exited: number | null | undefined;

  constructor(
    private readonly debuggerProcess: ChildProcess,
    private readonly xvfb: ChildProcess,
    readonly display: string,
    private readonly startedMs: number,
    /** Each line is appended here as it arrives (a live log to follow with tail -f). */
    private readonly logFile: string,
    private readonly mcso: string,
    append: boolean,
  ) {
    fs.mkdirSync(path.dirname(logFile), { recursive: true });
    if (append) fs.appendFileSync(logFile, '[rig] simulator started again\n');
    else fs.writeFileSync(logFile, '');
    let partial = '';
    const onText = (chunk: Buffer): void => {
      partial += chunk.toString('utf8').replace(/\x1b\[[0-9;]*[A-Za-z]/g, '');
      const parts = partial.split('\n');
      partial = parts.pop() ?? '';
      for (const line of parts) this.addLine(line.replace(/^\(xsdb\)\s*/, '').trim());
    };
    debuggerProcess.stdout?.on('data', onText);
    debuggerProcess.stderr?.on('data', onText);
    debuggerProcess.on('exit', (code) => {
      this.exited = code;
      this.addLine(`[rig] debugger and simulator exited (${code})`);
    });
  }

  get alive(): boolean {
    return this.exited === undefined;
  }

  /** Lines matching FATAL so far. */
  fatalLines(): string[] {
    return this.lines.filter((l) => FATAL.test(l));
  }

  /** Resolves with the first line matching `re` after line index `from` (default: from now). */
  waitForLine(re: RegExp, timeoutMs: number, from = this.lines.length): Promise<string> {
    for (let i = from; i < this.lines.length; i++) if (re.test(this.lines[i]!)) return Promise.resolve(this.lines[i]!);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const i = this.waiters.findIndex((w) => w.resolve === done);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(new Error(`no log line matching ${re} within ${timeoutMs} ms; last lines:\n${this.lines.slice(-15).join('\n')}`));
      }, timeoutMs);
      const done = (line: string): void => {
        clearTimeout(timer);
        resolve(line);
      };
      this.waiters.push({ re, from, resolve: done });
    });
  }

  /** A PNG of the simulator's window (ImageMagick's import on the Xvfb display). */
  screenshot(file: string): boolean {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    return spawnSync('import', ['-window', 'root', file], { env: { ...process.env, DISPLAY: this.display } }).status === 0;
  }

  /** A power cut: the simulator is killed at once (SIGKILL, nothing saved on the way out). */
  async powerCut(): Promise<void> {
    spawnSync('pkill', ['-KILL', '-f', `mcsim .*${this.mcso}`]);
    await this.stop();
  }

  async stop(): Promise<void> {
    if (this.alive) {
      this.debuggerProcess.kill('SIGTERM');
      await new Promise((r) => setTimeout(r, 500));
    }
    spawnSync('pkill', ['-f', `mcsim .*${this.mcso}`]);
    this.xvfb.kill('SIGTERM');
  }

  private addLine(line: string): void {
    if (line === '') return;
    this.lines.push(line);
    fs.appendFileSync(this.logFile, line + '\n');
    const m = /memory: slots=(\d+) chunk=(\d+) stack=(\d+)/.exec(line);
    if (m) this.memory.push({ atMs: Date.now() - this.startedMs, slots: Number(m[1]), chunk: Number(m[2]), stack: Number(m[3]) });
    for (let i = 0; i < this.waiters.length; ) {
      const w = this.waiters[i]!;
      if (this.lines.length - 1 >= w.from && w.re.test(line)) {
        this.waiters.splice(i, 1);
        w.resolve(line);
      } else i++;
    }
  }
}

/**
 * Starts Xvfb on a free display and mcsim with `mcso` under xsbug-log. MODDABLE_LANE_MCSIM names
 * another program to start in mcsim's place with the same arguments (a wrapper that runs mcsim
 * under gdb or valgrind, to see where a native crash happens).
 */
export async function runFirmware(sdk: Sdk, mcso: string, logFile: string, options: { appendLog?: boolean } = {}): Promise<RunningFirmware> {
  spawnSync('pkill', ['-f', `mcsim .*${mcso}`]); // a simulator left over from an interrupted run
  let display = '';
  let xvfb: ChildProcess | undefined;
  for (let n = 90; n < 140 && !xvfb; n++) {
    if (fs.existsSync(`/tmp/.X11-unix/X${n}`) || fs.existsSync(`/tmp/.X${n}-lock`)) continue;
    const p = spawn('Xvfb', [`:${n}`, '-screen', '0', '800x600x24', '-nolisten', 'tcp'], { stdio: 'ignore' });
    await new Promise((r) => setTimeout(r, 700));
    if (p.exitCode === null && fs.existsSync(`/tmp/.X11-unix/X${n}`)) {
      xvfb = p;
      display = `:${n}`;
    } else p.kill();
  }
  if (!xvfb) throw new Error('could not start Xvfb on any display :90..:139');
  const port = await freePort();
  const debuggerProcess = spawn(
    process.execPath,
    [
      path.join(sdk.moddable, 'tools/xsbug-log/xsbug-log.js'),
      process.env.MODDABLE_LANE_MCSIM ?? path.join(sdk.bin, 'mcsim'),
      path.join(sdk.moddable, 'build/simulators'),
      mcso,
    ],
    {
      cwd: path.join(sdk.moddable, 'tools/xsbug-log'),
      env: { ...process.env, DISPLAY: display, XSBUG_LOG_PORT: String(port), XSBUG_PORT: String(port) },
      stdio: ['pipe', 'pipe', 'pipe'],
    },
  );
  // Exceptions the SDK throws and catches itself (Preference on Linux, TextDecoder probes) must not stop the run.
  debuggerProcess.stdin?.write('set exceptions off\n');
  return new RunningFirmware(debuggerProcess, xvfb, display, Date.now(), logFile, mcso, options.appendLog === true);
}
