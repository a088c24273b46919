/**
 * On the ESP32 nothing to do: lwIP reports a write to a closed connection as an error and
 * raises no signal. The simulator platforms map this module to sim/broken-pipe.
 */
export function ignoreBrokenPipe(): void {}
