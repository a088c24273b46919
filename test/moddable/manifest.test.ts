/**
 * manifest.json for mcconfig: checked without the Moddable SDK (CI), and built with the real
 * mcconfig only when MODDABLE_BUILD=1 and $MODDABLE point at a built SDK.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { SIMULATED_SENSOR_XS_HEAP } from '../../simulator/hardware/onewire-bus';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

interface Manifest {
  include?: string | string[];
  config?: Record<string, unknown>;
  creation?: { main?: string } & Record<string, unknown>;
  modules?: Record<string, string | string[]>;
  preload?: string | string[];
  resources?: Record<string, string | string[]>;
  platforms?: Record<string, Manifest & { error?: string }>;
  dependency?: unknown[];
}

const list = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

function load(path: string): Manifest {
  return JSON.parse(readFileSync(path, 'utf8')) as Manifest;
}

/** Project-relative sources ("./...") of a modules/resources map, resolved against `base`. */
function projectSources(map: Record<string, string | string[]> | undefined, base: string): { target: string; source: string }[] {
  const out: { target: string; source: string }[] = [];
  for (const [target, sources] of Object.entries(map ?? {})) {
    for (const source of list(sources)) if (source.startsWith('./')) out.push({ target, source: resolve(base, source) });
  }
  return out;
}

/** A module source exists if some file has its name plus a module extension (or, with *, its folder). */
function sourceExists(source: string, extensions: string[]): boolean {
  if (source.endsWith('/*')) {
    const dir = source.slice(0, -2);
    return existsSync(dir) && statSync(dir).isDirectory();
  }
  return extensions.some((ext) => existsSync(source + ext));
}

/** Module names (file names without .ts) of the TypeScript files in a project folder. */
function tsModules(dir: string): string[] {
  return readdirSync(join(root, dir)).filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts')).map((f) => f.slice(0, -3));
}

const manifest = load(join(root, 'manifest.json'));
const fragments = Object.entries(manifest.platforms ?? {}).flatMap(([name, p]) =>
  list(p.include).filter((i) => i.startsWith('./')).map((i) => ({ name, path: resolve(root, i) })),
);

describe('manifest.json', () => {
  it('names the esp32 targets and the simulator platforms', () => {
    const names = Object.keys(manifest.platforms ?? {});
    for (const p of ['esp32', 'esp32/moddable_two', 'esp32/m5stack', 'lin', 'mac', 'win', 'lin/*', 'mac/*', 'win/*']) expect(names).toContain(p);
    expect(manifest.platforms?.['...']?.error).toMatch(/unsupported/);
  });

  it('builds on manifest_base, networking, TLS and Preference', () => {
    const includes = list(manifest.include);
    for (const i of [
      '$(MODDABLE)/examples/manifest_base.json',
      '$(MODULES)/crypt/tls.json',
      '$(MODULES)/network/socket/manifest.json',
      '$(MODULES)/network/sntp/manifest.json',
      '$(MODULES)/files/preference/manifest.json',
    ])
      expect(includes).toContain(i);
  });

  it('starts hosts/moddable/main, which exists', () => {
    expect(manifest.creation?.main).toBe('hosts/moddable/main');
    const main = manifest.modules?.['hosts/moddable/*'];
    expect(list(main)).toContain('./hosts/moddable/main');
  });

  it('every project module path it names exists, and module names mirror the folders', () => {
    const all = [
      ...projectSources(manifest.modules, root),
      ...fragments.flatMap((f) => projectSources(load(f.path).modules, dirname(f.path))),
    ];
    expect(all.length).toBeGreaterThan(10);
    for (const { target, source } of all) {
      expect(sourceExists(source, ['.ts', '.js', '.c']), `${target} -> ${source}`).toBe(true);
      const rel = source.slice(root.length + 1);
      if (target.endsWith('/*') && source.endsWith('/*')) expect(target).toBe(rel);
      else if (target.endsWith('/*')) expect(rel.startsWith(target.slice(0, -1))).toBe(true);
      else if (target.startsWith('hosts/') || target.startsWith('src/')) {
        // A platform-specific implementation under a shared name lives under the same folder.
        expect(rel.startsWith(dirname(target))).toBe(true);
      }
    }
  });

  it('every module the host imports relatively is in the map under its folder name', () => {
    const mapped = new Set<string>();
    for (const { target, source } of projectSources(manifest.modules, root)) {
      if (target.endsWith('/*') && source.endsWith('/*')) {
        for (const f of readdirSync(source.slice(0, -2))) if (f.endsWith('.ts')) mapped.add(`${target.slice(0, -1)}${f.slice(0, -3)}`);
      } else if (target.endsWith('/*')) mapped.add(source.slice(root.length + 1));
      else mapped.add(target);
    }
    for (const f of fragments) for (const t of Object.keys(load(f.path).modules ?? {})) mapped.add(t);
    const hostDir = join(root, 'hosts/moddable');
    for (const f of readdirSync(hostDir).filter((n) => n.endsWith('.ts'))) {
      const text = readFileSync(join(hostDir, f), 'utf8');
      for (const m of text.matchAll(/from '(\.[^']+)'/g)) {
        const name = join('hosts/moddable', m[1]!);
        expect(mapped.has(name), `${f} imports ${m[1]} (${name})`).toBe(true);
      }
    }
  });

  it('resources exist: the display fonts as BMFont (.fnt version 3 + .png atlas), the Azure root as DER', () => {
    const resources = projectSources(manifest.resources, root);
    const fonts = resources.filter(({ source }) => source.includes('/fonts/'));
    expect(fonts.map(({ source }) => source.slice(source.lastIndexOf('/') + 1)).sort()).toEqual(['DejaVuSans-Bold-16', 'DejaVuSans-Bold-48']);
    for (const { source } of fonts) {
      expect(readFileSync(`${source}.fnt`).subarray(0, 4).toString('latin1')).toBe('BMF\u0003');
      expect(readFileSync(`${source}.png`).subarray(1, 4).toString('latin1')).toBe('PNG');
    }
    const certs = resources.filter(({ source }) => !source.includes('/fonts/'));
    expect(certs.length).toBeGreaterThan(0);
    for (const { source } of certs) {
      const der = readFileSync(`${source}.der`);
      expect(der[0]).toBe(0x30); // DER SEQUENCE
    }
  });

  it('carries both IoT Hub roots as resources: DigiCert Global Root G2 from the SDK store (ca170), Microsoft RSA Root CA 2017 as project DER', () => {
    const star = list(manifest.resources?.['*']);
    expect(star).toContain('$(MODULES)/crypt/data/ca170');
    expect(star).toContain('./hosts/moddable/certs/microsoft-rsa-root-2017');
    const pemDer = (file: string) => Buffer.from(readFileSync(join(root, 'resources/certs', file), 'utf8').replace(/-----[^-]+-----|\s+/g, ''), 'base64');
    expect(readFileSync(join(root, 'hosts/moddable/certs/microsoft-rsa-root-2017.der')).equals(pemDer('microsoft-rsa-root-ca-2017.pem'))).toBe(true);
    // network.ts maps each PEM of src/iothub/root-cas.ts to these resource names.
    const network = readFileSync(join(root, 'hosts/moddable/network.ts'), 'utf8');
    expect(network).toMatch(/'digicert-global-root-g2\.pem': 'ca170\.der'/);
    expect(network).toMatch(/DEFAULT_ROOT_RESOURCE = 'microsoft-rsa-root-2017\.der'/);
    expect(network).toMatch(/'microsoft-rsa-root-ca-2017\.pem': DEFAULT_ROOT_RESOURCE/);
    // With the SDK at hand: its ca170 is that very certificate.
    const store = process.env.MODDABLE && join(process.env.MODDABLE, 'modules/crypt/data/ca170.der');
    if (store && existsSync(store)) expect(readFileSync(store).equals(pemDer('digicert-global-root-g2.pem'))).toBe(true);
  });

  it('has every config key, and no secrets', () => {
    const config = manifest.config ?? {};
    const keys = ['ssid', 'password', 'connectionString', 'idScope', 'registrationId', 'deviceKey', 'hubCa', 'hubHost', 'hubPort', 'onewirePin', 'sampleIntervalMs', 'telemetryIntervalMs', 'analyticsWindow', 'outboxMaxCount', 'outboxMaxBytes', 'sntp'];
    for (const k of keys) expect(config).toHaveProperty(k);
    for (const k of ['ssid', 'password', 'connectionString', 'idScope', 'registrationId', 'deviceKey', 'hubCa', 'hubHost']) expect(config[k]).toBe('');
    // hosts/moddable/config.ts reads exactly these keys.
    const reader = readFileSync(join(root, 'hosts/moddable/config.ts'), 'utf8');
    for (const k of keys) expect(reader, k).toContain(`c.${k}`);
    expect(typeof config.onewirePin).toBe('number');
    const text = readFileSync(join(root, 'manifest.json'), 'utf8') + fragments.map((f) => readFileSync(f.path, 'utf8')).join('');
    expect(text).not.toMatch(/SharedAccessKey=|HostName=|-----BEGIN/);
  });

  it('maps every src/ folder, so whatever src/ imports resolves under mcconfig', () => {
    const modules = manifest.modules ?? {};
    const preload = list(manifest.preload);
    const walk = (dir: string): string[] =>
      readdirSync(join(root, dir), { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? [`${dir}/${e.name}`, ...walk(`${dir}/${e.name}`)] : []));
    for (const dir of walk('src')) {
      if (!readdirSync(join(root, dir)).some((f) => f.endsWith('.ts'))) continue;
      expect(modules[`${dir}/*`], dir).toBe(`./${dir}/*`);
      for (const f of tsModules(dir)) expect(preload, `${dir}/${f}`).toContain(`${dir}/${f}`);
    }
  });

  it('preloads TypeScript modules by name (mcconfig expands "*" preload patterns for .js files only)', () => {
    const preload = [...list(manifest.preload), ...fragments.flatMap((f) => list(load(f.path).preload))];
    expect(preload.filter((p) => p.includes('*'))).toEqual([]);
    // A platform fragment may give a file another module's name (storage-sim is the simulators'
    // "hosts/moddable/storage"): then that name is the one preloaded.
    const nameOf = new Map<string, string>();
    for (const f of fragments) {
      for (const [name, source] of Object.entries(load(f.path).modules ?? {})) {
        if (typeof source === 'string' && source.startsWith('./')) nameOf.set(resolve(dirname(f.path), source), name);
      }
    }
    for (const f of tsModules('hosts/moddable')) {
      expect(preload, f).toContain(nameOf.get(join(root, 'hosts/moddable', f)) ?? `hosts/moddable/${f}`);
    }
  });

  it('installs Moddable\'s TextEncoder/TextDecoder as globals, preloaded before the modules that test for them', () => {
    const includes = list(manifest.include);
    expect(includes).toContain('$(MODULES)/data/text/encoder/manifest.json');
    expect(includes).toContain('$(MODULES)/data/text/decoder/manifest.json');
    expect(list(manifest.preload)[0]).toBe('hosts/moddable/text-globals');
    const main = readFileSync(join(root, 'hosts/moddable/main.ts'), 'utf8');
    expect(main.indexOf("import './text-globals'")).toBeGreaterThanOrEqual(0);
    expect(main.indexOf("import './text-globals'")).toBeLessThan(main.indexOf("from './application'"));
  });

  it('simulators: the simulated bus from simulator/hardware, restart restarts the application', () => {
    const sim = load(fragments.find((f) => f.name === 'lin')!.path);
    expect(sim.modules?.['simulator/hardware/*']).toBe('../../simulator/hardware/*');
    for (const f of tsModules('simulator/hardware')) expect(list(sim.preload)).toContain(`simulator/hardware/${f}`);
    // The ESP32's default heap plus room for the default simulated sensors' models, which the
    // firmware takes off again (main.ts): so a plain simulator build sizes itself as an ESP32 would.
    const simSensors = Number(load(join(root, 'manifest.json')).config?.simSensors);
    expect(simSensors).toBe(3);
    expect(sim.creation).toEqual({
      chunk: { initial: 78848 + simSensors * SIMULATED_SENSOR_XS_HEAP.chunkBytes, incremental: 0 },
      heap: { initial: 4928 + simSensors * SIMULATED_SENSOR_XS_HEAP.slots, incremental: 0 },
    });
    expect(sim.modules?.['hosts/moddable/restart']).toBe('./restart');
    // Every simulator/hardware module the bus imports exists under that name.
    const bus = readFileSync(join(root, 'hosts/moddable/onewire/bus.ts'), 'utf8');
    for (const m of bus.matchAll(/from '(\.[^']+)'/g)) {
      const rel = join('hosts/moddable/onewire', m[1]!);
      expect(existsSync(join(root, `${rel}.ts`)), rel).toBe(true);
    }
    expect(bus).toMatch(/simulator\/hardware\/onewire-bus/);
    for (const p of ['mac', 'win', 'lin/*', 'mac/*', 'win/*']) expect(fragments.find((f) => f.name === p)?.path).toBe(fragments.find((f) => f.name === 'lin')!.path);
  });

  it('simulators ignore SIGPIPE before anything connects (mcsim died on a write to a connection the hub had closed); esp32 has nothing to ignore', () => {
    const sim = load(fragments.find((f) => f.name === 'lin')!.path);
    expect(sim.modules?.['hosts/moddable/broken-pipe']).toBe('./sim/broken-pipe');
    expect(list(sim.modules?.['*'])).toContain('./sim/modbrokenpipe');
    expect(list(sim.preload)).toContain('hosts/moddable/broken-pipe');
    const c = readFileSync(join(root, 'hosts/moddable/sim/modbrokenpipe.c'), 'utf8');
    expect(c).toMatch(/void xs_thermo_ignore_broken_pipe\(xsMachine \*the\)[^}]*signal\(SIGPIPE, SIG_IGN\)/);
    expect(readFileSync(join(root, 'hosts/moddable/sim/broken-pipe.ts'), 'utf8')).toContain("native('xs_thermo_ignore_broken_pipe')");
    const esp32 = load(fragments.find((f) => f.name === 'esp32')!.path);
    expect(esp32.modules?.['hosts/moddable/broken-pipe']).toBe('./broken-pipe');
    // main ignores it first: the debugger connection has reset it to the default by then.
    const main = readFileSync(join(root, 'hosts/moddable/main.ts'), 'utf8');
    expect(main).toMatch(/export default function main\(\): void \{\s*ignoreBrokenPipe\(\);/);
  });

  it('storage: NVS through Preference on esp32; on the simulators a file per key (their Preference cannot save once preloaded)', () => {
    const esp32 = load(fragments.find((f) => f.name === 'esp32')!.path);
    const sim = load(fragments.find((f) => f.name === 'lin')!.path);
    expect(esp32.modules?.['hosts/moddable/storage']).toBe('./storage');
    expect(sim.modules?.['hosts/moddable/storage']).toBe('./storage-sim');
    expect(list(sim.include)).toContain('$(MODULES)/files/file/manifest.json');
    for (const m of [esp32, sim]) expect(list(m.preload)).toContain('hosts/moddable/storage');
    expect(list(manifest.preload)).not.toContain('hosts/moddable/storage');
    expect(readFileSync(join(root, 'hosts/moddable/storage.ts'), 'utf8')).toMatch(/from 'preference'/);
    const simStorage = readFileSync(join(root, 'hosts/moddable/storage-sim.ts'), 'utf8');
    expect(simStorage).not.toMatch(/preference/i);
    expect(simStorage).toMatch(/from 'file'/);
  });

  it('esp32: restart reboots through a native esp_restart(), the 1-Wire native uses the onewire_bus API', () => {
    const esp32 = load(fragments.find((f) => f.name === 'esp32')!.path);
    expect(esp32.modules?.['hosts/moddable/restart']).toBe('./esp32/restart');
    expect(list(esp32.modules?.['*'])).toEqual(expect.arrayContaining(['./onewire/esp32/modonewirebus', './esp32/modrestart']));
    const restartC = readFileSync(join(root, 'hosts/moddable/esp32/modrestart.c'), 'utf8');
    expect(restartC).toMatch(/void xs_thermo_restart\(xsMachine \*the\)[^}]*esp_restart\(\)/);
    expect(readFileSync(join(root, 'hosts/moddable/esp32/restart.ts'), 'utf8')).toContain("native('xs_thermo_restart')");
    // Every native the TypeScript class binds is defined in the C file, with the xsMachine signature
    // (destructors take the host data).
    const ts = readFileSync(join(root, 'hosts/moddable/onewire/esp32/bus.ts'), 'utf8');
    const c = readFileSync(join(root, 'hosts/moddable/onewire/esp32/modonewirebus.c'), 'utf8');
    const bound = [...ts.matchAll(/[Nn]ative\('([a-z_0-9]+)'\)/g)].map((m) => m[1]!);
    expect(bound.length).toBeGreaterThanOrEqual(7);
    for (const name of bound) {
      const signature = name.endsWith('_destructor') ? `void ${name}(void *data)` : `void ${name}(xsMachine *the)`;
      expect(c, name).toContain(signature);
    }
    // Only the onewire_bus component's API (as Moddable's drivers/onewire/esp32 uses it).
    for (const call of c.matchAll(/\b(onewire_[a-z_]+)\(/g)) {
      expect(['onewire_new_bus_rmt', 'onewire_bus_del', 'onewire_bus_reset', 'onewire_bus_read_bit', 'onewire_bus_write_bit', 'onewire_bus_read_bytes', 'onewire_bus_write_bytes']).toContain(call[1]);
    }
  });

  it('the ESP32 fragment maps the 1-Wire bus to the native master and pulls in onewire_bus', () => {
    const esp32 = fragments.find((f) => f.name === 'esp32')!;
    const m = load(esp32.path);
    expect(m.modules?.['hosts/moddable/onewire/bus']).toBe('./onewire/esp32/bus');
    // mcconfig (tools/mcmanifest.js) takes ESP-IDF component dependencies only from a matching
    // platforms entry ("esp32"), never from a manifest's top level: there it is silently ignored.
    expect(m.dependency).toBeUndefined();
    expect(m.platforms?.['esp32']?.dependency).toEqual([{ name: 'onewire_bus', version: '^1.0.2' }]);
    const sim = fragments.find((f) => f.name === 'lin')!;
    expect(load(sim.path).modules?.['hosts/moddable/onewire/bus']).toBe('./onewire/bus');
  });
});

// The real build exists only with MODDABLE_BUILD=1 (the SDK is not an npm package and CI has
// none): then it is defined and must pass; otherwise it is not part of the run at all.
const sdk = process.env.MODDABLE;
if (process.env.MODDABLE_BUILD === '1') describe('mcconfig build (MODDABLE_BUILD=1)', () => {
  it('mcconfig -d -m -p sim/moddable_two -t build succeeds, writes mc.so outside the repo, and xsl finds no unfrozen module-level value of ours', () => {
    expect(sdk && existsSync(join(sdk, 'build/bin/lin/release/mcconfig'))).toBeTruthy();
    // Without its output xsl links again, so its warnings are printed even when nothing else changed.
    rmSync(join(sdk!, 'build/tmp/lin/moddable_two/debug', root.split('/').pop()!, 'mc.xs.c'), { force: true });
    const run = spawnSync('mcconfig', ['-d', '-m', '-p', 'sim/moddable_two', '-t', 'build'], {
      cwd: root,
      env: { ...process.env, PATH: `${sdk}/build/bin/lin/release:${process.env.PATH}` },
      encoding: 'utf8',
      timeout: 900_000,
    });
    expect(run.status, run.stderr).toBe(0);
    const out = run.stdout + run.stderr;
    expect(out).not.toMatch(/typescript compile failure/);
    expect(out).toMatch(/# xsl modules/);
    // xsl: "not frozen" (copied to RAM) / "no const" (let/var). The remaining ones are the SDK's own.
    const sdkWarning = /^### warning: (ssl\/cache|ssl\/cert|wifi): | Preference\.#cache: not frozen$/;
    const ours = out.split('\n').filter((l) => l.startsWith('### warning') && !sdkWarning.test(l));
    expect(ours).toEqual([]);
    const so = join(sdk!, 'build/bin/lin/moddable_two/debug', root.split('/').pop()!, 'mc.so');
    expect(existsSync(so)).toBe(true);
    expect(statSync(so).mtimeMs).toBeGreaterThan(Date.now() - 900_000);
  }, 900_000);

  it('mcconfig -p esp32/moddable_two (makefile only, no ESP-IDF needed) adds the onewire_bus component and its include dir', () => {
    const out = mkdtempSync(join(tmpdir(), 'thermo-esp32-'));
    try {
      const run = spawnSync('mcconfig', ['-d', '-p', 'esp32/moddable_two', '-o', out, '-t', 'build'], {
        cwd: root,
        env: { ...process.env, PATH: `${sdk}/build/bin/lin/release:${process.env.PATH}` },
        encoding: 'utf8',
        timeout: 300_000,
      });
      expect(run.status, run.stderr).toBe(0);
      const makefile = readFileSync(join(out, 'tmp/esp32/moddable_two/debug', root.split('/').pop()!, 'makefile'), 'utf8');
      expect(makefile).toMatch(/^BUILD_DEPENDENCIES = .*idf\.py add-dependency "espressif\/onewire_bus\^1\.0\.2"/m);
      expect(makefile).toMatch(/managed_components\/espressif__onewire_bus\/include/);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 300_000);
});
