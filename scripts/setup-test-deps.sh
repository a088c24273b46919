#!/usr/bin/env bash
# Installs what the test suite needs on a fresh Debian machine: mosquitto (integration tests),
# the headers the tests build mosquitto plugins with (test/mosquitto/plugins: mosquitto-dev,
# libmosquitto-dev, libssl-dev), chromium (dashboard tests), make/gcc/g++ (@agoric/xsnap builds
# XS from source), openssl, xvfb. Installs only what is missing; fails loudly if it cannot.
set -euo pipefail

need=()
have_cmd() { command -v "$1" >/dev/null 2>&1; }
have_cmd mosquitto || [ -x /usr/sbin/mosquitto ] || need+=(mosquitto)
have_cmd mosquitto_sub || need+=(mosquitto-clients)
have_cmd chromium || [ -x /usr/bin/chromium ] || need+=(chromium)
have_cmd make || need+=(make)
have_cmd gcc || need+=(gcc)
have_cmd g++ || need+=(g++)
have_cmd openssl || need+=(openssl)
[ -f /usr/include/mosquitto_broker.h ] && [ -f /usr/include/mosquitto_plugin.h ] || need+=(mosquitto-dev)
[ -f /usr/include/mosquitto.h ] || need+=(libmosquitto-dev)
[ -f /usr/include/openssl/hmac.h ] || need+=(libssl-dev)
have_cmd python3 || need+=(python3)
have_cmd git || need+=(git)

if [ ${#need[@]} -gt 0 ]; then
  echo "setup: installing ${need[*]}"
  SUDO=""
  if [ "$(id -u)" != 0 ]; then
    have_cmd sudo || { echo "setup: need root or sudo to install ${need[*]}" >&2; exit 1; }
    SUDO="sudo"
  fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" ca-certificates
fi

# Debian enables mosquitto's system service on install; the tests start their own brokers on
# free loopback ports, so the system one is not needed (and must not hold port 1883 hostage).
if have_cmd systemctl && systemctl is-active --quiet mosquitto 2>/dev/null; then
  systemctl stop mosquitto || true
fi

for cmd in make gcc openssl; do have_cmd "$cmd" || { echo "setup: $cmd still missing" >&2; exit 1; }; done
[ -x /usr/sbin/mosquitto ] || have_cmd mosquitto || { echo "setup: mosquitto still missing" >&2; exit 1; }
[ -x /usr/bin/chromium ] || { echo "setup: /usr/bin/chromium still missing" >&2; exit 1; }
for header in mosquitto_broker.h mosquitto_plugin.h mosquitto.h openssl/hmac.h; do
  [ -f "/usr/include/$header" ] || { echo "setup: /usr/include/$header still missing" >&2; exit 1; }
done
echo "setup: system packages present"
