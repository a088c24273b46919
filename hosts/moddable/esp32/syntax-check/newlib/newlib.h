/*
 * Stand-in for newlib.h, for scripts/esp32-syntax-check.sh. newlib's configure generates this file
 * when the xtensa toolchain is built (newlib/newlib.hin lists the options); the sources, including
 * Espressif's newlib-esp32 fork whose headers the check uses, hold only a dummy. These are the
 * configure results newlib's public headers test, as ESP-IDF's newlib is configured: retargetable
 * locks (ESP-IDF implements __retarget_lock_* in esp_libc), C99 and long long printf formats,
 * long double the same as double.
 */
#ifndef __NEWLIB_H__
#define __NEWLIB_H__ 1

#define _NEWLIB_VERSION "4.3.0"
#define __NEWLIB__ 4
#define __NEWLIB_MINOR__ 3
#define __NEWLIB_PATCHLEVEL__ 0

#define _RETARGETABLE_LOCKING 1
#define _WANT_IO_C99_FORMATS 1
#define _WANT_IO_LONG_LONG 1
#define _WANT_IO_POS_ARGS 1
#define _MB_LEN_MAX 1
#define _HAVE_LONG_DOUBLE 1
#define _LDBL_EQ_DBL 1
#define _ATEXIT_DYNAMIC_ALLOC 1
#define _FVWRITE_IN_STREAMIO 1
#define _FSEEK_OPTIMIZATION 1
#define _UNBUF_STREAM_OPT 1

#endif /* __NEWLIB_H__ */
