import OneWireNative from 'onewire/bus-native';
import type { OneWireBus } from '../../../../src/platform';

/**
 * The 1-Wire bus on ESP32: bus primitives from the native master (modonewirebus.c, RMT
 * peripheral via Espressif's onewire_bus component). Moddable's "onewire" module offers only
 * bytes and its own ROM search; the project's search (src/onewire) needs single bits.
 */
export function openOneWireBus(pin: number): OneWireBus | undefined {
  const bus = new OneWireNative({ pin });
  return {
    reset: () => bus.reset(),
    writeBit: (bit) => bus.writeBit(bit),
    readBit: () => (bus.readBit() ? 1 : 0),
    writeByte: (value) => bus.writeByte(value),
    readByte: () => bus.readByte(),
  };
}
