#!/usr/bin/env python3
"""Leave every Nth incident's follow-ups undone in a `care demo` book, in place.

The demo closes almost every incident, so a million incidents have a few thousand rows
due; issue 24 measured `followup due` with about 100,000. This removes the `done:` blocks
(and `missed_by`) of every Nth incident file, in the walk's sorted order, so the same book
has that many due. Usage: bench/undo-followups.py BOOK [N=30]
"""
import os
import sys

book, every = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 30
seen = changed = 0
for root, dirs, files in os.walk(os.path.join(book, "incidents")):
    dirs.sort()
    for name in sorted(files):
        if not name.endswith(".yaml"):
            continue
        seen += 1
        if seen % every:
            continue
        path = os.path.join(root, name)
        with open(path) as f:
            lines = f.read().split("\n")
        kept, skipping = [], False
        for line in lines:
            if line == "  done:":
                skipping = True
                continue
            if skipping and line.startswith("    "):
                continue
            skipping = False
            if not line.startswith("  missed_by:"):
                kept.append(line)
        with open(path, "w") as f:
            f.write("\n".join(kept))
        changed += 1
print(f"{changed} of {seen} incidents left with their follow-ups undone", file=sys.stderr)
