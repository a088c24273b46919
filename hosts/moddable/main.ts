/**
 * Firmware entry (the manifest's creation.main): builds the Host, brings up Wi-Fi (ESP32)
 * and the time (SNTP; TLS and SAS need it), then starts the application. A restart on a
 * platform that cannot reboot (the simulator) stops the application and starts it again.
 */
import './text-globals';
import { startApplication, type Application } from './application';
import { ignoreBrokenPipe } from './broken-pipe';
import { readConfig } from './config';
import type { HeapSize } from '../../src/device/heap-budget';
import { heapLimits } from './heap';
import { createHost } from './host';
import { busModelsHeap } from './onewire/bus';
import { startMemoryProbe } from './memory-probe';
import { TimeSync } from './sntp';
import { WifiLink } from './wifi';

/** Between stopping the application and starting it again (simulator restart). */
const RESTART_DELAY_MS = 2000;

export default function main(): void {
  ignoreBrokenPipe();
  const config = readConfig();
  let app: Application | undefined;
  let started = false;
  const launch = (): void => {
    app = startApplication(host, config, applicationHeap(config.simSensors));
  };
  const host = createHost(config, () => {
    // Called from a timer of the stopped application. The new one starts a little later, once
    // the old TLS socket has closed (an overlap crashed in the socket layer in the simulator).
    // A stop that throws must not keep the device from starting again (an exception out of a
    // timer callback aborts XS); what it was is logged.
    try {
      app?.stop();
    } catch (error) {
      host.log.write('error', 'main', `stopping for the restart failed: ${describeError(error)}`);
    }
    app = undefined;
    host.timers.set(launch, RESTART_DELAY_MS);
  });
  const bootScreen = (network: string): void =>
    host.display.render({ deviceId: '', sensors: [], status: { network, hub: 'offline', outbox: 0 }, message: undefined, anomaly: false, identify: false });

  const link = new WifiLink(config.ssid, config.password, host.timers, host.log, (state) => {
    // Once running, the application shows the hub's state (which follows the link).
    if (!app) bootScreen(state);
    if (state !== 'up' || started) return;
    started = true;
    new TimeSync(config.sntp.split(','), host.clock, host.timers, host.log).start(() => {
      host.log.write('info', 'main', 'network and time up; starting the application');
      launch();
    });
  });
  bootScreen('down');
  // Before the link: the first sample is the host alone, the next ones include the application.
  if (config.memoryProbeMs > 0) startMemoryProbe(host.timers, host.log, config.memoryProbeMs);
  link.start();
}

/** This machine's XS heap (heap.ts) less what the simulators' sensor models take of it (none on a device). */
function applicationHeap(simSensors: number): HeapSize {
  const limits = heapLimits();
  const models = busModelsHeap(simSensors);
  return { slots: limits.slots - models.slots, chunkBytes: limits.chunkBytes - models.chunkBytes };
}

/** An exception's name, message and (where the engine keeps one) stack, for the log. */
function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const stack = (error as { stack?: unknown }).stack;
  return `${error.name}: ${error.message}${typeof stack === 'string' ? ` ${stack}` : ''}`;
}
