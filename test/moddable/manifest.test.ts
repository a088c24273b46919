/**
 * manifest.json for mcconfig: checked without the Moddable SDK (CI), and built with the real
 * mcconfig only when MODDABLE_BUILD=1 and $MODDABLE point at a built SDK.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

interface Manifest {
  include?: string | string[];
  creation?: { main?: string };
  config?: Record<string, unknown>;
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

  it('resources exist: fonts from the SDK, the Azure root as DER', () => {
    const resources = projectSources(manifest.resources, root);
    expect(resources.length).toBeGreaterThan(0);
    for (const { source } of resources) {
      const der = readFileSync(`${source}.der`);
      expect(der[0]).toBe(0x30); // DER SEQUENCE
    }
  });

  it('has every config key, and no secrets', () => {
    const config = manifest.config ?? {};
    for (const k of ['ssid', 'password', 'connectionString', 'idScope', 'registrationId', 'deviceKey', 'hubCa', 'onewirePin', 'sampleIntervalMs', 'sntp']) expect(config).toHaveProperty(k);
    for (const k of ['ssid', 'password', 'connectionString', 'idScope', 'registrationId', 'deviceKey', 'hubCa']) expect(config[k]).toBe('');
    expect(typeof config.onewirePin).toBe('number');
    const text = readFileSync(join(root, 'manifest.json'), 'utf8') + fragments.map((f) => readFileSync(f.path, 'utf8')).join('');
    expect(text).not.toMatch(/SharedAccessKey=|HostName=|-----BEGIN/);
  });

  it('the ESP32 fragment maps the 1-Wire bus to the native master and pulls in onewire_bus', () => {
    const esp32 = fragments.find((f) => f.name === 'esp32')!;
    const m = load(esp32.path);
    expect(m.modules?.['hosts/moddable/onewire/bus']).toBe('./onewire/esp32/bus');
    expect(JSON.stringify(m.dependency)).toContain('onewire_bus');
    const sim = fragments.find((f) => f.name === 'lin')!;
    expect(load(sim.path).modules?.['hosts/moddable/onewire/bus']).toBe('./onewire/bus');
  });
});

// The real build exists only with MODDABLE_BUILD=1 (the SDK is not an npm package and CI has
// none): then it is defined and must pass; otherwise it is not part of the run at all.
const sdk = process.env.MODDABLE;
if (process.env.MODDABLE_BUILD === '1') describe('mcconfig build (MODDABLE_BUILD=1)', () => {
  it('mcconfig -d -m -p sim/moddable_two -t build succeeds and writes mc.so outside the repo', () => {
    expect(sdk && existsSync(join(sdk, 'build/bin/lin/release/mcconfig'))).toBeTruthy();
    const out = execFileSync('mcconfig', ['-d', '-m', '-p', 'sim/moddable_two', '-t', 'build'], {
      cwd: root,
      env: { ...process.env, PATH: `${sdk}/build/bin/lin/release:${process.env.PATH}` },
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 900_000,
    });
    expect(out).not.toMatch(/typescript compile failure/);
    const so = join(sdk!, 'build/bin/lin/moddable_two/debug', root.split('/').pop()!, 'mc.so');
    expect(existsSync(so)).toBe(true);
    expect(statSync(so).mtimeMs).toBeGreaterThan(Date.now() - 900_000);
  }, 900_000);
});
