/*
 * Strong random bytes on ESP32 (hosts/moddable/esp32/entropy.ts): esp_fill_random(), the
 * hardware RNG (ESP-IDF "Random Number Generation"; true random while Wi-Fi or Bluetooth runs).
 */

#include "xsmc.h"
#include "mc.xs.h"	// xsl declares each host function the scripts bind: checks this signature
#include "esp_random.h"

void xs_thermo_random_fill(xsMachine *the)
{
	void *data;
	xsUnsignedValue length;

	xsmcGetBufferWritable(xsArg(0), &data, &length);
	esp_fill_random(data, length);
}
