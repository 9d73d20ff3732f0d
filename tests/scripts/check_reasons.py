#!/usr/bin/env python3
"""The reason catalogue (shared/err/reasons.h) against the sources and docs.

check_reasons.py ROOT            fails when a reason the C sources pass to
                                 err_set()/gw_reply_error() (or name in a reason
                                 table) is not in the catalogue, when its gRPC code
                                 or HTTP status differs from the catalogue's, when a
                                 reason comes from an expression not known to relay
                                 an earlier error, or when docs/errors.md is not the
                                 one generated; lists catalogue entries nobody uses.
check_reasons.py ROOT --write    writes docs/errors.md from the catalogue.
"""
import collections
import os
import re
import sys

SCANNED = ("shared", "services", "gateway", "tools")
# Calls that take a reason: name -> (index of the code/status argument or
# None, index of the reason argument, "code" or "http").
CALLS = {
    "err_set": (0, 1, "code"),
    "gw_reply_error": (1, 2, "http"),
    "ldg_bad": (None, 0, None),       # services/ledger/ledger.c: INVALID_ARGUMENT
}
# Reason expressions that relay an error recorded before (or a wrapper's
# parameter, checked at its callers above): file -> expressions.
RELAYS = {
    "shared/rpc/rpc_client.c": {"reason"},
    "shared/db/db.c": {"map->reason"},
    "services/identity/handlers_kyc.c": {"reason"},
    "services/ledger/ledger.c": {"reason"},
    "gateway/response.c": {"e->reason[0] ? e->reason : err_default_reason(code)"},
    "services/payments/provider_paystack.c": {"refusal.reason"},
    "services/payments/provider_flutterwave.c": {"refusal.reason"},
    "services/payments/deposit.c": {"reason"},
    "services/withdrawals/flow.c": {"kept.reason", "saved.reason"},
    "services/groups/handlers_alloc.c": {"why.reason"},
}
# Reasons named outside such calls: SQLSTATE map rows, out-parameters.
TABLES = [
    re.compile(r'\{\s*"[0-9A-Z]{2,5}",\s*ERR_([A-Z_]+),\s*"([a-z0-9_]+)"'),
    re.compile(r'\*reason\s*=\s*"([a-z0-9_]+)"'),
]
ALSO = re.compile(r'X\(\s*([a-z0-9_]+),\s*([A-Z_]+)\s*\)')
ENTRY = re.compile(r'X\(\s*([a-z0-9_]+),\s*([A-Z_]+),\s*(\d+),\s*"((?:[^"\\]|\\.)*)"\s*\)')
CODES = ["OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED",
         "NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED",
         "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED",
         "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED"]


def catalogue(root):
    text = open(os.path.join(root, "shared/err/reasons.h")).read()
    entries = collections.OrderedDict()
    for m in ENTRY.finditer(text):
        name, code, http, meaning = m.groups()
        if name in entries:
            sys.exit("reasons.h: %s twice" % name)
        if code not in CODES:
            sys.exit("reasons.h: %s has no code %s" % (name, code))
        entries[name] = (code, int(http), meaning)
    also = {}
    block = text[text.index("#define ERR_REASONS_ALSO"):]
    for m in ALSO.finditer(block):
        if m.group(1) not in entries or m.group(2) not in CODES:
            sys.exit("reasons.h: ERR_REASONS_ALSO %s %s" % m.groups())
        also[m.group(1)] = m.group(2)
    return entries, also


def call_args(src, i):
    """The top-level arguments of the call whose '(' is at src[i]."""
    depth, cur, out, j, quoted = 0, "", [], i, False
    while j < len(src):
        c = src[j]
        if quoted:
            cur += c
            if c == "\\":
                cur += src[j + 1]
                j += 2
                continue
            quoted = c != '"'
        elif c == '"':
            quoted = True
            cur += c
        elif c == "(":
            depth += 1
            if depth > 1:
                cur += c
        elif c == ")":
            depth -= 1
            if depth == 0:
                out.append(cur.strip())
                return out
            cur += c
        elif c == "," and depth == 1:
            out.append(cur.strip())
            cur = ""
        else:
            cur += c
        j += 1
    return out


def sources(root):
    for top in SCANNED:
        for dirpath, _, files in os.walk(os.path.join(root, top)):
            for f in sorted(files):
                if f.endswith(".c"):
                    path = os.path.join(dirpath, f)
                    yield os.path.relpath(path, root), open(path).read()


def uses(root):
    """(reason, code or None, http or None, where) of every use; problems."""
    found, problems = [], []
    call = re.compile(r"\b(%s)\s*\(" % "|".join(CALLS))
    for rel, src in sources(root):
        for m in call.finditer(src):
            before = src[max(0, m.start() - 40):m.start()]
            if re.search(r"(err_code|void|int)\s*$", before):
                continue  # the definition itself
            where = "%s:%d" % (rel, src.count("\n", 0, m.start()) + 1)
            code_i, reason_i, kind = CALLS[m.group(1)]
            args = call_args(src, m.end() - 1)
            if len(args) <= reason_i:
                continue
            reason = args[reason_i]
            code = http = None
            if code_i is not None and kind == "code":
                c = re.fullmatch(r"ERR_([A-Z_]+)", args[code_i])
                code = c.group(1) if c else None
            if code_i is not None and kind == "http" and args[code_i].isdigit():
                http = int(args[code_i])
            if m.group(1) == "ldg_bad":
                code = "INVALID_ARGUMENT"
            if reason == "NULL":
                continue  # the code's default reason (err_default_reason)
            lit = re.fullmatch(r'"([a-z0-9_]+)"', reason)
            if lit:
                found.append((lit.group(1), code, http, where))
            elif reason not in RELAYS.get(rel, ()):
                problems.append("%s: reason %s is neither a literal nor a known relay"
                                % (where, reason))
        for pattern in TABLES:
            for m in pattern.finditer(src):
                where = "%s:%d" % (rel, src.count("\n", 0, m.start()) + 1)
                g = m.groups()
                found.append((g[-1], g[0] if len(g) == 2 else None, None, where))
    return found, problems


def doc(entries, also):
    lines = [
        "# Error reasons",
        "",
        "Generated from `shared/err/reasons.h` by `tests/scripts/check_reasons.py --write`;",
        "the `error_reasons` test fails when this file, the catalogue or the sources disagree.",
        "",
        "Every failure of a Kolo server is a gRPC status with a machine reason: the",
        "`kolo-error` trailer, and `grpc-status-details-bin`, a `google.rpc.Status` whose",
        "`google.rpc.ErrorInfo` has that reason, domain `kolo` and metadata (e.g. `field` of",
        "an `invalid_id`, `attempts_left` of a `pin_incorrect`, `retry_after_s` with a",
        "`google.rpc.RetryInfo` when a retry hint exists). Over REST the gateway answers",
        "`{\"error\":{\"code\":reason,\"message\":...}}` with the HTTP status of the code",
        "(or the one given here); INTERNAL, UNKNOWN and DATA_LOSS are always",
        "`500 internal` there. A reason passed as NULL is the code's default",
        "(`invalid_argument`, `internal`, ...).",
        "",
        "| reason | gRPC code | HTTP | meaning |",
        "|---|---|---|---|",
    ]
    for name, (code, http, meaning) in entries.items():
        codes = code + (" / " + also[name] if name in also else "")
        lines.append("| `%s` | %s | %s | %s |" % (name, codes, http or "",
                                                  meaning.replace("|", "\\|")))
    return "\n".join(lines) + "\n"


def main():
    root = sys.argv[1]
    entries, also = catalogue(root)
    doc_path = os.path.join(root, "docs/errors.md")
    if "--write" in sys.argv:
        open(doc_path, "w").write(doc(entries, also))
        return 0
    found, problems = uses(root)
    defaults = {c.lower() for c in CODES}
    used = set()
    for reason, code, http, where in found:
        used.add(reason)
        if reason not in entries:
            problems.append("%s: reason %s is not in shared/err/reasons.h" % (where, reason))
            continue
        want_code, want_http, _ = entries[reason]
        if code and code != want_code and code != also.get(reason):
            problems.append("%s: %s is %s here, %s in the catalogue"
                            % (where, reason, code, want_code))
        if http and want_http and http != want_http:
            problems.append("%s: %s is HTTP %d here, %d in the catalogue"
                            % (where, reason, http, want_http))
    if not os.path.exists(doc_path) or open(doc_path).read() != doc(entries, also):
        problems.append("docs/errors.md is not generated from reasons.h: run "
                        "tests/scripts/check_reasons.py . --write")
    unused = [r for r in entries if r not in used and r not in defaults]
    if unused:
        print("catalogue entries no source names (kept for callers of other "
              "components or the defaults):", " ".join(unused))
    for p in problems:
        print("error:", p)
    print("%d reasons in the catalogue, %d used in %d places; %d problems"
          % (len(entries), len(used), len(found), len(problems)))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
