#!/usr/bin/env bash
# Runs every benchmark program found in BUILD_DIR/benchmarks (bench_*) at 1 and 2
# MPI ranks, one Kokkos thread per rank, with each program's default (full) sizes,
# and writes BUILD_DIR/benchmarks/results/<program>_np<ranks>.json (the table rows)
# and .txt (the printed table). `make bench` calls it.
#
#   scripts/run_benchmarks.sh BUILD_DIR
#
# Environment:
#   UNDERTOW_BENCH_RANKS    rank counts to run (default "1 2")
#   UNDERTOW_BENCH_THREADS  OMP_NUM_THREADS per rank (default 1)
#   UNDERTOW_BENCH_ARGS     extra arguments for every program (e.g. "--reps 20")
#   UNDERTOW_BENCH_FILTER   only programs whose name contains this string
set -euo pipefail

if [ $# -ne 1 ]; then
  echo "usage: $0 BUILD_DIR" >&2
  exit 2
fi
BUILD_DIR="$(cd "$1" && pwd)"
RESULTS="$BUILD_DIR/benchmarks/results"
RANKS="${UNDERTOW_BENCH_RANKS:-1 2}"
THREADS="${UNDERTOW_BENCH_THREADS:-1}"
read -r -a EXTRA_ARGS <<<"${UNDERTOW_BENCH_ARGS:-}"

# The mpiexec CMake found, else the one on PATH.
MPIEXEC="$(sed -n 's/^MPIEXEC_EXECUTABLE:FILEPATH=//p' "$BUILD_DIR/CMakeCache.txt" 2>/dev/null || true)"
MPIEXEC="${MPIEXEC:-mpiexec}"

# Open MPI refuses to run as root unless told; harmless otherwise. Threads must not
# be pinned or spin: the machine is shared.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMP_NUM_THREADS="$THREADS" OMP_PROC_BIND=false OMP_WAIT_POLICY=PASSIVE
# Ranks waiting in MPI yield the core instead of spinning (oversubscribed runs).
export OMPI_MCA_mpi_yield_when_idle=1

shopt -s nullglob
programs=()
for exe in "$BUILD_DIR"/benchmarks/bench_*; do
  [ -f "$exe" ] && [ -x "$exe" ] || continue
  if [ -n "${UNDERTOW_BENCH_FILTER:-}" ] && [[ "$(basename "$exe")" != *"$UNDERTOW_BENCH_FILTER"* ]]; then
    continue
  fi
  programs+=("$exe")
done
if [ "${#programs[@]}" -eq 0 ]; then
  echo "run_benchmarks: no bench_* programs in $BUILD_DIR/benchmarks (build them first)" >&2
  exit 1
fi

mkdir -p "$RESULTS"
failures=0
for exe in "${programs[@]}"; do
  name="$(basename "$exe")"
  for np in $RANKS; do
    stem="$RESULTS/${name}_np${np}"
    echo "== $name on $np rank(s) x $THREADS thread(s) -> ${stem}.json"
    if "$MPIEXEC" -n "$np" --oversubscribe --bind-to none "$exe" "${EXTRA_ARGS[@]}" --json "$stem.json" |
      tee "$stem.txt"; then
      :
    else
      echo "run_benchmarks: $name failed on $np rank(s)" >&2
      failures=$((failures + 1))
    fi
  done
done
echo "results in $RESULTS"
exit $((failures > 0))
