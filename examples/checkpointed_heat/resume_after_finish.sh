#!/usr/bin/env bash
# Runs the checkpointed heat example to completion at 2 ranks, then again with
# --resume on the same directory. A finished run leaves no restart point, so the
# second run must say "nothing to resume", run from the start and print the same
# objective and gradient checksums (bitwise).
#   resume_after_finish.sh MPIEXEC EXAMPLE OUTPUT_DIR
set -euo pipefail
mpiexec="$1" example="$2" out="$3"
rm -rf "$out" && mkdir -p "$out"
args=(--steps 120 --snapshots 5 --storage memory-then-disk --memory-snapshots 2 --restart-interval 10
      --progress 0 --dir "$out/ckpt" --output "$out/heat")
run() { "$mpiexec" -n 2 --oversubscribe --bind-to none "$example" "${args[@]}" "$@"; }

run >"$out/first.txt"
run --resume >"$out/second.txt"
cat "$out/second.txt"
grep -q "nothing to resume" "$out/second.txt" || { echo "FAIL: second run did not report 'nothing to resume'"; exit 1; }
first="$(grep -E '^(objective J|gradient checksum)' "$out/first.txt")"
second="$(grep -E '^(objective J|gradient checksum)' "$out/second.txt")"
[ -n "$first" ] || { echo "FAIL: no checksum lines in the first run"; exit 1; }
if [ "$first" != "$second" ]; then
  echo "FAIL: results differ"; echo "first:"; echo "$first"; echo "second:"; echo "$second"; exit 1
fi
[ -f "$out/heat_sensitivity.xmf" ] && [ -f "$out/heat_final.xmf" ] || { echo "FAIL: XDMF output missing"; exit 1; }
[ -z "$(ls -A "$out/ckpt" 2>/dev/null)" ] || { echo "FAIL: checkpoint files left in $out/ckpt"; ls -l "$out/ckpt"; exit 1; }
echo "PASS: --resume after a finished run reran from the start with identical results"
