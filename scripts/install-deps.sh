#!/usr/bin/env bash
# Installs every Debian package the project needs to build, run and test.
# Idempotent: apt-get runs only when a package is missing.
set -euo pipefail

BUILD_PKGS=(
  build-essential cmake ninja-build pkg-config clang clang-format
  libboost1.81-dev libssl-dev
  libyaml-cpp-dev nlohmann-json3-dev libtomlplusplus-dev
  libgtest-dev
  libcurl4-openssl-dev
  libcrypt-dev libargon2-dev
)
RUN_PKGS=(ca-certificates openssl libcurl4)
TEST_PKGS=(curl nginx-light python3 procps iproute2 redis-server redis-tools)
BENCH_PKGS=(wrk haproxy nginx-light libnginx-mod-http-echo hyperfine linux-perf)

want=("${BUILD_PKGS[@]}" "${RUN_PKGS[@]}" "${TEST_PKGS[@]}")
if [[ "${1:-}" == "--bench" ]]; then want+=("${BENCH_PKGS[@]}"); fi

missing=()
for p in "${want[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}" >&2
  SUDO=""
  if [[ $(id -u) -ne 0 ]]; then SUDO=sudo; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # nginx-light's package starts a system nginx on port 80; the project never uses it.
  if [[ " ${missing[*]} " == *" nginx-light "* ]]; then
    $SUDO systemctl disable --now nginx >/dev/null 2>&1 || $SUDO service nginx stop >/dev/null 2>&1 || true
  fi
fi
