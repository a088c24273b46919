/**
 * Direct methods: getStats, identify, reboot, setInterval. Status codes follow HTTP, as IoT Hub
 * passes them through: 200 done, 400 bad arguments, 404 unknown method.
 */
import type { DeviceControl } from './control';
import { identifyDuration, intervalPatch, parseArgs } from './control';
import type { MethodCall } from './ports';

/** Time left for the reboot reply to leave before the restart. */
export const REBOOT_DELAY_MS = 1000;

/** The methods the device answers; any other name gets 404. */
export const METHOD_NAMES: readonly string[] = Object.freeze(['getStats', 'identify', 'reboot', 'setInterval']);

export interface MethodReply {
  status: number;
  /** The payload, or its JSON text when the device built it as text (getStats: DeviceControl.statsJson). */
  payload: Record<string, unknown> | string;
}

export function handleMethod(call: MethodCall, control: DeviceControl): void {
  const reply = invoke(call.name, call.payload, control);
  const payload = reply.payload;
  if (typeof payload === 'string') {
    call.respond(reply.status, payload);
    return;
  }
  if (reply.status !== 200) control.error('method', `${call.name}: ${String(payload.error)}`);
  call.respond(reply.status, JSON.stringify(payload));
}

export function invoke(name: string, payload: string, control: DeviceControl): MethodReply {
  if (METHOD_NAMES.indexOf(name) < 0) return { status: 404, payload: { error: `unknown method '${name.slice(0, 40)}'` } };
  const args = parseArgs(payload);
  if (typeof args === 'string') return { status: 400, payload: { error: args } };
  switch (name) {
    case 'getStats':
      return { status: 200, payload: control.statsJson() };
    case 'identify': {
      const d = identifyDuration(args);
      if (typeof d === 'string') return { status: 400, payload: { error: d } };
      control.identify(d);
      return { status: 200, payload: { identifying: true, durationMs: d } };
    }
    case 'reboot':
      control.reboot(REBOOT_DELAY_MS);
      return { status: 200, payload: { rebooting: true, inMs: REBOOT_DELAY_MS } };
    default: {
      const patch = intervalPatch(args);
      if (typeof patch === 'string') return { status: 400, payload: { error: patch } };
      const applied = control.configure(patch, 'method');
      if (applied.refused.length > 0) {
        return { status: 400, payload: { error: `${applied.refused[0].property}: ${applied.refused[0].reason}`, refused: applied.refused } };
      }
      return { status: 200, payload: { applied: applied.applied, config: patch } };
    }
  }
}
