"""The contact import and the dialing rules: the CSV's optional timezone
column (validated against the system's tz database, stored per contact)
and numbers already on the do-not-call list (imported, counted in the
report's "do_not_call", never dropped)."""
import contextlib
import secrets

import requests

import csvgen
from conftest import assert_error

IMPORT = "/api/v1/contacts/import"

# Numbers no other test uses: London's drama range (Ofcom, 020 7946 07xx)
# rather than csvgen's NANPA pool, since a DNC entry is global.
UK = ["+4420794607%02d" % i for i in range(10, 40)]
_uk = iter(UK)
_nanp = iter(csvgen.written_numbers(40, start=38400))


def uk():
    return next(_uk)


def nanp():
    """(as written in a file, E.164)"""
    return next(_nanp)


def upload(server, header, rows, list_id=None, expect=200):
    tag = secrets.token_hex(4)
    params = {"list_id": list_id} if list_id else {"list_name": "Rules import " + tag}
    r = requests.post(server.url(IMPORT), data=csvgen.rows_to_csv(header, rows),
                      params=params, timeout=60,
                      headers={"X-API-Key": server.api_key, "Content-Type": "text/csv"})
    assert r.status_code == expect, r.text
    return r.json()


def zones(server, list_id):
    """{phone_e164: timezone} of a list's contacts."""
    with server.db() as c:
        return dict(c.execute("SELECT phone_e164, timezone FROM contacts WHERE list_id = ?",
                              (list_id,)).fetchall())


@contextlib.contextmanager
def listed(server, *phones):
    """The numbers on the DNC list for the duration (as if added by hand)."""
    for p in phones:
        server.db_write("INSERT INTO dnc (phone_e164, reason, source) VALUES (?, ?, 'manual')",
                        p, "test_import_rules")
    try:
        yield
    finally:
        for p in phones:
            server.db_write("DELETE FROM dnc WHERE phone_e164 = ?", p)


def test_timezone_column_stored(server):
    (w1, e1), (w2, e2), (w3, e3) = nanp(), nanp(), nanp()
    e4 = uk()
    rep = upload(server, ["Name", "Company", "Phone", "Timezone"], [
        ["Ada", "Acme", w1, "America/Chicago"],
        ["Bob", "Acme", w2, "  Asia/Kolkata  "],
        ["Cy", "Acme", w3, ""],
        ["Di", "Acme", e4, "Europe/London"],
    ])
    assert (rep["imported"], rep["error_count"], rep["do_not_call"]) == (4, 0, 0), rep
    assert zones(server, rep["list_id"]) == {
        e1: "America/Chicago", e2: "Asia/Kolkata", e3: None, e4: "Europe/London"}


def test_file_without_timezone_column(server):
    (w1, e1), = [nanp()]
    rep = upload(server, ["name", "company", "phone"], [["Ada", "Acme", w1]])
    assert rep["imported"] == 1 and rep["errors"] == [], rep
    assert zones(server, rep["list_id"]) == {e1: None}


def test_unknown_zone_is_a_row_error(server):
    good, bad = nanp(), [nanp() for _ in range(5)]
    names = ["Mars/Olympus", "../etc/passwd", "/etc/passwd", "america/chicago", "EST 5"]
    rep = upload(server, ["name", "company", "phone", "timezone"],
                 [["Ok", "Acme", good[0], "America/New_York"]] +
                 [["Bad %d" % i, "Acme", w, z] for i, ((w, _), z) in enumerate(zip(bad, names))])
    assert rep["imported"] == 1 and rep["skipped"] == 5 and rep["error_count"] == 5, rep
    by_row = {e["row"]: e for e in rep["errors"]}
    assert sorted(by_row) == [3, 4, 5, 6, 7]
    for row, zone in zip(range(3, 8), names):
        e = by_row[row]
        assert (e["column"], e["code"]) == ("timezone", "invalid_timezone"), e
        assert '"%s"' % zone in e["message"] and "IANA" in e["message"], e
    # The bad rows are not stored; the good one is, with its zone.
    assert zones(server, rep["list_id"]) == {good[1]: "America/New_York"}


def test_only_bad_zones_refuse_a_new_list(server):
    before = server.counts()
    r = requests.post(server.url(IMPORT), params={"list_name": "All bad zones"}, timeout=60,
                      data=csvgen.rows_to_csv(["name", "company", "phone", "tz"],
                                              [["A", "Acme", nanp()[0], "Nowhere/Town"]]),
                      headers={"X-API-Key": server.api_key, "Content-Type": "text/csv"})
    err = assert_error(r, 422, "no_valid_rows")
    assert err["details"]["errors"][0]["code"] == "invalid_timezone"
    assert server.counts() == before


def test_timezone_aliases(server):
    for header in ("Time Zone", "time_zone", "TZ", "TIMEZONE"):
        written, e164 = nanp()
        rep = upload(server, ["Phone", header, "Company", "Full Name"],
                     [[written, "Australia/Sydney", "Acme", "Ann"]])
        assert rep["imported"] == 1, (header, rep)
        assert zones(server, rep["list_id"]) == {e164: "Australia/Sydney"}, header


def test_dnc_numbers_counted_and_kept(server):
    (w1, e1), (w2, e2), (w3, e3) = nanp(), nanp(), nanp()
    u1 = uk()
    with listed(server, e1, e3, u1):
        # e1 is written in national format: it is matched once normalised.
        rep = upload(server, ["name", "company", "phone"], [
            ["Listed", "Acme", w1], ["Fine", "Acme", w2], ["Listed too", "Acme", w3],
            ["Dup of listed", "Acme", w1]])
        assert (rep["imported"], rep["do_not_call"], rep["error_count"]) == (3, 2, 1), rep
        assert rep["errors"][0]["code"] == "duplicate"
        lid = rep["list_id"]
        assert set(zones(server, lid)) == {e1, e2, e3}
        # Appending: only the new rows count, not the list's earlier ones.
        rep = upload(server, ["name", "company", "phone"],
                     [["UK listed", "Acme", u1], ["Again", "Acme", w1]], list_id=lid)
        assert (rep["imported"], rep["do_not_call"], rep["error_count"]) == (1, 1, 1), rep
        assert set(zones(server, lid)) == {e1, e2, e3, u1}
        # Nothing listed: zero, still reported.
        rep = upload(server, ["name", "company", "phone"], [["Clean", "Acme", nanp()[0]]])
        assert rep["do_not_call"] == 0, rep
