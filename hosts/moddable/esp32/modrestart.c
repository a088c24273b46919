/*
 * Reboots the ESP32 (the same call as the SDK's modules/io/system xs_system_restart).
 */

#include "xsmc.h"
#include "esp_system.h"

void xs_thermo_restart(xsMachine *the)
{
	esp_restart();
}
