#!/usr/bin/env python3
"""What a user would otherwise write: walk the incidents, load each with PyYAML's C
loader, and count (hour, staff, product) with collections.Counter. The benchmark's
baseline for `care trends --by hour,staff,product`."""
import collections
import os
import sys

import yaml

book = sys.argv[1] if len(sys.argv) > 1 else "."
counts = collections.Counter()
for root, _dirs, files in os.walk(os.path.join(book, "incidents")):
    for name in files:
        if not name.endswith((".yaml", ".yml")) or name.startswith("."):
            continue
        with open(os.path.join(root, name), encoding="utf-8") as f:
            doc = yaml.load(f, Loader=yaml.CSafeLoader)
        opened = doc.get("opened")
        # Two digits either way, as `care trends` prints it: PyYAML gives a datetime for a
        # plain timestamp (hour 9) but a string for some forms ("09"); one type per column.
        hour = f"{opened.hour:02d}" if hasattr(opened, "hour") else str(opened)[11:13]
        counts[(hour, doc.get("staff"), doc.get("product"))] += 1
for (hour, staff, product), n in counts.most_common(5):
    print(f"{hour},{staff},{product},{n}")
