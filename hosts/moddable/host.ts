import type { Host } from '../../src/platform';
import { ModdableClock } from './clock';
import type { FirmwareConfig } from './config';
import { ModdableCrypto } from './crypto';
import { PocoDisplay } from './display';
import { TraceLog } from './log';
import { ModdableNetwork, pemToDerList } from './network';
import { openOneWireBus } from './onewire/bus';
import { restartDevice } from './restart';
import { createStorage } from './storage';
import { ModdableTimers } from './timers';

/**
 * The Host over Moddable's modules (ESP32 and the Moddable simulator). `restartApplication`
 * stops and starts the application again: restart() uses it where the platform cannot reboot
 * (the simulator); on ESP32 restart() reboots the chip.
 */
export function createHost(config: FirmwareConfig, restartApplication: () => void): Host {
  const clock = new ModdableClock();
  const log = new TraceLog();
  return {
    clock,
    timers: new ModdableTimers(),
    network: new ModdableNetwork({ roots: config.hubCa ? pemToDerList(config.hubCa) : undefined, maxFragmentLength: config.tlsMaxFragment }),
    oneWire: openOneWireBus(config.onewirePin, () => clock.now(), config.simSensors, config.simFaults),
    crypto: new ModdableCrypto(),
    storage: createStorage(),
    display: new PocoDisplay(clock),
    log,
    random: { next: () => Math.random() },
    restart: () => {
      log.write('warn', 'host', 'restart');
      restartDevice(restartApplication);
    },
  };
}
