/*
 * Reboots the ESP32 (the same call as the SDK's modules/io/system xs_system_restart).
 */

#include "xsmc.h"
#include "mc.xs.h"	// xsl declares each host function the scripts bind: checks this signature
#include "esp_system.h"

void xs_thermo_restart(xsMachine *the)
{
	(void)the;
	esp_restart();
}
