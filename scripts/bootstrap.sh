#!/usr/bin/env bash
# Installs Undertow's dependencies on Debian 12 and builds a Kokkos with the
# OpenMP + Serial backends from Debian's own trilinos source package into
# .deps/kokkos. Idempotent: each step is skipped when its result is present.
#
# UNDERTOW_KOKKOS_CXX=clang++-16 scripts/bootstrap.sh builds that Kokkos with
# another compiler instead (installing the Debian package of that name and its
# OpenMP runtime), into .deps/kokkos-clang++-16; configure Undertow against it with
# -DCMAKE_CXX_COMPILER=clang++-16 -DKokkos_ROOT=.deps/kokkos-clang++-16. Its
# objects and Undertow's must come from one compiler: each brings its own OpenMP
# runtime.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEPS="${UNDERTOW_DEPS_DIR:-$ROOT/.deps}"
KOKKOS_CXX="${UNDERTOW_KOKKOS_CXX:-}"
KOKKOS_PREFIX="$DEPS/kokkos${KOKKOS_CXX:+-$KOKKOS_CXX}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

APT_PACKAGES=(build-essential cmake make dpkg-dev libopenmpi-dev openmpi-bin
  libhdf5-openmpi-dev hdf5-tools catch2 libcli11-dev nlohmann-json3-dev
  libtoml11-dev libfmt-dev python3-h5py python3-numpy libadolc-dev ccache
  libtrilinos-rol-dev libtrilinos-teuchos-dev)
if [[ "$KOKKOS_CXX" =~ ^clang\+\+-([0-9]+)$ ]]; then
  APT_PACKAGES+=("clang-${BASH_REMATCH[1]}" "libomp-${BASH_REMATCH[1]}-dev")
elif [ -n "$KOKKOS_CXX" ] && ! command -v "$KOKKOS_CXX" >/dev/null; then
  echo "[bootstrap] UNDERTOW_KOKKOS_CXX=$KOKKOS_CXX: no such compiler (clang++-N installs from Debian)" >&2
  exit 1
fi

missing=()
for p in "${APT_PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "[bootstrap] installing Debian packages: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# A static Kokkos (compiled as position-independent code): Debian's Teuchos and
# PETSc libraries load Debian's own shared Kokkos, and two shared Kokkos runtimes
# in one process interpose each other's symbols and free the same globals twice at
# exit (double free in 4 of 10 runs of the ROL adapter test). Linked statically,
# ours stays private to the executable. A shared Kokkos from an older bootstrap is
# replaced.
if [ -f "$KOKKOS_PREFIX/lib/cmake/Kokkos/KokkosConfig.cmake" ] && [ -f "$KOKKOS_PREFIX/lib/libkokkoscore.a" ]; then
  exit 0
fi
rm -rf "$KOKKOS_PREFIX"

echo "[bootstrap] building Kokkos (OpenMP + Serial${KOKKOS_CXX:+, with $KOKKOS_CXX}) from Debian's trilinos source into $KOKKOS_PREFIX"
mkdir -p "$DEPS/src"
cd "$DEPS/src"
if ! ls trilinos_*.orig.tar.* >/dev/null 2>&1; then
  # apt-get source needs a deb-src entry; add one (a copy of the deb entry) if absent.
  if ! grep -rqs "deb-src" /etc/apt/sources.list /etc/apt/sources.list.d/; then
    if [ -f /etc/apt/sources.list.d/debian.sources ]; then
      sed 's/^Types: deb$/Types: deb-src/' /etc/apt/sources.list.d/debian.sources |
        $SUDO tee /etc/apt/sources.list.d/undertow-deb-src.sources >/dev/null
    else
      grep '^deb ' /etc/apt/sources.list | sed 's/^deb /deb-src /' |
        $SUDO tee /etc/apt/sources.list.d/undertow-deb-src.list >/dev/null
    fi
    $SUDO apt-get update -qq
  fi
  apt-get source --download-only trilinos >/dev/null
fi
tarball="$(ls trilinos_*.orig.tar.* | head -n1)"
rm -rf kokkos-src kokkos-build
mkdir kokkos-src
tar -xf "$tarball" -C kokkos-src --strip-components=1 --wildcards '*/packages/kokkos/*'
# Through ccache as well: a fresh clone on the same machine rebuilds the same Kokkos.
launcher=()
if command -v ccache >/dev/null; then
  launcher=("-DCMAKE_CXX_COMPILER_LAUNCHER=$(command -v cmake);-E;env;CCACHE_BASEDIR=$DEPS/src;$(command -v ccache)")
fi
compiler=()
if [ -n "$KOKKOS_CXX" ]; then compiler=("-DCMAKE_CXX_COMPILER=$KOKKOS_CXX"); fi
cmake -S kokkos-src/packages/kokkos -B kokkos-build -DCMAKE_BUILD_TYPE=Release "${launcher[@]}" "${compiler[@]}" \
  -DCMAKE_INSTALL_PREFIX="$KOKKOS_PREFIX" -DKokkos_ENABLE_OPENMP=ON \
  -DKokkos_ENABLE_SERIAL=ON -DCMAKE_CXX_STANDARD=17 -DBUILD_SHARED_LIBS=OFF \
  -DCMAKE_POSITION_INDEPENDENT_CODE=ON >/dev/null
cmake --build kokkos-build -j "$(nproc)" >/dev/null
cmake --install kokkos-build >/dev/null
rm -rf kokkos-src kokkos-build
echo "[bootstrap] Kokkos installed in $KOKKOS_PREFIX"
