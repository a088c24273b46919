// Moddable "time" (modules/base/time). ticks: milliseconds since boot; set(): epoch seconds.
declare module 'time' {
  const Time: {
    set(seconds: number): void;
    timezone: number;
    dst: number;
    readonly ticks: number;
    delta(start: number, end?: number): number;
  };
  export { Time as default };
}
