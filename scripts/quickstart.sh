#!/usr/bin/env bash
# Quick start: installs what is missing, builds micro-gw and gateway, builds the petstore example
# into an artifact, starts the sample backend on 127.0.0.1:8081 and runs the gateway on :9090
# in the foreground (Ctrl-C stops both).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh

cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build --target micro-gw gateway -j"$(nproc)"

build/bin/micro-gw build examples/petstore

/usr/bin/python3 examples/petstore/backend.py --port "${BACKEND_PORT:-8081}" &
backend=$!
trap 'kill "$backend" 2>/dev/null || true' EXIT

cat <<MSG

Gateway starting on http://localhost:${HTTP_PORT:-9090}. Try, from another terminal:

  curl -i http://localhost:${HTTP_PORT:-9090}/petstore/v1/pet/1
  curl -i http://localhost:${HTTP_PORT:-9090}/petstore/v1/store/inventory   # secured: 401 900902

MSG
build/bin/gateway examples/petstore/target/petstore.mgw \
  --listenerConfig.httpPort="${HTTP_PORT:-9090}" \
  --petstore_prod_endpoint_0="http://127.0.0.1:${BACKEND_PORT:-8081}/v1" "$@"
