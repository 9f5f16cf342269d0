#!/usr/bin/env bash
# tests/compare_hashes.sh must fail whenever it cannot vouch for invariance: a
# missing run, a run at a thread count that was not claimed, a case seen by only
# some runs, a single configuration, no files; and pass only for complete, equal sets.
set -uo pipefail
script="$(dirname "$0")/compare_hashes.sh"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
failures=0

# write <case> <hash> <run>...
write() {
  local c="$1" h="$2"
  shift 2
  for run in "$@"; do echo "$h" >"$dir/h_${c}_${run}.txt"; done
}
expect() {  # expect <pass|fail> <description> <ranks> <threads>
  local want="$1" what="$2"
  local out
  out=$(bash "$script" "$dir" h_ "$3" "$4" 2>&1)
  local rc=$?
  if { [ "$want" = pass ] && [ $rc -ne 0 ]; } || { [ "$want" = fail ] && [ $rc -eq 0 ]; }; then
    echo "WRONG: $what: expected $want, exit $rc"
    echo "$out" | sed 's/^/    /'
    failures=$((failures + 1))
  else
    echo "ok: $what -> $(echo "$out" | head -1)"
  fi
  if ls "$dir"/h_* >/dev/null 2>&1; then
    echo "WRONG: $what: hash files left behind"
    failures=$((failures + 1))
    rm -f "$dir"/h_*
  fi
}

write a 1f np1_t1 np1_t2 np2_t1 np2_t2
write b 2e np1_t1 np1_t2 np2_t1 np2_t2
expect pass "complete and equal" 1,2 1,2

write a 1f np1_t1 np1_t2 np2_t1
expect fail "one run missing" 1,2 1,2

write a 1f np1_t1 np1_t2 np2_t1 np2_t2
write a 2f np2_t2
expect fail "one hash differs" 1,2 1,2

write a 1f np1_t1 np2_t1
expect fail "Kokkos ran 1 thread where 2 were claimed" 1,2 1,2

write a 1f np1_t1 np1_t2 np2_t1 np2_t2
write b 2e np1_t1 np1_t2
expect fail "a case written by only some runs" 1,2 1,2

write a 1f np1_t1
expect fail "a single configuration" 1 1

expect fail "no hash files at all" 1,2 1,2

write a 1f np1_t1 np1_t2 np2_t1 np2_t2 np3_t1
expect fail "a run at a rank count that was not claimed" 1,2 1,2

if [ $failures -ne 0 ]; then
  echo "$failures wrong verdict(s) of compare_hashes.sh"
  exit 1
fi
echo "compare_hashes.sh: every verdict right"
