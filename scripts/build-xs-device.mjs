#!/usr/bin/env node
/**
 * Builds "xs-device": a second xsnap worker from the XS sources that @agoric/xsnap ships, made to
 * behave like Moddable's device builds where xsnap does not:
 *   - strings as UTF-8 code points (mxCESU8 not defined): '\u{1F600}'.length === 1 and
 *     charCodeAt can exceed 0xFFFF, as on an ESP32 and in the Moddable simulator;
 *   - a stack of XS_DEVICE_STACK slots (default 896, the firmware's manifest value) instead of 4096;
 *   - a fixed heap: no incremental growth, so a runaway allocation aborts instead of growing;
 *   - the meter's "allocate" is the chunk heap in use (xsnap's own: the space reserved).
 * The binary goes to node_modules/.xs-device/xsnap-worker (npm ci rebuilds it: postinstall).
 * test/xs/xsrun.mjs starts it through xsnap()'s `spawn` option when XS_ENGINE=device.
 *
 * Exits non-zero, loudly, when the build fails: CI must not silently lose this lane.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const xsnapDir = path.join(root, 'node_modules/@agoric/xsnap');
const nativeDir = path.join(xsnapDir, 'xsnap-native/xsnap');
const outDir = path.join(root, 'node_modules/.xs-device');
const stack = Number(process.env.XS_DEVICE_STACK ?? 896);
// Slots and chunks: fixed (no increments), sized for the suites' own data, not the ESP32's
// 4,928 slots: the whole test corpus runs in one machine. What matters here is that it
// cannot grow without bound.
const heapSlots = 512 * 1024;
const chunkBytes = 64 * 1024 * 1024;

function fail(message) {
  console.error(`build-xs-device: ${message}`);
  process.exit(1);
}

if (!fs.existsSync(path.join(nativeDir, 'sources/xsnap-worker.c'))) fail(`no XS sources at ${nativeDir} (is @agoric/xsnap installed?)`);

const work = path.join(outDir, 'src');
fs.rmSync(outDir, { recursive: true, force: true });
fs.mkdirSync(work, { recursive: true });
fs.cpSync(path.join(nativeDir, 'sources'), path.join(work, 'sources'), { recursive: true });
fs.cpSync(path.join(nativeDir, 'makefiles'), path.join(work, 'makefiles'), { recursive: true });

/** Replaces `from` (which must occur exactly once) in a copied source file. */
function patch(file, from, to) {
  const full = path.join(work, file);
  const text = fs.readFileSync(full, 'utf8');
  const at = text.indexOf(from);
  if (at < 0 || text.indexOf(from, at + 1) >= 0) fail(`${file}: expected exactly one "${from}"; the XS sources changed`);
  fs.writeFileSync(full, text.replace(from, to));
}

patch('sources/xsnapPlatform.h', '#define mxCESU8 1', '/* xs-device: UTF-8 strings as on Moddable devices (mxCESU8 undefined) */');
patch(
  'sources/xsnap-worker.c',
  `		32 * 1024 * 1024,	/* initialChunkSize */
		4 * 1024 * 1024,	/* incrementalChunkSize */
		256 * 1024,			/* initialHeapCount */
		128 * 1024,			/* incrementalHeapCount */
		4096,				/* stackCount */`,
  `		${chunkBytes},	/* initialChunkSize (xs-device: fixed) */
		0,	/* incrementalChunkSize */
		${heapSlots},			/* initialHeapCount (xs-device: fixed) */
		0,			/* incrementalHeapCount */
		${stack},				/* stackCount (xs-device: the firmware's) */`,
);

// The meter's "allocate" (xsnap: the heap space reserved, fixed here) reports the chunk bytes in
// use instead, so a command after gc measures the live chunk heap as Instrumentation's "XS Chunk
// Heap Used" does on the device (test/xs/lane.ts: chunkBytes).
patch('sources/xsnapPlatform.c', 'txSize fxGetCurrentHeapCount(txMachine* the)', 'txSize fxGetCurrentChunksSize(txMachine* the) { return the->currentChunksSize; } /* xs-device */\n\ntxSize fxGetCurrentHeapCount(txMachine* the)');
patch('sources/xsnap-worker.c', 'extern xsIntegerValue fxGetCurrentHeapCount(xsMachine* the);', 'extern xsIntegerValue fxGetCurrentHeapCount(xsMachine* the);\nextern xsIntegerValue fxGetCurrentChunksSize(xsMachine* the); /* xs-device */');
patch('sources/xsnap-worker.c', 'meterIndex, the->allocatedSpace, tsbuf);', 'meterIndex, (unsigned)fxGetCurrentChunksSize(the), tsbuf); /* xs-device: chunk bytes in use */');

const version = JSON.parse(fs.readFileSync(path.join(xsnapDir, 'package.json'), 'utf8')).version;
const started = Date.now();
try {
  execFileSync(
    'make',
    [
      `MODDABLE=${path.join(xsnapDir, 'moddable')}`,
      'GOAL=release',
      `XSNAP_VERSION=${version}`,
      'CC=cc "-D__has_builtin(x)=1"',
      `BUILD_DIR=${path.join(outDir, 'build')}`,
      `TLS_DIR=${path.join(work, 'sources')}`,
      '-j2',
      '-f',
      'xsnap-worker.mk',
    ],
    { cwd: path.join(work, 'makefiles/lin'), stdio: ['ignore', 'inherit', 'inherit'] },
  );
} catch (e) {
  fail(`make failed: ${e.message}`);
}
const built = path.join(outDir, 'build/bin/lin/release/xsnap-worker');
if (!fs.existsSync(built)) fail(`make finished but ${built} is missing`);
fs.copyFileSync(built, path.join(outDir, 'xsnap-worker'));
fs.chmodSync(path.join(outDir, 'xsnap-worker'), 0o755);
console.log(`build-xs-device: ${path.join(outDir, 'xsnap-worker')} (UTF-8 strings, stack ${stack} slots, fixed heap) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
