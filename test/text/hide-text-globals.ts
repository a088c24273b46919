/**
 * Imported first by no-natives-entry.ts: removes TextEncoder and TextDecoder, as on a Moddable
 * host whose manifest does not install them, before the codec modules are evaluated.
 * restoreTextGlobals() puts them back for the XS lane's own messaging.
 */
const g = globalThis as Record<string, unknown>;
const saved = { TextEncoder: g.TextEncoder, TextDecoder: g.TextDecoder };
delete g.TextEncoder;
delete g.TextDecoder;

export const hiddenAtLoad = typeof g.TextEncoder === 'undefined' && typeof g.TextDecoder === 'undefined';

export function restoreTextGlobals(): void {
  g.TextEncoder = saved.TextEncoder;
  g.TextDecoder = saved.TextDecoder;
}
