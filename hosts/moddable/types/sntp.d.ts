// Moddable "sntp" (modules/network/sntp). Callback: 1 time (value = epoch seconds),
// 2 retry (trying again), -1 error (gave up).
declare module 'sntp' {
  class SNTP {
    static readonly time: 1;
    static readonly retry: 2;
    static readonly error: -1;
    constructor(options: { host: string }, callback: (message: 1 | 2 | -1, value?: number) => void);
    close(): void;
  }
  export { SNTP as default };
}
