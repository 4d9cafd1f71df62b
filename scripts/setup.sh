#!/usr/bin/env bash
# Installs every Debian package kilonas needs (idempotent). Run as root on Debian 12.
set -euo pipefail
packages=(
  build-essential cmake
  nlohmann-json3-dev libspdlog-dev libfmt-dev libcli11-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm
  libtorch-dev libgloo-dev zlib1g-dev dataset-fashion-mnist libeigen3-dev libstb-dev
  libflatbuffers-dev flatbuffers-compiler
  libarmnn-dev libarmnntfliteparser-dev libarmnn-cpuref-backend22
  python3-sklearn
  clang-format git
)
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${packages[@]}"
echo "setup: installed ${#packages[@]} packages"
