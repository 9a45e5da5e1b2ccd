#!/usr/bin/python3
"""The files bench/rules.sh imports: a contact list and a do-not-call list.

    bench/rules_data.py [-n ROWS] [--dnc N] [--seed S] CONTACTS_CSV DNC_CSV

CONTACTS_CSV: ROWS (100,000) valid contacts with distinct fictional numbers
from bench/gen_contacts.py's pool (the same ranges as tests/e2e/csvgen.py):
every NANP fiction number (38,500, their zones from libphonenumber) and, as
NANP has no more, UK and Australian fiction numbers for the rest. Those rows
carry a US zone in the CSV's timezone column, as a list of US prospects
would, so that every contact of the list is judged by a US clock and a
night-time clock leaves nothing callable. Rows are shuffled (deterministic
seed) so that each kind is spread through the list's id order.

DNC_CSV: N (38,000) numbers in E.164 with a reason: every fifth contact of
the list, and the rest from the pool's numbers the list does not use.
"""
import argparse
import csv
import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen_contacts as g  # noqa: E402

US_ZONES = ["America/New_York", "America/Chicago", "America/Denver", "America/Phoenix",
            "America/Los_Angeles", "America/Anchorage", "Pacific/Honolulu"]
REASONS = ["asked not to be called", "registered complaint", "attorney's office",
           "already a customer", ""]


def e164(num):
    kind, a, b = num
    if kind == "NANP":
        return "+1%s555%s" % (a, b)
    cc = "44" if kind == "UK" else "61"
    return "+" + cc + (a + b).replace(" ", "")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=100000)
    ap.add_argument("--dnc", type=int, default=38000)
    ap.add_argument("--seed", type=int, default=8)
    ap.add_argument("contacts")
    ap.add_argument("dnc_file")
    a = ap.parse_args()

    pool = g.nanp_pool() + g.intl_pool("UK", g.UK_RANGES) + g.intl_pool("AU", g.AU_RANGES)
    listed_share = a.n // 5
    if a.n > len(pool) or a.dnc - listed_share > len(pool) - a.n or a.dnc < listed_share:
        sys.exit("rules_data: %d contacts and %d DNC numbers do not fit the %d fictional "
                 "numbers" % (a.n, a.dnc, len(pool)))
    rng = random.Random(a.seed)
    used, spare = pool[:a.n], pool[a.n:]
    rng.shuffle(used)

    with open(a.contacts, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["Name", "Company", "Title", "Phone", "Timezone"])
        for i, num in enumerate(used):
            zone = "" if num[0] == "NANP" else US_ZONES[i % len(US_ZONES)]
            w.writerow([g.person(rng), g.company(rng), rng.choice(g.TITLES),
                        g.render(num, rng), zone])

    listed = [e164(n) for n in used[::5]][:listed_share]
    listed += [e164(n) for n in spare[:a.dnc - len(listed)]]
    rng.shuffle(listed)
    with open(a.dnc_file, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["phone", "reason"])
        for p in listed:
            w.writerow([p, rng.choice(REASONS)])


if __name__ == "__main__":
    main()
