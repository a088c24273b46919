#!/usr/bin/env bash
# The Moddable lane: builds the firmware for the Moddable simulator and runs scenarios against
# the IoT Hub emulator (test/moddable-lane/). It needs the Moddable SDK, which is not an npm
# package and which CI cannot fetch: without it this refuses, loudly and with a non-zero exit.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${MODDABLE:-}" ] || [ ! -x "$MODDABLE/build/bin/lin/release/mcconfig" ]; then
  echo "test:moddable: REFUSED — no Moddable SDK. Set MODDABLE to an SDK built by its Linux guide" >&2
  echo "  (export MODDABLE=/opt/moddable; cd \$MODDABLE/build/makefiles/lin && make), with" >&2
  echo "  \$MODDABLE/build/bin/lin/release on the PATH, TypeScript 6 as tsc, Xvfb, ImageMagick, and" >&2
  echo "  (cd \$MODDABLE/tools/xsbug-log && npm install). See hosts/moddable/README.md." >&2
  exit 1
fi
export PATH="$MODDABLE/build/bin/lin/release:$PATH"
exec npx vitest run --config vitest.moddable.config.ts "$@"
