#!/usr/bin/env bash
# check_help.sh MPIEXEC RANKS PROGRAM: `PROGRAM --help` under mpiexec must exit 0,
# print the program's usage exactly once (rank 0) and no Kokkos help.
set -euo pipefail
mpiexec="$1" ranks="$2" program="$3"
out="$("$mpiexec" -n "$ranks" --oversubscribe --bind-to none "$program" --help 2>&1)" || {
  echo "FAIL: '$program --help' exited with an error on $ranks ranks:"; echo "$out"; exit 1; }
usage_lines="$(grep -c -- '--help' <<<"$out" || true)"
if [ "$usage_lines" -ne 1 ]; then
  echo "FAIL: expected the usage once (one line naming --help), found $usage_lines:"; echo "$out"; exit 1
fi
if grep -qi -- '--kokkos-' <<<"$out"; then
  echo "FAIL: Kokkos printed its help:"; echo "$out"; exit 1
fi
echo "ok: usage printed once on $ranks ranks, no Kokkos help"
