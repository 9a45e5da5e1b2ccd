"""GET /api/v1/contacts (filters, search, paging), GET /api/v1/lists and
DELETE /api/v1/lists/{id}."""
import http.client
import json
import re
import secrets

import pytest
import requests

import csvgen
from conftest import assert_common_headers, assert_error

CONTACTS = "/api/v1/contacts"
LISTS = "/api/v1/lists"
ITEM_KEYS = {"id", "list_id", "name", "company", "title", "phone", "phone_display", "region",
             "status", "last_outcome", "last_called_at", "timezone", "attempts", "callback_at",
             "callback_by", "retry_at", "final", "do_not_call", "reserved_by", "reserved_until"}

# Numbers from the far end of the pool, away from test_import's.
_pool = iter(csvgen.written_numbers(2000, start=36000))


def letters(prefix, n=8):
    """A random token without digits: a digit run would also search phones."""
    return prefix + "".join(secrets.choice("abcdefghjkmnpqrstuvwxyz") for _ in range(n))


def upload(server, rows, list_name, header=("name", "company", "phone", "title"), params=None):
    body = csvgen.rows_to_csv(list(header), rows)
    p = {"list_name": list_name}
    p.update(params or {})
    r = requests.post(server.url("/api/v1/contacts/import"), data=body, params=p,
                      headers={"X-API-Key": server.api_key, "Content-Type": "text/csv"}, timeout=60)
    assert r.status_code == 200, r.text
    return r.json()


@pytest.fixture(scope="module")
def directory(server):
    """A list of 23 contacts with a token in every name, so that searches
    are not disturbed by what other tests import."""
    tok = letters("zq")
    rows = [
        ["Ada %s Lovelace" % tok, "Analytical Engines", "+1 202 555 0143", "CTO"],
        ["Grace %s Hopper" % tok, "100% Navy_Yard", "(212) 555-0171", ""],
        ["Alan %s Turing" % tok, "Bletchley Park", "415.555.0112", "Researcher"],
    ]
    for i in range(20):
        w, _ = next(_pool)
        rows.append(["Person%02d %s" % (i, tok), "Filler Co %s" % tok, w, "T%d" % i])
    rep = upload(server, rows, "Directory " + tok)
    assert rep["imported"] == 23, rep
    return {"token": tok, "list_id": rep["list_id"], "rows": rows}


def get(session_or_server, server, **params):
    if session_or_server is server:
        return server.api("GET", CONTACTS, params=params)
    return session_or_server.get(server.url(CONTACTS), params=params)


def test_item_shape_and_values(server, admin, directory):
    r = admin.get(server.url(CONTACTS), params={"list_id": directory["list_id"], "per_page": 3})
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) == {"items", "page", "per_page", "total"}
    assert (body["page"], body["per_page"], body["total"]) == (1, 3, 23)
    ada, grace, alan = body["items"]
    for it in body["items"]:
        assert set(it) == ITEM_KEYS
        assert it["list_id"] == directory["list_id"]
        assert it["status"] == "not_called"
        assert it["last_outcome"] is None and it["last_called_at"] is None
        assert (it["timezone"], it["attempts"], it["callback_at"], it["callback_by"],
                it["retry_at"]) == (None, 0, None, None, None)
        assert (it["final"], it["do_not_call"]) == (False, False)
        assert (it["reserved_by"], it["reserved_until"]) == (None, None)
        assert it["region"] == "US"
        assert re.fullmatch(r"\+1\d{10}", it["phone"])
    assert ada["name"].startswith("Ada ") and ada["company"] == "Analytical Engines"
    assert ada["title"] == "CTO"
    assert ada["phone"] == "+12025550143" and ada["phone_display"] == "(202) 555-0143"
    assert grace["title"] is None and grace["company"] == "100% Navy_Yard"
    assert grace["phone"] == "+12125550171" and grace["phone_display"] == "(212) 555-0171"
    assert alan["phone"] == "+14155550112"
    assert ada["id"] < grace["id"] < alan["id"]


def test_paging(server, operator, directory):
    s, _, _ = operator
    seen = []
    for page, n in ((1, 10), (2, 10), (3, 3), (4, 0), (1000, 0)):
        r = s.get(server.url(CONTACTS), params={"list_id": directory["list_id"], "page": page,
                                                "per_page": 10})
        assert r.status_code == 200, r.text
        body = r.json()
        assert (body["page"], body["per_page"], body["total"]) == (page, 10, 23)
        assert len(body["items"]) == n, (page, len(body["items"]))
        seen += [it["id"] for it in body["items"]]
    with server.db() as c:
        ids = [r[0] for r in c.execute("SELECT id FROM contacts WHERE list_id = ? ORDER BY id",
                                       (directory["list_id"],))]
    assert seen == ids
    r = s.get(server.url(CONTACTS), params={"list_id": directory["list_id"], "per_page": 200})
    assert len(r.json()["items"]) == 23


def test_defaults(server, directory):
    body = server.api("GET", CONTACTS).json()
    assert body["page"] == 1 and body["per_page"] == 50
    assert len(body["items"]) <= 50
    with server.db() as c:
        total = c.execute("SELECT COUNT(*) FROM contacts c JOIN contact_lists l ON l.id = c.list_id "
                          "WHERE l.archived_at IS NULL").fetchone()[0]
    assert body["total"] == total


def test_head_is_get_without_a_body(server, directory):
    """HEAD answers what GET would, headers only (RFC 9110)."""
    get_r = server.api("GET", CONTACTS, params={"per_page": 3})
    head_r = server.api("HEAD", CONTACTS, params={"per_page": 3})
    assert head_r.status_code == 200
    assert head_r.content == b""
    assert head_r.headers["Content-Type"] == "application/json"
    assert head_r.headers["Content-Length"] == str(len(get_r.content))
    assert head_r.headers.get("X-Request-Id")


@pytest.mark.parametrize("params,field", [
    ({"per_page": 201}, "per_page"),
    ({"per_page": 1000}, "per_page"),
    ({"per_page": 0}, "per_page"),
    ({"per_page": "x"}, "per_page"),
    ({"page": 0}, "page"),
    ({"page": -1}, "page"),
    ({"page": "abc"}, "page"),
    ({"page": "1.5"}, "page"),
    ({"page": "99999999999999999999"}, "page"),
    ({"page": "+5"}, "page"),
    ({"page": " 5"}, "page"),
    ({"per_page": "5 "}, "per_page"),
    ({"list_id": "abc"}, "list_id"),
    ({"list_id": 0}, "list_id"),
    ({"status": "bogus"}, "status"),
    ({"status": "NOT_CALLED"}, "status"),
    ({"q": "x" * 201}, "q"),
    ({"callable": "2"}, "callable"),
    ({"callable": "yes"}, "callable"),
])
def test_bad_parameters_are_400(server, admin, params, field):
    r = admin.get(server.url(CONTACTS), params=params)
    err = assert_error(r, 400, "invalid_parameter")
    assert err["details"]["field"] == field


def test_malformed_query_string_is_400(server):
    # requests would re-quote "%zz"; http.client sends it as written.
    for qs in ("q=%zz", "q=%4", "page=1&q=abc%", "q=a%00b"):
        c = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        c.request("GET", CONTACTS + "?" + qs, headers={"X-API-Key": server.api_key})
        resp = c.getresponse()
        status, data = resp.status, resp.read()
        c.close()
        assert status == 400, (qs, status, data)
        err = json.loads(data)["error"]
        assert err["code"] == "invalid_parameter", (qs, err)


def test_list_filter(server, admin, directory):
    other = upload(server, [["Solo %s" % directory["token"], "Elsewhere", next(_pool)[0], ""]],
                   "Other " + directory["token"])
    r = admin.get(server.url(CONTACTS), params={"list_id": other["list_id"]})
    body = r.json()
    assert body["total"] == 1 and [i["name"] for i in body["items"]] == ["Solo %s" % directory["token"]]
    r = admin.get(server.url(CONTACTS), params={"list_id": 987654321})
    assert r.status_code == 200 and r.json()["total"] == 0 and r.json()["items"] == []


def test_status_filter(server, admin, directory):
    lid = directory["list_id"]
    r = admin.get(server.url(CONTACTS), params={"list_id": lid, "status": "not_called", "per_page": 5})
    body = r.json()
    assert body["total"] == 23 and len(body["items"]) == 5
    assert all(i["status"] == "not_called" for i in body["items"])
    r = admin.get(server.url(CONTACTS), params={"list_id": lid, "status": "called"})
    assert r.json()["total"] == 0 and r.json()["items"] == []
    r = admin.get(server.url(CONTACTS), params={"list_id": lid, "status": ""})
    assert r.json()["total"] == 23


def search(admin, server, q, **extra):
    params = {"q": q, "per_page": 200}
    params.update(extra)
    r = admin.get(server.url(CONTACTS), params=params)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["total"] == len(body["items"]), body["total"]
    return sorted(i["name"].split()[0] for i in body["items"])


def test_search_name_company_phone(server, admin, directory):
    tok = directory["token"]
    lid = directory["list_id"]
    assert search(admin, server, "Lovelace", list_id=lid) == ["Ada"]
    assert search(admin, server, "lovelace", list_id=lid) == ["Ada"]
    assert search(admin, server, "Ada %s" % tok) == ["Ada"]
    assert search(admin, server, "Bletchley", list_id=lid) == ["Alan"]
    assert search(admin, server, "analytical engines", list_id=lid) == ["Ada"]
    # Phone digits, however the query spells them.
    assert search(admin, server, "555 0143", list_id=lid) == ["Ada"]
    assert search(admin, server, "(202) 555-0143", list_id=lid) == ["Ada"]
    assert search(admin, server, "+12125550171", list_id=lid) == ["Grace"]
    assert search(admin, server, "415.555.0112", list_id=lid) == ["Alan"]
    # Everything of the list carries the token.
    assert len(search(admin, server, tok, list_id=lid)) == 23
    assert search(admin, server, "no-such-%s" % tok) == []


def test_search_treats_wildcards_literally(server, admin, directory):
    lid = directory["list_id"]
    assert search(admin, server, "100%", list_id=lid) == ["Grace"]
    assert search(admin, server, "Navy_Yard", list_id=lid) == ["Grace"]
    assert search(admin, server, "%", list_id=lid) == ["Grace"]
    assert search(admin, server, "_", list_id=lid) == ["Grace"]
    assert search(admin, server, "Nav%Yard", list_id=lid) == []


def test_search_with_status_and_paging(server, admin, directory):
    lid = directory["list_id"]
    r = admin.get(server.url(CONTACTS), params={"list_id": lid, "q": "Filler", "status": "not_called",
                                                "per_page": 7, "page": 3})
    body = r.json()
    assert body["total"] == 20 and len(body["items"]) == 6


def test_queue_fields(server, admin):
    """final, do_not_call and a reservation only while it lasts."""
    tok = letters("qf")
    rows = [["Q%d %s" % (i, tok), "Queue", next(_pool)[0], ""] for i in range(4)]
    lid = upload(server, rows, "Queue " + tok)["list_id"]
    items = admin.get(server.url(CONTACTS), params={"list_id": lid}).json()["items"]
    ids = [i["id"] for i in items]
    user_id = admin.get(server.url("/api/v1/auth/me")).json()["user"]["id"]
    server.db_write("UPDATE contacts SET status = 'called', last_outcome = 'wrong_number', "
                    "attempts = 1 WHERE id = ?", ids[0])
    server.db_write("UPDATE contacts SET status = 'called', last_outcome = 'no_answer', "
                    "attempts = 1, retry_at = '2999-01-01T00:00:00Z' WHERE id = ?", ids[1])
    server.db_write("UPDATE contacts SET reserved_by = ?, reserved_until = '2999-01-01T00:00:00Z', "
                    "callback_at = '2999-01-01T00:00:00Z', callback_by = ? WHERE id = ?",
                    user_id, user_id, ids[2])
    server.db_write("UPDATE contacts SET reserved_by = ?, reserved_until = '2001-01-01T00:00:00Z' "
                    "WHERE id = ?", user_id, ids[3])
    server.db_write("INSERT INTO dnc (phone_e164, source) VALUES (?, 'manual')", items[3]["phone"])
    got = {i["id"]: i for i in admin.get(server.url(CONTACTS), params={"list_id": lid}).json()["items"]}
    assert [(got[i]["final"], got[i]["attempts"]) for i in ids] == [
        (True, 1), (False, 1), (False, 0), (False, 0)]
    assert got[ids[1]]["retry_at"] == "2999-01-01T00:00:00Z"
    assert (got[ids[2]]["reserved_by"], got[ids[2]]["reserved_until"]) == (
        user_id, "2999-01-01T00:00:00Z")
    assert (got[ids[2]]["callback_at"], got[ids[2]]["callback_by"]) == (
        "2999-01-01T00:00:00Z", user_id)
    # A reservation that has run out is no reservation.
    assert (got[ids[3]]["reserved_by"], got[ids[3]]["reserved_until"]) == (None, None)
    assert [got[i]["do_not_call"] for i in ids] == [False, False, False, True]
    # ?callable=1 leaves the listed number out (the suite's window is the whole day).
    body = admin.get(server.url(CONTACTS), params={"list_id": lid, "callable": 1}).json()
    assert body["total"] == 3 and [i["id"] for i in body["items"]] == ids[:3]
    body = admin.get(server.url(CONTACTS), params={"list_id": lid, "callable": "false"}).json()
    assert body["total"] == 4


def test_region_and_national_display(server, admin):
    tok = letters("gb")
    rep = upload(server, [["Brit %s" % tok, "Ltd", "020 7946 0123", ""],
                          ["Aus %s" % tok, "Pty", "+61 491 570 158", ""]],
                 "UK " + tok, params={"region": "GB"})
    items = admin.get(server.url(CONTACTS), params={"list_id": rep["list_id"]}).json()["items"]
    assert [(i["phone"], i["phone_display"], i["region"]) for i in items] == [
        ("+442079460123", "020 7946 0123", "GB"), ("+61491570158", "0491 570 158", "AU")]


def test_contacts_need_authentication(server):
    assert_error(server.get(CONTACTS), 401, "unauthenticated")
    assert_error(server.get(LISTS), 401, "unauthenticated")


# --- lists ------------------------------------------------------------------------

def test_lists(server, operator, directory):
    s, _, _ = operator
    r = s.get(server.url(LISTS))
    assert r.status_code == 200
    items = r.json()["items"]
    ids = [i["id"] for i in items]
    assert ids == sorted(ids, reverse=True)
    mine = [i for i in items if i["id"] == directory["list_id"]]
    assert len(mine) == 1
    it = mine[0]
    assert set(it) == {"id", "name", "created_at", "total", "counts"}
    assert it["name"] == "Directory " + directory["token"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", it["created_at"])
    assert it["total"] == 23
    assert it["counts"]["not_called"] == 23
    assert sum(it["counts"].values()) == 23
    with server.db() as c:
        live = {r[0]: r[1] for r in c.execute(
            "SELECT id, contact_count FROM contact_lists WHERE archived_at IS NULL")}
    assert {i["id"]: i["total"] for i in items} == live


def test_list_name_defaults_to_the_file_name(server, admin):
    body = csvgen.rows_to_csv(["name", "company", "phone"], [["A", "B", next(_pool)[0]]])
    fname = "prospects-%s.csv" % secrets.token_hex(3)
    r = admin.post(server.url("/api/v1/contacts/import"), files={"file": (fname, body, "text/csv")})
    assert r.status_code == 200, r.text
    lid = r.json()["list_id"]
    names = {i["id"]: i["name"] for i in admin.get(server.url(LISTS)).json()["items"]}
    assert names[lid] == fname


def test_counts_follow_status(server, admin):
    tok = letters("st")
    rows = [["S%d %s" % (i, tok), "Co", next(_pool)[0], ""] for i in range(4)]
    rep = upload(server, rows, "Status " + tok)
    lid = rep["list_id"]
    first = admin.get(server.url(CONTACTS), params={"list_id": lid}).json()["items"][0]["id"]
    server.db_write("UPDATE contacts SET status = 'called', last_outcome = 'voicemail', "
                    "last_called_at = '2026-01-02T03:04:05Z' WHERE id = ?", first)
    item = [i for i in admin.get(server.url(LISTS)).json()["items"] if i["id"] == lid][0]
    assert item["counts"] == {"not_called": 3, "called": 1}
    assert item["total"] == 4
    body = admin.get(server.url(CONTACTS), params={"list_id": lid, "status": "called"}).json()
    assert body["total"] == 1
    it = body["items"][0]
    assert (it["id"], it["status"], it["last_outcome"], it["last_called_at"]) == (
        first, "called", "voicemail", "2026-01-02T03:04:05Z")
    body = admin.get(server.url(CONTACTS), params={"list_id": lid, "status": "not_called"}).json()
    assert body["total"] == 3 and first not in [i["id"] for i in body["items"]]


def test_archive_list(server, admin):
    tok = letters("ar")
    rows = [["Gone %d %s" % (i, tok), "Archive Co", next(_pool)[0], ""] for i in range(3)]
    lid = upload(server, rows, "Archive " + tok)["list_id"]
    total_before = server.api("GET", CONTACTS).json()["total"]
    assert len(search(admin, server, tok)) == 3
    r = admin.delete(server.url("%s/%d" % (LISTS, lid)))
    assert r.status_code == 204, r.text
    assert r.content == b""
    assert_common_headers(r)
    assert lid not in [i["id"] for i in admin.get(server.url(LISTS)).json()["items"]]
    assert search(admin, server, tok) == []
    body = admin.get(server.url(CONTACTS), params={"list_id": lid}).json()
    assert body["total"] == 0 and body["items"] == []
    body = admin.get(server.url(CONTACTS), params={"list_id": lid, "status": "not_called"}).json()
    assert body["total"] == 0 and body["items"] == []
    assert server.api("GET", CONTACTS).json()["total"] == total_before - 3
    # Archived, not deleted.
    assert server.db_scalar("SELECT archived_at IS NOT NULL FROM contact_lists WHERE id = ?", lid) == 1
    assert server.db_scalar("SELECT COUNT(*) FROM contacts WHERE list_id = ?", lid) == 3
    # Twice: it is gone.
    assert_error(admin.delete(server.url("%s/%d" % (LISTS, lid))), 404, "not_found")


def test_archive_with_api_key(server):
    lid = upload(server, [["K", "Co", next(_pool)[0], ""]], "Key archive")["list_id"]
    r = server.api("DELETE", "%s/%d" % (LISTS, lid))
    assert r.status_code == 204
    assert lid not in [i["id"] for i in server.api("GET", LISTS).json()["items"]]


def test_archive_unknown_list_is_404(server, admin):
    assert_error(admin.delete(server.url(LISTS + "/987654321")), 404, "not_found")


def test_operator_cannot_archive(server, operator, directory):
    s, _, _ = operator
    r = s.delete(server.url("%s/%d" % (LISTS, directory["list_id"])))
    assert_error(r, 403, "forbidden")
    assert_error(s.delete(server.url(LISTS + "/987654321")), 403, "forbidden")
    assert server.db_scalar("SELECT archived_at FROM contact_lists WHERE id = ?",
                            directory["list_id"]) is None
    assert directory["list_id"] in [i["id"] for i in s.get(server.url(LISTS)).json()["items"]]


@pytest.mark.parametrize("method,path,allow", [
    ("GET", LISTS + "/1", "DELETE"),
    ("PATCH", LISTS + "/1", "DELETE"),
    ("POST", LISTS + "/1", "DELETE"),
    ("DELETE", LISTS, "GET"),
    ("POST", LISTS, "GET"),
    ("DELETE", CONTACTS, "GET"),
])
def test_lists_wrong_method(server, admin, method, path, allow):
    r = admin.request(method, server.url(path))
    assert_error(r, 405, "method_not_allowed")
    assert r.headers["Allow"] == allow
