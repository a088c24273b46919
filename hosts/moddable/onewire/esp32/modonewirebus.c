/*
 * 1-Wire bus primitives for ESP32 over Espressif's onewire_bus component (RMT), the same
 * component Moddable's modules/drivers/onewire/esp32 uses, plus single-bit read and write.
 * There is no strong pull-up (parasite power): see bus.ts.
 */

#include "xsmc.h"
#include "xsHost.h"
#include "mc.xs.h"

#include "onewire_bus.h"

typedef struct {
	onewire_bus_handle_t bus;
} modOneWireBusRecord, *modOneWireBus;

void xs_onewirebus_destructor(void *data)
{
	modOneWireBus ow = data;
	if (!ow)
		return;
	if (ow->bus)
		onewire_bus_del(ow->bus);
	c_free(ow);
}

void xs_onewirebus(xsMachine *the)
{
	modOneWireBus ow;
	int pin;

	xsmcVars(1);
	xsmcGet(xsVar(0), xsArg(0), xsID_pin);	// { pin }
	pin = xsmcToInteger(xsVar(0));

	ow = c_calloc(1, sizeof(modOneWireBusRecord));
	if (!ow)
		xsUnknownError("no memory");

	onewire_bus_config_t bus_config = { .bus_gpio_num = pin };
	onewire_bus_rmt_config_t rmt_config = { .max_rx_bytes = 10 };
	if ((ESP_OK != onewire_new_bus_rmt(&bus_config, &rmt_config, &ow->bus)) || !ow->bus) {
		c_free(ow);
		xsUnknownError("can't init 1-Wire pin");
	}
	xsmcSetHostData(xsThis, ow);
}

static modOneWireBus getBus(xsMachine *the)
{
	modOneWireBus ow = xsmcGetHostData(xsThis);
	if (!ow)
		xsUnknownError("closed");
	return ow;
}

void xs_onewirebus_close(xsMachine *the)
{
	modOneWireBus ow = xsmcGetHostData(xsThis);
	xs_onewirebus_destructor(ow);
	xsmcSetHostData(xsThis, NULL);
}

void xs_onewirebus_reset(xsMachine *the)
{
	modOneWireBus ow = getBus(the);
	xsmcSetBoolean(xsResult, ESP_OK == onewire_bus_reset(ow->bus));
}

void xs_onewirebus_read_bit(xsMachine *the)
{
	modOneWireBus ow = getBus(the);
	uint8_t bit = 0;
	if (ESP_OK != onewire_bus_read_bit(ow->bus, &bit))
		xsUnknownError("1-Wire read failed");
	xsmcSetInteger(xsResult, bit ? 1 : 0);
}

void xs_onewirebus_write_bit(xsMachine *the)
{
	modOneWireBus ow = getBus(the);
	if (ESP_OK != onewire_bus_write_bit(ow->bus, xsmcToInteger(xsArg(0)) ? 1 : 0))
		xsUnknownError("1-Wire write failed");
}

void xs_onewirebus_read_byte(xsMachine *the)
{
	modOneWireBus ow = getBus(the);
	uint8_t value = 0;
	if (ESP_OK != onewire_bus_read_bytes(ow->bus, &value, 1))
		xsUnknownError("1-Wire read failed");
	xsmcSetInteger(xsResult, value);
}

void xs_onewirebus_write_byte(xsMachine *the)
{
	modOneWireBus ow = getBus(the);
	uint8_t value = (uint8_t)xsmcToInteger(xsArg(0));
	if (ESP_OK != onewire_bus_write_bytes(ow->bus, &value, 1))
		xsUnknownError("1-Wire write failed");
}
