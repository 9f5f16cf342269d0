#!/usr/bin/env bash
# Usage: compare_hashes.sh <dir> <prefix> <ranks> <threads>
#   ranks, threads: comma-separated lists, e.g. 1,2,3,4 and 1,2.
# The runs of one MPI test at every (ranks, threads) pair write, on rank 0, one
# gradient hash per case: <dir>/<prefix><case>_np<N>_t<T>.txt, where T is the
# thread count Kokkos runs with (not what the environment asked for). Every case
# must have a hash from every claimed pair, and all hashes of a case must be equal
# (gather-mode adjoints are bitwise reproducible). A missing run, a case seen by
# only some runs, or fewer than two configurations to compare is a failure: a
# comparison that compares nothing must not pass. Files are removed once compared.
set -euo pipefail
if [ $# -ne 4 ]; then
  echo "usage: $0 <dir> <prefix> <ranks,...> <threads,...>" >&2
  exit 2
fi
dir="$1"
prefix="$2"
IFS=',' read -r -a ranks <<<"$3"
IFS=',' read -r -a threads <<<"$4"
shopt -s nullglob
files=("$dir"/"$prefix"*.txt)
trap 'rm -f "${files[@]}"' EXIT

expected=()
for np in "${ranks[@]}"; do
  for nt in "${threads[@]}"; do expected+=("np${np}_t${nt}"); done
done
if [ "${#expected[@]}" -lt 2 ]; then
  echo "FAIL: ${#expected[@]} (ranks, threads) configuration(s) claimed ($3 x $4): nothing to compare"
  exit 1
fi
if [ "${#files[@]}" -eq 0 ]; then
  echo "FAIL: no gradient hashes $prefix* in $dir (did the runs write any?)"
  exit 1
fi

status=0
cases=$(for f in "${files[@]}"; do basename "$f" | sed -E 's/_np[0-9]+_t[0-9]+\.txt$//'; done | sort -u)
for c in $cases; do
  name="${c#"$prefix"}"
  hashes=()
  missing=()
  for run in "${expected[@]}"; do
    f="$dir/${c}_${run}.txt"
    if [ -s "$f" ]; then hashes+=("$run: $(cat "$f")"); else missing+=("$run"); fi
  done
  unexpected=()
  for f in "$dir/${c}"_np*_t*.txt; do
    run=$(basename "$f" .txt)
    run="${run##*_np}"
    run="np$run"
    [[ " ${expected[*]} " == *" $run "* ]] || unexpected+=("$run")
  done
  if [ "${#missing[@]}" -gt 0 ] || [ "${#unexpected[@]}" -gt 0 ]; then
    echo "FAIL $name: hashes from ${#hashes[@]} of ${#expected[@]} runs (missing: ${missing[*]:-none})"
    if [ "${#unexpected[@]}" -gt 0 ]; then
      echo "  runs not claimed: ${unexpected[*]} (a thread count other than requested means Kokkos" \
        "did not run the threads OMP_NUM_THREADS asked for, e.g. a Serial-only build)"
    fi
    status=1
    continue
  fi
  distinct=$(printf '%s\n' "${hashes[@]}" | sed 's/^[^:]*: //' | sort -u | wc -l)
  if [ "$distinct" -ne 1 ]; then
    echo "MISMATCH $name:"
    printf '  %s\n' "${hashes[@]}"
    status=1
  else
    echo "ok $name: ${#hashes[@]} runs identical (${hashes[0]#*: })"
  fi
done
exit $status
