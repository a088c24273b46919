// Native 1-Wire master for ESP32 (modonewirebus.c). See bus-native.d.ts.
export default class OneWireNative @ "xs_onewirebus_destructor" {
	constructor(options) @ "xs_onewirebus";
	close() @ "xs_onewirebus_close";
	reset() @ "xs_onewirebus_reset";
	readBit() @ "xs_onewirebus_read_bit";
	writeBit(bit) @ "xs_onewirebus_write_bit";
	readByte() @ "xs_onewirebus_read_byte";
	writeByte(value) @ "xs_onewirebus_write_byte";
}
Object.freeze(OneWireNative.prototype);
