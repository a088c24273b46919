// Moddable "text/encoder" and "text/decoder" (modules/data/text): native UTF-8 TextEncoder
// (encode, encodeInto) and TextDecoder (label "utf-8", options fatal and ignoreBOM).
declare module 'text/encoder' {
  const TextEncoderClass: typeof globalThis.TextEncoder;
  export { TextEncoderClass as default };
}
declare module 'text/decoder' {
  const TextDecoderClass: typeof globalThis.TextDecoder;
  export { TextDecoderClass as default };
}
