/**
 * Runs inside XS (bundled by test/xs/xsrun.mjs). Installs xsnap's `handleCommand`, which
 * receives JSON `{ op, arg }` from the Node side and answers JSON. Each command is metered by
 * xsnap, so the Node side reads computrons and live heap counts per command.
 */
import type { Json } from '../harness';

export type XsCommand = (arg: Json) => Json | void;

declare const globalThis: { handleCommand?: (message: ArrayBuffer) => ArrayBuffer; gc?: () => void };

export function serve(commands: Record<string, XsCommand>): void {
  const all: Record<string, XsCommand> = {
    ...commands,
    // An empty command: the metering baseline to subtract from measured commands.
    noop: () => null,
    gc: () => {
      globalThis.gc?.();
      return null;
    },
  };
  globalThis.handleCommand = (message: ArrayBuffer): ArrayBuffer => {
    let reply: Json;
    try {
      const { op, arg } = JSON.parse(new TextDecoder().decode(message)) as { op: string; arg: Json };
      const command = all[op];
      if (!command) throw new Error(`unknown XS command ${op}`);
      const value = command(arg);
      reply = { ok: true, value: value === undefined ? null : value };
    } catch (error) {
      reply = { ok: false, error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) };
    }
    const bytes = new TextEncoder().encode(JSON.stringify(reply));
    return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  };
}
