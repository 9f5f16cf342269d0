#!/usr/bin/env bash
# Installs the build tree into a scratch prefix, builds tests/consumer against it
# with find_package(Undertow), and runs it on 2 ranks.
set -euo pipefail
build_dir="$1"; consumer_src="$2"; mpiexec="$3"
prefix="$build_dir/consumer-install"
rm -rf "$prefix" "$build_dir/consumer-build"
cmake --install "$build_dir" --prefix "$prefix" >/dev/null
cmake -S "$consumer_src" -B "$build_dir/consumer-build" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build_dir/consumer-build" -j 2 >/dev/null
"$mpiexec" -n 2 --oversubscribe "$build_dir/consumer-build/consumer"
