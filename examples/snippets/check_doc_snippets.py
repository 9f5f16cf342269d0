#!/usr/bin/env python3
"""Keeps code blocks in the documentation identical to the compiled snippets.

A documentation block is tied to a region of a snippet program by a marker line
right above the fence:

    <!-- snippet: examples/snippets/snippet_halo.cpp#exchange -->
    ```cpp
    ...
    ```

and the region is delimited in the program by `// [doc:exchange]` and
`// [doc:exchange end]`. The block must equal the region's lines with their common
indentation removed. A C++ block that is not a compiled snippet says so and why
on the line above its fence (an error otherwise):

    <!-- not compiled: a fragment of the loop in examples/heat/main.cpp -->

Usage:

    check_doc_snippets.py REPO_ROOT DOC.md...          # exit 1 and a diff if out of sync
    check_doc_snippets.py --update REPO_ROOT DOC.md... # rewrite the blocks from the programs
"""
import difflib
import re
import sys
import textwrap
from pathlib import Path

MARKER = re.compile(r"^<!-- snippet: (?P<path>[^#\s]+)#(?P<region>[\w-]+) -->\s*$")
NOT_COMPILED = re.compile(r"^\s*<!-- not compiled: \S.* -->\s*$")
CPP_FENCE = re.compile(r"^\s*```(cpp|c\+\+)\s*$")


def region_text(source: Path, region: str) -> str:
    lines = source.read_text().splitlines()
    begin = f"// [doc:{region}]"
    end = f"// [doc:{region} end]"
    starts = [n for n, line in enumerate(lines) if line.strip() == begin]
    stops = [n for n, line in enumerate(lines) if line.strip() == end]
    if len(starts) != 1 or len(stops) != 1 or stops[0] <= starts[0]:
        raise ValueError(f"{source}: region '{region}' needs exactly one '{begin}' ... '{end}' pair")
    return textwrap.dedent("\n".join(lines[starts[0] + 1 : stops[0]])).strip("\n") + "\n"


def process(root: Path, doc: Path, update: bool) -> int:
    lines = doc.read_text().splitlines(keepends=True)
    output, problems, n = [], 0, 0
    while n < len(lines):
        output.append(lines[n])
        match = MARKER.match(lines[n])
        n += 1
        if not match:
            if n < len(lines) and CPP_FENCE.match(lines[n]) and not NOT_COMPILED.match(lines[n - 1]):
                print(f"{doc}:{n + 1}: C++ block with neither a snippet marker nor a "
                      "'<!-- not compiled: why -->' line above it")
                problems += 1
            continue
        if n >= len(lines) or not lines[n].startswith("```"):
            print(f"{doc}:{n}: snippet marker not followed by a code fence")
            problems += 1
            continue
        output.append(lines[n])
        close = n + 1
        while close < len(lines) and not lines[close].startswith("```"):
            close += 1
        if close >= len(lines):
            print(f"{doc}:{n + 1}: unterminated code fence")
            return problems + 1
        shown = "".join(lines[n + 1 : close])
        wanted = region_text(root / match["path"], match["region"])
        if shown != wanted:
            if update:
                print(f"{doc}: updated {match['path']}#{match['region']}")
            else:
                problems += 1
                print(f"{doc}:{n + 2}: block differs from {match['path']}#{match['region']}:")
                sys.stdout.writelines(
                    difflib.unified_diff(shown.splitlines(True), wanted.splitlines(True), "doc", "snippet"))
        output.append(wanted if update else shown)
        output.append(lines[close])
        n = close + 1
    if update:
        doc.write_text("".join(output))
    return problems


def main(argv):
    update = "--update" in argv
    args = [a for a in argv if a != "--update"]
    if len(args) < 2:
        print(__doc__)
        return 2
    root = Path(args[0])
    problems = sum(process(root, Path(d) if Path(d).is_absolute() else root / d, update) for d in args[1:])
    if problems:
        print(f"{problems} documentation block(s) out of sync; run with --update to copy the programs' code")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
