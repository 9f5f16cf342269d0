#!/usr/bin/env bash
# Usage: compare_hashes.sh <dir> <prefix>
# Every gradient hash <dir>/<prefix><case>_np<N>_t<T>.txt written by the runs of a
# solver test at any rank and thread count must agree with the others of the same
# case (gather-mode adjoints are bitwise reproducible). Files are removed once compared.
set -euo pipefail
dir="$1"
prefix="$2"
shopt -s nullglob
files=("$dir"/"$prefix"*.txt)
if [ "${#files[@]}" -eq 0 ]; then echo "no gradient hashes $prefix* found in $dir"; exit 1; fi
status=0
cases=$(for f in "${files[@]}"; do basename "$f" | sed -E 's/_np[0-9]+_t[0-9]+\.txt$//'; done | sort -u)
for c in $cases; do
  runs=("$dir/${c}"_np*_t*.txt)
  distinct=$(cat "${runs[@]}" | sort -u | wc -l)
  if [ "$distinct" -ne 1 ]; then
    echo "MISMATCH ${c#"$prefix"}:"; for r in "${runs[@]}"; do echo "  $(basename "$r"): $(cat "$r")"; done
    status=1
  else
    echo "ok ${c#"$prefix"}: ${#runs[@]} runs identical ($(cat "${runs[0]}"))"
  fi
done
rm -f "${files[@]}"
exit $status
