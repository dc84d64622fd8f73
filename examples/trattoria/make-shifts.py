#!/usr/bin/env python3
"""Writes shifts.csv, the Trattoria Sol's rota from 2025-12-01 to 2026-11-22, the exposure
file its care.yaml names. Deterministic (no randomness beyond a fixed-seed LCG), so running
it again rewrites the same file: python3 examples/trattoria/make-shifts.py

Every incident of the book falls inside a shift of its staff member at its location: Billy
works the most hours downtown (Wednesday to Sunday afternoons and evenings), Jeff closes
downtown on Saturdays past midnight."""

import datetime
import os

# (staff, location, weekdays (Mon=0), start, end, covers per hour)
ROTA = [
    ("joan", "downtown", [0, 1, 2, 3, 4], "09:00", "17:00", 6),
    ("billy", "downtown", [2, 3, 4, 5, 6], "14:00", "23:00", 9),
    ("dale", "downtown", [0, 1], "14:00", "23:00", 7),
    ("dale", "riverside", [6], "12:00", "22:00", 8),
    ("jeff", "riverside", [3, 4, 5], "10:00", "18:00", 5),
    ("jeff", "downtown", [5], "18:00", "01:00", 10),
    ("maria", "riverside", [2, 3, 4, 5], "17:00", "23:00", 8),
]

FIRST = datetime.date(2025, 12, 1)
LAST = datetime.date(2026, 11, 22)


def hours(start, end):
    h = lambda t: int(t[:2]) + int(t[3:]) / 60
    d = h(end) - h(start)
    return d if d > 0 else d + 24


def main():
    seed = 13
    rows = ["date,start,end,staff,location,covers"]
    day = FIRST
    while day <= LAST:
        for staff, location, days, start, end, per_hour in ROTA:
            if day.weekday() in days:
                seed = (seed * 1103515245 + 12345) % 2**31
                jitter = 0.8 + 0.4 * (seed % 1000) / 1000
                covers = round(hours(start, end) * per_hour * jitter)
                rows.append(f"{day.isoformat()},{start},{end},{staff},{location},{covers}")
        day += datetime.timedelta(days=1)
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, "shifts.csv"), "w", newline="\n") as f:
        f.write("\n".join(rows) + "\n")


main()
