/**
 * XS entry: the codec modules load and work without TextEncoder/TextDecoder. The first import
 * hides them, so the codec's module-level encoder and the Decoders codecRound() builds see none.
 */
import { hiddenAtLoad, restoreTextGlobals } from './hide-text-globals';
import { serve } from '../xs/serve';
import { codecRound } from './codec-round';
import { nativeStrictUtf8Decoder, nativeUtf8Encoder } from '../../src/text/utf8';

const nativesSeen = nativeUtf8Encoder() !== undefined || nativeStrictUtf8Decoder() !== undefined;
const round = codecRound();
restoreTextGlobals();

serve({
  hiddenAtLoad: () => hiddenAtLoad && !nativesSeen,
  round: () => round,
});
