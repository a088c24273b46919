/**
 * Simulator: SIGPIPE ignored (modbrokenpipe.c says why), so a hub that drops the connection
 * while the firmware writes ends that connection, not the simulator. Call it at startup, after
 * the debugger has connected (main runs after that).
 */
export function ignoreBrokenPipe(): void {
  native('xs_thermo_ignore_broken_pipe').call(undefined);
}
