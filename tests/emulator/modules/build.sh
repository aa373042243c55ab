#!/bin/sh
# Rebuild the C test module(s) with Debian's clang-14 + lld-14
# (apt-get install -y clang-14 lld-14). The built .wasm is committed so tests need no clang.
set -eu
cd "$(dirname "$0")"
clang-14 --target=wasm32 -O2 -nostdlib -fno-builtin \
  -Wl,--no-entry -Wl,--export-dynamic -Wl,--strip-all -Wl,-z,stack-size=65536 \
  -fuse-ld=lld -o probe.wasm probe.c
echo "built $(pwd)/probe.wasm ($(wc -c < probe.wasm) bytes)"
