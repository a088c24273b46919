#!/usr/bin/env bash
# Syntax check of the project's ESP32-only C modules (hosts/moddable/esp32/modrestart.c, modentropy.c,
# hosts/moddable/onewire/esp32/modonewirebus.c) with the host's gcc against the real headers they
# use: ESP-IDF's, Espressif's onewire_bus component's, the Moddable SDK's xs headers and Espressif's
# newlib (the xtensa toolchain's C library). Nothing is built: not the SDK, not ESP-IDF. Exits non-zero
# on any error or warning. Not part of npm test: CI has none of these headers (see hosts/moddable/README.md).
#
# Header locations (all required, none is downloaded here):
#   IDF_PATH     an ESP-IDF tree (its components/ dir; a git checkout without submodules is enough)
#   ONEWIRE_BUS  the onewire_bus component (idf-extra-components/onewire_bus)
#   MODDABLE     the Moddable SDK (only xs/ is read; it need not be built)
#   NEWLIB       Espressif's newlib headers (newlib-esp32, branch esp-4.3.0: newlib/libc/include)
# Optional: CC (default gcc), EXTRA_CFLAGS, and files to check as arguments (default: both modules).
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
missing=0
for v in IDF_PATH ONEWIRE_BUS MODDABLE NEWLIB; do
	if [ -z "${!v:-}" ]; then
		echo "esp32-syntax-check: $v is not set (see hosts/moddable/README.md, 'Syntax check of the ESP32 C modules')" >&2
		missing=1
	fi
done
[ "$missing" = 0 ] || exit 2
for d in "$IDF_PATH/components/esp_common/include" "$ONEWIRE_BUS/include" "$MODDABLE/xs/includes" "$NEWLIB/sys"; do
	[ -d "$d" ] || { echo "esp32-syntax-check: $d does not exist" >&2; exit 2; }
done

CC=${CC:-gcc}
stand_in="$here/hosts/moddable/esp32/syntax-check"
c="$IDF_PATH/components"
sub=esp32
arch=xtensa

if [ $# -gt 0 ]; then
	files=("$@")
else
	files=("$here/hosts/moddable/esp32/modrestart.c" "$here/hosts/moddable/esp32/modentropy.c" "$here/hosts/moddable/onewire/esp32/modonewirebus.c" "$here/hosts/moddable/modheap.c")
fi

# mc.xs.h as mcconfig's linker writes it (xs/tools/xslBase.c): xs.h, one extern per host function the
# scripts bind (native('f') -> "void f(xsMachine* the)", a host class's Native('d') destructor ->
# "void d(void* data)") and "#define xsID_name <id>" per identifier. Generated here from the ESP32
# TypeScript next to the C modules, so with -Wmissing-prototypes a C host function no script binds is an
# error, and a definition whose signature is not the one XS calls is a conflicting-types error. The id
# values are arbitrary (only xsl knows the real ones).
gen=$(mktemp -d)
trap 'rm -rf "$gen"' EXIT
# The TypeScript built for esp32: its own modules, and heap.ts, whose native (modheap.c) every platform builds.
mapfile -t ts < <(cd "$here" && { find hosts/moddable -path '*/esp32/*' -name '*.ts'; echo hosts/moddable/heap.ts; } | sort)
ts=("${ts[@]/#/$here/}")
natives=$(grep -ohE "\bnative\('[A-Za-z_][A-Za-z0-9_]*'\)" "${ts[@]}" | sed -E "s/.*'(.*)'.*/\1/" | sort -u)
destructors=$(grep -ohE "\bNative\('[A-Za-z_][A-Za-z0-9_]*'\)" "${ts[@]}" | sed -E "s/.*'(.*)'.*/\1/" | sort -u)
ids=$(grep -ohE '\bxsID_[A-Za-z_][A-Za-z0-9_]*' "${files[@]}" | sort -u)
{
	echo '/* stand-in for mcconfig'"'"'s generated mc.xs.h, written by scripts/esp32-syntax-check.sh */'
	echo '#include "xs.h"'
	echo 'extern void* xsPreparationAndCreation(xsCreation **creation);	/* what xsl declares for every firmware */'
	for f in $destructors; do echo "extern void $f(void* data);"; done
	for f in $natives; do echo "extern void $f(xsMachine* the);"; done
	n=1000
	for id in $ids; do echo "#define $id $n"; n=$((n + 1)); done
} > "$gen/mc.xs.h"

# Each host function the scripts bind must be defined in a C module (else the firmware fails to link);
# checked when all the modules are (no file arguments).
status=0
if [ $# -eq 0 ]; then
	for f in $destructors $natives; do
		if ! grep -qE "^void $f\(" "${files[@]}"; then
			echo "esp32-syntax-check: $f is bound in TypeScript (${ts[*]#"$here"/}) but defined in no C module" >&2
			status=1
		fi
	done
fi

# The directories mcconfig's make.esp32.mk (Moddable 8.2.3) passes, limited to the components these
# modules reach, plus the SDK's xs dirs and the stand-ins (sdkconfig.h, mc.xs.h, newlib.h). Headers we do
# not own are system dirs (-isystem, same search order), so -Wall -Wextra -Werror judge only our modules.
includes=(
	-I"$stand_in" -I"$gen"
	-isystem "$MODDABLE/xs/includes" -isystem "$MODDABLE/xs/sources" -isystem "$MODDABLE/xs/platforms/esp" -isystem "$MODDABLE/xs/platforms/mc"
	-isystem "$ONEWIRE_BUS/include"
	-isystem "$c/esp_common/include" -isystem "$c/esp_system/include"
	-isystem "$c/esp_hw_support/include" -isystem "$c/esp_partition/include" -isystem "$c/esp_blockdev/include" -isystem "$c/spi_flash/include"
	-isystem "$c/esp_rom/include" -isystem "$c/esp_rom/$sub/include" -isystem "$c/esp_rom/$sub/include/$sub"
	-isystem "$c/soc/$sub/include" -isystem "$c/soc/$sub/register" -isystem "$c/soc/include"
	-isystem "$c/hal/include" -isystem "$c/hal/$sub/include" -isystem "$c/hal/platform_port/include"
	-isystem "$c/heap/include" -isystem "$c/log/include" -isystem "$c/esp_timer/include"
	-isystem "$c/esp_driver_rmt/include" -isystem "$c/esp_hal_rmt/include" -isystem "$c/esp_driver_gpio/include" -isystem "$c/esp_hal_gpio/include"
	-isystem "$c/$arch/include" -isystem "$c/$arch/$sub/include"
	-isystem "$c/freertos/config/include" -isystem "$c/freertos/config/include/freertos" -isystem "$c/freertos/config/$arch/include"
	-isystem "$c/freertos/FreeRTOS-Kernel/include" -isystem "$c/freertos/FreeRTOS-Kernel/include/freertos"
	-isystem "$c/freertos/FreeRTOS-Kernel/portable/$arch/include/freertos"
	-isystem "$c/freertos/esp_additions/include"
	-isystem "$c/esp_libc/platform_include" -isystem "$c/newlib/platform_include"
	-isystem "$stand_in/newlib" -isystem "$NEWLIB"
	-isystem "$("$CC" -print-file-name=include)"
)

# -m32: the ESP32 is ILP32 (int, long and pointers are 32 bits), so type sizes match the target's.
# -nostdinc: no glibc header may stand in for newlib's. __XTENSA__/__XTENSA_EL__: what xtensa-esp32-elf-gcc
# predefines, so the headers take their Xtensa branches. The -D/-U/-std flags are make.esp32.mk's C_DEFINES
# and C_COMMON_FLAGS (with mxDebug; -DBOOTLOADER_BUILD=1 is there too, for every module), without
# -Wno-implicit-function-declaration, which would hide a misspelled call.
flags=(
	-fsyntax-only -m32 -nostdinc -std=gnu17
	-Wall -Wextra -Wmissing-prototypes -Werror -Werror=implicit-function-declaration
	-D__XTENSA__=1 -D__XTENSA_EL__=1
	-D__ets__ -U__STRICT_ANSI__ -DESP32=1 -DmxUseDefaultSharedChunks=1 -DmxDebug=1
	-DWITH_POSIX -DHAVE_CONFIG_H -DBOOTLOADER_BUILD=1 -DESP_PLATFORM
)

for f in "${files[@]}"; do
	echo "esp32-syntax-check: $CC -fsyntax-only ${f#"$here"/}"
	# shellcheck disable=SC2086
	if ! "$CC" "${flags[@]}" ${EXTRA_CFLAGS:-} "${includes[@]}" "$f"; then
		status=1
	fi
done
[ "$status" = 0 ] && echo "esp32-syntax-check: passed (${#files[@]} file(s))"
exit "$status"
