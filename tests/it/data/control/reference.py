#!/usr/bin/env python3
"""Reference values for `care trends --control`, computed once from the textbook formulas
and kept beside this script as reference.csv; tests/it/control.rs runs care on the same
counts and compares. Written from the formulas, not from care's Rust, so that the two
implementations check each other. Plain Python 3 (no numpy or scipy).

    python3 reference.py cases.csv > reference.csv

cases.csv: case,label,count,exposure,complete (complete: 1 or 0), periods in time order.
reference.csv: case,label,expected,lcl,ucl,sigma_z,z,rule with every rule applied
(1, 2, 3 and 4), rules joined by ", " as care words them.

The formulas (Montgomery, Introduction to Statistical Quality Control, ch. 7; Laney,
"Improved control charts for attributes", Quality Engineering 14(4), 2002; the Western
Electric Statistical Quality Control Handbook, 1956):
- rate of the baseline (the complete periods) leaving out the period judged (baseline
  ones only): u = sum(count) / sum(exposure) over the other baseline periods;
  expected = u * exposure of the period.
- Laney's sigma_z: z_i = (c_i - ubar*e_i) / sqrt(ubar*e_i) over the baseline periods
  with ubar their overall rate; MRbar = mean |z_i - z_(i-1)|; moving ranges above
  D4*MRbar (D4 = 3.267) are set aside and MRbar taken again; sigma_z = MRbar / d2
  (d2 = 1.128), floored at 1.
- sigma = sqrt(expected) * sigma_z; limits expected -/+ 3 sigma (lcl only when > 0);
  z = (count - expected) / sigma.
- Western Electric zones on z: rule 1 |z| > 3; rule 2: of the last 3, 2 beyond 2 on one
  side; rule 3: of the last 5, 4 beyond 1 on one side; rule 4: the last 8 on one side.
  Signalled at the period completing the pattern, which must be beyond the line itself.
  Runs (rules 2-4) look only at complete periods expecting at least 1; an incomplete
  period is judged by rule 1 on the high side only. Where nothing is expected, any count
  is beyond every line (z is then left empty).
- Revised trial limits (Montgomery 6.2), one revision: baseline periods beyond 3 sigma are
  dropped from the baseline and everything computed again, once (unless dropping them
  would leave fewer than 8 baseline periods); the dropped ones are then judged against
  the whole baseline, like the incomplete ones.
"""
import csv
import math
import sys
from collections import OrderedDict

D2, D4 = 1.128, 3.267


def sigma_z(base):
    total_c = sum(c for c, e in base)
    total_e = sum(e for c, e in base)
    ubar = total_c / total_e
    zs = []
    for c, e in base:
        mean = ubar * e
        if mean > 0:
            zs.append((c - mean) / math.sqrt(mean))
    ranges = [abs(zs[k] - zs[k - 1]) for k in range(1, len(zs))]
    if not ranges:
        return 1.0
    mrbar = sum(ranges) / len(ranges)
    kept = [r for r in ranges if r <= D4 * mrbar]
    mrbar = sum(kept) / len(kept) if kept else 0.0
    return max(1.0, mrbar / D2)


def chart(periods, base):
    baseline = [p for p, b in zip(periods, base) if b]
    sz = sigma_z([(p["count"], p["exposure"]) for p in baseline])
    all_c = sum(p["count"] for p in baseline)
    all_e = sum(p["exposure"] for p in baseline)
    for p, b in zip(periods, base):
        c, e = all_c, all_e
        if b:
            c, e = c - p["count"], e - p["exposure"]
        p["expected"] = c / e * p["exposure"] if e > 0 else 0.0
        s = math.sqrt(p["expected"]) * sz
        p["ucl"] = p["expected"] + 3 * s
        p["lcl"] = p["expected"] - 3 * s if p["expected"] - 3 * s > 0 else None
        if s > 0:
            p["z"] = (p["count"] - p["expected"]) / s
            p["dist"] = p["z"]
        else:
            p["z"] = None
            p["dist"] = math.inf if p["count"] > 0 else 0.0
    return sz


def revised(periods, minimum=8):
    base = [p["complete"] for p in periods]
    sz = chart(periods, base)
    out = [k for k, p in enumerate(periods) if base[k] and abs(p["dist"]) > 3]
    if out and sum(base) - len(out) >= minimum:
        for k in out:
            base[k] = False
        sz = chart(periods, base)
    return sz


def rules(periods):
    for i, p in enumerate(periods):
        found = []
        # Rule 1.
        if p["dist"] > 3:
            found.append("above 3σ")
        if p["dist"] < -3 and p["complete"]:
            found.append("below 3σ")
        # Rules 2 to 4: windows of consecutive periods that all take part in runs.
        for n, of, line, name in ((2, 3, 2, "2 of 3 {} 2σ"), (4, 5, 1, "4 of 5 {} 1σ"), (8, 8, 0, "8 {} centre")):
            if i + 1 < of:
                continue
            window = periods[i + 1 - of:i + 1]
            if not all(q["complete"] and q["expected"] >= 1 for q in window):
                continue
            for side, sign in (("above", 1), ("below", -1)):
                if sign * p["dist"] > line and sum(1 for q in window if sign * q["dist"] > line) >= n:
                    found.append(name.format(side))
        p["rule"] = ", ".join(found)


def number(x):
    return "" if x is None else repr(round(x, 9))


def main():
    cases = OrderedDict()
    with open(sys.argv[1], newline="") as f:
        for row in csv.DictReader(f):
            cases.setdefault(row["case"], []).append({
                "label": row["label"], "count": int(row["count"]),
                "exposure": float(row["exposure"]), "complete": row["complete"] == "1"})
    out = csv.writer(sys.stdout, lineterminator="\n")
    out.writerow(["case", "label", "expected", "lcl", "ucl", "sigma_z", "z", "rule"])
    for name, periods in cases.items():
        sz = revised(periods)
        rules(periods)
        for p in periods:
            out.writerow([name, p["label"], number(p["expected"]), number(p["lcl"]), number(p["ucl"]),
                          number(sz), number(p["z"]), p["rule"]])


main()
