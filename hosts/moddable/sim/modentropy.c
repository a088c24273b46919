/*
 * Strong random bytes on the simulator platforms (hosts/moddable/entropy.ts), from the OS's
 * CSPRNG: getrandom(2) on Linux, arc4random_buf(3) on macOS, rand_s on Windows. Only the Linux
 * branch is built and run by the project's Moddable lane.
 */

#if defined(_WIN32)
	#define _CRT_RAND_S
#endif
#include "xsmc.h"
#include "mc.xs.h"	// xsl declares each host function the scripts bind: checks this signature
#include <stdint.h>
#include <stdlib.h>
#if !defined(__APPLE__) && !defined(_WIN32)
	#include <errno.h>
	#include <sys/random.h>
#endif

void xs_thermo_random_fill(xsMachine *the)
{
	void *data;
	xsUnsignedValue length;

	xsmcGetBufferWritable(xsArg(0), &data, &length);
#if defined(__APPLE__)
	arc4random_buf(data, length);
#elif defined(_WIN32)
	uint8_t *bytes = data;
	for (xsUnsignedValue i = 0; i < length; i += 4) {
		unsigned int value;
		if (rand_s(&value) != 0)
			xsUnknownError("rand_s failed");
		for (xsUnsignedValue j = 0; j < 4 && i + j < length; j++)
			bytes[i + j] = (uint8_t)(value >> (8 * j));
	}
#else
	uint8_t *bytes = data;
	size_t left = length;
	while (left > 0) {
		ssize_t n = getrandom(bytes, left, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			xsUnknownError("getrandom failed");
		}
		bytes += n;
		left -= (size_t)n;
	}
#endif
}
