import type { Host } from '../../src/platform';
import { ModdableClock } from './clock';
import type { FirmwareConfig } from './config';
import { ModdableCrypto } from './crypto';
import { PocoDisplay } from './display';
import { TraceLog } from './log';
import { base64ToBytes, ModdableNetwork, pemToDer } from './network';
import { openOneWireBus } from './onewire/bus';
import { PreferenceStorage } from './storage';
import { ModdableTimers } from './timers';

/** The Host over Moddable's modules (ESP32 and the Moddable simulator). */
export function createHost(config: FirmwareConfig): Host {
  const clock = new ModdableClock();
  const log = new TraceLog();
  return {
    clock,
    timers: new ModdableTimers(),
    network: new ModdableNetwork({ rootDer: hubRoot(config.hubCa) }),
    oneWire: openOneWireBus(config.onewirePin),
    crypto: new ModdableCrypto(),
    storage: new PreferenceStorage(),
    display: new PocoDisplay(clock),
    log,
    random: { next: () => Math.random() },
    restart: () => {
      log.write('warn', 'host', 'restart requested');
      // Moddable has no portable reboot from JavaScript; an unhandled throw restarts the
      // ESP32 (and stops the simulator), which is what a restart must achieve.
      throw new Error('restart');
    },
  };
}

/** The hub CA override from config: PEM text or base64 DER. */
function hubRoot(hubCa: string): ArrayBuffer | undefined {
  if (!hubCa) return undefined;
  return hubCa.includes('-----BEGIN') ? pemToDer(hubCa) : (base64ToBytes(hubCa.replace(/\s+/g, '')).buffer as ArrayBuffer);
}
