#!/usr/bin/python3
"""Check a Voice access token from lib/token.c against Twilio's own helper.

Reads one JSON object on stdin (so the secret never shows up in `ps`):
  {"token", "account_sid", "api_key_sid", "api_key_secret",
   "twiml_app_sid", "identity", "now", "ttl"}
Verifies the token's HS256 signature with the secret (python3-jwt), builds
the token twilio-python makes for the same inputs (AccessToken + VoiceGrant,
with the clock pinned to `now` so nothing is left time-dependent), and
compares header and claims field by field. Exit 0 on a match; otherwise
print every difference and exit 1 (2 for unusable input).

Run with /usr/bin/python3: the Debian python3-twilio and python3-jwt.
"""
import json
import sys
from unittest import mock

import jwt
from twilio.jwt.access_token import AccessToken
from twilio.jwt.access_token.grants import VoiceGrant


def twilio_reference(p):
    # twilio.jwt reads time.time() for jti, nbf and exp; pinning it makes
    # the reference token a pure function of the inputs.
    with mock.patch("time.time", return_value=float(p["now"])):
        tok = AccessToken(p["account_sid"], p["api_key_sid"],
                          p["api_key_secret"], identity=p["identity"],
                          ttl=p["ttl"])
        tok.add_grant(VoiceGrant(
            outgoing_application_sid=p["twiml_app_sid"],
            incoming_allow=False))
        return tok.to_jwt()


def diff(where, ours, theirs, out):
    """Append a line per differing key path (recursing into objects)."""
    if isinstance(ours, dict) and isinstance(theirs, dict):
        for k in sorted(set(ours) | set(theirs)):
            if k not in ours:
                out.append("%s.%s: missing (twilio: %r)" % (where, k, theirs[k]))
            elif k not in theirs:
                out.append("%s.%s: extra %r (twilio has none)" % (where, k, ours[k]))
            else:
                diff("%s.%s" % (where, k), ours[k], theirs[k], out)
    elif type(ours) is not type(theirs) or ours != theirs:
        out.append("%s: ours %r, twilio %r" % (where, ours, theirs))


def main():
    try:
        p = json.load(sys.stdin)
        token = p["token"]
        for k in ("account_sid", "api_key_sid", "api_key_secret",
                  "twiml_app_sid", "identity", "now", "ttl"):
            p[k]
    except (ValueError, KeyError) as e:
        print("twilio_token_check: bad input: %s" % e, file=sys.stderr)
        return 2

    problems = []
    try:
        # Signature must verify; the times are fixed in the past on purpose,
        # so exp/nbf are compared below rather than checked against now.
        ours_claims = jwt.decode(token, p["api_key_secret"],
                                 algorithms=["HS256"],
                                 options={"verify_exp": False,
                                          "verify_nbf": False,
                                          "verify_iat": False})
        ours_header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as e:
        print("token does not verify: %s" % e)
        return 1

    ref = twilio_reference(p)
    ref_claims = jwt.decode(ref, options={"verify_signature": False})
    ref_header = jwt.get_unverified_header(ref)

    diff("header", ours_header, ref_header, problems)
    diff("claims", ours_claims, ref_claims, problems)
    if problems:
        print("\n".join(problems))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
