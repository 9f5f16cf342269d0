#!/usr/bin/env bash
# Installs the build tree into a scratch prefix, MOVES the prefix elsewhere (an
# install must be relocatable: no path of the build tree inside it, Kokkos found
# through its own package config), builds tests/consumer against the moved
# prefix with find_package(Undertow COMPONENTS solvers), and runs its two programs
# (the library alone, and the heat solver on an installed mesh) on 2 ranks. The
# optional fourth argument is the C++ compiler of the build (the consumer must use
# the same one).
set -euo pipefail
build_dir="$(cd "$1" && pwd)"; consumer_src="$2"; mpiexec="$3"; cxx="${4:-}"
staged="$build_dir/consumer-install-staged"
prefix="$build_dir/consumer-relocated/prefix"
rm -rf "$staged" "$build_dir/consumer-relocated" "$build_dir/consumer-build"
cmake --install "$build_dir" --prefix "$staged" >/dev/null
if grep -rIl -F "$build_dir" "$staged"; then
  echo "FAIL: the installed files above name the build tree $build_dir; the install is not relocatable" >&2
  exit 1
fi
mkdir -p "$(dirname "$prefix")"
mv "$staged" "$prefix"
launcher=()
if command -v ccache >/dev/null; then
  launcher=("-DCMAKE_CXX_COMPILER_LAUNCHER=$(command -v cmake);-E;env;CCACHE_BASEDIR=$build_dir;$(command -v ccache)")
fi
compiler=()
if [ -n "$cxx" ]; then compiler=("-DCMAKE_CXX_COMPILER=$cxx"); fi
cmake -S "$consumer_src" -B "$build_dir/consumer-build" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_TYPE=Release \
  "${launcher[@]}" "${compiler[@]}" >/dev/null
cmake --build "$build_dir/consumer-build" -j 2 >/dev/null
"$mpiexec" -n 2 --oversubscribe "$build_dir/consumer-build/consumer"
"$mpiexec" -n 2 --oversubscribe "$build_dir/consumer-build/consumer_heat"
