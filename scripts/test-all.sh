#!/usr/bin/env bash
# The README's test command: sets up a fresh machine and runs every test lane.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-test-deps.sh
npm ci --no-audit --no-fund
# @agoric/xsnap compiles XS at install; fail here, clearly, if that did not happen.
test -x node_modules/@agoric/xsnap/xsnap-native/xsnap/build/bin/lin/release/xsnap-worker \
  || { echo "test-all: XS (xsnap-worker) was not built by npm ci" >&2; exit 1; }
test -x node_modules/.xs-device/xsnap-worker \
  || { echo "test-all: the xs-device worker (scripts/build-xs-device.mjs) was not built by npm ci" >&2; exit 1; }
npm test
