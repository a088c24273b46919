import type { HeapSize } from '../../../../src/device/heap-budget';
import type { OneWireBus } from '../../../../src/platform';

/**
 * Native 1-Wire master (modonewirebus.c): RMT peripheral through Espressif's onewire_bus
 * component, like Moddable's modules/drivers/onewire/esp32, plus the single-bit operations
 * that Moddable's "onewire" module lacks and the project's ROM search (src/onewire) needs.
 *
 * No strongPullup: a parasite-powered DS18B20 needs the line driven hard high within 10 µs of
 * its convert (44h) or copy (48h) command (DS18B20 datasheet, "Powering the DS18B20"). Here the
 * last bit leaves through RMT and the task learns it is done from the TX-done interrupt, whose
 * wake-up latency is not bounded that tightly, and the pad stays open-drain under RMT. Without
 * the method, src/sensors/ds18b20 reports parasite-powered sensors as 'parasite-unsupported'.
 */
class OneWireNative extends Native('xs_onewirebus_destructor') {
  constructor(pin: number) {
    super();
    native('xs_onewirebus').call(this, { pin });
  }
  close(): void {
    native('xs_onewirebus_close').call(this);
  }
  reset(): boolean {
    return native('xs_onewirebus_reset').call(this) === true;
  }
  readBit(): 0 | 1 {
    return native('xs_onewirebus_read_bit').call(this) ? 1 : 0;
  }
  writeBit(bit: 0 | 1): void {
    native('xs_onewirebus_write_bit').call(this, bit);
  }
  readByte(): number {
    return native('xs_onewirebus_read_byte').call(this) as number;
  }
  writeByte(value: number): void {
    native('xs_onewirebus_write_byte').call(this, value & 0xff);
  }
}

/** A hardware bus holds nothing of the XS heap for its sensors (the simulators' bus.ts holds their models). */
export function busModelsHeap(_sensors: number): HeapSize {
  return { slots: 0, chunkBytes: 0 };
}

/** The 1-Wire bus on ESP32, on the GPIO given by config.onewirePin. */
export function openOneWireBus(pin: number, _now: () => number): OneWireBus | undefined {
  return new OneWireNative(pin);
}
