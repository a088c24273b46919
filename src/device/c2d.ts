/**
 * Cloud-to-device messages. Without a `command` property the body is text for the display,
 * shown with its `sender` property and the time it arrived. With a `command` property:
 *   setInterval  body {samplingIntervalMs?, telemetryIntervalMs?, aggregatePeriodMs?}
 *   identify     body {durationMs?}
 *   clear        clears the message on the display
 * Unknown commands and bad arguments are refused with a clear error (logged and reported).
 * IoT Hub caps C2D at 64 KB; anything larger is refused before it is decoded. A message larger
 * than the device takes (its MQTT maximum packet size) arrives without its body, marked
 * `oversize`: it is refused here with its size (logged and reported as lastError), and the hub
 * has it completed by the PUBACK, so it is not redelivered at every connect.
 */
import { decodeUtf8Lenient } from '../text/utf8';
import { MAX_MESSAGE_CHARS } from './display-model';
import { displayText } from './display-text';
import type { DeviceControl } from './control';
import { identifyDuration, intervalPatch, parseArgs } from './control';
import type { C2DMessage } from './ports';

export const MAX_C2D_BYTES = 65536;

export interface C2DResult {
  ok: boolean;
  /** What was done, or why not. */
  detail: string;
}

export function handleC2D(message: C2DMessage, control: DeviceControl): C2DResult {
  const result = dispatch(message, control);
  if (!result.ok) control.error('c2d', result.detail);
  return result;
}

function dispatch(message: C2DMessage, control: DeviceControl): C2DResult {
  if (message.oversize !== undefined) {
    return { ok: false, detail: `message of ${message.oversize} bytes is larger than this device takes; completed without showing it` };
  }
  if (message.body.length > MAX_C2D_BYTES) {
    return { ok: false, detail: `message of ${message.body.length} bytes exceeds ${MAX_C2D_BYTES}` };
  }
  const command = message.properties.command;
  if (command === undefined) {
    control.showMessage(displayText(message.body, MAX_MESSAGE_CHARS), message.properties.sender);
    return { ok: true, detail: 'shown' };
  }
  const args = parseArgs(decodeUtf8Lenient(message.body));
  if (typeof args === 'string') return { ok: false, detail: `command ${command}: ${args}` };
  switch (command) {
    case 'setInterval': {
      const patch = intervalPatch(args);
      if (typeof patch === 'string') return { ok: false, detail: `command setInterval: ${patch}` };
      const applied = control.configure(patch, 'c2d');
      if (applied.refused.length > 0) {
        const r = applied.refused[0];
        return { ok: false, detail: `command setInterval: ${r.property}: ${r.reason}` };
      }
      return { ok: true, detail: 'intervals set' };
    }
    case 'identify': {
      const d = identifyDuration(args);
      if (typeof d === 'string') return { ok: false, detail: `command identify: ${d}` };
      control.identify(d);
      return { ok: true, detail: 'identifying' };
    }
    case 'clear':
      control.clearMessage();
      return { ok: true, detail: 'cleared' };
    default:
      return { ok: false, detail: `unknown command '${command.slice(0, 40)}' (expected setInterval, identify, clear)` };
  }
}
