#!/usr/bin/env bash
# Configures and builds into ${BUILD_DIR:-build} with warnings as errors.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DRMQ_WERROR=ON >/dev/null
cmake --build "$BUILD_DIR" -j "$(nproc)"
