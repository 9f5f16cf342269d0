#!/usr/bin/env bash
# check_bad_output.sh MPIEXEC RANKS PROGRAM [--prefix] [ARGS...]: PROGRAM --output <bad> under
# mpiexec, for outputs that cannot be created (a path that is a file, a path under
# a file, a path in /proc), must exit with an error status (1-123) and a message
# naming the path, promptly and without an abort (no uncaught exception, no
# signal, no hang: timeout's 124 and signals' 128+ fail). --prefix: --output is a
# file-name prefix (<prefix>_final.h5), so the bad values are prefixes whose
# directory part cannot be created.
set -uo pipefail
mpiexec="$1" ranks="$2" program="$3"
shift 3
prefix=false
if [ "${1:-}" = "--prefix" ]; then
  prefix=true
  shift
fi
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
echo "a file, not a directory" >"$scratch/plain_file"
status=0
if $prefix; then
  bads=("$scratch/plain_file/run" "$scratch/plain_file/sub/run" "/proc/undertow_output")
else
  bads=("$scratch/plain_file" "$scratch/plain_file/sub/dir" "/proc/undertow_output")
fi
for bad in "${bads[@]}"; do
  out=$(timeout 120 "$mpiexec" -n "$ranks" --oversubscribe --bind-to none "$program" "$@" --output "$bad" 2>&1)
  rc=$?
  if [ $rc -eq 0 ] || [ $rc -ge 124 ]; then
    echo "FAIL: --output $bad: exit status $rc (expected an error status: a clear error, not an abort or a hang)"
    echo "$out" | tail -20
    status=1
  elif ! grep -q "cannot use output directory '.*'" <<<"$out"; then
    echo "FAIL: --output $bad: exit $rc but no message naming the output directory:"
    echo "$out" | tail -20
    status=1
  elif grep -qE "terminate called|core dumped|filesystem_error|Signal: " <<<"$out"; then
    echo "FAIL: --output $bad: the program aborted:"
    echo "$out" | tail -20
    status=1
  else
    echo "ok: --output $bad -> $(grep -m1 "cannot use output directory" <<<"$out")"
  fi
done
exit $status
