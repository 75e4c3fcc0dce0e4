#!/usr/bin/env bash
# Installs everything rmqctl and its tests need on a fresh Debian 12 machine (as root, or with sudo).
# Every package comes from Debian's archive; nothing is downloaded at build time. (nodejs + npm run the
# end-to-end tests; their one npm dependency, ali-ons, is installed by tools/run-tests.sh with `npm ci`.)
set -euo pipefail
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
packages=(
  build-essential cmake ninja-build pkg-config git
  libcli11-dev libssl-dev libboost-dev libboost-filesystem-dev nlohmann-json3-dev libspdlog-dev libfmt-dev
  zlib1g-dev libyaml-cpp-dev libgtest-dev libgmock-dev googletest libbenchmark-dev
  groff-base man-db procps
  openssl  # the CLI: tests/integration/tls_test.cc makes its test certificates and runs s_client
  libdeflate-dev rapidjson-dev
  clang-14 libclang-rt-14-dev lld llvm-14  # tools/run-sanitizers.sh: ASan/UBSan/TSan builds with clang + lld
)
# Node.js and npm for the end-to-end tests. A machine that already has both (e.g. a nodejs build that bundles
# npm) keeps them: Debian's npm package would try to swap that nodejs for Debian's.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  packages+=(nodejs npm)
fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
