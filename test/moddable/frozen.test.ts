/**
 * Module-level values are frozen, checked without the Moddable SDK.
 *
 * mcconfig preloads every module at build time; xsl keeps frozen objects in flash and copies the
 * rest to RAM, warning "not frozen" (an object) or "no const" (a let/var binding, which a TS
 * enum compiles to). It also makes RegExps, Maps, Sets and binary data read-only at preload, so
 * a module that mutates one of those works under Node and throws on the device. This test loads
 * every module of src/ and simulator/hardware/ (esbuild, each module extended with a function
 * that returns all its top-level bindings, exported or not) and checks every value recursively;
 * hosts/moddable/ imports SDK modules, so it gets the source checks only (no let/var/enum, object
 * and array literals wrapped in Object.freeze). The real build's warnings are checked by
 * manifest.test.ts under MODDABLE_BUILD=1.
 */
import { readdirSync, readFileSync, rmSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build, type Plugin } from 'esbuild';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const LOCALS = '__moduleLocals__';

function tsFiles(dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.d.ts'))
    .map((e) => relative(root, join(e.parentPath, e.name)))
    .sort();
}

function parse(file: string, text: string): ts.SourceFile {
  return ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
}

/** `declare const ...` and the like: no value at run time. */
function isAmbient(s: ts.Statement): boolean {
  return ts.canHaveModifiers(s) && (ts.getModifiers(s) ?? []).some((m) => m.kind === ts.SyntaxKind.DeclareKeyword);
}

function bindingNames(name: ts.BindingName, out: string[]): void {
  if (ts.isIdentifier(name)) out.push(name.text);
  else for (const e of name.elements) if (!ts.isOmittedExpression(e)) bindingNames(e.name, out);
}

/** Top-level value bindings other than functions: variables, enums, classes (for their statics). */
function topLevelNames(source: ts.SourceFile): string[] {
  const names: string[] = [];
  for (const s of source.statements) {
    if (isAmbient(s)) continue;
    if (ts.isVariableStatement(s)) for (const d of s.declarationList.declarations) bindingNames(d.name, names);
    else if ((ts.isEnumDeclaration(s) || ts.isClassDeclaration(s)) && s.name) names.push(s.name.text);
  }
  return names;
}

/** Source-level problems: bindings xsl reports as "no const", literals left unfrozen. */
function sourceProblems(file: string, text: string): string[] {
  const source = parse(file, text);
  const out: string[] = [];
  const at = (n: ts.Node) => `${file}:${source.getLineAndCharacterOfPosition(n.getStart()).line + 1}`;
  const strip = (e: ts.Expression): ts.Expression =>
    ts.isAsExpression(e) || ts.isSatisfiesExpression(e) || ts.isParenthesizedExpression(e) || ts.isTypeAssertionExpression(e) ? strip(e.expression) : e;
  const isFreeze = (e: ts.Expression): e is ts.CallExpression =>
    ts.isCallExpression(e) && ts.isPropertyAccessExpression(e.expression) && e.expression.getText() === 'Object.freeze';
  /** An object or array literal must be the argument of Object.freeze, and so must each nested one. */
  const literal = (e: ts.Expression, where: string, frozen: boolean): void => {
    e = strip(e);
    if (isFreeze(e) && e.arguments[0]) return literal(e.arguments[0], where, true);
    if (ts.isObjectLiteralExpression(e) || ts.isArrayLiteralExpression(e)) {
      if (!frozen) out.push(`${where}: literal not in Object.freeze`);
      const items = ts.isArrayLiteralExpression(e) ? [...e.elements] : e.properties.flatMap((p) => (ts.isPropertyAssignment(p) ? [p.initializer] : []));
      for (const item of items) literal(item, where, false);
    }
  };
  for (const s of source.statements) {
    if (isAmbient(s)) continue;
    if (ts.isEnumDeclaration(s)) out.push(`${at(s)}: enum ${s.name.text} (a mutable object; use a frozen const object)`);
    if (!ts.isVariableStatement(s)) continue;
    if (!(s.declarationList.flags & ts.NodeFlags.Const)) out.push(`${at(s)}: top-level let/var (xsl: "no const")`);
    for (const d of s.declarationList.declarations) if (d.initializer) literal(d.initializer, `${at(d)} ${d.name.getText()}`, false);
  }
  return out;
}

/** Kinds that XS makes read-only at preload: fine in Node, a TypeError on the device when written. */
function petrifiedKind(value: object): string | undefined {
  if (value instanceof Map || value instanceof Set || value instanceof WeakMap || value instanceof WeakSet) return value.constructor.name;
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return value.constructor.name;
  if (value instanceof Promise) return 'Promise';
  return undefined;
}

/** Every object reachable from `value` through own data properties is frozen (functions excepted). */
function valueProblems(value: unknown, where: string, out: string[], seen = new Set<object>()): void {
  if (value === null || (typeof value !== 'object' && typeof value !== 'function')) return;
  if (seen.has(value)) return;
  seen.add(value);
  if (typeof value === 'object') {
    const kind = petrifiedKind(value);
    if (kind) {
      out.push(`${where}: a module-level ${kind} (XS makes it read-only at preload; use a frozen array/object or create it per instance)`);
      return;
    }
    if (value instanceof RegExp) {
      // XS freezes it at preload; a non-global, non-sticky RegExp never writes its lastIndex.
      if (value.global || value.sticky) out.push(`${where}: a /g or /y RegExp (its lastIndex is state)`);
      return;
    }
    if (!Object.isFrozen(value)) out.push(`${where}: not frozen`);
  }
  for (const key of Reflect.ownKeys(value)) {
    if (typeof value === 'function' && (key === 'prototype' || key === 'length' || key === 'name')) continue;
    const d = Object.getOwnPropertyDescriptor(value, key);
    if (d && 'value' in d) valueProblems(d.value, `${where}${typeof key === 'symbol' ? `[${String(key)}]` : Array.isArray(value) ? `[${key}]` : `.${key}`}`, out, seen);
  }
}

interface LoadedModule {
  exports: Record<string, unknown>;
  locals: Record<string, unknown>;
}

/**
 * Bundles `files` (project-relative, or virtual ones given by text) with each extended by a
 * function returning its top-level bindings, imports the bundle, and returns each module's
 * exports and bindings.
 */
async function loadModules(files: string[], virtual: Record<string, string> = {}): Promise<Record<string, LoadedModule>> {
  const wanted = new Set(files.map((f) => resolve(root, f)));
  const extend: Plugin = {
    name: 'module-locals',
    setup(b) {
      b.onResolve({ filter: /^virtual:/ }, (args) => ({ path: args.path, namespace: 'virtual' }));
      b.onLoad({ filter: /.*/, namespace: 'virtual' }, (args) => ({ contents: withLocals(args.path, virtual[args.path.slice(8)]!), loader: 'ts', resolveDir: root }));
      b.onLoad({ filter: /\.ts$/ }, (args) => (wanted.has(args.path) ? { contents: withLocals(args.path, readFileSync(args.path, 'utf8')), loader: 'ts' } : undefined));
    },
  };
  const all = [...files.map((f) => ({ name: f, spec: resolve(root, f) })), ...Object.keys(virtual).map((v) => ({ name: v, spec: `virtual:${v}` }))];
  const entry = all.map((m, i) => `import * as m${i} from ${JSON.stringify(m.spec)};`).join('\n') + `\nexport const modules = { ${all.map((m, i) => `${JSON.stringify(m.name)}: m${i}`).join(', ')} };\n`;
  const result = await build({
    stdin: { contents: entry, resolveDir: root, sourcefile: 'frozen-entry.ts', loader: 'ts' },
    bundle: true,
    format: 'esm',
    target: 'es2022',
    platform: 'neutral',
    write: false,
    logLevel: 'error',
    plugins: [extend],
  });
  const dir = mkdtempSync(join(tmpdir(), 'frozen-'));
  try {
    const file = join(dir, 'bundle.mjs');
    writeFileSync(file, result.outputFiles[0]!.text);
    const loaded = (await import(/* @vite-ignore */ pathToFileURL(file).href)) as { modules: Record<string, Record<string, unknown>> };
    const out: Record<string, LoadedModule> = {};
    for (const [name, ns] of Object.entries(loaded.modules)) {
      const exports = Object.fromEntries(Object.entries(ns).filter(([k]) => k !== LOCALS));
      out[name] = { exports, locals: (ns[LOCALS] as () => Record<string, unknown>)() };
    }
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function withLocals(file: string, text: string): string {
  const names = topLevelNames(parse(file, text));
  return `${text}\nexport function ${LOCALS}() { return { ${names.join(', ')} }; }\n`;
}

function moduleProblems(name: string, m: LoadedModule): string[] {
  const out: string[] = [];
  const seen = new Set<object>();
  for (const [k, v] of Object.entries(m.exports)) valueProblems(v, `${name} export ${k}`, out, seen);
  for (const [k, v] of Object.entries(m.locals)) valueProblems(v, `${name} ${k}`, out, seen);
  return out;
}

const loaded = tsFiles('src').concat(tsFiles('simulator/hardware'));

describe('module-level values are frozen (what Moddable preloads)', () => {
  it('finds the modules', () => {
    expect(loaded.length).toBeGreaterThan(50);
    expect(loaded).toContain('src/mqtt/packets.ts');
    expect(tsFiles('hosts/moddable')).toContain('hosts/moddable/network.ts');
  });

  it('src/ and simulator/hardware/: every top-level value, exported or not, is deeply frozen', async () => {
    const modules = await loadModules(loaded);
    const problems = Object.entries(modules).flatMap(([name, m]) => moduleProblems(name, m));
    expect(problems).toEqual([]);
    // The bindings really were reached, not only the exports.
    expect(Object.keys(modules['src/mqtt/decoder.ts']!.locals)).toContain('FIXED_REMAINING_LENGTH');
    expect(Object.keys(modules['src/device/config.ts']!.locals)).toEqual(expect.arrayContaining(['DEFAULT_CONFIG', 'RULES']));
    expect(Object.keys(modules['src/mqtt/wire.ts']!.locals)).toContain('encoder');
    expect(Object.keys(modules['src/mqtt/properties.ts']!.locals)).toEqual(expect.arrayContaining(['DEFINITIONS', 'BY_ID']));
  }, 60_000);

  it('src/, simulator/hardware/ and hosts/moddable/: no top-level let/var or enum, literals inside Object.freeze', () => {
    const files = [...loaded, ...tsFiles('hosts/moddable')];
    const problems = files.flatMap((f) => sourceProblems(f, readFileSync(join(root, f), 'utf8')));
    expect(problems).toEqual([]);
  });

  // The checks can fail: each offender that xsl reported before these were frozen is found here.
  it('reports a TS enum, an unfrozen table, a nested unfrozen rule, a let, a Map and a /g RegExp', async () => {
    const text = [
      'export enum Kind { A = 1, B = 2 }',
      'const TABLE: readonly number[] = [1, 2];',
      'export const RULES = Object.freeze({ a: { min: 1 }, b: Object.freeze({ min: 2 }) });',
      'let count = 0;',
      'const CACHE = new Map<string, number>();',
      'const WORD = /w/g;',
      'const OK = Object.freeze({ list: Object.freeze([1]) });',
      'const RE = /^[0-9]+$/;',
      'export function use(): unknown { return [TABLE, count, CACHE, WORD, OK, RE]; }',
    ].join('\n');
    const { fixture } = await loadModules([], { fixture: text });
    expect(fixture!.locals).toHaveProperty('TABLE');
    expect(moduleProblems('fixture', fixture!).sort()).toEqual(
      [
        'fixture export Kind: not frozen',
        'fixture TABLE: not frozen',
        'fixture export RULES.a: not frozen',
        'fixture CACHE: a module-level Map (XS makes it read-only at preload; use a frozen array/object or create it per instance)',
        'fixture WORD: a /g or /y RegExp (its lastIndex is state)',
      ].sort(),
    );
    const source = sourceProblems('fixture.ts', text);
    expect(source).toEqual([
      'fixture.ts:1: enum Kind (a mutable object; use a frozen const object)',
      'fixture.ts:2 TABLE: literal not in Object.freeze',
      'fixture.ts:3 RULES: literal not in Object.freeze',
      'fixture.ts:4: top-level let/var (xsl: "no const")',
    ]);
  });
});
