#!/bin/sh
# Fail (exit 1, naming file:line) on what the project never writes in C:
#
#  * the banned functions sprintf, vsprintf, strcpy, strcat, gets, atoi,
#    atol, atoll, atof (snprintf and strtol/strtoll/strtod instead);
#  * SQL built as a string: the SQL argument of sqlite3_prepare*,
#    sqlite3_exec or db_stmt (and of any function that passes its own
#    parameter on to one of them, found here) must be a string literal, a
#    macro made of literals, a `const char NAME[] = "..."` (or
#    `const char *const NAME`) constant, an element of a const table of
#    those, or a row of db_migrations (generated from sql/ by
#    tools/embed-sql.sh); and no snprintf/asprintf/sqlite3_mprintf format
#    may begin with SQL.
#
#   tools/check-source.sh [ROOT]     (default: this checkout)
#
# Looks at lib/, cgi-bin/, tools/*.c, tests/unit, tests/fuzz and bench/.
# Comments and the insides of string literals never count.
set -eu
root=${1:-$(cd "$(dirname "$0")/.." && pwd)}
exec /usr/bin/python3 - "$root" <<'EOF'
import os
import re
import sys

ROOT = sys.argv[1]
PLACES = [("lib", (".c", ".h", ".cc")), ("cgi-bin", (".c", ".h")), ("tools", (".c", ".h")),
          ("tests/unit", (".c", ".h")), ("tests/fuzz", (".c", ".h", ".cc")),
          ("bench", (".c", ".h", ".cc"))]
BANNED = ("sprintf", "vsprintf", "strcpy", "strcat", "gets", "atoi", "atol", "atoll", "atof")
# Functions taking SQL, and which argument (from 0) it is.
SINKS = {"sqlite3_prepare": 1, "sqlite3_prepare_v2": 1, "sqlite3_prepare_v3": 1,
         "sqlite3_prepare16": 1, "sqlite3_prepare16_v2": 1, "sqlite3_prepare16_v3": 1,
         "sqlite3_exec": 1, "db_stmt": 0}
# Formatting functions, and which argument is the format.
FORMATS = {"snprintf": 2, "vsnprintf": 2, "asprintf": 1, "vasprintf": 1,
           "sqlite3_mprintf": 0, "sqlite3_vmprintf": 0, "sqlite3_snprintf": 2}
# Tables generated from sql/*.sql at build time: literals by construction.
GENERATED = {"db_migrations"}
SQL_START = re.compile(
    r"\s*\(?\s*(?:(?:SELECT|INSERT|UPDATE|DELETE|REPLACE|CREATE|ALTER|DROP|PRAGMA|WITH|"
    r"ATTACH|DETACH|VACUUM)\b|(?i:select\b.*\bfrom\b|insert\s+(?:or\s+\w+\s+)?into\b|"
    r"delete\s+from\b|update\s+\w+\s+set\b|pragma\s+\w|(?:create|drop)\s+(?:temp\s+)?"
    r"(?:table|index|view|trigger)\b|alter\s+table\b|with\s+\w+\s+as\b))", re.S)
IDENT = r"[A-Za-z_]\w*"


TOKENS = re.compile(r'//[^\n]*|/\*.*?(?:\*/|\Z)|"(?:\\.|[^"\\\n])*"?|\'(?:\\.|[^\'\\\n])*\'?', re.S)


def strip(text):
    """(code, blank): comments made spaces; in blank the insides of string and
    character literals are spaces too. Same length as text, lines kept."""
    code, blank, last = [], [], 0
    for m in TOKENS.finditer(text):
        tok = m.group(0)
        code.append(text[last:m.start()])
        blank.append(text[last:m.start()])
        if tok[0] == "/":
            spaced = re.sub(r"[^\n]", " ", tok)
            code.append(spaced)
            blank.append(spaced)
        else:
            code.append(tok)
            inner = tok[1:-1] if len(tok) > 1 and tok[-1] == tok[0] else tok[1:]
            blank.append(tok[0] + re.sub(r"[^\n]", " ", inner) + tok[len(inner) + 1:])
        last = m.end()
    code.append(text[last:])
    blank.append(text[last:])
    return "".join(code), "".join(blank)


def matching(blank, i, open_="(", close=")"):
    """Index of the bracket closing the one at i (blank has no literals)."""
    depth = 0
    for j in range(i, len(blank)):
        if blank[j] == open_:
            depth += 1
        elif blank[j] == close:
            depth -= 1
            if depth == 0:
                return j
    return len(blank) - 1


def split_args(code, blank, start, end):
    """Top-level comma-separated pieces of code[start:end] as (from, to)."""
    out, depth, last = [], 0, start
    for j in range(start, end):
        ch = blank[j]
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == "," and depth == 0:
            out.append((last, j))
            last = j + 1
    out.append((last, end))
    return out


class Source:
    def __init__(self, rel, text):
        self.rel = rel
        self.text = text
        self.code, self.blank = strip(text)
        self.header = rel.endswith(".h")
        self.functions = self.find_functions()

    def line(self, pos):
        return self.text.count("\n", 0, pos) + 1

    def find_functions(self):
        """(name, params text, body start, body end, static) of each definition."""
        out, depth, i, b = [], 0, 0, self.blank
        while i < len(b):
            if b[i] == "{" and depth == 0:
                end = matching(b, i, "{", "}")
                po = i - 1
                while po >= 0 and b[po].isspace():
                    po -= 1
                if po >= 0 and b[po] == ")":
                    depth_p, k = 0, po
                    while k >= 0:
                        if b[k] == ")":
                            depth_p += 1
                        elif b[k] == "(":
                            depth_p -= 1
                            if depth_p == 0:
                                break
                        k -= 1
                    m = re.search(r"(%s)\s*$" % IDENT, b[max(0, k - 200):k])
                    if m:
                        stmt = b[max(b.rfind(";", 0, k), b.rfind("}", 0, k)) + 1:k]
                        out.append((m.group(1), self.code[k + 1:po], i, end,
                                    re.search(r"\bstatic\b", stmt) is not None))
                i = end + 1
                continue
            i += 1
        return out

    def enclosing(self, pos):
        for f in self.functions:
            if f[2] < pos < f[3]:
                return f
        return None


def literal_text(expr):
    return "".join(re.findall(r'"((?:[^"\\\n]|\\.)*)"', expr))


class Checker:
    def __init__(self, sources):
        self.sources = sources
        self.macros = {}      # NAME -> literal text, for macros made of literals only
        for src in sources:
            for m in re.finditer(r"^[ \t]*#[ \t]*define[ \t]+(%s)[ \t]+((?:.*\\\n)*.*)$" % IDENT,
                                 src.code, re.M):
                body = m.group(2).replace("\\\n", " ").strip()
                if body:
                    self.macros.setdefault(m.group(1), body)
        # Keep only the macros that are literals (through other such macros).
        changed, literal = True, {}
        while changed:
            changed = False
            for name, body in self.macros.items():
                if name not in literal and self.pieces_literal(body, literal):
                    literal[name] = literal_text(self.expand(body, literal))
                    changed = True
        self.literal_macros = literal
        # Function-like macros that make tables of literals from literal
        # arguments: the body holds only literals, literal macros, the
        # parameters, braces and commas.
        self.table_macros = set()
        for src in sources:
            for m in re.finditer(r"^[ \t]*#[ \t]*define[ \t]+(%s)\(([^)]*)\)((?:.*\\\n)*.*)$"
                                 % IDENT, src.code, re.M):
                params = [p.strip() for p in m.group(2).split(",")]
                body = m.group(3).replace("\\\n", " ")
                bare = re.sub(r'"(?:[^"\\\n]|\\.)*"', " ", body)
                if re.sub(r"[{},#\s]", "", re.sub(IDENT, "", bare)) == "" and all(
                        w in literal or w in params for w in re.findall(IDENT, bare)):
                    self.table_macros.add(m.group(1))
        self.sinks_global = dict(SINKS)
        self.sinks_local = {src.rel: {} for src in sources}
        self.problems = []

    @staticmethod
    def pieces_literal(expr, known):
        rest = re.sub(r'"(?:[^"\\\n]|\\.)*"', " ", expr)
        names = re.findall(IDENT, rest)
        return bool(expr.strip()) and not re.sub(IDENT, " ", rest).strip() and \
            all(n in known for n in names)

    def expand(self, expr, known=None):
        known = self.literal_macros if known is None else known
        return re.sub(r'"(?:[^"\\\n]|\\.)*"|(%s)' % IDENT,
                      lambda m: '"%s"' % known[m.group(1)] if m.group(1) in (known or {})
                      else m.group(0), expr)

    # -- what a SQL argument may be ------------------------------------------
    def constant(self, src, name, pos):
        """The literal text of a constant NAME visible at pos, or None."""
        f = src.enclosing(pos)
        scopes = []
        if f is not None:
            scopes.append((f[2], pos))
        scopes.append((0, len(src.code)))
        for lo, hi in scopes:
            region = src.blank[lo:hi]
            decls = list(re.finditer(
                r"\b(?:(?:static|const|unsigned|signed)\s+)*char\b[\s*]*(?:const\s+)?%s\b"
                % re.escape(name), region))
            if lo == 0 and f is not None:
                # File scope: only declarations outside every function.
                decls = [d for d in decls if src.enclosing(d.start()) is None]
            if not decls:
                continue
            d = decls[-1]
            at = lo + d.start()
            tail = src.code[at:]
            m = re.match(r"(?:static\s+)?const\s+char\s+(?:%s\s*\[\s*\]|\*\s*const\s+%s)\s*=\s*"
                         % (re.escape(name), re.escape(name)), tail)
            if not m:
                return None
            init_start = at + m.end()
            init_end = src.blank.find(";", init_start)
            init = src.code[init_start:init_end]
            if self.pieces_literal(init, self.literal_macros):
                return literal_text(self.expand(init))
            return None
        return None

    def table_is_literal(self, src, name, pos):
        """NAME is a const array whose initializer holds only literals,
        literal constants, upper-case names (enumerators, macros) and
        designators: no call, nothing computed at run time."""
        f = src.enclosing(pos)
        for lo, hi in ([(f[2], pos)] if f else []) + [(0, len(src.code))]:
            region = src.blank[lo:hi]
            decls = [d for d in re.finditer(r"\b%s\s*\[[^\]]*\]\s*(?:\[[^\]]*\]\s*)*=\s*"
                                           r"(?:\{|(%s)\s*\()" % (re.escape(name), IDENT), region)]
            if lo == 0 and f is not None:
                decls = [d for d in decls if src.enclosing(d.start()) is None]
            if not decls:
                continue
            d = decls[-1]
            at = lo + d.start()
            if not re.search(r"\bconst\b", src.blank[statement_start(src.blank, at):at]):
                return False
            brace = lo + d.end() - 1
            if d.group(1) is not None:
                # NAME[..] = MACRO(args): a table macro given literals.
                if d.group(1) not in self.table_macros:
                    return False
                args = split_args(src.code, src.blank, brace + 1, matching(src.blank, brace))
                return all(self.pieces_literal(src.code[a:b], self.literal_macros) or
                           src.code[a:b].strip() == '""' for a, b in args)
            init = src.code[brace:matching(src.blank, brace, "{", "}") + 1]
            bare = re.sub(r'"(?:[^"\\\n]|\\.)*"', " ", init)
            for call in re.finditer(r"(%s)\s*\(([^()]*)\)" % IDENT, bare):
                if call.group(1) not in self.table_macros or \
                        re.search(r"[^\w\s,]", call.group(2)):
                    return False
            bare = re.sub(r"(%s)\s*\(([^()]*)\)" % IDENT, " ", bare)
            if "(" in bare:
                return False
            for m in re.finditer(IDENT, bare):
                word = m.group(0)
                if bare[:m.start()].rstrip().endswith("."):
                    continue
                if word.isupper() or word in self.literal_macros or word == "NULL":
                    continue
                if self.constant(src, word, at) is None:
                    return False
            return True
        return False

    def sql_ok(self, src, expr, pos):
        e = expr.strip()
        while e.startswith("(") and matching(strip(e)[1], 0) == len(e) - 1:
            e = e[1:-1].strip()
        if e == "NULL":
            return True  # no SQL: a wrapper's optional statement left out
        top = split_ternary(e)
        if top is not None:
            return all(self.sql_ok(src, part, pos) for part in top)
        if self.pieces_literal(e, self.literal_macros):
            return True
        if re.fullmatch(IDENT, e):
            return self.constant(src, e, pos) is not None
        m = re.fullmatch(r"(%s)\s*\((.*)\)" % IDENT, e, re.S)
        if m and m.group(1) in self.table_macros and matching(strip(e)[1], e.index("(")) == len(e) - 1:
            args = split_args(*strip(m.group(2)), 0, len(m.group(2)))
            return all(self.pieces_literal(m.group(2)[a:b], self.literal_macros) for a, b in args)
        m = re.fullmatch(r"(%s)(?:\s*\[[^\[\]]*\])+(?:\s*(?:\.|->)\s*%s)?" % (IDENT, IDENT), e)
        if m:
            return m.group(1) in GENERATED or self.table_is_literal(src, m.group(1), pos)
        return False

    def format_text(self, src, expr, pos):
        e = expr.strip()
        if self.pieces_literal(e, self.literal_macros):
            return literal_text(self.expand(e))
        if re.fullmatch(IDENT, e):
            return self.constant(src, e, pos)
        return None

    # -- the walk ------------------------------------------------------------
    def calls(self, src, names):
        """(name, argument spans, position) of each call of one of names
        inside a function body."""
        if not names:
            return
        pat = re.compile(r"(?<![\w.>])(%s)\s*\(" % "|".join(map(re.escape, names)))
        for m in pat.finditer(src.blank):
            if src.enclosing(m.start()) is None:
                continue
            open_ = m.end() - 1
            close = matching(src.blank, open_)
            yield m.group(1), split_args(src.code, src.blank, open_ + 1, close), m.start()

    def sinks_for(self, src):
        s = dict(self.sinks_global)
        s.update(self.sinks_local[src.rel])
        return s

    def find_wrappers(self):
        """Functions handing their own parameter to a sink become sinks."""
        changed = True
        while changed:
            changed = False
            for src in self.sources:
                sinks = self.sinks_for(src)
                for name, args, pos in self.calls(src, list(sinks)):
                    idx = sinks[name]
                    if idx >= len(args):
                        continue
                    expr = src.code[args[idx][0]:args[idx][1]].strip()
                    f = src.enclosing(pos)
                    param = self.param_index(src, f, expr)
                    if param is None or f[0] in sinks:
                        continue
                    table = self.sinks_local[src.rel] if (f[4] and not src.header) \
                        else self.sinks_global
                    table[f[0]] = param
                    changed = True

    @staticmethod
    def param_index(src, f, expr):
        if f is None or not re.fullmatch(IDENT, expr):
            return None
        params = [p.strip() for p in f[1].split(",")]
        for i, p in enumerate(params):
            if re.fullmatch(r"(?:const\s+)?char\s*\*\s*(?:const\s+)?%s" % re.escape(expr), p):
                body = src.blank[f[2]:f[3]]
                if re.search(r"(?<![\w.>])%s\s*=[^=]" % re.escape(expr), body):
                    return None
                return i
        return None

    def check(self):
        self.find_wrappers()
        for src in self.sources:
            for m in re.finditer(r"(?<![\w.>])(%s)\s*\(" % "|".join(BANNED), src.blank):
                self.report(src, m.start(), "%s() is banned (use snprintf, or strtol/strtod)"
                            % m.group(1))
            sinks = self.sinks_for(src)
            for name, args, pos in self.calls(src, list(sinks)):
                idx = sinks[name]
                if idx >= len(args):
                    continue
                expr = src.code[args[idx][0]:args[idx][1]]
                if self.sql_ok(src, expr, pos):
                    continue
                f = src.enclosing(pos)
                if self.param_index(src, f, expr.strip()) is not None and f[0] in sinks:
                    continue
                self.report(src, pos, "SQL built at run time: %s() is given %s, not a string "
                            "literal or a constant made of literals"
                            % (name, " ".join(expr.split())[:60]))
            for name, args, pos in self.calls(src, list(FORMATS)):
                idx = FORMATS[name]
                if idx >= len(args):
                    continue
                text = self.format_text(src, src.code[args[idx][0]:args[idx][1]], pos)
                if text is not None and SQL_START.match(text):
                    self.report(src, pos, "SQL built with %s(): bind parameters to a prepared "
                                "statement instead" % name)
        return self.problems

    def report(self, src, pos, msg):
        self.problems.append("%s:%d: %s" % (src.rel, src.line(pos), msg))


def statement_start(blank, at):
    """Where the declaration holding position `at` begins: after the last
    `;` or block boundary, a struct body in its type skipped whole."""
    depth, i = 0, at - 1
    while i >= 0:
        ch = blank[i]
        if ch == "}":
            depth += 1
        elif ch == "{":
            if depth == 0:
                return i + 1
            depth -= 1
        elif ch == ";" and depth == 0:
            return i + 1
        i -= 1
    return 0


def split_ternary(e):
    """[then, else] of a top-level a ? b : c (a may be anything), else None."""
    depth, q = 0, None
    for i, ch in enumerate(strip(e)[1]):
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif depth == 0 and ch == "?" and q is None:
            q = i
        elif depth == 0 and ch == ":" and q is not None:
            return [e[q + 1:i], e[i + 1:]]
    return None


def main():
    sources = []
    for folder, exts in PLACES:
        base = os.path.join(ROOT, folder)
        if not os.path.isdir(base):
            continue
        for dirpath, dirs, files in os.walk(base):
            dirs.sort()
            for fn in sorted(files):
                if fn.endswith(exts):
                    path = os.path.join(dirpath, fn)
                    with open(path, encoding="utf-8", errors="replace") as fh:
                        sources.append(Source(os.path.relpath(path, ROOT), fh.read()))
    if not sources:
        print("check-source: no sources under %s" % ROOT, file=sys.stderr)
        return 2
    problems = Checker(sources).check()
    for p in problems:
        print(p)
    if problems:
        print("check-source: %d problem(s) in %d files" % (len(problems), len(sources)),
              file=sys.stderr)
        return 1
    return 0


sys.exit(main())
EOF
