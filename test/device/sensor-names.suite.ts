/**
 * Shared (Node + XS): what the twin may name a sensor and which keys are ROM ids
 * (src/device/sensor-settings validateSensorName, src/device/per-sensor-map isRomId), checked by
 * loops rather than RegExps (a preloaded RegExp's exec segfaulted in mcsim now and then).
 */
import type { Json, Suite } from '../harness';
import { isRomId } from '../../src/device/per-sensor-map';
import { validateSensorName } from '../../src/device/sensor-settings';

export const suite: Suite = {
  name: 'device/sensor-names',
  cases: [
    {
      name: 'names: controls, DEL, C1, line and paragraph separators and lone surrogates are refused; emoji, umlauts and CJK are not',
      run: (t) => {
        const refused = ['a\u0000b', 'tab\there', 'x\u001f', 'del\u007f', 'c1\u0085', 'c1\u009f', 'ls\u2028', 'ps\u2029', 'hi\ud800', '\ud83dx', 'lo\udc00', '\ude00x', 'pair reversed \ude00\ud83d'];
        const accepted = ['Küche Süd', '😀'.repeat(24), '温度计', 'Ω-Ø-ß—é', 'nbsp\u00a0ok', '"quoted"', '🌡️ 1', '\u00a0\u00ff\u0100'];
        for (const name of refused) t.equal(validateSensorName(name), 'contains a control or unprintable character', JSON.stringify(name));
        for (const name of accepted) t.equal(validateSensorName(name), undefined, name);
        return [refused.map((n) => validateSensorName(n) ?? null), accepted.map((n) => validateSensorName(n) ?? null)] as Json;
      },
    },
    {
      name: 'ROM ids: exactly 16 hex digits in either case',
      run: (t) => {
        const yes = ['28FF4A1B2C3D4E01', '28ff4a1b2c3d4e01', '28aAbBcCdDeEfF09', '0000000000000000'];
        const no = ['', '28FF4A1B2C3D4E0', '28FF4A1B2C3D4E011', '28FF4A1B2C3D4E0G', '28FF4A1B2C3D4E0g', '28FF4A1B2C3D4E0 ', '28FF4A1B2C3D4E0/', '28FF4A1B2C3D4E0:', '28FF4A1B2C3D4E0@', '28FF4A1B2C3D4E0`', '28FF4A1B2C3D4E0٣', '28FF4A1B2C3D4E😀'];
        for (const k of yes) t.ok(isRomId(k), k);
        for (const k of no) t.ok(!isRomId(k), JSON.stringify(k));
        return [yes.map(isRomId), no.map(isRomId)];
      },
    },
  ],
};
