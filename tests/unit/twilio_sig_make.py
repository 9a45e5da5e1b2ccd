#!/usr/bin/python3
"""Print the X-Twilio-Signature that twilio-python's RequestValidator
computes, so the C tests can check lib/twiliosig.c against the reference.

    twilio_sig_make.py TOKEN URL [NAME=VALUE ...]
    twilio_sig_make.py --hex TOKEN URL [NAME VALUE ...]   (all hex-encoded
        UTF-8; the C tests use this so no shell quoting is involved)
    twilio_sig_make.py --validate SIG [any of the above]
        prints 1 or 0 from RequestValidator.validate (an exception is 0)
    twilio_sig_make.py --json < {"token": ..., "url": ..., "params": [[k, v], ...]}

Repeated names: a plain dict would keep only the last value, so the pairs
are handed over in a mapping whose items() yields every pair, which is what
the validator sees from a multi-valued form; it then sorts (name, value).
"""
import json
import sys

from twilio.request_validator import RequestValidator


class Pairs:
    """Just enough of a mapping for compute_signature: truthiness and
    items(), keeping repeated names."""

    def __init__(self, pairs):
        self.pairs = list(pairs)

    def __len__(self):
        return len(self.pairs)

    def items(self):
        return list(self.pairs)


def split_kv(args):
    out = []
    for a in args:
        k, sep, v = a.partition("=")
        if not sep:
            sys.exit("parameter without '=': %r" % a)
        out.append((k, v))
    return out


def main(argv):
    validate_sig = None
    if argv[:1] == ["--validate"] and len(argv) >= 2:
        validate_sig, argv = argv[1], argv[2:]
    if argv[:1] == ["--json"]:
        doc = json.load(sys.stdin)
        token, url = doc["token"], doc["url"]
        params = [tuple(p) for p in doc.get("params", [])]
    elif argv[:1] == ["--hex"]:
        rest = [bytes.fromhex(a).decode("utf-8") for a in argv[1:]]
        if len(rest) < 2 or len(rest) % 2:
            sys.exit("usage: --hex TOKEN URL [NAME VALUE ...]")
        token, url = rest[0], rest[1]
        params = list(zip(rest[2::2], rest[3::2]))
    else:
        if len(argv) < 2:
            sys.exit(__doc__)
        token, url = argv[0], argv[1]
        params = split_kv(argv[2:])
    v = RequestValidator(token)
    if validate_sig is not None:
        try:
            ok = v.validate(url, Pairs(params), validate_sig)
        except ValueError:
            ok = False
        print(1 if ok else 0)
    else:
        print(v.compute_signature(url, Pairs(params)))


if __name__ == "__main__":
    main(sys.argv[1:])
