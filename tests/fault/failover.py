#!/usr/bin/python3
"""Failover fault scenarios (DESIGN §18; stdlib only); run by run_failover.sh.

The suite runs on a primary (cluster A) and a synchronous streaming standby
(cluster B); every service's database URL names both hosts with
target_session_attrs=read-write. faults.py's helpers drive the product
(users, groups, deposits through the fake Flutterwave, withdrawals) and
check tests/fault/invariants.sql; nothing is timed: every outcome is polled
up to a cap, and the cap is the failure.

  failover  load (deposits into two groups, withdrawals requested, approved
            and paid out of one hot group) while the primary's postmaster is
            killed (kill -9), its WAL sender stopped for STALL_S before
            (commits in flight, retries of them), and, a second later,
            the standby is promoted;
            no service is restarted. Every acknowledged deposit is credited
            once, every acknowledged withdrawal exists once and is paid
            once, no ledger reference is posted twice, the invariants hold,
            and every service answers again (health and a real call) within
            RECOVERY_CAP seconds of the promotion.
  standby   the old primary comes back as the new primary's synchronous
            standby; then it is killed: writes answer 503 within the
            gateway's deadline (never 200, never a hang), reads still
            answer; once it is back the same requests, same keys, succeed
            exactly once.
  shutdown  (only when named) SIGTERM to every process while the standby is
            lost: each must exit 0 within 30 s.

Environment: faults.py's (KOLO_FAULT_*, the services' configuration) and
KOLO_FAILOVER_A, KOLO_FAILOVER_B (the clusters' folders), KOLO_FAILOVER_PORT_A,
KOLO_FAILOVER_PORT_B.
"""

import os
import signal
import subprocess
import sys
import threading
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import faults as F  # noqa: E402 (after the path)
from faults import check, http, poll, psql  # noqa: E402

ENV = os.environ
A, B = ENV["KOLO_FAILOVER_A"], ENV["KOLO_FAILOVER_B"]
PORTS = {A: ENV["KOLO_FAILOVER_PORT_A"], B: ENV["KOLO_FAILOVER_PORT_B"]}
STANDBY_NAME = "kolo_standby"
# From the promotion to every service answering a real call: the bound
# this suite states (DESIGN §18). Each service thread reconnects on its
# next use (db_tx's retries, libpq trying both hosts).
RECOVERY_CAP = 20.0
# How long one request of the load may take (the gateway's upstream
# deadline is KOLO_GATEWAY_UPSTREAM_TIMEOUT_MS, 5 s by default): longer is
# a hang.
REQUEST_TIMEOUT = 15
# How long the primary's WAL sender is held still before the kill: past
# the gateway's deadline, so that requests time out and are retried while
# the standby has not got their first attempt.
STALL_S = 7.0
# How long the load generator retries one item (same key, same reference)
# before it gives up, which fails the scenario.
CONVERGE_CAP = 60.0
# How long after the last 503 every session must have stopped waiting for
# a lost standby: the longest deadline (a background pass's 10 s) and 5 s.
WAIT_CAP = 15.0
# What a write may answer while the standby is lost: its commit not
# confirmed in time, or the caller's deadline passed first.
CLEAR_REASONS = ("commit_outcome_unknown", "deadline_exceeded")
# An answer that says "try again" rather than "no".
RETRYABLE = (500, 502, 503, 504)


def log(msg):
    print("failover: " + msg, file=sys.stderr, flush=True)


def pg(cmd, *args):
    """A pg.sh function on the clusters (bash, as the scripts use it)."""
    r = subprocess.run(["bash", "-c", '. "$0"; ' + cmd, ENV["KOLO_FAULT_PGLIB"]] + list(args),
                       capture_output=True, text=True, timeout=120)
    check(r.returncode == 0, "pg %s %s: %s" % (cmd.split()[0], args, r.stderr.strip()))
    return r.stdout.strip()


def sql_on(folder, sql):
    """SQL as the superuser on one cluster (not through the multi-host URL)."""
    r = subprocess.run([F.PSQL, "-h", folder, "-p", PORTS[folder], "-U", "postgres",
                        "-d", "postgres", "-qAt", "-c", sql],
                       capture_output=True, text=True, timeout=F.CAP)
    check(r.returncode == 0, "psql on %s: %s" % (folder, r.stderr.strip()))
    return r.stdout.strip()


def wait_sync(primary):
    poll("a synchronous standby of " + primary, lambda: sql_on(
        primary, "SELECT count(*) FROM pg_stat_replication WHERE application_name = '%s'"
        " AND sync_state = 'sync' AND state = 'streaming'" % STANDBY_NAME) == "1")


class Tally:
    """What the load generator saw, for the report and the checks."""

    def __init__(self):
        self.lock = threading.Lock()
        self.counts = {"acknowledged": 0, "found_on_retry": 0, "failed": 0, "retried": 0,
                       "errors": 0, "refused_then_retried": 0}
        self.statuses = {}

    def add(self, key, n=1):
        with self.lock:
            self.counts[key] += n

    def status(self, s):
        with self.lock:
            self.statuses[s] = self.statuses.get(s, 0) + 1


def converge(tally, what, send, done, again=lambda status, reply: False):
    """send() until done(status, reply) is true, as a client does with the
    same key: 5xx, connection errors and what again(status, reply) names
    are tried again; anything else is a failure of the scenario. Returns
    the final reply."""
    deadline = time.monotonic() + CONVERGE_CAP
    first = True
    while True:
        if not first:
            tally.add("retried")
        first = False
        try:
            status, reply = send()
        except OSError as e:
            status, reply = "error", repr(e)
        tally.status(status)
        if status != "error" and done(status, reply):
            # A retry that finds the work done without a 2xx (an approval
            # whose answer was lost: 409/422) is not an acknowledgement.
            tally.add("acknowledged" if 200 <= status < 300 else "found_on_retry")
            return reply
        if status != "error" and again(status, reply):
            tally.add("refused_then_retried")
        else:
            tally.add("failed" if status != "error" else "errors")
        check(status == "error" or status in RETRYABLE or again(status, reply),
              "%s: answered %s %s (not a retryable failure)" % (what, status, reply))
        check(time.monotonic() < deadline,
              "%s: not acknowledged within %d s (last %s %s)" % (what, CONVERGE_CAP, status, reply))
        time.sleep(0.2)


class Withdrawal:
    def __init__(self, group, kobo, reason):
        self.group = group
        self.kobo = kobo
        self.reason = reason
        self.key = str(uuid.uuid4())
        self.id = None
        self.approved = False

    def send_create(self):
        return http("POST", "/v1/groups/%s/withdrawals" % self.group.id,
                    {"amount_kobo": self.kobo, "beneficiary": F.BENEFICIARY,
                     "reason": self.reason, "pin": F.PIN}, self.group.owner.token,
                    headers={"Idempotency-Key": self.key}, timeout=REQUEST_TIMEOUT)

    def send_approve(self, treasurer):
        return http("POST", "/v1/withdrawals/%s/approve" % self.id, {"pin": F.PIN},
                    treasurer.token, timeout=REQUEST_TIMEOUT)

    def create(self, tally):
        reply = converge(tally, "withdrawal %s" % self.key, self.send_create,
                         lambda s, r: s == 201 and r.get("id"))
        check(self.id in (None, reply["id"]), "withdrawal %s: ids %s and %s"
              % (self.key, self.id, reply["id"]))
        self.id = reply["id"]

    def approve(self, tally, treasurer):
        def found(status, reply):
            code = reply.get("error", {}).get("code") if isinstance(reply, dict) else None
            return (status, code) in ((409, "already_approved"), (422, "not_pending"))

        def done(status, reply):
            if status == 200:
                return True
            # An approval that committed while its answer was lost: the
            # retry finds it (409 already_approved, or 422 not_pending once
            # the approval completed the request), the approval stored.
            return (found(status, reply) and self.group_status() in ("APPROVED", "PAID")
                    and self.approvals(treasurer) == 1)
        # Such a refusal read from a commit the standby had not confirmed
        # (lost in the failover): the approval is not there; again.
        converge(tally, "approval of %s" % self.id, lambda: self.send_approve(treasurer), done,
                 again=found)
        self.approved = True

    def approvals(self, user):
        return int(psql("SELECT count(*) FROM approval WHERE withdrawal_id = '%s'"
                        " AND approver_user_id = '%s'" % (self.id, user.id)))

    def group_status(self):
        status, reply = http("GET", "/v1/withdrawals/" + self.id, token=self.group.owner.token)
        return reply.get("status") if status == 200 else None

    def rows(self):
        return psql("SELECT id FROM withdrawal_request WHERE client_ref = '%s'" % self.key).split()


class LoadFailed(Exception):
    """A load thread failed: not a condition poll() waits out."""


DEPOSIT_LOCK = threading.Lock()


def new_deposit(group, naira):
    with DEPOSIT_LOCK:  # faults.py's transaction counter
        return F.Deposit(group, naira)


class Load:
    """Deposit and withdrawal threads until stop(); every item they start
    they see through to an acknowledgement (or fail the scenario)."""

    def __init__(self, hot, other, treasurer):
        self.hot, self.other, self.treasurer = hot, other, treasurer
        self.tally = Tally()
        self.deposits, self.withdrawals = [], []
        self.errors = []
        self.halt = threading.Event()
        self.threads = []

    def deposit_loop(self, n):
        i = 0
        while not self.halt.is_set():
            i += 1
            d = new_deposit(self.hot if (i + n) % 2 else self.other, "%d.%02d" % (1 + n, i % 100))
            self.deposits.append(d)
            converge(self.tally, "deposit %s" % d.id, lambda: d.deliver(timeout=REQUEST_TIMEOUT),
                     lambda s, r: s == 200 and r.get("status") in ("processed", "duplicate"))

    def withdrawal_loop(self, n):
        i = 0
        while not self.halt.is_set():
            i += 1
            w = Withdrawal(self.hot, 100 * (n + 1) + i, "failover %d-%d" % (n, i))
            self.withdrawals.append(w)
            w.create(self.tally)
            w.approve(self.tally, self.treasurer)

    def run(self, fn, n):
        try:
            fn(n)
        except Exception as e:  # noqa: BLE001 (reported by join())
            self.errors.append(e)
            self.halt.set()

    def start(self, deposit_threads=2, withdrawal_threads=2):
        for n in range(deposit_threads):
            self.threads.append(threading.Thread(target=self.run, args=(self.deposit_loop, n),
                                                 daemon=True))
        for n in range(withdrawal_threads):
            self.threads.append(threading.Thread(target=self.run,
                                                 args=(self.withdrawal_loop, n), daemon=True))
        for t in self.threads:
            t.start()

    def acknowledged(self):
        """How many acknowledgements so far; a failed load thread ends the
        wait at once (poll() would wait out a Fail)."""
        if self.errors:
            raise LoadFailed("the load failed: %s (load %s; statuses %s)"
                             % (self.errors[0], self.tally.counts, self.tally.statuses))
        return self.tally.counts["acknowledged"]

    def stop(self):
        self.halt.set()
        for t in self.threads:
            t.join(CONVERGE_CAP + 2 * REQUEST_TIMEOUT)
            check(not t.is_alive(), "a load thread did not finish")
        if self.errors:
            raise self.errors[0]


def service_calls(owner, g, since, first):
    """A real call per service through the gateway (each reads its own
    database), and every process's health; first[name]: seconds from
    since to its first answer."""
    calls = [("identity", "/v1/me"), ("groups", "/v1/groups/" + g.id),
             ("ledger", "/v1/groups/%s/balance" % g.id),
             ("withdrawals", "/v1/groups/%s/withdrawals" % g.id),
             ("payments", "/v1/groups/%s/payouts" % g.id),
             ("events", "/v1/me/notifications")]
    for name, path in calls:
        if name not in first and http("GET", path, token=owner.token, timeout=5)[0] == 200:
            first[name] = round(time.monotonic() - since, 1)
    for name in F.SERVICES + ["gateway"]:
        check(F.PROCS[name].poll() is None, "kolo-%s exited" % name)
        if "health:" + name not in first and F.healthy(name):
            first["health:" + name] = round(time.monotonic() - since, 1)
    return len(first) == len(calls) + len(F.SERVICES) + 1


def no_reference_twice(groups):
    twice = psql("SELECT reference || ' ' || type || ' x' || count(*) FROM ledger_entry"
                 " WHERE group_id IN (%s) GROUP BY reference, type HAVING count(*) > 1"
                 % ",".join("'%s'" % g.id for g in groups))
    check(twice == "", "a reference posted twice: %s" % twice)


def sql_list(values):
    return ",".join("'%s'" % v for v in values) or "NULL"


def check_deposits(label, ds):
    """Every deposit credited exactly once and each stored delivery
    processed (one query per poll for all of them)."""
    ids = [d.id for d in ds]

    def settled():
        rows = psql("SELECT reference, count(*) FROM ledger_entry WHERE type = 'CREDIT'"
                    " AND reference IN (%s) GROUP BY reference" % sql_list(ids)).split()
        pending = psql("SELECT count(*) FROM webhook_event WHERE NOT processed"
                       " AND raw_payload #>> '%s' IN (%s)" % (F.P.EVENT_REFERENCE, sql_list(ids)))
        credits = dict(r.split("|") for r in rows)
        twice = {k: v for k, v in credits.items() if v != "1"}
        check(not twice, "%s: deposits credited more than once: %s" % (label, twice))
        missing[:] = [i for i in ids if i not in credits]
        return not missing and pending == "0"
    missing = []
    try:
        poll("%s: %d deposits credited once" % (label, len(ids)), settled)
    except F.Fail as e:
        raise F.Fail("%s; %d acknowledged deposits never credited (lost?): %s"
                     % (e, len(missing), missing[:10]))


def check_withdrawals(label, ws):
    """Every acknowledged withdrawal stored once under its key, PAID, debited
    once, never reversed, one transfer at the fake."""
    keys = {w.key: w for w in ws}
    for row in psql("SELECT client_ref, count(*), min(id::text) FROM withdrawal_request"
                    " WHERE client_ref IN (%s) GROUP BY client_ref" % sql_list(keys)).split():
        key, n, wid = row.split("|")
        check(n == "1" and wid == keys[key].id, "%s: withdrawal %s: %s rows, %s acknowledged as %s"
              % (label, key, n, wid, keys[key].id))
    ids = sql_list(w.id for w in ws)
    poll("%s: %d withdrawals PAID" % (label, len(ws)), lambda: psql(
        "SELECT count(*) FROM withdrawal_request WHERE id IN (%s) AND status = 'PAID'" % ids)
        == str(len(ws)))
    rows = psql("SELECT w.id, (SELECT count(*) FROM ledger_entry e WHERE e.type = 'DEBIT'"
                " AND e.reference LIKE 'payout:' || w.id || '%%'),"
                " (SELECT count(*) FROM ledger_entry e WHERE e.type = 'CREDIT'"
                " AND e.reference LIKE 'reversal:' || w.id || '%%'),"
                " (SELECT string_agg(p.id::text, ',') FROM payout p WHERE p.withdrawal_id = w.id)"
                " FROM withdrawal_request w WHERE w.id IN (%s)" % ids).split()
    check(len(rows) == len(ws), "%s: %d of %d withdrawals found" % (label, len(rows), len(ws)))
    created = F.fake("/_control/stats")["transfers_created"]
    for row in rows:
        wid, debits, reversals, payouts = row.split("|")
        check(debits == "1" and reversals == "0", "%s: withdrawal %s: %s debits, %s reversals"
              % (label, wid, debits, reversals))
        check(len(payouts.split(",")) == 1 and created.get(payouts, 0) == 1,
              "%s: withdrawal %s: payouts %s, transfers %s"
              % (label, wid, payouts, [created.get(p, 0) for p in payouts.split(",")]))


def scenario_failover(ctx):
    """kill -9 of the primary under load, the synchronous standby promoted."""
    owner, hot, other, treasurer = ctx["owner"], ctx["hot"], ctx["other"], ctx["treasurer"]
    hot_before, other_before = hot.balance(), other.balance()
    load = Load(hot, other, treasurer)
    load.start()
    poll("the load acknowledged 40 requests", lambda: load.acknowledged() >= 40)
    # The primary's WAL sender held still for STALL_S first, and killed
    # with the postmaster, so that the kill finds commits the standby never
    # got: with a synchronous standby they are waiting, never acknowledged,
    # and their retries (same key) must not be answered from the primary's
    # local copy either; with an asynchronous one (KOLO_FAILOVER_SYNC=off)
    # they were acknowledged and are lost with the primary, and this
    # scenario fails.
    sender = int(sql_on(A, "SELECT pid FROM pg_stat_replication WHERE application_name = '%s'"
                        % STANDBY_NAME))
    os.kill(sender, signal.SIGSTOP)
    stalled = load.acknowledged()
    time.sleep(STALL_S)
    before_kill = load.acknowledged()
    log("failover: %d acknowledgements while the standby got nothing"
        % (before_kill - stalled))
    pg('kolo_pg_kill "$1"', A)
    os.kill(sender, signal.SIGKILL)
    log("failover: primary killed after %d acknowledgements" % before_kill)
    time.sleep(1.0)
    pg('kolo_pg_promote "$1"', B)
    promoted = time.monotonic()
    log("failover: standby promoted")
    first = {}
    try:
        poll("every service answering after the promotion",
             lambda: service_calls(owner, hot, promoted, first), cap=RECOVERY_CAP)
    finally:
        log("failover: first answers after the promotion (s): %s" % first)
    answered = time.monotonic() - promoted
    after = load.acknowledged()
    poll("the load acknowledged 30 more after every service answered",
         lambda: load.acknowledged() >= after + 30)
    load.stop()
    log("failover: every service answered %.1f s after the promotion (bound %d s)"
        % (answered, RECOVERY_CAP))
    log("failover: load %s; statuses %s; %d deposits, %d withdrawals"
        % (load.tally.counts, load.tally.statuses, len(load.deposits), len(load.withdrawals)))
    ctx["report"]["failover"] = (load.tally.counts, answered, len(load.deposits),
                                 len(load.withdrawals))

    check_deposits("failover", load.deposits)
    check_withdrawals("failover", load.withdrawals)
    no_reference_twice([hot, other])
    dep_hot = sum(d.kobo for d in load.deposits if d.group is hot)
    dep_other = sum(d.kobo for d in load.deposits if d.group is other)
    paid = sum(w.kobo for w in load.withdrawals)
    hot.wait_balance(hot_before + dep_hot - paid)
    other.wait_balance(other_before + dep_other)
    F.invariants("failover")


# Invariants that hold only once things settle: a stored delivery waits
# for its retry (and a credit posted for it, answered 503, for its mark).
UNSETTLED = ("event_unprocessed", "credit_without_event")


def invariants_unsettled(label):
    """invariants.sql less UNSETTLED: what must hold at every moment."""
    r = subprocess.run([F.PSQL, F.DB, "-qAt", "-v", "ON_ERROR_STOP=1", "-f",
                        ENV["KOLO_FAULT_SQL"]], capture_output=True, text=True, timeout=F.CAP)
    check(r.returncode == 0, "invariants.sql: %s" % r.stderr.strip())
    bad = [v for v in r.stdout.strip().splitlines() if v and v.split("|")[0] not in UNSETTLED]
    check(not bad, "%s: invariants violated:\n%s" % (label, "\n".join(bad)))


def restore_standby():
    """The old primary's folder, emptied, as a new standby of B (the URLs'
    first host is then the standby: libpq skips it)."""
    subprocess.run(["rm", "-rf", os.path.join(A, "data")], check=True)
    pg('kolo_pg_start_standby "$1" "$2" "$3" "$4" %s off' % STANDBY_NAME, B, PORTS[B], A,
       PORTS[A])
    pg('kolo_pg_sync "$1" %s' % STANDBY_NAME, B)
    wait_sync(B)


def scenario_standby(ctx):
    """The synchronous standby lost: writes fail cleanly, reads answer; it
    returns: the same requests succeed exactly once."""
    owner, hot, other, treasurer = ctx["owner"], ctx["hot"], ctx["other"], ctx["treasurer"]
    primary = B if ctx.get("failed_over") else A
    standby = A if primary == B else B
    if primary == B:
        restore_standby()
    hot_before, other_before = hot.balance(), other.balance()
    # A withdrawal waiting for its approval, made while all is well.
    pending = Withdrawal(hot, 1234, "standby pending")
    pending.create(Tally())
    tally = Tally()

    pg('kolo_pg_kill "$1"', standby)
    # Until the primary has seen it go, the standby's WAL receiver may
    # still confirm a commit (then rightly answered 200): wait for that.
    poll("the primary without its standby", lambda: sql_on(
        primary, "SELECT count(*) FROM pg_stat_replication WHERE application_name = '%s'"
        % STANDBY_NAME) == "0")
    log("standby: the synchronous standby killed")
    d = new_deposit(other, "77.77")
    w = Withdrawal(hot, 4321, "standby lost")
    writes = [("deposit", lambda: d.deliver(timeout=REQUEST_TIMEOUT)),
              ("withdrawal", w.send_create),
              ("approval", lambda: pending.send_approve(treasurer))]
    seen = []
    for what, send in writes:
        t0 = time.monotonic()
        try:
            status, reply = send()
        except OSError as e:
            raise F.Fail("standby: the %s hung (no answer within %d s: %r)"
                         % (what, REQUEST_TIMEOUT, e))
        took = time.monotonic() - t0
        seen.append((what, status, round(took, 1),
                     reply.get("error", {}).get("code") if isinstance(reply, dict) else reply))
        check(status == 503 and seen[-1][3] in CLEAR_REASONS,
              "standby: the %s answered %s %s, want 503 with one of %s"
              % (what, status, reply, CLEAR_REASONS))
    log("standby: writes without the standby: %s" % seen)
    # Answered, and not still waiting: no session that began before the
    # answers may wait for the standby past its deadline (a request's, or
    # a background pass's SVC_BACKGROUND_TIMEOUT_MS, 10 s). A commit left
    # waiting holds its service thread and its row locks until the
    # standby returns, and then commits what was answered 503.
    answered = psql("SELECT clock_timestamp()")
    waiting = ("FROM pg_stat_activity WHERE wait_event = 'SyncRep' AND query_start <= '%s'"
               % answered)
    try:
        poll("no session still waiting for the lost standby",
             lambda: psql("SELECT count(*) " + waiting) == "0", cap=WAIT_CAP)
    except F.Fail:
        log("standby: still waiting: %s" % psql(
            "SELECT string_agg(usename || ' ' || query_start || ' ' || left(query, 60),"
            " E'\\n') " + waiting))
        raise
    # Reads need no standby.
    check(http("GET", "/v1/groups/%s/balance" % hot.id, token=owner.token,
               timeout=REQUEST_TIMEOUT)[0] == 200, "standby: a balance read failed")
    # Nothing done twice or in part: a write that committed on the primary
    # alone (answered 503) is whole, and its retry below finds it. (The
    # invariants hold but for a stored delivery waiting for its retry.)
    check(d.credits() <= 1, "standby: deposit %s credited %d times" % (d.id, d.credits()))
    check(len(w.rows()) <= 1, "standby: withdrawal %s stored %d times" % (w.key, len(w.rows())))
    approved = pending.approvals(treasurer)
    check(approved == 0 or pending.group_status() == "APPROVED",
          "standby: approval of %s stored (%d) but the request %s"
          % (pending.id, approved, pending.group_status()))
    # Its retry while the standby is still lost must not report an approval
    # the standby never confirmed (409 already_approved / 422 not_pending
    # read from the primary's own commit): the refusal waits for a commit
    # of its own, as a replay does, and so answers 503 too.
    status, reply = pending.send_approve(treasurer)
    code = reply.get("error", {}).get("code") if isinstance(reply, dict) else reply
    log("standby: the approval's retry (approval stored on the primary: %d): %s %s"
        % (approved, status, code))
    check(status == 503 and code in CLEAR_REASONS,
          "standby: the approval's retry answered %s %s without the standby, want 503"
          % (status, reply))
    invariants_unsettled("standby lost")

    pg('kolo_pg_start_standby "$1" "$2" "$3" "$4" %s off' % STANDBY_NAME, primary,
       PORTS[primary], standby, PORTS[standby])
    wait_sync(primary)
    log("standby: the standby is back")
    converge(tally, "deposit %s" % d.id, lambda: d.deliver(timeout=REQUEST_TIMEOUT),
             lambda s, r: s == 200 and r.get("status") in ("processed", "duplicate"))
    w.create(tally)
    pending.approve(tally, treasurer)
    w.approve(tally, treasurer)
    log("standby: retried with the same keys: %s; statuses %s" % (tally.counts, tally.statuses))
    ctx["report"]["standby"] = (seen, tally.counts)
    check_deposits("standby", [d])
    check_withdrawals("standby", [pending, w])
    no_reference_twice([hot, other])
    hot.wait_balance(hot_before - pending.kobo - w.kobo)
    other.wait_balance(other_before + d.kobo)
    F.invariants("standby")


def scenario_shutdown(ctx):
    """SIGTERM while the synchronous standby is lost: every service exits 0
    within the cap (30 s), then starts again once the standby is back."""
    primary = B if ctx.get("failed_over") else A
    standby = A if primary == B else B
    if primary == B and not ctx.get("standby_restored"):
        restore_standby()
    pg('kolo_pg_kill "$1"', standby)
    poll("the primary without its standby", lambda: sql_on(
        primary, "SELECT count(*) FROM pg_stat_replication WHERE application_name = '%s'"
        % STANDBY_NAME) == "0")
    # A deposit (answered 503) leaves work committed on the primary alone
    # (cancelled at its deadline): the background passes that take it up
    # wait for the standby; each process must still stop.
    d = new_deposit(ctx["other"], "12.34")
    check(d.deliver(timeout=REQUEST_TIMEOUT)[0] == 503, "shutdown: a deposit answered")
    poll("a session waiting for the lost standby", lambda: psql(
        "SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'SyncRep'") != "0")
    stopped = []
    try:
        for name in ["gateway"] + F.SERVICES[::-1]:
            t0 = time.monotonic()
            F.terminate(name)
            stopped.append(name)
            log("shutdown: kolo-%s exited 0 in %.1f s" % (name, time.monotonic() - t0))
    finally:
        pg('kolo_pg_start_standby "$1" "$2" "$3" "$4" %s off' % STANDBY_NAME, primary,
           PORTS[primary], standby, PORTS[standby])
        wait_sync(primary)
        for name in F.SERVICES + ["gateway"]:
            if name not in F.PROCS:
                F.start(name)
        for name in F.SERVICES + ["gateway"]:
            F.wait_healthy(name)
    F.wait_money_acts(ctx["owner"])
    d.deliver_until_accepted()
    check_deposits("shutdown", [d])
    F.invariants("shutdown")


# "shutdown" only when named: kolo-events does not stop within 30 s while
# the standby is lost (its passes run on, each statement up to its 10 s
# deadline); scripts/test runs it once that is fixed.
SCENARIOS = [("failover", scenario_failover), ("standby", scenario_standby),
             ("shutdown", scenario_shutdown)]
NAMED_ONLY = {"shutdown"}


def setup():
    owner = F.User("owner")
    F.wait_money_acts(owner)
    hot, treasurer = F.two_officer_group(owner, "Failover hot", "treasurer", "100000.00")
    other = F.Group(owner, "Failover deposits")
    # Payouts settle at the fake at once: the withdrawals end PAID.
    F.fake_mode("transfers", "succeed_immediately", 0)
    F.invariants("start")
    return {"owner": owner, "hot": hot, "other": other, "treasurer": treasurer, "report": {}}


def main():
    only = sys.argv[1:]
    failed = False
    signal.signal(signal.SIGTERM, F.on_term)
    try:
        for name in F.SERVICES + ["gateway"]:
            F.start(name)
        for name in F.SERVICES + ["gateway"]:
            F.wait_healthy(name)
        ctx = setup()
        for name, fn in SCENARIOS:
            if (only and name not in only) or (not only and name in NAMED_ONLY):
                continue
            t0 = time.monotonic()
            fn(ctx)
            if name == "failover":
                ctx["failed_over"] = True
            if name == "standby":
                ctx["standby_restored"] = True
            log("%s: ok (%.1f s) - %s" % (name, time.monotonic() - t0,
                                         " ".join(fn.__doc__.split())))
    except Exception as e:  # noqa: BLE001 (the run's verdict)
        failed = True
        log("FAILED: %s" % e)
    finally:
        for name in ["gateway"] + F.SERVICES[::-1]:
            if name in F.PROCS:
                try:
                    F.terminate(name)
                except F.Fail as e:
                    failed = True
                    log("FAILED: %s" % e)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
