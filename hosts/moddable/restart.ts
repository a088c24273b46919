/**
 * Restart on the simulator platforms: the simulator cannot reboot itself, so the application
 * is stopped and started again (what `restartApplication` does), as after a reboot: storage
 * (Preference) survives, everything in RAM is rebuilt. On esp32 the manifest maps this module
 * name to esp32/restart, which reboots the chip.
 */
export function restartDevice(restartApplication: () => void): void {
  restartApplication();
}
