import type { DisplayModel, DisplaySensor, Host } from '../../src/platform';
import { searchAll } from '../../src/onewire/search';
import { romToHex } from '../../src/onewire/rom';
import type { FirmwareConfig } from './config';

export interface Status {
  network: string;
  hub: string;
  outbox: number;
}

/**
 * The one place where the firmware application starts, once the network and the time are up.
 *
 * Until src/device's adapters (sensors over the 1-Wire bus, the hub connection over
 * src/mqtt/client + src/iothub) land, this bring-up application lists the devices found on
 * the 1-Wire bus and shows the host's status, so the display, timers, bus and network path
 * can be checked on the device. Then replace the body with:
 *
 *   import { startDevice } from '../../src/device/app';
 *   startDevice(host, { sensors, hub, analytics }, { deviceId, config: { ... } });
 */
export function startApplication(host: Host, config: FirmwareConfig, status: Status): { refresh(): void } {
  const sensors: DisplaySensor[] = [];
  const model = (): DisplayModel => ({
    deviceId: deviceIdOf(config),
    sensors,
    status: { ...status },
    message: { text: `bring-up firmware; sampling every ${config.sampleIntervalMs / 1000} s`, sender: 'host', receivedAt: host.clock.epochMs() },
    anomaly: false,
    identify: false,
  });
  const scan = (): void => {
    const bus = host.oneWire;
    sensors.length = 0;
    if (bus) {
      const found = searchAll(bus);
      for (const rom of found.roms) {
        const id = romToHex(rom);
        sensors.push({ id, name: id, celsius: undefined, status: 'online', anomaly: false });
      }
      host.log.write('info', 'app', `1-Wire: ${found.roms.length} device(s)`);
    }
    host.display.render(model());
    host.timers.set(scan, config.sampleIntervalMs);
  };
  scan();
  return { refresh: () => host.display.render(model()) };
}

function deviceIdOf(config: FirmwareConfig): string {
  const match = /DeviceId=([^;]+)/.exec(config.connectionString);
  return match ? match[1]! : config.registrationId || 'unprovisioned';
}
