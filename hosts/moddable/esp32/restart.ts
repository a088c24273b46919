/**
 * Restart on ESP32: esp_restart() through a one-function native (modrestart.c), as the SDK's
 * io/system `System.restart()` does, without pulling in the ECMA-419 io modules it imports.
 */
export function restartDevice(_restartApplication: () => void): void {
  native('xs_thermo_restart').call(undefined);
}
