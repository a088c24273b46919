// Moddable "timer" (modules/base/timer), as typed in the SDK's typings/timer.d.ts.
declare module 'timer' {
  class Timer {
    private constructor();
    private brand: boolean;
    static set(callback: (timer: Timer) => void, interval?: number, repeat?: number): Timer;
    static repeat(callback: (timer: Timer) => void, interval: number): Timer;
    static clear(timer: Timer | undefined | null): void;
    static delay(milliseconds: number): void;
  }
  export { Timer as default };
}
