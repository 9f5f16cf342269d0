#!/usr/bin/env bash
# Crash-safe resume, for real: an adjoint run with restart points is SIGKILLed in
# the middle of its reverse sweep, resumed by a new mpirun, and its gradient must
# be bitwise identical (cmp) to an uninterrupted store-all run. Snapshot and
# adjoint files hold global arrays, so a run killed at 2 ranks may also be resumed
# at 3: the gradient field (per-cell arithmetic) is then still bitwise identical,
# dJ/da (a global sum, combined in rank order) only to rounding, so only the field
# bytes are compared in that scenario.
# usage: kill_resume.sh MPIEXEC DRIVER OUTPUT_DIR
set -u
mpiexec=$1
driver=$2
out=$3
rm -rf "$out"
mkdir -p "$out"

fail() {
  echo "FAIL: $*"
  exit 1
}
launch_np() {
  local np=$1
  shift
  "$mpiexec" -np "$np" --oversubscribe --bind-to none "$driver" "$@"
}
launch() { launch_np 2 "$@"; }
field_bytes=$((14 * 11 * 8)) # the toy grid's gradient field, before dJ/da

launch full --out "$out/uninterrupted.bin" || fail "the uninterrupted run failed"

# (schedule, storage, reverse step after which every rank is killed, ranks to resume on)
for scenario in "binomial memdisk 25 2" "periodic disk 11 2" "binomial disk 26 3"; do
  set -- $scenario
  name="$1_$2_resume_np$4"
  dir="$out/$name"
  echo "== $name: kill after reverse step $3"
  launch kill --schedule "$1" --storage "$2" --dir "$dir" --kill-after "$3" >"$out/$name.killed.log" 2>&1
  rc=$?
  cat "$out/$name.killed.log"
  [ "$rc" -ne 0 ] || fail "$name: the killed run exited normally"
  grep -q "sending SIGKILL" "$out/$name.killed.log" || fail "$name: the run did not reach the kill point"
  grep -q "signal 9" "$out/$name.killed.log" || fail "$name: mpirun did not report a SIGKILL"
  [ -f "$dir/restart.txt" ] || fail "$name: no restart manifest survived"
  if [ "$2" = memdisk ]; then # the restart point must include memory snapshots written out
    grep -q " memory snapshot_" "$dir/restart.txt" || fail "$name: no memory snapshot in the restart point"
  fi
  echo "files left by the killed run:" $(ls "$dir")
  launch_np "$4" resume --schedule "$1" --storage "$2" --dir "$dir" --out "$out/$name.resumed.bin" ||
    fail "$name: the resumed run failed"
  if [ "$4" -eq 2 ]; then
    cmp "$out/uninterrupted.bin" "$out/$name.resumed.bin" || fail "$name: gradients differ"
  else
    cmp -n "$field_bytes" "$out/uninterrupted.bin" "$out/$name.resumed.bin" || fail "$name: gradient fields differ"
  fi
  [ ! -e "$dir/restart.txt" ] || fail "$name: the finished run left its manifest"
  echo "$name: resumed gradient is bitwise identical"
done
echo PASS
