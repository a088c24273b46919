/**
 * `npm run bench:mqtt`: runs the codec benchmark (ours vs mqtt-packet, and XS computrons), the
 * client-level publish path in XS (bench/mqtt-session.ts: a QoS 1 PUBLISH through Session and its
 * PUBACK) and the end-to-end benchmark (ours vs mqtt.js through local mosquitto), then gathers
 * their headline figures into bench/results/mqtt.json.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const results = path.join(root, 'bench/results');
const tsx = path.join(root, 'node_modules/.bin/tsx');

for (const script of ['bench/mqtt-codec.ts', 'bench/mqtt-session.ts', 'bench/mqtt-e2e.ts']) {
  try {
    execFileSync(tsx, [script], { cwd: root, stdio: 'inherit' });
  } catch {
    // A missed goal exits 1 after writing its results: gathered below, and this run fails too.
  }
}

const codec = JSON.parse(fs.readFileSync(path.join(results, 'mqtt-codec.json'), 'utf8'));
const e2e = JSON.parse(fs.readFileSync(path.join(results, 'mqtt-e2e.json'), 'utf8'));
const session = JSON.parse(fs.readFileSync(path.join(results, 'mqtt-session.json'), 'utf8'));
const summary = {
  packet: codec.packet,
  encodeRatio: codec.encodeRatio,
  decodeRatio: codec.decodeRatio,
  decodeCopyRatio: codec.decodeCopyRatio,
  xsComputronsEncode: codec.xsComputronsEncode,
  xsComputronsDecode: codec.xsComputronsDecode,
  v5EncodeRatio: codec.v5EncodeRatio,
  v5DecodeRatio: codec.v5DecodeRatio,
  xsComputronsEncodeV5: codec.xsComputronsEncodeV5,
  xsComputronsDecodeV5: codec.xsComputronsDecodeV5,
  xsSessionPublishQos1Computrons: session.xsSessionPublishQos1Computrons,
  xsSessionPublishSlots: session.xsSessionPublishSlots,
  xsDevicePublishComputrons: session.xsDevicePublishComputrons,
  xsDevicePublishSlots: session.xsDevicePublishSlots,
  xsApplicationMessageComputrons: session.xsApplicationMessageComputrons,
  e2eRatio: e2e.e2eRatio,
  v5E2eRatio: e2e.v5E2eRatio,
  goals: { encodeRatio: 3, decodeRatio: 3, e2eRatio: 1, v5EncodeRatio: 3, v5DecodeRatio: 3, v5E2eRatio: 1, ...session.goals },
  ok: codec.ok && session.ok && e2e.ok,
  details: { codec: 'mqtt-codec.json', session: 'mqtt-session.json', e2e: 'mqtt-e2e.json' },
};
fs.writeFileSync(path.join(results, 'mqtt.json'), JSON.stringify(summary, null, 2) + '\n');
console.table({
  encodeRatio: { value: summary.encodeRatio, goal: '>= 3' },
  decodeRatio: { value: summary.decodeRatio, goal: '>= 3' },
  xsComputronsEncode: { value: summary.xsComputronsEncode, goal: '' },
  xsComputronsDecode: { value: summary.xsComputronsDecode, goal: '' },
  xsSessionPublishQos1Computrons: { value: summary.xsSessionPublishQos1Computrons, goal: `<= ${session.goals.xsSessionPublishQos1Computrons}` },
  xsSessionPublishSlots: { value: summary.xsSessionPublishSlots, goal: `<= ${session.goals.xsSessionPublishSlots}` },
  e2eRatio: { value: summary.e2eRatio, goal: '>= 1' },
  v5EncodeRatio: { value: summary.v5EncodeRatio, goal: '>= 3' },
  v5DecodeRatio: { value: summary.v5DecodeRatio, goal: '>= 3' },
  xsComputronsEncodeV5: { value: summary.xsComputronsEncodeV5, goal: '' },
  xsComputronsDecodeV5: { value: summary.xsComputronsDecodeV5, goal: '' },
  v5E2eRatio: { value: summary.v5E2eRatio, goal: '>= 1' },
});
if (!summary.ok) process.exit(1);
