#!/usr/bin/env python3
"""A booking system's export for `care import visits`, made from a `care demo` book so that
its rows name real customers: bench/visits-csv.py BOOK ROWS > visits.csv

Deterministic (its own generator, no `random`): the same book and ROWS give the same bytes.
Each row names its guest the ways exports do: by the book's id, by email, by phone or by
name alone, only by a phone or a name that no other customer shares (a shared one would
be ambiguous, and care refuses the whole file then). One row in two hundred names nobody;
one in a hundred has a note of two lines (a quoted cell). About 110 bytes a row: 450,000
rows are some 50 MB.
"""

import os
import sys

book, rows = sys.argv[1], int(sys.argv[2])


def field(text, key):
    for line in text.splitlines():
        line = line.strip()
        if line.startswith(key + ":"):
            return line.split(":", 1)[1].strip().strip("'\"")
    return ""


customers = []
folder = os.path.join(book, "customers")
for name in sorted(os.listdir(folder)):
    if name.endswith(".yaml") and not name.startswith("."):
        with open(os.path.join(folder, name), encoding="utf-8") as f:
            text = f.read()
        customers.append((field(text, "id"), field(text, "name"), field(text, "email"), field(text, "phone")))


def count(values):
    seen = {}
    for v in values:
        seen[v] = seen.get(v, 0) + 1
    return seen


names = count(c[1].lower() for c in customers)
phones = count("".join(ch for ch in c[3] if ch.isdigit())[-7:] for c in customers)

state = 20261122


def rand(n):
    global state
    state = (state * 6364136223846793005 + 1442695040888963407) % (1 << 64)
    return (state >> 33) % n


sites = ["downtown", "uptown", "harbour", "airport"]
servers = ["maria", "joan", "li", "sam", "ade", "kim"]
notes = ["", "", "", "birthday", "window table please", "\"anniversary, brought a cake\"", "business lunch"]
out = sys.stdout
out.write("Booking,Visit Date,Time,Guest ID,Guest,E-mail,Phone,Total,Covers,Site,Server,Note\n")
booking = 0
for _ in range(rows):
    cid, name, email, phone = customers[rand(len(customers))]
    day = rand(730)
    year, rest = (2024, day) if day < 366 else (2025, day - 366)
    month_days = [31, 29 if year == 2024 else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
    month = 0
    while rest >= month_days[month]:
        rest -= month_days[month]
        month += 1
    date = f"{year}-{month + 1:02d}-{rest + 1:02d}"
    time = f"{11 + rand(11)}:{rand(4) * 15:02d}"
    how = rand(200)
    key_id = key_email = key_phone = ""
    guest = name
    if how == 0:
        guest, key_email = f"Walk In {rand(100000)}", f"nobody{rand(100000)}@example.org"
    elif how < 50:
        key_id = cid
    elif how < 150 or not email:
        key_email = email
    elif how < 175 and phone and phones["".join(ch for ch in phone if ch.isdigit())[-7:]] == 1:
        key_phone = phone
    elif names[name.lower()] == 1:
        pass
    else:
        key_id = cid
    spend = f"{rand(40000) / 100:.2f}"
    note = notes[rand(len(notes))] if rand(100) else "\"allergic to nuts\nask the chef about the sauce\""
    booking += 1
    out.write(
        f"BK-{booking:010d}-{rand(1000000):06d},{date},{time},{key_id},{guest},{key_email},{key_phone},{spend},{1 + rand(8)},"
        f"{sites[rand(len(sites))]},{servers[rand(len(servers))]},{note}\n"
    )
