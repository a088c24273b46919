#!/usr/bin/env node
/**
 * Runs a TypeScript entry inside the real XS engine (@agoric/xsnap) and sends it commands.
 *
 * Usage: node test/xs/xsrun.mjs <entry.ts | --suites> <commands.json | ->
 *   commands: a JSON array of { op, arg }; each is answered by the entry's `serve` handlers.
 *   XS_ENGINE=device runs the xs-device worker (scripts/build-xs-device.mjs: UTF-8 strings,
 *   the firmware's 896-slot stack, a fixed heap) instead of xsnap's own (CESU-8, 4096 slots).
 * Prints one JSON document: { results: [{ reply, compute, currentHeapCount, chunkBytes? }] }.
 *
 * This must be its own process: `@endo/init` (needed by xsnap's Node side) locks down the
 * realm with SES, which breaks test runners.
 */
import '@endo/init';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { xsnap } from '@agoric/xsnap';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const deviceWorker = path.join(root, 'node_modules/.xs-device/xsnap-worker');

/** xsnap()'s spawn, pointed at the xs-device worker when XS_ENGINE=device. */
function engineSpawn() {
  const engine = process.env.XS_ENGINE ?? 'xsnap';
  if (engine === 'xsnap') return spawn;
  if (engine !== 'device') throw new Error(`XS_ENGINE=${engine}: expected xsnap or device`);
  if (!fs.existsSync(deviceWorker)) throw new Error(`no ${deviceWorker}: run node scripts/build-xs-device.mjs (npm ci does)`);
  return (_bin, args, options) => spawn(deviceWorker, args, options);
}

/** Finds the shared suites: every test/**\/*.suite.ts exporting `suite`. */
function findSuites(dir = path.join(root, 'test'), found = []) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) findSuites(full, found);
    else if (entry.name.endsWith('.suite.ts')) found.push(full);
  }
  return found.sort();
}

async function bundle(entryArg) {
  let contents;
  if (entryArg === '--suites') {
    const files = findSuites();
    contents =
      files.map((f, i) => `import { suite as s${i} } from ${JSON.stringify(f)};`).join('\n') +
      `\nimport { serveSuites } from ${JSON.stringify(path.join(root, 'test/xs/suites-entry.ts'))};\n` +
      `serveSuites([${files.map((_, i) => `s${i}`).join(', ')}]);\n`;
  } else {
    contents = `import ${JSON.stringify(path.resolve(entryArg))};\n`;
  }
  const result = await build({
    stdin: { contents, resolveDir: root, sourcefile: 'xs-entry.ts', loader: 'ts' },
    bundle: true,
    // The suites bundle is every module of the project: wrapped in an IIFE, all their top-level
    // bindings are locals of that one function, and XS gives each local a stack slot, so on the
    // xs-device engine's 896-slot stack the frame alone overflowed once the project grew. As a
    // flat script (ESM output; the entry exports nothing) they are script bindings instead. The
    // benchmark entries stay IIFEs: small, and their computrons measured that way.
    format: entryArg === '--suites' ? 'esm' : 'iife',
    target: 'es2022',
    platform: 'neutral',
    write: false,
    logLevel: 'error',
  });
  return result.outputFiles[0].text;
}

/**
 * The suites bundle as scripts to evaluate one after another, split at module boundaries
 * (esbuild's `// path` comment before each module). XS gives every top-level declaration of a
 * script a stack slot while the script runs, so the whole project as one script outgrew
 * xs-device's 896-slot stack (about 700 declarations) although no suite comes near it: they run
 * later, on an empty stack. Top-level var and function declarations of a script become
 * properties of the global object (esbuild's ESM output declares nothing else at the top), so
 * each piece sees the earlier ones, and esbuild orders modules so that none runs before what it uses.
 */
function scriptPieces(code, maxDeclarations = 200) {
  const pieces = [];
  let lines = [];
  let declarations = 0;
  for (const line of code.split('\n')) {
    if (/^\/\/ \S+\.(ts|mjs|js)$/.test(line) && declarations >= maxDeclarations) {
      pieces.push(lines.join('\n'));
      lines = [];
      declarations = 0;
    }
    if (/^(var|function|async function|let|const|class) /.test(line)) declarations++;
    lines.push(line);
  }
  pieces.push(lines.join('\n'));
  return pieces;
}

async function main() {
  const [entryArg, commandsArg] = process.argv.slice(2);
  if (!entryArg || !commandsArg) {
    console.error('usage: xsrun.mjs <entry.ts | --suites> <commands.json | ->');
    process.exit(2);
  }
  const commandsText = commandsArg === '-' ? fs.readFileSync(0, 'utf8') : commandsArg.trim().startsWith('[') ? commandsArg : fs.readFileSync(commandsArg, 'utf8');
  const commands = JSON.parse(commandsText);
  const code = await bundle(entryArg);

  const worker = await xsnap({
    os: os.type(),
    spawn: engineSpawn(),
    fs: { ...fs, ...fs.promises, tmpName: (opts, cb) => cb(null, path.join(os.tmpdir(), `xsnap-${process.pid}-${Date.now()}`)) },
    name: 'xs-lane',
    stderr: 'inherit',
    stdout: 'inherit',
    meteringLimit: 0,
  });
  const decoder = new TextDecoder();
  const results = [];
  try {
    for (const piece of entryArg === '--suites' ? scriptPieces(code) : [code]) await worker.evaluate(piece);
    for (const command of commands) {
      const { reply, meterUsage } = await worker.issueCommand(new TextEncoder().encode(JSON.stringify(command)));
      results.push({
        reply: JSON.parse(decoder.decode(reply)),
        compute: meterUsage.compute,
        currentHeapCount: meterUsage.currentHeapCount,
        // xs-device reports the chunk heap in use as "allocate" (scripts/build-xs-device.mjs).
        ...(process.env.XS_ENGINE === 'device' ? { chunkBytes: meterUsage.allocate } : {}),
      });
    }
  } finally {
    await worker.close().catch(() => {});
  }
  process.stdout.write(JSON.stringify({ results }) + '\n');
}

main().catch((error) => {
  console.error(`xsrun: ${error && error.stack ? error.stack : error}`);
  process.exit(1);
});
