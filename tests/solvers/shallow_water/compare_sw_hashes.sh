#!/usr/bin/env bash
# Every shallow-water gradient hash written at any rank and thread count must
# agree with the others of the same case. Files are removed once compared.
set -euo pipefail
dir="$1"
shopt -s nullglob
files=("$dir"/sw_hash_*.txt)
if [ "${#files[@]}" -eq 0 ]; then echo "no shallow-water gradient hashes found in $dir"; exit 1; fi
status=0
cases=$(for f in "${files[@]}"; do basename "$f" | sed -E 's/_np[0-9]+_t[0-9]+\.txt$//'; done | sort -u)
for c in $cases; do
  runs=("$dir/${c}"_np*_t*.txt)
  distinct=$(cat "${runs[@]}" | sort -u | wc -l)
  if [ "$distinct" -ne 1 ]; then
    echo "MISMATCH ${c#sw_hash_}:"; for r in "${runs[@]}"; do echo "  $(basename "$r"): $(cat "$r")"; done
    status=1
  else
    echo "ok ${c#sw_hash_}: ${#runs[@]} runs identical ($(cat "${runs[0]}"))"
  fi
done
rm -f "${files[@]}"
exit $status
