// hosts/moddable/onewire/esp32: the project's native 1-Wire master (modonewirebus.c) over
// Espressif's onewire_bus component. Bit-level operations, which Moddable's "onewire" lacks.
declare module 'onewire/bus-native' {
  export default class OneWireNative {
    constructor(options: { pin: number });
    close(): void;
    reset(): boolean;
    readBit(): number;
    writeBit(bit: number): void;
    readByte(): number;
    writeByte(value: number): void;
  }
}
