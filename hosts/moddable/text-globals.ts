/**
 * Installs Moddable's native TextEncoder and TextDecoder (modules/data/text) as globals when
 * the engine has none, so src/ code that feature-tests for them (the MQTT codec's encodeInto
 * and fatal-decoder fast paths) finds them. Imported first by main; preloaded, so the globals
 * exist before the modules that test for them are evaluated.
 */
import TextDecoder from 'text/decoder';
import TextEncoder from 'text/encoder';

const g = globalThis as Record<string, unknown>;
if (typeof g.TextEncoder !== 'function') g.TextEncoder = TextEncoder;
if (typeof g.TextDecoder !== 'function') g.TextDecoder = TextDecoder;
