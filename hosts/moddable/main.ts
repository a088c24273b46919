/**
 * Firmware entry (the manifest's creation.main): builds the Host, brings up Wi-Fi (ESP32)
 * and the time (SNTP; TLS and SAS need it), then starts the application.
 */
import { startApplication } from './application';
import type { Status } from './application';
import { readConfig } from './config';
import { createHost } from './host';
import { TimeSync } from './sntp';
import { WifiLink } from './wifi';

export default function main(): void {
  const config = readConfig();
  const host = createHost(config);
  const status: Status = { network: 'down', hub: 'offline', outbox: 0 };
  let app: { refresh(): void } | undefined;
  let started = false;
  const show = (): void => {
    if (app) app.refresh();
    else host.display.render({ deviceId: '', sensors: [], status: { ...status }, message: undefined, anomaly: false, identify: false });
  };

  const link = new WifiLink(config.ssid, config.password, host.timers, host.log, (state) => {
    status.network = state;
    show();
    if (state !== 'up' || started) return;
    started = true;
    new TimeSync(config.sntp.split(','), host.clock, host.timers, host.log).start(() => {
      host.log.write('info', 'main', 'network and time up; starting the application');
      app = startApplication(host, config, status);
    });
  });
  show();
  link.start();
}
