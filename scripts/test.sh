#!/usr/bin/env bash
# Installs what is missing, builds the release and the sanitizer (ASan+UBSan) trees, and runs
# every test: unit and end-to-end tests on the release build, unit and the fast end-to-end subset
# on the sanitizer build. This is what CI runs (.ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh

jobs=$(nproc)
echo "== format check"
mapfile -t sources < <(git ls-files '*.h' '*.cc' 2>/dev/null || find include src lib filters tools apps test -name '*.h' -o -name '*.cc')
clang-format --dry-run -Werror "${sources[@]}"

echo "== release build"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$jobs"

echo "== sanitizer build"
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DMGW_SANITIZE=ON >/dev/null
cmake --build build-asan -j"$jobs"

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

echo "== sanitizer tests (unit + fast end-to-end)"
(cd build-asan && ctest --output-on-failure -j2 -L 'unit|e2e_fast' --timeout 600)

echo "== release tests (unit + end-to-end)"
(cd build && ctest --output-on-failure -j2 --timeout 900)
