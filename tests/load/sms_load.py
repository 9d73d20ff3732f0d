#!/usr/bin/python3
"""The 5,000-member deposit alert (issue 20), run by run_sms_load.sh.

An owner signs up through the gateway (her email code read from the mail
dir) and makes a group. The members are written directly in SQL by the
test's superuser, for speed: KOLO_LOAD_MEMBERS users with a verified email
and a phone, each a MEMBER of the group who chose deposit.credited by SMS
(events_preference). One deposit is credited; then the fake Termii's
recorded requests must show exactly one SMS per member, none to anyone
else, and in no one-second window more than the budget plus the bucket's
capacity (KOLO_SMS_RATE_PER_S, capacity max(1, rate)). Bounded waits only.
"""
import json
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request

URL = os.environ["KOLO_LOAD_URL"]
DB = os.environ["KOLO_LOAD_DB"]
SMS = os.environ["KOLO_LOAD_SMS"]
MEMBERS = int(os.environ.get("KOLO_LOAD_MEMBERS", "5000"))
RATE = float(os.environ["KOLO_SMS_RATE_PER_S"])
PSQL = "/usr/lib/postgresql/15/bin/psql"
# Ingest, fan-out of MEMBERS recipients, and MEMBERS / RATE seconds of sending.
CAP = 60.0 + MEMBERS / RATE


def fail(msg):
    print("sms load: FAILED: " + msg, file=sys.stderr, flush=True)
    sys.exit(1)


def log(msg):
    print("sms load: " + msg, file=sys.stderr, flush=True)


def poll(what, fn, cap=30.0):
    deadline = time.monotonic() + cap
    while True:
        v = fn()
        if v:
            return v
        if time.monotonic() > deadline:
            fail("%s: not within %d s" % (what, cap))
        time.sleep(0.2)


def http(method, path, body=None, token=None, base=URL):
    req = urllib.request.Request(base + path, method=method,
                                 data=json.dumps(body).encode() if body is not None else None)
    req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def expect(status, method, path, body=None, token=None):
    got, reply = http(method, path, body, token)
    if got != status:
        fail("%s %s: %s %s" % (method, path, got, reply))
    return reply


def psql(sql):
    r = subprocess.run([PSQL, DB, "-qAt", "-v", "ON_ERROR_STOP=1", "-c", sql],
                       capture_output=True, text=True, timeout=120)
    if r.returncode != 0:
        fail("psql: " + r.stderr.strip())
    return r.stdout.strip()


def mail_code(email):
    folder = os.environ["KOLO_MAIL_DIR"]

    def find():
        for name in sorted(os.listdir(folder)):
            if name.endswith(".eml"):
                with open(os.path.join(folder, name), errors="replace") as f:
                    text = f.read()
                if email in text:
                    m = re.search(r"Your code: ([0-9]{6})", text)
                    if m:
                        return m.group(1)
        return None
    return poll("the email code of " + email, find)


def sms_requests():
    status, reply = http("GET", "/_control/requests", base=SMS)
    if status != 200:
        fail("fake Termii: %s" % status)
    return reply


def busiest_second(times):
    """The most requests that arrived within any one second."""
    times = sorted(times)
    most, lo = 0, 0
    for hi, t in enumerate(times):
        while t - times[lo] >= 1.0:
            lo += 1
        most = max(most, hi - lo + 1)
    return most


def main():
    t0 = time.monotonic()
    email = "load-owner-%d@example.com" % os.getpid()
    token = expect(201, "POST", "/v1/auth/register",
                   {"email": email, "password": "a long password", "name": "Load Owner"}
                   )["access_token"]
    expect(200, "POST", "/v1/me/email/verify", {"code": mail_code(email)}, token)
    group = expect(201, "POST", "/v1/groups", {"name": "Association of 5,000"}, token)["id"]
    # The members, in SQL (the test's superuser), for speed: verified
    # emails, phones +234 81 0xxxxxxx, each a MEMBER who chose deposit
    # alerts by SMS.
    psql("""BEGIN;
CREATE TEMP TABLE load_member AS
  SELECT gen_random_uuid() AS id, i FROM generate_series(1, %(n)d) i;
INSERT INTO "user" (id, email, password_hash, name, email_verified_at, phone,
                    phone_verified_at)
  SELECT id, 'load-member-' || i || '@example.com', 'not a hash: no sign-in',
         'Load member ' || i, now(), '+23481' || lpad(i::text, 8, '0'), now()
  FROM load_member;
INSERT INTO group_membership (group_id, user_id, role_in_group)
  SELECT '%(g)s', id, 'MEMBER' FROM load_member;
INSERT INTO events_preference (user_id, channel, type)
  SELECT id, 'sms', 'deposit.credited' FROM load_member;
COMMIT;""" % {"n": MEMBERS, "g": group})
    phones = {"23481%08d" % i for i in range(1, MEMBERS + 1)}
    log("%d members set up in %.1f s" % (MEMBERS, time.monotonic() - t0))

    before = len(sms_requests()["requests"])
    t1 = time.monotonic()
    expect(201, "POST", "/v1/demo/groups/%s/deposits" % group, {"amount_kobo": 250000}, token)
    sent = poll("%d deposit alerts sent" % MEMBERS, lambda: psql(
        "SELECT count(*) FROM events_delivery d JOIN events_event e ON e.id = d.event_id"
        " WHERE e.group_id = '%s' AND e.type = 'deposit.credited' AND d.status = 'SENT'"
        % group) == str(MEMBERS), cap=CAP)
    took = time.monotonic() - t1
    # (the last mark follows its request: nothing more is on its way)
    got = sms_requests()
    reqs, at = got["requests"][before:], got["at"][before:]
    rows = psql("SELECT count(*), count(*) FILTER (WHERE channel = 'sms') FROM events_delivery d"
                " JOIN events_event e ON e.id = d.event_id WHERE e.group_id = '%s'"
                " AND e.type = 'deposit.credited'" % group)
    if rows != "%d|%d" % (MEMBERS, MEMBERS):
        fail("messages of the deposit (all, sms): %s, want %d each" % (rows, MEMBERS))
    to = [r["to"] for r in reqs]
    if len(to) != MEMBERS or set(to) != phones:
        extra = sorted(set(to) - phones)[:5]
        twice = sorted({p for p in to if to.count(p) > 1})[:5] if len(to) < 20000 else "?"
        fail("%d SMS for %d members: to others %s, twice %s, missing %d"
             % (len(to), MEMBERS, extra, twice, len(phones - set(to))))
    if any("2,500.00" not in r["sms"] for r in reqs):
        fail("an SMS does not tell the amount: %r" % reqs[0]["sms"])
    budget = RATE + max(1.0, RATE)
    most = busiest_second(at)
    if most > budget:
        fail("%d SMS within one second; budget %d/s plus a capacity of %d"
             % (most, RATE, max(1, RATE)))
    stages = psql("SELECT round(extract(epoch FROM e.stored_at - e.occurred_at)::numeric, 1),"
                  " round(extract(epoch FROM min(d.created_at) - e.stored_at)::numeric, 1),"
                  " round(extract(epoch FROM min(d.sent_at) - min(d.created_at))::numeric, 1)"
                  " FROM events_event e JOIN events_delivery d ON d.event_id = e.id"
                  " WHERE e.group_id = '%s' AND e.type = 'deposit.credited'"
                  " GROUP BY e.id" % group).split("|")
    log("credit to stored %s s, stored to fanned out %s s, fanned out to first SMS %s s"
        % tuple(stages))
    span = max(at) - min(at)
    log("%d members, one SMS each: deposit to last SMS %.1f s (SMS over %.1f s, %.0f/s;"
        " busiest second %d, allowed %d); whole test %.1f s"
        % (MEMBERS, took, span, MEMBERS / span if span else 0, most, budget,
           time.monotonic() - t0))
    return 0 if sent else 1


if __name__ == "__main__":
    sys.exit(main())
