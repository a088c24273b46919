/*
 * The XS heap this machine was created with (hosts/moddable/heap.ts): the slot heap's size in
 * slots and the chunk heap's size in bytes, read from the machine itself (xsAll.h:
 * maximumHeapCount, maximumChunksSize; xsMemory.c fxGrowSlots, fxGrowChunks). They are the
 * manifest's `creation` (heap.initial, chunk.initial), plus what XS grew them by where
 * `incremental` is not 0. The SDK has no JavaScript API for them: modInstrumentation reports only
 * what is in use. Built on every platform (simulators and esp32).
 */

#include "xsAll.h"
#include "xsmc.h"
#include "mc.xs.h"	// xsl declares each host function the scripts bind: checks this signature

void xs_thermo_heap_limits(xsMachine *the)
{
	xsmcVars(1);
	xsmcSetNewObject(xsResult);
	// fxGrowSlots keeps the first slot of the first block as the block's header and counts the
	// rest: one more is what the manifest's creation.heap.initial said.
	xsmcSetInteger(xsVar(0), (xsIntegerValue)the->maximumHeapCount + 1);
	xsmcSet(xsResult, xsID_slots, xsVar(0));
	xsmcSetInteger(xsVar(0), (xsIntegerValue)the->maximumChunksSize);
	xsmcSet(xsResult, xsID_chunkBytes, xsVar(0));
}
