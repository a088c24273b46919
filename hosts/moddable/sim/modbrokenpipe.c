/*
 * The simulator's sockets on Linux and macOS (the SDK's modules/network/socket/lin|mac) send
 * without MSG_NOSIGNAL or SO_NOSIGPIPE, and XS's debugger connection (xs/platforms/lin_xs.c,
 * fxConnect) sets SIGPIPE back to its default after connecting. So a write to a connection the
 * hub has just closed ends the simulator with SIGPIPE. Ignoring the signal makes that write fail
 * with EPIPE, which the socket reports as a disconnect, as lwIP does on the ESP32.
 */

#include <signal.h>
#include "xsmc.h"
#include "mc.xs.h"	// xsl declares each host function the scripts bind: checks this signature

void xs_thermo_ignore_broken_pipe(xsMachine *the)
{
	(void)the;
#ifdef SIGPIPE
	signal(SIGPIPE, SIG_IGN);
#endif
}
