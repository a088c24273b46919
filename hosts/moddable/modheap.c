/*
 * The XS heap this machine was created with (hosts/moddable/heap.ts): the manifest's `creation`
 * as xsl compiled it into the firmware (xsPreparationAndCreation, declared in the generated
 * mc.xs.h; xsCreation in xs.h): heap.initial in slots and chunk.initial in bytes. With an
 * `incremental` of 0, as on the ESP32 targets and in manifest_sim.json, that is all XS ever has.
 * The SDK has no JavaScript API for it: modInstrumentation reports only what is in use. Built on
 * every platform (simulators and esp32).
 */

#include "xsmc.h"
#include "mc.xs.h"	// xsl declares each host function the scripts bind: checks this signature

void xs_thermo_heap_limits(xsMachine *the)
{
	xsCreation *creation = NULL;

	xsPreparationAndCreation(&creation);
	xsmcVars(1);
	xsmcSetNewObject(xsResult);
	xsmcSetInteger(xsVar(0), creation->initialHeapCount);
	xsmcSet(xsResult, xsID_slots, xsVar(0));
	xsmcSetInteger(xsVar(0), creation->initialChunkSize);
	xsmcSet(xsResult, xsID_chunkBytes, xsVar(0));
}
