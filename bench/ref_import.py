"""Reference import in Python: csv + phonenumbers, the same work per row as
the C importer minus the database (so the comparison flatters Python).

    /usr/bin/python3 bench/ref_import.py FILE [REGION]

Per row: field count, UTF-8, empty name/company, length checks; then
phonenumbers.parse (default region US), is_valid_number, number_type (a
premium-rate number is refused, as the importer does), format E164 and
NATIONAL, region_code_for_number; duplicates by E.164. Prints one JSON
line: rows, imported, skipped, seconds (processing only: after the
interpreter and the phonenumbers import are up, as a long-lived service
would be).
"""
import csv
import json
import sys
import time

import phonenumbers as pn

ALIASES = {
    "name": "name", "full name": "name", "full_name": "name", "contact": "name",
    "company": "company", "company name": "company", "company_name": "company",
    "organization": "company",
    "title": "title", "job title": "title", "job_title": "title",
    "phone": "phone", "phone number": "phone", "phone_number": "phone",
    "mobile": "phone", "telephone": "phone",
}
MAX_TEXT = 200


def run(path, region):
    imported = skipped = rows = 0
    seen = set()
    E164, NATIONAL = pn.PhoneNumberFormat.E164, pn.PhoneNumberFormat.NATIONAL
    PREMIUM = pn.PhoneNumberType.PREMIUM_RATE
    with open(path, newline="", encoding="utf-8", errors="surrogateescape") as f:
        r = csv.reader(f)
        header = next(r)
        if header and header[0].startswith("\ufeff"):
            header[0] = header[0][1:]
        cols = {}
        for i, h in enumerate(header):
            k = ALIASES.get(h.strip().lower())
            if k and k not in cols:
                cols[k] = i
        ni, ci, pi = cols["name"], cols["company"], cols["phone"]
        ti = cols.get("title")
        width = len(header)
        for row in r:
            rows += 1
            if len(row) != width:
                skipped += 1
                continue
            try:
                for v in row:
                    v.encode("utf-8")
            except UnicodeEncodeError:
                skipped += 1
                continue
            name, company = row[ni].strip(), row[ci].strip()
            title = row[ti].strip() if ti is not None else ""
            if not name or not company or len(name) > MAX_TEXT or \
                    len(company) > MAX_TEXT or len(title) > MAX_TEXT:
                skipped += 1
                continue
            try:
                n = pn.parse(row[pi].strip(), region)
            except pn.NumberParseException:
                skipped += 1
                continue
            if not pn.is_valid_number(n) or pn.number_type(n) == PREMIUM:
                skipped += 1
                continue
            e164 = pn.format_number(n, E164)
            pn.format_number(n, NATIONAL)
            pn.region_code_for_number(n)
            if e164 in seen:
                skipped += 1
                continue
            seen.add(e164)
            imported += 1
    return rows, imported, skipped


def main():
    path = sys.argv[1]
    region = sys.argv[2] if len(sys.argv) > 2 else "US"
    t0 = time.perf_counter()
    rows, imported, skipped = run(path, region)
    dt = time.perf_counter() - t0
    print(json.dumps({"rows": rows, "imported": imported, "skipped": skipped,
                      "seconds": round(dt, 3)}))


if __name__ == "__main__":
    main()
