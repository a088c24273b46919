// Moddable "instrumentation" (modules/base/instrumentation) and "debug" (modules/base/debug),
// as typed in the SDK's typings/instrumentation.d.ts and debug.d.ts.
declare module 'instrumentation' {
  const Instrumentation: {
    get(what: number | undefined): number | undefined;
    map(name: string): number | undefined;
  };
  export { Instrumentation as default };
}
declare module 'debug' {
  const Debug: {
    /** No argument: collect garbage now. */
    gc(enable?: boolean): void;
  };
  export { Debug as default };
}
