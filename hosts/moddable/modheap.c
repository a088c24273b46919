/*
 * The XS heap this machine was created with (hosts/moddable/heap.ts): the slot heap's size in
 * slots and the chunk heap's size in bytes, read from the machine itself (xsAll.h:
 * maximumHeapCount, maximumChunksSize). They are the manifest's `creation` (heap.initial,
 * chunk.initial), plus what XS grew them by where `incremental` is not 0. The SDK has no
 * JavaScript API for them: modInstrumentation reports only what is in use. Built on every
 * platform (simulators and esp32).
 */

#include "xsAll.h"
#include "xsmc.h"
#include "mc.xs.h"	// xsl declares each host function the scripts bind: checks this signature

void xs_thermo_heap_limits(xsMachine *the)
{
	xsmcVars(1);
	xsmcSetNewObject(xsResult);
	xsmcSetInteger(xsVar(0), (xsIntegerValue)the->maximumHeapCount);
	xsmcSet(xsResult, xsID_slots, xsVar(0));
	xsmcSetInteger(xsVar(0), (xsIntegerValue)the->maximumChunksSize);
	xsmcSet(xsResult, xsID_chunkBytes, xsVar(0));
}
