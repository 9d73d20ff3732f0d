#!/usr/bin/python3
"""Kolo fault-injection scenarios (stdlib only); run by run_faults.sh.

Starts the five services and the gateway itself (so it can kill, stop and
restart them), drives them over HTTP, injects faults in the fake
Flutterwave (its /_control API), in the processes (SIGKILL, SIGTERM) and in
PostgreSQL (pg_ctl stop -m fast), and after every scenario runs
invariants.sql (any row fails) plus the scenario's own checks. Nothing is
timed: each outcome is polled for up to CAP seconds, then the test fails.

Environment (run_faults.sh sets it): the KOLO_* service configuration and
KOLO_PROVIDER (flutterwave or paystack: the fake the scenarios drive and the
webhooks they send), KOLO_FAULT_BUILD, KOLO_FAULT_RUN (logs), KOLO_FAULT_DB (superuser conninfo
of the suite's database), KOLO_FAULT_FAKE (the fake's URL), KOLO_FAULT_PG_DIR,
KOLO_FAULT_PG_PORT, KOLO_FAULT_PG_FSYNC, KOLO_FAULT_PGLIB, KOLO_FAULT_SQL.
"""

import hashlib
import hmac
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

CAP = 30.0
PSQL = "/usr/lib/postgresql/15/bin/psql"
PIN = "135790"
PASSWORD = "fault password 123"
BENEFICIARY = {"bank_code": "058", "account_number": "0123456789",
               "account_name": "Adaeze Okafor"}  # the fake resolves any number to this name
# The suite's processes (scripts/lib/suite.sh's KOLO_SERVICES, through
# run_faults.sh): kolo-events too, which mails users their email codes.
SERVICES = os.environ.get("KOLO_FAULT_SERVICES",
                          "identity groups ledger withdrawals payments").split()

ENV = os.environ
BUILD = ENV["KOLO_FAULT_BUILD"]
RUN = ENV["KOLO_FAULT_RUN"]
DB = ENV["KOLO_FAULT_DB"]
FAKE = ENV["KOLO_FAULT_FAKE"]
URL = "http://" + ENV["KOLO_GATEWAY_ADDR"]
PROVIDER = ENV.get("KOLO_PROVIDER", "flutterwave")


class Fail(Exception):
    pass


class Stopped(Exception):
    """SIGTERM: not a condition poll() waits out."""


def log(msg):
    print("faults: " + msg, file=sys.stderr, flush=True)


def check(cond, msg):
    if not cond:
        raise Fail(msg)


def poll(what, fn, cap=CAP):
    """fn() until it returns something true (exceptions count as not yet)."""
    deadline = time.monotonic() + cap
    last = None
    while True:
        try:
            v = fn()
            if v:
                return v
            last = v
        except (OSError, ValueError, KeyError, TypeError, AttributeError, Fail) as e:
            last = e
        if time.monotonic() > deadline:
            raise Fail("%s: not within %d s (last: %r)" % (what, cap, last))
        time.sleep(0.1)


# --- processes ---------------------------------------------------------------

PROCS = {}


def binary(name):
    if name == "gateway":
        return os.path.join(BUILD, "gateway", "kolo-gateway")
    return os.path.join(BUILD, "services", name, "kolo-" + name)


def addr(name):
    return ENV["KOLO_%s_ADDR" % name.upper()]


def healthy(name):
    if name == "gateway":
        return http("GET", "/healthz", timeout=2)[0] == 200
    return subprocess.run([os.path.join(BUILD, "tools", "health", "kolo-health"),
                           addr(name)], stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL).returncode == 0


def start(name):
    out = open(os.path.join(RUN, name + ".log"), "ab")
    # Each process its own service token (suite.sh's secrets).
    env = dict(ENV, KOLO_INTERNAL_TOKEN=ENV["KOLO_%s_TOKEN" % name.upper()])
    PROCS[name] = subprocess.Popen([binary(name)], stdin=subprocess.DEVNULL,
                                   stdout=out, stderr=subprocess.STDOUT, env=env)
    out.close()
    # run_faults.sh kills whatever is left of these if we are killed.
    with open(os.path.join(RUN, "pids"), "a") as f:
        f.write("%d\n" % PROCS[name].pid)


def wait_healthy(name):
    poll("kolo-%s healthy" % name, lambda: PROCS[name].poll() is None and healthy(name))


def kill9(name):
    p = PROCS.pop(name)
    p.send_signal(signal.SIGKILL)
    rc = p.wait(timeout=CAP)
    check(rc == -signal.SIGKILL, "kolo-%s: SIGKILL gave exit %s" % (name, rc))


def terminate(name):
    """SIGTERM; the process must exit 0 within the cap."""
    p = PROCS.pop(name)
    p.send_signal(signal.SIGTERM)
    try:
        rc = p.wait(timeout=CAP)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
        raise Fail("kolo-%s did not exit within %d s of SIGTERM" % (name, CAP))
    check(rc == 0, "kolo-%s exited with %s on SIGTERM" % (name, rc))


def restart(name):
    start(name)
    wait_healthy(name)


# --- HTTP and SQL ------------------------------------------------------------

def request(base, method, path, body=None, token=None, headers=None, timeout=15):
    """(status, parsed JSON or text); connection errors raise OSError."""
    data = None
    if body is not None:
        data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
    req = urllib.request.Request(base + path, data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", "Bearer " + token)
    for k, v in (headers or {}).items():
        req.add_header(k, v)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            status, text = r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        status, text = e.code, e.read().decode()
    try:
        return status, json.loads(text) if text else None
    except ValueError:
        return status, text


def http(method, path, body=None, token=None, headers=None, timeout=15):
    return request(URL, method, path, body, token, headers, timeout)


def expect(status, method, path, body=None, token=None, headers=None):
    got, reply = http(method, path, body, token, headers)
    check(got == status, "%s %s: got %s %s, want %s" % (method, path, got, reply, status))
    return reply


def fake(path, body=None):
    status, reply = request(FAKE, "POST" if body is not None else "GET", path, body)
    check(status == 200, "fake %s: %s %s" % (path, status, reply))
    return reply


class Flutterwave:
    """What the scenarios say to and about the fake Flutterwave."""
    SUCCESS, FAILED = "SUCCESSFUL", "FAILED"
    TRANSFER_POST = "POST /v3/transfers"
    TIMEOUT_MS = "KOLO_FLW_TIMEOUT_MS"
    GTB_NAME = "GTBank"  # bank 058 as the fake's own list names it

    @staticmethod
    def endpoints(endpoint, behaviour):
        return [endpoint]

    @staticmethod
    def transfer_reads(pid):
        """Requests that may ask about the transfer of payout pid."""
        return fake_requests("/v3/transfers")

    @staticmethod
    def verify_path(reference):
        return "/v3/transactions/%s/verify" % reference

    @staticmethod
    def register(reference, group, kobo, payer=None):
        # payer: (account number, name, bank name) of the sender, as
        # verify's data.meta names the originator; None: no meta.
        body = {"id": reference, "tx_ref": group.tx_ref,
                "amount": "%d.%02d" % divmod(kobo, 100),
                "currency": "NGN", "status": "successful"}
        if payer:
            body["originator"] = {"account_number": payer[0], "name": payer[1],
                                  "bank_name": payer[2]}
        fake("/_control/transaction", body)

    @staticmethod
    def deposit_body(reference, group, kobo):
        # The amount is written as its exact decimal text.
        return ('{"event":"charge.completed","data":{"id":%s,"tx_ref":%s,'
                '"flw_ref":"FLW-FAULT-%s","amount":%d.%02d,"currency":"NGN",'
                '"status":"successful","payment_type":"bank_transfer",'
                '"customer":{"name":"Fault Sender","email":"s@example.com"}}}'
                % ((reference, json.dumps(group.tx_ref), reference) + divmod(kobo, 100)))

    @staticmethod
    def deliver(body, timeout):
        return http("POST", "/v1/webhooks/flutterwave", body,
                    headers={"verif-hash": ENV["KOLO_FLW_SECRET_HASH"]}, timeout=timeout)

    EVENT_REFERENCE = "{data,id}"


class Paystack(Flutterwave):
    """The same for the fake Paystack: kobo, references, HMAC-SHA512."""
    SUCCESS, FAILED = "success", "failed"
    TRANSFER_POST = "POST /transfer"
    TIMEOUT_MS = "KOLO_PAYSTACK_TIMEOUT_MS"
    GTB_NAME = "Guaranty Trust Bank"
    EVENT_REFERENCE = "{data,reference}"

    @staticmethod
    def endpoints(endpoint, behaviour):
        name = {"transfers": "transfer"}.get(endpoint, endpoint)
        # Flutterwave's "transfers" mode covers reading transfers too;
        # Paystack reads them at /transfer/verify (its own endpoint).
        if name == "transfer" and behaviour in ("ok", "fail500", "unauthorized"):
            return [name, "transfer_verify"]
        return [name]

    @staticmethod
    def transfer_reads(pid):
        return fake_requests("/transfer/verify/" + pid)

    @staticmethod
    def verify_path(reference):
        return "/transaction/verify/" + reference

    @staticmethod
    def register(reference, group, kobo, payer=None):
        # payer as Flutterwave's, in the authorization's sender_* fields;
        # None: the fake's masked sender (no account to match).
        body = {"reference": reference, "amount": kobo, "fees": 0,
                "currency": "NGN", "status": "success", "account_number": group.number}
        if payer:
            body["sender"] = {"account_number": payer[0], "name": payer[1], "bank": payer[2]}
        fake("/_control/transaction", body)

    @staticmethod
    def deposit_body(reference, group, kobo):
        return ('{"event":"charge.success","data":{"id":%s,"reference":%s,"amount":%d,'
                '"currency":"NGN","status":"success","channel":"dedicated_nuban",'
                '"authorization":{"channel":"dedicated_nuban",'
                '"receiver_bank_account_number":%s,"receiver_bank":"Wema Bank",'
                '"sender_name":"Fault Sender"}}}'
                % (reference.split("-")[-1], json.dumps(reference), kobo,
                   json.dumps(group.number)))

    @staticmethod
    def deliver(body, timeout):
        sig = hmac.new(ENV["KOLO_PAYSTACK_SECRET_KEY"].encode(), body.encode(),
                       hashlib.sha512).hexdigest()
        return http("POST", "/v1/webhooks/paystack", body,
                    headers={"x-paystack-signature": sig}, timeout=timeout)


P = Paystack if PROVIDER == "paystack" else Flutterwave


def fake_mode(endpoint, behaviour, times=0):
    for name in P.endpoints(endpoint, behaviour):
        fake("/_control/mode", {"endpoint": name, "behaviour": behaviour, "times": times})


def psql(sql):
    r = subprocess.run([PSQL, DB, "-qAt", "-v", "ON_ERROR_STOP=1", "-c", sql],
                       capture_output=True, text=True, timeout=CAP)
    check(r.returncode == 0, "psql: %s" % r.stderr.strip())
    return r.stdout.strip()


def invariants(label):
    r = subprocess.run([PSQL, DB, "-qAt", "-v", "ON_ERROR_STOP=1", "-f",
                        ENV["KOLO_FAULT_SQL"]], capture_output=True, text=True, timeout=CAP)
    check(r.returncode == 0, "invariants.sql: %s" % r.stderr.strip())
    check(r.stdout.strip() == "", "%s: invariants violated:\n%s" % (label, r.stdout.strip()))


# --- the product, over HTTP --------------------------------------------------

def mail_code(email, ext=".eml", since_ms=0):
    """The newest email code mailed to email: kolo-events writes each message
    of the embedded default as KOLO_MAIL_DIR/<unix_ms>-<event id>-<n>.eml,
    with the address in its To: header and "Your code: NNNNNN" in its text
    (an SMS, ext ".sms": a "To: +234..." line, a blank line, the text).
    since_ms: only files written then or later (their names start with it)."""
    folder = ENV["KOLO_MAIL_DIR"]

    def newest():
        for name in sorted(os.listdir(folder), reverse=True):
            if (name.startswith(".") or not name.endswith(ext)
                    or int(name.split("-", 1)[0]) < since_ms):
                continue
            with open(os.path.join(folder, name), errors="replace") as f:
                head, _, text = f.read().partition("\n\n")
            to = [h for h in head.splitlines() if h.lower().startswith("to:")]
            found = re.search(r"Your code: ([0-9]{6})", text)
            if to and email in to[0] and found:
                return found.group(1)
        return None
    return poll("the code of " + email, newest)


def verify_phone(user, phone):
    """PUT /v1/me/phone, then the code it sent by SMS (the .sms file in
    KOLO_MAIL_DIR) to POST /v1/me/phone/verify: only a proved number gets
    SMS."""
    since_ms = int(time.time() * 1000)
    expect(200, "PUT", "/v1/me/phone", {"phone": phone}, user.token)
    expect(200, "POST", "/v1/me/phone/verify", {"code": mail_code(phone, ".sms", since_ms)},
           user.token)


class User:
    counter = 0

    def __init__(self, tag):
        User.counter += 1
        self.email = "%s-%d-%d@example.com" % (tag, os.getpid(), User.counter)
        self.name = "Fault " + tag
        reply = expect(201, "POST", "/v1/auth/register",
                       {"email": self.email, "password": PASSWORD, "name": self.name})
        self.token = reply["access_token"]
        self.id = expect(200, "GET", "/v1/me", token=self.token)["id"]
        # Groups add only verified emails (DESIGN §16): verify as a user does.
        expect(200, "POST", "/v1/me/email/verify", {"code": mail_code(self.email)},
               self.token)
        expect(201, "POST", "/v1/me/pin", {"pin": PIN}, self.token)


class Group:
    def __init__(self, owner, name):
        self.owner = owner
        reply = expect(201, "POST", "/v1/groups",
                       {"name": name, "rule_template": "single_officer"}, owner.token)
        self.id = reply["id"]
        poll("the account of " + name, lambda: http(
            "GET", "/v1/groups/%s/account" % self.id, token=owner.token)[1]
            .get("status") == "active")
        # The tx_ref deposits are matched by, as payments stored it.
        self.tx_ref = psql("SELECT client_ref FROM va_request WHERE group_id = '%s'" % self.id)
        check(self.tx_ref, "no va_request for " + name)
        # The account Paystack's deposits name.
        self.number = psql("SELECT virtual_account_number FROM account"
                           " WHERE group_id = '%s'" % self.id)

    def balance(self):
        status, reply = http("GET", "/v1/groups/%s/balance" % self.id, token=self.owner.token)
        check(status == 200, "balance: %s %s" % (status, reply))
        return int(reply["balance_kobo"])

    def wait_balance(self, kobo, cap=CAP):
        poll("balance of %s = %d" % (self.id, kobo), lambda: self.balance() == kobo, cap)

    def withdraw(self, kobo, reason):
        """Requests a withdrawal (single officer: approved at once, paid out
        at once); returns the HTTP status, whatever it is."""
        try:
            return http("POST", "/v1/groups/%s/withdrawals" % self.id,
                        {"amount_kobo": kobo, "beneficiary": BENEFICIARY,
                         "reason": reason, "pin": PIN}, self.owner.token, timeout=60)[0]
        except OSError as e:
            return repr(e)

    def withdrawal_id(self):
        """The group's one withdrawal (each scenario makes one)."""
        return poll("the withdrawal of " + self.id, lambda: psql(
            "SELECT id FROM withdrawal_request WHERE group_id = '%s'" % self.id))

    def payout_id(self):
        return poll("the payout of " + self.id, lambda: psql(
            "SELECT id FROM payout WHERE group_id = '%s'" % self.id))

    def withdrawal_status(self, wid):
        status, reply = http("GET", "/v1/withdrawals/" + wid, token=self.owner.token)
        check(status == 200, "withdrawal: %s %s" % (status, reply))
        return reply["status"]


TX = [int(time.time()) % 100000 * 1000]


class Deposit:
    """A bank transfer into a group's virtual account: registered with the
    fake (what verify answers) and announced by a signed webhook."""

    def __init__(self, group, naira, payer=None):
        TX[0] += 1
        # Flutterwave's transaction id, or a Paystack reference.
        self.id = str(TX[0]) if P is Flutterwave else "fault-dep-%d" % TX[0]
        self.group = group
        whole, _, frac = naira.partition(".")
        self.kobo = int(whole) * 100 + int((frac + "00")[:2])
        P.register(self.id, group, self.kobo, payer)
        self.body = P.deposit_body(self.id, group, self.kobo)

    def deliver(self, timeout=15):
        return P.deliver(self.body, timeout)

    def deliver_until_accepted(self):
        """As a provider does: again until the endpoint answers 200."""
        return poll("webhook %s accepted" % self.id,
                    lambda: (lambda r: r[1] if r[0] == 200 else None)(self.deliver()))

    def credits(self):
        return int(psql("SELECT count(*) FROM ledger_entry WHERE reference = '%s'"
                        " AND type = 'CREDIT'" % self.id))

    def credited_to(self):
        """The member the credit names ("" for none: unallocated)."""
        return psql("SELECT coalesce(user_id::text, '') FROM ledger_entry"
                    " WHERE reference = '%s' AND type = 'CREDIT'" % self.id)

    def events_pending(self):
        return int(psql("SELECT count(*) FROM webhook_event WHERE NOT processed"
                        " AND raw_payload #>> '%s' = '%s'" % (P.EVENT_REFERENCE, self.id)))

    def settled(self):
        """Credited once, and every stored delivery processed."""
        poll("deposit %s credited" % self.id, lambda: self.credits() >= 1)
        poll("deliveries of %s processed" % self.id, lambda: self.events_pending() == 0)
        check(self.credits() == 1, "deposit %s: %d credits" % (self.id, self.credits()))


def fund(group, naira):
    d = Deposit(group, naira)
    reply = d.deliver_until_accepted()
    # "duplicate" when the worker, which may pick a stored event up at once,
    # credited it first.
    check(reply.get("status") in ("processed", "duplicate"), "deposit: %s" % reply)
    d.settled()
    return d


class BalanceLock:
    """A group's ledger_balance row held FOR UPDATE by a psql session of our
    own (a context manager): the ledger's next posting for the group waits
    on it, so a payments call can be caught while its credit or debit is at
    the ledger. Leaving the block rolls back and ends the session, also when
    a check inside failed."""
    TABLE = "ledger_balance"
    KEY = "group_id"

    def __init__(self, group):
        self.group = group
        self.name = "kolo-fault-lock-%d-%s" % (os.getpid(), self.TABLE.strip('"'))
        self.p = None

    def __enter__(self):
        env = dict(os.environ, PGAPPNAME=self.name)
        self.p = subprocess.Popen([PSQL, DB, "-qAt", "-v", "ON_ERROR_STOP=1"],
                                  stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL, text=True, env=env)
        try:
            self.p.stdin.write("BEGIN;\nSELECT 1 FROM %s WHERE %s = '%s' FOR UPDATE;\n"
                               % (self.TABLE, self.KEY, self.group.id))
            self.p.stdin.flush()
            poll("the balance row of %s locked" % self.group.id, lambda: psql(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = '%s'"
                " AND state = 'idle in transaction'" % self.name) == "1")
        except BaseException:
            self.release()
            raise
        return self

    def waited_on(self, running=""):
        """Some backend of this database is waiting for our session's lock
        (running a statement that contains `running`, when given)."""
        return int(psql(
            "SELECT count(*) FROM pg_stat_activity a, pg_stat_activity us"
            " WHERE us.application_name = '%s' AND a.datname = current_database()"
            " AND us.pid = ANY (pg_blocking_pids(a.pid)) AND a.query LIKE '%%%s%%'"
            % (self.name, running))) >= 1

    def end_waiters(self):
        """Ends the database sessions waiting for our lock (as a database
        that noticed their client died would): their statement never runs."""
        psql("SELECT count(pg_terminate_backend(a.pid)) FROM pg_stat_activity a,"
             " pg_stat_activity us WHERE us.application_name = '%s'"
             " AND us.pid = ANY (pg_blocking_pids(a.pid))" % self.name)

    def release(self):
        """Rolls back and ends the session (once; later calls do nothing)."""
        if self.p is None:
            return
        p, self.p = self.p, None
        try:
            p.stdin.write("ROLLBACK;\n")
            p.stdin.close()
            p.wait(timeout=CAP)
        except (OSError, subprocess.TimeoutExpired):
            p.kill()
            p.wait()

    def __exit__(self, *exc):
        self.release()
        return False


class GroupLock(BalanceLock):
    """The group's own row held FOR UPDATE: every change of the group (a
    membership change, a proposal applied) takes it first."""
    TABLE = '"group"'
    KEY = "id"


def wait_member_role(g, user, role):
    poll("%s %s in %s" % (user.email, role, g.id), lambda: psql(
        "SELECT m.role_in_group FROM group_membership m JOIN \"user\" u ON u.id = m.user_id"
        " WHERE m.group_id = '%s' AND u.email = '%s'" % (g.id, user.email)) == role)


def wait_rule(g, template):
    poll("rule %s of %s" % (template, g.id), lambda: psql(
        "SELECT rule_template FROM \"group\" WHERE id = '%s'" % g.id) == template)


def two_officer_group(owner, name, treasurer_name, naira):
    """A group of owner and a new TREASURER under the two_officer rule (the
    owner's proposals pass alone under the single-officer rule and apply
    after the time-lock, KOLO_GOVERNANCE_DELAY_S), funded with naira."""
    treasurer = User(treasurer_name)
    g = Group(owner, name)
    expect(202, "POST", "/v1/groups/%s/members" % g.id,
           {"email": treasurer.email, "role": "TREASURER"}, owner.token)
    wait_member_role(g, treasurer, "TREASURER")
    expect(202, "PATCH", "/v1/groups/%s" % g.id, {"rule_template": "two_officer"}, owner.token)
    wait_rule(g, "two_officer")
    fund(g, naira)
    g.wait_balance(int(round(float(naira) * 100)))
    return g, treasurer


def request_withdrawal(g, owner, kobo, reason, label):
    """A withdrawal request of kobo by owner; its id."""
    status, reply = http("POST", "/v1/groups/%s/withdrawals" % g.id,
                         {"amount_kobo": kobo, "beneficiary": BENEFICIARY,
                          "reason": reason, "pin": PIN}, owner.token)
    check(status == 201, "%s: request %s %s" % (label, status, reply))
    return reply["id"]


def wait_money_acts(owner):
    """Money acts follow identity's ended sessions: they fail closed (503
    sessions_unknown) until groups and withdrawals have reached identity
    (after a start or a restart). Acts on nothing at all change nothing and
    answer 404 once let in."""
    nothing = "00000000-0000-4000-8000-000000000000"
    poll("withdrawal acts answered",
         lambda: http("POST", "/v1/withdrawals/%s/decline" % nothing, {"pin": PIN},
                      token=owner.token)[0] == 404)
    poll("group acts answered",
         lambda: http("PATCH", "/v1/groups/%s" % nothing, {"name": "nothing"},
                      token=owner.token)[0] == 404)


def in_background(fn):
    box = {}

    def run():
        try:
            box["result"] = fn()
        except Exception as e:  # reported by the caller if it matters
            box["error"] = e

    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t, box


def transfers_created(ref):
    return fake("/_control/stats")["transfers_created"].get(ref, 0)


def fake_requests(path):
    return fake("/_control/stats")["requests"].get(path, 0)


def debits_of(wid):
    return int(psql("SELECT count(*) FROM ledger_entry WHERE type = 'DEBIT'"
                    " AND reference LIKE 'payout:%s%%'" % wid))


def reversals_of(wid):
    return int(psql("SELECT count(*) FROM ledger_entry WHERE type = 'CREDIT'"
                    " AND reference LIKE 'reversal:%s%%'" % wid))


# --- scenarios ---------------------------------------------------------------

def scenario_a(owner):
    """kill -9 payments while a payout's transfer request is at the provider."""
    g = Group(owner, "Fault A")
    fund(g, "5000.00")
    g.wait_balance(500000)
    # Every transfer call slow (the worker may ask too): none completes
    # before the kill.
    fake_mode("transfers", "slow:15000", 0)
    posts = fake_requests(P.TRANSFER_POST)
    t, _ = in_background(lambda: g.withdraw(120000, "fault a"))
    wid = g.withdrawal_id()
    pid = g.payout_id()
    poll("the transfer reaching the fake", lambda: transfers_created(pid) == 1)
    kill9("payments")
    stage = psql("SELECT stage || '/' || status FROM payout WHERE id = '%s'" % pid)
    log("a: payments killed with the transfer in flight (payout %s)" % stage)
    t.join(CAP)
    fake_mode("transfers", "ok")
    fake("/_control/transfer_status", {"reference": pid, "status": P.SUCCESS})
    restart("payments")
    poll("withdrawal %s PAID" % wid, lambda: g.withdrawal_status(wid) == "PAID")
    check(transfers_created(pid) == 1, "a: %d transfers" % transfers_created(pid))
    check(fake_requests(P.TRANSFER_POST) == posts + 1,
          "a: %d transfer requests" % (fake_requests(P.TRANSFER_POST) - posts))
    check(debits_of(wid) == 1, "a: %d debits" % debits_of(wid))
    check(reversals_of(wid) == 0, "a: a reversal")
    check(g.balance() == 500000 - 120000, "a: balance %d" % g.balance())
    check(psql("SELECT status || '/' || stage FROM payout WHERE id = '%s'" % pid)
          == "SUCCESS/settled", "a: payout not SUCCESS/settled")
    invariants("a")


def scenario_b(owner):
    """kill -9 payments while a deposit's verification is at the provider."""
    g = Group(owner, "Fault B")
    d = Deposit(g, "2500.50")
    # Every verification slow, not just the first: the worker may pick the
    # stored event up next to the handler (it is due at once).
    fake_mode("verify", "slow:15000", 0)
    verify_path = P.verify_path(d.id)
    t, _ = in_background(lambda: d.deliver(timeout=30))
    poll("the verification reaching the fake", lambda: fake_requests(verify_path) >= 1)
    kill9("payments")
    t.join(CAP)
    check(d.credits() == 0, "b: credited before the verification finished")
    fake_mode("verify", "ok")
    restart("payments")
    d.deliver_until_accepted()  # the provider retries
    g.wait_balance(250050)
    d.settled()
    reply = d.deliver_until_accepted()
    check(reply.get("status") == "duplicate", "b: another delivery: %s" % reply)
    d.settled()
    check(g.balance() == 250050, "b: balance %d" % g.balance())
    invariants("b")


def kyc_verified(user):
    """The user's identity check as verified under their own name, written
    as the suite's superuser (the providers' consent flows are tested in
    test_kyc): a provider that names holders takes payer accounts only from
    verified users, matched against the name identity verified (DESIGN §15)."""
    psql("INSERT INTO user_kyc (user_id, id_type, status, id_hash, last3, provider,"
         " checked_at, verified_at, verified_name)"
         " SELECT id, 'bvn', 'verified', 'fault:' || id, '789', 'test', now(), now(), name"
         " FROM \"user\" WHERE id = '%s'"
         " ON CONFLICT (user_id) DO UPDATE SET status = 'verified',"
         " verified_at = now(), verified_name = excluded.verified_name" % user.id)


def payer_account(user, number):
    """Registers number (GTBank, 058) as an account user pays from; the fake
    resolves it to the user's name. The payer tuple deposits carry, its bank
    named as the provider's own list names it (payments maps it to 058)."""
    kyc_verified(user)
    fake("/_control/account_name", {"account_number": number, "name": user.name.upper()})
    expect(201, "POST", "/v1/me/payer-accounts", {"bank_code": "058", "account_number": number},
           user.token)
    return (number, user.name.upper(), P.GTB_NAME)


def scenario_c(owner):
    """The ledger stopped while webhooks arrive: stored, then credited once,
    each to the member who paid (a registered sender), or unallocated (an
    unknown sender, none). Then groups stopped: a deposit waits for it to
    say who paid, and is credited to the member once it is back."""
    g = Group(owner, "Fault C")
    mine = payer_account(owner, "6%09d" % (os.getpid() % 10**9))
    stranger = ("7%09d" % (os.getpid() % 10**9), "FAULT STRANGER", P.GTB_NAME)
    deposits = [Deposit(g, "100.00", mine), Deposit(g, "200.25", stranger),
                Deposit(g, "300.50")]
    terminate("ledger")
    try:
        for d in deposits + deposits[:1]:
            status, reply = d.deliver()
            # The contract: 200 once the event is stored and signed; the
            # credit waits for the ledger (DESIGN §8, decisions "Webhooks").
            check(status == 200 and reply.get("status") == "queued",
                  "c: delivery with the ledger down: %s %s" % (status, reply))
        check(sum(d.credits() for d in deposits) == 0, "c: credited without a ledger")
    finally:
        restart("ledger")
    want = sum(d.kobo for d in deposits)
    # Each failed try doubles the event's backoff (1, 2, 4, 8 s...): more room.
    g.wait_balance(want, cap=2 * CAP)
    for d in deposits:
        d.settled()
    check(g.balance() == want, "c: balance %d, want %d" % (g.balance(), want))
    credited = [d.credited_to() for d in deposits]
    check(credited == [owner.id, "", ""], "c: credited to %s" % credited)
    late = Deposit(g, "50.00", mine)
    terminate("groups")
    try:
        status, reply = late.deliver()
        check(status == 200 and reply.get("status") == "queued",
              "c: delivery with groups down: %s %s" % (status, reply))
        check(late.credits() == 0, "c: credited while groups could not say who paid")
    finally:
        restart("groups")
    late.settled()
    check(late.credited_to() == owner.id, "c: late deposit credited to %r" % late.credited_to())
    check(g.balance() == want + 5000, "c: balance %d" % g.balance())
    invariants("c")


def pg_ctl(action):
    d, port, fsync = ENV["KOLO_FAULT_PG_DIR"], ENV["KOLO_FAULT_PG_PORT"], ENV["KOLO_FAULT_PG_FSYNC"]
    cmd = {"stop": 'kolo_pg_stop "$1" fast',
           "start": 'kolo_pg_start "$1" "$2" "$3" >/dev/null'}[action]
    r = subprocess.run(["bash", "-c", '. "$0"; ' + cmd, ENV["KOLO_FAULT_PGLIB"], d, port,
                        fsync], capture_output=True, text=True, timeout=90)
    check(r.returncode == 0, "pg %s: %s" % (action, r.stderr.strip()))


def scenario_d(owner):
    """PostgreSQL stopped (fast) under load and started again: the services
    answer correctly again without a restart."""
    g = Group(owner, "Fault D")
    fund(g, "1000.00")
    during = [Deposit(g, "10.10"), Deposit(g, "20.20")]
    stop = threading.Event()
    seen = {}

    def load():
        i = 0
        while not stop.is_set():
            i += 1
            try:
                if i % 3 == 0:
                    status = during[i % 2].deliver(timeout=10)[0]
                elif i % 3 == 1:
                    status = http("GET", "/v1/groups/%s/balance" % g.id, token=owner.token,
                                  timeout=10)[0]
                else:
                    status = http("GET", "/v1/groups/%s/ledger" % g.id, token=owner.token,
                                  timeout=10)[0]
            except OSError:
                status = "error"
            seen[status] = seen.get(status, 0) + 1
            time.sleep(0.02)

    t = threading.Thread(target=load, daemon=True)
    t.start()
    time.sleep(0.5)
    try:
        pg_ctl("stop")
        time.sleep(1.5)
    finally:
        pg_ctl("start")
    time.sleep(0.5)
    stop.set()
    t.join(CAP)
    log("d: answers while PostgreSQL went away and came back: %s" % seen)
    for name, p in PROCS.items():
        check(p.poll() is None, "d: kolo-%s exited (%s)" % (name, p.returncode))
    poll("a balance read", lambda: http("GET", "/v1/groups/%s/balance" % g.id,
                                        token=owner.token)[0] == 200)
    for d in during:
        d.deliver_until_accepted()
    after = Deposit(g, "30.30")
    after.deliver_until_accepted()
    want = 100000 + sum(d.kobo for d in during) + after.kobo
    g.wait_balance(want)
    for d in during + [after]:
        d.settled()
    # Every service's database connection works again.
    poll("a login", lambda: http("POST", "/v1/auth/login",
                                 {"email": owner.email, "password": PASSWORD})[0] == 200)
    poll("a group read", lambda: http("GET", "/v1/groups/" + g.id, token=owner.token)[0] == 200)
    poll("a withdrawal list", lambda: http("GET", "/v1/groups/%s/withdrawals" % g.id,
                                           token=owner.token)[0] == 200)
    check(g.balance() == want, "d: balance %d, want %d" % (g.balance(), want))
    for name, p in PROCS.items():
        check(p.poll() is None, "d: kolo-%s exited (%s)" % (name, p.returncode))
    invariants("d")


def scenario_e(owner):
    """The provider: 500s after doing the work, then 500s to every question,
    then recovery -> PAID, one transfer; slower than our timeout and then a
    failed transfer -> FAILED, reversed, the money back; a 500 before doing
    anything -> not found, sent again (same reference) once
    KOLO_PAYMENTS_RESEND_AFTER_S has passed -> PAID, one transfer."""
    g = Group(owner, "Fault E1")
    fund(g, "3000.00")
    fake_mode("transfers", "created_fail500", 1)
    posts = fake_requests(P.TRANSFER_POST)
    g.withdraw(50000, "fault e1")
    wid = g.withdrawal_id()
    pid = g.payout_id()
    poll("the transfer reaching the fake", lambda: transfers_created(pid) == 1)
    fake_mode("transfers", "fail500", 0)
    before = P.transfer_reads(pid)
    poll("payments asking again", lambda: P.transfer_reads(pid) >= before + 3)
    check(g.withdrawal_status(wid) == "APPROVED", "e1: paid while the provider fails")
    fake_mode("transfers", "ok")
    fake("/_control/transfer_status", {"reference": pid, "status": P.SUCCESS})
    poll("withdrawal %s PAID" % wid, lambda: g.withdrawal_status(wid) == "PAID")
    check(transfers_created(pid) == 1, "e1: %d transfers" % transfers_created(pid))
    check(fake_requests(P.TRANSFER_POST) == posts + 1,
          "e1: %d transfer requests" % (fake_requests(P.TRANSFER_POST) - posts))
    check(debits_of(wid) == 1 and reversals_of(wid) == 0,
          "e1: %d debits, %d reversals" % (debits_of(wid), reversals_of(wid)))
    check(g.balance() == 300000 - 50000, "e1: balance %d" % g.balance())
    invariants("e1")

    g = Group(owner, "Fault E2")
    fund(g, "2000.00")
    timeout_ms = int(ENV[P.TIMEOUT_MS])
    fake_mode("transfers", "slow:%d" % (timeout_ms * 3), 1)
    posts = fake_requests(P.TRANSFER_POST)
    g.withdraw(70000, "fault e2")
    wid = g.withdrawal_id()
    pid = g.payout_id()
    poll("the transfer reaching the fake", lambda: transfers_created(pid) == 1)
    poll("payout %s sent, outcome unknown" % pid, lambda: psql(
        "SELECT stage || '/' || status FROM payout WHERE id = '%s'" % pid) == "sent/PENDING")
    fake("/_control/transfer_status", {"reference": pid, "status": P.FAILED})
    poll("payout %s reversed" % pid, lambda: psql(
        "SELECT stage || '/' || status FROM payout WHERE id = '%s'" % pid) == "reversed/FAILED")
    g.wait_balance(200000)
    poll("withdrawal %s showing the failure" % wid, lambda: psql(
        "SELECT status || '/' || coalesce(payout_status, '') FROM withdrawal_request"
        " WHERE id = '%s'" % wid) == "PAYOUT_FAILED/FAILED")
    check(transfers_created(pid) == 1, "e2: %d transfers" % transfers_created(pid))
    check(fake_requests(P.TRANSFER_POST) == posts + 1,
          "e2: %d transfer requests" % (fake_requests(P.TRANSFER_POST) - posts))
    check(debits_of(wid) == 1 and reversals_of(wid) == 1,
          "e2: %d debits, %d reversals" % (debits_of(wid), reversals_of(wid)))
    check(psql("SELECT count(*) FROM payout_recovery WHERE withdrawal_id = '%s'" % wid) == "1",
          "e2: no payout_recovery row")
    invariants("e2")

    g = Group(owner, "Fault E3")
    fund(g, "1000.00")
    fake_mode("transfers", "fail500", 1)
    posts = fake_requests(P.TRANSFER_POST)
    g.withdraw(40000, "fault e3")
    wid = g.withdrawal_id()
    pid = g.payout_id()
    poll("the transfer sent again and reaching the fake",
         lambda: transfers_created(pid) == 1)
    check(fake_requests(P.TRANSFER_POST) == posts + 2,
          "e3: %d transfer requests" % (fake_requests(P.TRANSFER_POST) - posts))
    fake("/_control/transfer_status", {"reference": pid, "status": P.SUCCESS})
    poll("withdrawal %s PAID" % wid, lambda: g.withdrawal_status(wid) == "PAID")
    check(transfers_created(pid) == 1, "e3: %d transfers" % transfers_created(pid))
    check(debits_of(wid) == 1 and reversals_of(wid) == 0,
          "e3: %d debits, %d reversals" % (debits_of(wid), reversals_of(wid)))
    check(g.balance() == 100000 - 40000, "e3: balance %d" % g.balance())
    invariants("e3")


def scenario_f(owner):
    """kill -9 withdrawals and the gateway while an approved withdrawal's
    transfer is at the provider, then groups and identity: after the
    restarts the withdrawal ends PAID with one transfer and one debit, and
    every service answers again."""
    g = Group(owner, "Fault F")
    fund(g, "4000.00")
    g.wait_balance(400000)
    fake_mode("transfers", "slow:15000", 0)
    posts = fake_requests(P.TRANSFER_POST)
    t, _ = in_background(lambda: g.withdraw(90000, "fault f"))
    wid = g.withdrawal_id()
    pid = g.payout_id()
    poll("the transfer reaching the fake", lambda: transfers_created(pid) == 1)
    kill9("withdrawals")
    kill9("gateway")
    log("f: withdrawals and the gateway killed with the transfer in flight")
    t.join(CAP)
    fake_mode("transfers", "ok")
    fake("/_control/transfer_status", {"reference": pid, "status": P.SUCCESS})
    restart("gateway")
    restart("withdrawals")
    poll("withdrawal %s PAID" % wid, lambda: g.withdrawal_status(wid) == "PAID")
    check(transfers_created(pid) == 1, "f: %d transfers" % transfers_created(pid))
    check(fake_requests(P.TRANSFER_POST) == posts + 1,
          "f: %d transfer requests" % (fake_requests(P.TRANSFER_POST) - posts))
    check(debits_of(wid) == 1 and reversals_of(wid) == 0,
          "f: %d debits, %d reversals" % (debits_of(wid), reversals_of(wid)))
    check(g.balance() == 400000 - 90000, "f: balance %d" % g.balance())
    # groups and identity killed: calls that need them fail cleanly (5xx),
    # and answer again after the restarts without touching anyone else.
    kill9("groups")
    kill9("identity")
    status = http("GET", "/v1/groups/%s/balance" % g.id, token=owner.token)[0]
    check(status in (502, 503, 504), "f: balance without groups: %s" % status)
    restart("groups")
    restart("identity")
    poll("the balance read again", lambda: g.balance() == 400000 - 90000)
    poll("/v1/me answered again",
         lambda: http("GET", "/v1/me", token=owner.token)[0] == 200)
    wait_money_acts(owner)
    invariants("f")


def scenario_g(owner):
    """kill -9 payments while a deposit's credit is at the ledger (waiting
    on the group's balance row): the ledger finishes the posting after
    payments died, so payments restarts with the money moved but its own
    record behind. Restarted, the deposit is credited once. (A payout's
    debit caught the same way is scenario i.)"""
    g = Group(owner, "Fault G1")
    fund(g, "100.00")
    g.wait_balance(10000)
    d = Deposit(g, "321.09")
    with BalanceLock(g) as lock:
        t, _ = in_background(lambda: d.deliver(timeout=30))
        poll("the credit waiting at the ledger", lock.waited_on)
        kill9("payments")
    t.join(CAP)
    log("g1: payments killed with the credit at the ledger; credits now: %d" % d.credits())
    restart("payments")
    d.deliver_until_accepted()  # the provider retries
    g.wait_balance(10000 + 32109)
    d.settled()
    invariants("g1")


def scenario_h(owner):
    """kill -9 payments while a failed transfer's reversal credit is at the
    ledger (waiting on the group's balance row): restarted, the payout is
    reversed once, on record for people, and the money is back."""
    g = Group(owner, "Fault H")
    fund(g, "1500.00")
    g.wait_balance(150000)
    posts = fake_requests(P.TRANSFER_POST)
    # The next transfer fails at once, and its answer takes a moment (under
    # our provider timeout): time to hold the balance row before the
    # reversal is posted.
    fake_mode("transfers", "fail_immediately", 1)
    fake_mode("transfers", "slow:1500", 1)
    t, _ = in_background(lambda: g.withdraw(60000, "fault h"))
    wid = g.withdrawal_id()
    pid = g.payout_id()
    poll("the transfer reaching the fake", lambda: transfers_created(pid) == 1)
    with BalanceLock(g) as lock:
        poll("the reversal waiting at the ledger", lock.waited_on)
        kill9("payments")
    t.join(CAP)
    log("h: payments killed with the reversal at the ledger; reversals now: %d"
        % reversals_of(wid))
    restart("payments")
    poll("payout %s reversed" % pid, lambda: psql(
        "SELECT stage || '/' || status FROM payout WHERE id = '%s'" % pid) == "reversed/FAILED")
    g.wait_balance(150000)
    check(debits_of(wid) == 1 and reversals_of(wid) == 1,
          "h: %d debits, %d reversals" % (debits_of(wid), reversals_of(wid)))
    check(transfers_created(pid) == 1, "h: %d transfers" % transfers_created(pid))
    check(fake_requests(P.TRANSFER_POST) == posts + 1,
          "h: %d transfer requests" % (fake_requests(P.TRANSFER_POST) - posts))
    check(psql("SELECT count(*) FROM payout_recovery WHERE withdrawal_id = '%s'" % wid) == "1",
          "h: no payout_recovery row")
    invariants("h")


def scenario_i(owner):
    """Two withdrawals racing for one balance, under kill -9: a two-officer
    group holds 100.00; the first request holds all of it, so a second is
    refused at request time (DESIGN §13). Payments is killed with the first
    one's debit (the capture of its hold) claimed and waiting at the
    ledger; restarted, the worker takes the idle claim over (the same
    capture: a replay or the first) and pays it once. After a deposit the
    second is made, approved and paid once. Each attempt: paid once or
    nothing moved; nothing stays held."""
    g, treasurer = two_officer_group(owner, "Fault I", "treasurer", "100.00")

    def ask(reason):
        return http("POST", "/v1/groups/%s/withdrawals" % g.id,
                    {"amount_kobo": 10000, "beneficiary": BENEFICIARY, "reason": reason,
                     "pin": PIN}, owner.token)

    status, reply = ask("fault i first")
    check(status == 201, "i: first request %s %s" % (status, reply))
    first = reply["id"]
    status, reply = ask("fault i second")
    check(status != 201 and "insufficient_funds" in json.dumps(reply),
          "i: a second request over the held money %s %s" % (status, reply))
    fake_mode("transfers", "succeed_immediately", 2)

    def approve(wid):
        return http("POST", "/v1/withdrawals/%s/approve" % wid, {"pin": PIN},
                    treasurer.token, timeout=60)

    with BalanceLock(g) as lock:
        t, _ = in_background(lambda: approve(first))
        # (withdrawals' renewal of the hold waits first, gives up after
        # KOLO_LEDGER_LOCK_WAIT_MS and lets the payout go on)
        poll("the first capture waiting at the ledger",
             lambda: lock.waited_on("ledger_capture_hold"))
        kill9("payments")
    t.join(CAP)
    restart("payments")
    poll("first withdrawal PAID", lambda: g.withdrawal_status(first) == "PAID")
    check(debits_of(first) == 1 and reversals_of(first) == 0,
          "i: first %d debits, %d reversals" % (debits_of(first), reversals_of(first)))
    check(psql("SELECT count(*) FROM ledger_hold WHERE reference = 'withdrawal:%s'"
               " AND status = 'captured'" % first) == "1", "i: the first hold not captured once")
    fund(g, "100.00")
    g.wait_balance(10000)
    status, reply = ask("fault i second")
    check(status == 201, "i: second request after the deposit %s %s" % (status, reply))
    second = reply["id"]
    status, reply = approve(second)
    check(status == 200, "i: second approval %s %s" % (status, reply))
    poll("second withdrawal PAID", lambda: g.withdrawal_status(second) == "PAID")
    check(debits_of(second) == 1 and reversals_of(second) == 0,
          "i: second %d debits, %d reversals" % (debits_of(second), reversals_of(second)))
    check(g.balance() == 0, "i: balance %d" % g.balance())
    check(psql("SELECT count(*) FROM ledger_hold WHERE group_id = '%s'"
               " AND status = 'held'" % g.id) == "0", "i: money still held")
    invariants("i")


def scenario_j(owner):
    """kill -9 groups between a proposal passing and its change applying
    (the apply waiting on the group's row): restarted, the worker applies it
    once; a second proposal then needs the new rule's two officers."""
    treasurer = User("treasurer-j")
    g = Group(owner, "Fault J")
    expect(202, "POST", "/v1/groups/%s/members" % g.id,
           {"email": treasurer.email, "role": "TREASURER"}, owner.token)
    wait_member_role(g, treasurer, "TREASURER")
    # Passed at once (the owner alone, under one officer); applies after the
    # time-lock, by then waiting on our hold of the group's row.
    expect(202, "PATCH", "/v1/groups/%s" % g.id, {"rule_template": "two_officer"}, owner.token)
    with GroupLock(g) as lock:
        pid = psql("SELECT id FROM group_proposal WHERE group_id = '%s'"
                   " AND kind = 'rule' AND status = 'PASSED'" % g.id)
        check(pid, "j: the rule proposal did not pass")
        poll("the apply waiting on the group's row", lock.waited_on)
        kill9("groups")
    restart("groups")
    wait_rule(g, "two_officer")
    check(psql("SELECT status FROM group_proposal WHERE id = '%s'" % pid) == "APPLIED",
          "j: proposal not APPLIED")
    check(psql("SELECT count(*) FROM group_proposal WHERE group_id = '%s'"
               " AND status = 'APPLIED' AND kind = 'rule'" % g.id) == "1",
          "j: applied more than once")
    # Now two officers decide: the owner's next proposal waits for the treasurer.
    # (The gateway's channel to the restarted groups may need a moment: a
    # 503 reached nobody, so asking again cannot make two proposals.)
    status, reply = poll("groups answering the gateway again", lambda: (
        lambda r: r if r[0] != 503 else None)(http(
            "PATCH", "/v1/groups/%s" % g.id, {"rule_template": "single_officer"}, owner.token)))
    check(status == 202 and reply.get("status") == "PENDING",
          "j: a proposal under two_officer %s %s" % (status, reply))
    expect(200, "POST", "/v1/proposals/%s/cancel" % reply["id"], None, owner.token)
    invariants("j")


def scenario_k(owner):
    """kill -9 withdrawals while a request's hold is at the ledger (inside
    its create transaction, waiting on the group's balance row): the ledger
    places the hold after the request's transaction died, so a hold with no
    request is left, placed for the create's grace only (DESIGN §13,
    WDR_HOLD_GRACE_S): once that passes it stops counting and the ledger's
    sweeper ends it on record; the money is whole and a new request pays."""
    g = Group(owner, "Fault K")
    fund(g, "300.00")
    g.wait_balance(30000)
    with BalanceLock(g) as lock:
        t, _ = in_background(lambda: g.withdraw(30000, "fault k"))
        poll("the hold waiting at the ledger", lambda: lock.waited_on("ledger_place_hold"))
        kill9("withdrawals")
    t.join(CAP)
    restart("withdrawals")
    poll("the orphan hold placed", lambda: psql(
        "SELECT count(*) FROM ledger_hold WHERE group_id = '%s'" % g.id) == "1")
    check(psql("SELECT count(*) FROM withdrawal_request WHERE group_id = '%s'" % g.id) == "0",
          "k: a request was made")
    check(psql("SELECT expires_at <= created_at + interval '121 seconds' FROM ledger_hold"
               " WHERE group_id = '%s'" % g.id) == "t", "k: the orphan hold outlives its grace")
    # The grace passes (moved forward here rather than waited for).
    psql("UPDATE ledger_hold SET expires_at = now() WHERE group_id = '%s'" % g.id)
    status, reply = http("GET", "/v1/groups/%s/balance" % g.id, token=owner.token)
    check(status == 200 and int(reply.get("available_kobo", -1)) == 30000,
          "k: money still held %s %s" % (status, reply))
    poll("the sweeper ending the orphan hold", lambda: psql(
        "SELECT status || '/' || closed_reason FROM ledger_hold WHERE group_id = '%s'"
        % g.id) == "released/expired")
    fake_mode("transfers", "succeed_immediately", 1)
    # (the gateway's channel to the restarted withdrawals may need a moment)
    poll("a new request made", lambda: g.withdraw(30000, "fault k again") == 201)
    wid = g.withdrawal_id()
    poll("withdrawal %s PAID" % wid, lambda: g.withdrawal_status(wid) == "PAID")
    check(debits_of(wid) == 1, "k: %d debits" % debits_of(wid))
    check(g.balance() == 0, "k: balance %d" % g.balance())
    invariants("k")


class HoldLock(BalanceLock):
    """A hold's own ledger_hold row held FOR UPDATE (by reference): a
    capture of a hold that cannot expire takes only that row (0017)."""
    TABLE = "ledger_hold"
    KEY = "reference"


class Ref:
    def __init__(self, ref):
        self.id = ref


def scenario_l(owner):
    """kill -9 payments and the ledger while an approved withdrawal's
    capture waits on its hold's own row (a hold that cannot expire is
    captured without the group's lock, 0017). The ledger's connection
    lives on at the database and may still commit the capture once the
    row is free; restarted, payments' worker takes the idle claim over and
    asks for the same capture: paid once, the hold captured once, folded
    into the group's balance row once, the money whole."""
    g, treasurer = two_officer_group(owner, "Fault L", "treasurer-l", "100.00")
    wid = request_withdrawal(g, owner, 6000, "fault l", "l")
    ref = "withdrawal:%s" % wid
    # As an approved request's hold: it no longer expires.
    psql("UPDATE ledger_hold SET expires_at = NULL WHERE reference = '%s'" % ref)
    fake_mode("transfers", "succeed_immediately", 1)
    with HoldLock(Ref(ref)) as lock:
        t, _ = in_background(lambda: http("POST", "/v1/withdrawals/%s/approve" % wid,
                                          {"pin": PIN}, treasurer.token, timeout=60))
        poll("the capture waiting on its hold's row",
             lambda: lock.waited_on("ledger_capture_hold"))
        # Not waiting on the group: its balance row is free.
        with BalanceLock(g):
            pass
        kill9("payments")
        kill9("ledger")
    t.join(CAP)
    restart("ledger")
    restart("payments")
    poll("withdrawal %s PAID" % wid, lambda: g.withdrawal_status(wid) == "PAID")
    check(debits_of(wid) == 1 and reversals_of(wid) == 0,
          "l: %d debits, %d reversals" % (debits_of(wid), reversals_of(wid)))
    check(psql("SELECT count(*) FROM ledger_hold WHERE reference = '%s'"
               " AND status = 'captured'" % ref) == "1", "l: the hold not captured once")
    poll("the capture folded into the balance row", lambda: psql(
        "SELECT count(*) FROM ledger_hold WHERE reference = '%s' AND folded_at IS NOT NULL"
        % ref) == "1")
    check(g.balance() == 4000, "l: balance %d" % g.balance())
    check(psql("SELECT balance_kobo FROM ledger_balance WHERE group_id = '%s'" % g.id) == "4000",
          "l: the balance row does not show the capture")
    invariants("l")


def scenario_m(owner):
    """kill -9 withdrawals between an approval's COMMIT and the renewal of
    the request's hold to no expiry (the renewal waiting on the hold's
    row): restarted, its worker renews it before the payout and the payout
    captures it; paid once, the hold captured once, nothing left held."""
    g, treasurer = two_officer_group(owner, "Fault M", "treasurer-m", "100.00")
    wid = request_withdrawal(g, owner, 7000, "fault m", "m")
    ref = "withdrawal:%s" % wid
    fake_mode("transfers", "succeed_immediately", 1)
    with HoldLock(Ref(ref)) as lock:
        t, _ = in_background(lambda: http("POST", "/v1/withdrawals/%s/approve" % wid,
                                          {"pin": PIN}, treasurer.token, timeout=60))
        poll("the renewal waiting on the hold's row",
             lambda: lock.waited_on("ledger_place_hold"))
        kill9("withdrawals")
        lock.end_waiters()
    t.join(CAP)
    check(psql("SELECT status FROM withdrawal_request WHERE id = '%s'" % wid) == "APPROVED",
          "m: the approval not committed")
    check(psql("SELECT expires_at IS NOT NULL FROM ledger_hold WHERE reference = '%s'" % ref)
          == "t", "m: the hold renewed before the kill")
    restart("withdrawals")
    poll("withdrawal %s PAID" % wid, lambda: g.withdrawal_status(wid) == "PAID")
    check(debits_of(wid) == 1 and reversals_of(wid) == 0,
          "m: %d debits, %d reversals" % (debits_of(wid), reversals_of(wid)))
    check(psql("SELECT status FROM ledger_hold WHERE reference = '%s'" % ref) == "captured",
          "m: the hold not captured")
    check(g.balance() == 3000, "m: balance %d" % g.balance())
    check(psql("SELECT count(*) FROM ledger_hold WHERE group_id = '%s' AND status = 'held'"
               % g.id) == "0", "m: money still held")
    invariants("m")


# --- events (DESIGN §16): scenario n ----------------------------------------------

# Who is told of what (shared/events/events.c): (officers always, members who
# opted in, the subject), and whether partners see it.
AUDIENCE = {
    "deposit.credited": (0, 1, 0, 1), "withdrawal.requested": (1, 1, 0, 1),
    "withdrawal.approved": (0, 1, 0, 1), "withdrawal.declined": (0, 1, 1, 1),
    "withdrawal.paid": (0, 1, 1, 1), "withdrawal.failed": (1, 0, 0, 1),
    "withdrawal.closed": (0, 1, 1, 1), "proposal.opened": (1, 1, 0, 1),
    "proposal.passed": (0, 1, 0, 1), "proposal.applied": (1, 1, 0, 1),
    "proposal.rejected": (0, 1, 0, 1), "member.added": (0, 1, 1, 1),
    "member.removed": (0, 1, 1, 1), "kyc.result": (0, 0, 1, 0),
    "user.email_code": (0, 0, 1, 0), "user.phone_code": (0, 0, 1, 0),
    "webhook.paused": (1, 0, 0, 1),
}
OPT_IN = sorted(t for t, a in AUDIENCE.items() if a[1])
SOURCES = ["identity", "groups", "ledger", "withdrawals", "payments"]


def expected_channels(etype, person, subject, actor):
    """evs_channels() as the contract states it: person is (user_id,
    is_officer, chose_all); every member of scenario n has a verified email
    and a phone."""
    officers, opt_in, to_subject, _ = AUDIENCE[etype]
    uid, is_officer, chose = person
    if uid == actor:
        return set()
    if (officers and is_officer) or (to_subject and uid == subject) or (opt_in and chose):
        return {"email", "sms"}
    return set()


class RowLock:
    """Rows held FOR UPDATE by a psql session of our own (as BalanceLock):
    `rows` is a SELECT ... FOR UPDATE. wait=False when the lock itself may
    have to queue (held() tells when it is ours)."""

    def __init__(self, name, rows, wait=True):
        self.name = "kolo-fault-%s-%d" % (name, os.getpid())
        self.rows = rows
        self.wait = wait
        self.p = None

    def __enter__(self):
        env = dict(os.environ, PGAPPNAME=self.name)
        self.p = subprocess.Popen([PSQL, DB, "-qAt", "-v", "ON_ERROR_STOP=1"],
                                  stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL, text=True, env=env)
        try:
            self.p.stdin.write("BEGIN;\n%s;\n" % self.rows)
            self.p.stdin.flush()
            if self.wait:
                poll("the rows of %s locked" % self.name, self.held)
        except BaseException:
            self.release()
            raise
        return self

    def held(self):
        return psql("SELECT count(*) FROM pg_stat_activity WHERE application_name = '%s'"
                    " AND state = 'idle in transaction'" % self.name) == "1"

    def waiting(self):
        """Our session waits for a lock."""
        return psql("SELECT count(*) FROM pg_stat_activity WHERE application_name = '%s'"
                    " AND wait_event_type = 'Lock'" % self.name) == "1"

    waited_on = BalanceLock.waited_on
    end_waiters = BalanceLock.end_waiters
    release = BalanceLock.release

    def __exit__(self, *exc):
        self.release()
        return False


class Receiver:
    """tests/fake_webhook_receiver: a partner's endpoint on loopback."""

    def __init__(self):
        here = os.path.dirname(os.path.abspath(__file__))
        self.p = subprocess.Popen(
            ["/usr/bin/python3", os.path.join(here, "..", "fake_webhook_receiver",
                                              "receiver.py"), "--port", "0", "--watch-stdin"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            text=True)
        line = self.p.stdout.readline()
        check(line.startswith("listening "), "the webhook receiver did not start: %r" % line)
        self.url = "http://127.0.0.1:%d" % int(line.split()[1])

    def control(self, what, body):
        check(request(self.url, "POST", "/_control/" + what, body)[0] == 200,
              "receiver control " + what)

    def deliveries(self, path):
        status, reply = request(self.url, "GET", "/_control/stats")
        check(status == 200, "receiver stats %s" % status)
        return [d for d in reply["deliveries"] if d["path"] == path]

    def stop(self):
        self.p.stdin.close()
        self.p.wait(timeout=CAP)


def outbox_counts():
    return {s: int(psql("SELECT count(*) FROM %s_outbox" % s)) for s in SOURCES}


def group_events(g):
    """[(seq, id, type, user_id, actor_id, data)] of g, in seq order."""
    rows = psql("SELECT coalesce(json_agg(json_build_array(group_seq, id, type,"
                " coalesce(user_id::text, ''), coalesce(actor_id::text, ''), data)"
                " ORDER BY group_seq), '[]') FROM events_event WHERE group_id = '%s'" % g.id)
    return [tuple(r) for r in json.loads(rows)]


def user_id(u):
    return psql("SELECT id FROM \"user\" WHERE email = '%s'" % u.email)


def settled_events(ids):
    """Every event of ids stored, fanned out, each message SENT."""
    where = "e.id = ANY ('{%s}'::uuid[])" % ",".join(ids)
    return psql("SELECT count(*) FROM events_event e WHERE %s AND e.fanned_out" % where) \
        == str(len(ids)) and psql(
            "SELECT count(*) FROM events_delivery d JOIN events_event e ON e.id = d.event_id"
            " WHERE %s AND d.status <> 'SENT'" % where) == "0"


def group_settled(g):
    evs = group_events(g)
    return evs and settled_events([e[1] for e in evs])


def mail_files(event_id, n, ext):
    """The files of delivery n of event_id: [(name, text)]."""
    folder = ENV["KOLO_MAIL_DIR"]
    out = []
    for name in os.listdir(folder):
        if name.endswith("-%s-%d.%s" % (event_id, n, ext)) and not name.startswith("."):
            with open(os.path.join(folder, name), errors="replace") as f:
                out.append((name, f.read()))
    return out


def header(text, name):
    head = text.partition("\n\n")[0]
    found = [h.split(":", 1)[1].strip() for h in head.splitlines()
             if h.lower().startswith(name.lower() + ":")]
    return found[0] if found else None


def check_messages(label, deliveries):
    """Each (id, event_id, channel, address) SENT delivery has its file in
    the mail dir; repeats (a kill between the write and the mark) are the
    same message: same Message-ID, same recipient."""
    for n, event_id, channel, address in deliveries:
        files = mail_files(event_id, n, "eml" if channel == "email" else "sms")
        check(files, "%s: no file for delivery %d (%s of %s)" % (label, n, channel, event_id))
        if channel == "email":
            ids = {header(t, "Message-ID") for _, t in files}
            tos = {header(t, "To") for _, t in files}
            check(len(ids) == 1 and None not in ids,
                  "%s: delivery %d has %d files with Message-IDs %s" % (label, n, len(files), ids))
            check(all(address in (to or "") for to in tos), "%s: delivery %d To %s, want %s"
                  % (label, n, tos, address))
        else:
            check(all(t.splitlines()[0] == "To: " + address for _, t in files),
                  "%s: SMS %d not to %s" % (label, n, address))


def scenario_n(owner):
    """kill -9 of each process while events are in flight: kolo-events
    mid-ingest (its store waiting on the group's number) and mid-delivery
    (a sent email code's mark waiting, a partner delivery at the receiver),
    identity, groups, the ledger and withdrawals each while kolo-events'
    ack of their outbox waits, payments and the gateway: every event the
    changes imply is stored once, numbered 1..n per group without gaps,
    every message (email and SMS files) and partner delivery made, none
    lost."""
    recv = Receiver()
    try:
        events_under_kills(recv)
    finally:
        recv.stop()


def events_under_kills(recv):
    # The cast: officers and a member who chose every optional type by
    # email and SMS, each with a phone.
    o, t, m = User("owner-n"), User("treasurer-n"), User("member-n")
    for i, u in enumerate((o, t, m)):
        verify_phone(u, "+23480%d%07d" % (i + 1, (os.getpid() * 7 + User.counter) % 10 ** 7))
    expect(200, "PUT", "/v1/me/notifications", {"email": OPT_IN, "sms": OPT_IN}, m.token)
    g = Group(o, "Fault N")
    # A partner endpoint of every type from the start.
    reply = expect(201, "POST", "/v1/groups/%s/webhooks" % g.id,
                   {"url": recv.url + "/hook-n", "events": ["*"]}, o.token)
    recv.control("secret", {"path": "/hook-n", "secret": reply["secret"]})
    hook_after = int(psql("SELECT after_seq FROM webhook_endpoint WHERE id = '%s'"
                          % reply["webhook"]["id"]))
    # (an officer joins by a proposal: 202; a member at once: 201)
    for u, role, status in ((t, "TREASURER", 202), (m, "MEMBER", 201)):
        expect(status, "POST", "/v1/groups/%s/members" % g.id, {"email": u.email, "role": role},
               o.token)
        wait_member_role(g, u, role)
    expect(202, "PATCH", "/v1/groups/%s" % g.id, {"rule_template": "two_officer"}, o.token)
    wait_rule(g, "two_officer")
    fund(g, "500.00")
    poll("the cast's events settled", lambda: group_settled(g))
    cast = [(user_id(o), True, False), (user_id(t), True, False), (user_id(m), False, True)]
    base_seq = len(group_events(g))

    # 1. kolo-events killed mid-ingest: its store of a deposit's event
    # waits on the group's number (events_group_seq), held by us.
    with RowLock("seq", "SELECT 1 FROM events_group_seq WHERE group_id = '%s' FOR UPDATE"
                 % g.id) as lock:
        d1 = fund(g, "11.11")
        poll("kolo-events' store waiting on the group's number",
             lambda: lock.waited_on("events_group_seq"))
        kill9("events")
        lock.end_waiters()
    check(group_events(g)[-1][0] == base_seq, "n: an event stored by the killed store")

    # 2. Events pile up in the outboxes with kolo-events down: deposits,
    # a withdrawal requested, approved and paid, a proposal opened and
    # cancelled, a new user's email code.
    d2 = fund(g, "22.22")
    fake_mode("transfers", "succeed_immediately", 1)
    wid = request_withdrawal(g, o, 5000, "fault n", "n")
    expect(200, "POST", "/v1/withdrawals/%s/approve" % wid, {"pin": PIN}, t.token)
    poll("withdrawal %s PAID" % wid, lambda: g.withdrawal_status(wid) == "PAID")
    prop = expect(202, "PATCH", "/v1/groups/%s" % g.id, {"rule_template": "single_officer"},
                  o.token)
    check(prop.get("status") == "PENDING", "n: proposal %s" % prop)
    expect(200, "POST", "/v1/proposals/%s/cancel" % prop["id"], None, o.token)
    late = "late-n-%d@example.com" % os.getpid()
    expect(201, "POST", "/v1/auth/register",
           {"email": late, "password": PASSWORD, "name": "Fault late"})
    waiting = outbox_counts()
    for s in ("identity", "groups", "ledger", "withdrawals"):
        check(waiting[s] > 0, "n: nothing waits in %s_outbox" % s)

    # 3. Restarted, kolo-events stores each outbox's events and asks the
    # owner to delete them; each owner is killed while that delete waits
    # on our hold of its rows (and the delete ended): stored, not acked.
    locks = {s: RowLock(s, "SELECT 1 FROM %s_outbox FOR UPDATE" % s)
             for s in ("identity", "groups", "ledger", "withdrawals")}
    code_lock = code_next = None
    try:
        for lock in locks.values():
            lock.__enter__()
        # Every partner attempt from now on hangs (kolo-events gives up
        # after KOLO_WEBHOOK_TIMEOUT_MS and tries again): one is in flight
        # when kolo-events is killed below.
        recv.control("mode", {"endpoint": "/hook-n", "behaviour": "timeout", "times": 0})
        restart("events")
        for s in ("identity", "groups", "ledger", "withdrawals"):
            poll("kolo-events' ack of %s waiting" % s,
                 lambda: locks[s].waited_on("%s_outbox" % s))
            check(psql("SELECT count(*) FROM %s_outbox o WHERE NOT EXISTS (SELECT 1 FROM"
                       " events_event e WHERE e.id = o.id)" % s) == "0",
                  "n: %s's events acked before they were stored" % s)
            if s == "identity":
                # The new user's code, stored: its fan-out will wait on us.
                code_lock = RowLock("code", "SELECT 1 FROM events_event WHERE type ="
                                    " 'user.email_code' AND data ->> 'email' = '%s' FOR UPDATE"
                                    % late).__enter__()
            kill9(s)
            locks[s].end_waiters()
            log("n: kolo-%s killed while kolo-events' ack waited" % s)
        for lock in locks.values():
            lock.release()
        for s in ("identity", "groups", "ledger", "withdrawals"):
            restart(s)

        # 4. kolo-events killed mid-delivery: the code's message is
        # written and its mark (SENT, the code blanked in kolo-events'
        # copy) waits on our hold of the event's row, taken again right
        # after its fan-out; a partner delivery hangs at the receiver.
        poll("the code's fan-out waiting (its messages' key share)",
             lambda: code_lock.waited_on("events_delivery"))
        # The second hold waits for the fan-out's transaction itself (the
        # same message, ON CONFLICT DO NOTHING), not for the event's row
        # (a queued row lock would hold the fan-out's own update back), and
        # takes the row the moment it commits: before any delivery pass.
        code_next = RowLock("code2", "INSERT INTO events_delivery (event_id, user_id,"
                            " channel, address) SELECT id, user_id, 'email', data ->> 'email'"
                            " FROM events_event WHERE type = 'user.email_code' AND"
                            " data ->> 'email' = '%s' ON CONFLICT DO NOTHING;\n%s"
                            % (late, code_lock.rows), wait=False).__enter__()
        poll("our second hold waiting for the fan-out's commit", code_next.waiting)
        code_lock.release()
        poll("the code's event held again after its fan-out", code_next.held)
        poll("the code's mark waiting", lambda: code_next.waited_on("jsonb_set"))
        tried = len(recv.deliveries("/hook-n"))
        poll("a partner attempt just made", lambda: len(recv.deliveries("/hook-n")) > tried,
             cap=10)
        kill9("events")
        code_next.end_waiters()
        kill9("payments")
        kill9("gateway")
        log("n: kolo-events, payments and the gateway killed mid-delivery")
    finally:
        for lock in list(locks.values()) + [code_lock, code_next]:
            if lock:
                lock.release()
    recv.control("mode", {"endpoint": "/hook-n", "behaviour": "ok"})
    restart("gateway")
    restart("payments")
    restart("events")

    # Everything arrives (the killed claims after their lease).
    poll("every outbox drained", lambda: sum(outbox_counts().values()) == 0, cap=2 * CAP)
    poll("every event of the group stored, fanned out and sent",
         lambda: group_settled(g), cap=2 * CAP)
    code_ids = psql("SELECT id FROM events_event WHERE type = 'user.email_code'"
                    " AND data ->> 'email' = '%s'" % late).split()
    check(len(code_ids) == 1, "n: %d email code events of the new user" % len(code_ids))
    poll("the new user's code sent", lambda: settled_events(code_ids), cap=2 * CAP)
    check(psql("SELECT data ->> 'code' FROM events_event WHERE id = '%s'" % code_ids[0]) == "",
          "n: the sent code is still in kolo-events' copy")
    evs = group_events(g)

    # Stored once each, numbered 1..n without gaps.
    check([e[0] for e in evs] == list(range(1, len(evs) + 1)),
          "n: group numbers %s" % [e[0] for e in evs])
    check(len({e[1] for e in evs}) == len(evs), "n: an id twice")
    # Every event the changes imply: a deposit.credited per credit, a
    # request, one completing approval and a payment per withdrawal, an
    # opened and a rejected per cancelled proposal.
    by_type = {}
    for e in evs:
        by_type.setdefault(e[2], []).append(e)
    credits = sorted(psql("SELECT id FROM ledger_entry WHERE group_id = '%s' AND type = 'CREDIT'"
                          " AND source <> 'payout'" % g.id).split())
    check(sorted(e[5]["entry_id"] for e in by_type.get("deposit.credited", [])) == credits,
          "n: deposit events %s, credits %s" % (len(by_type.get("deposit.credited", [])),
                                                len(credits)))
    for etype, want in (("withdrawal.requested", [wid]), ("withdrawal.paid", [wid])):
        got = [e[5]["withdrawal_id"] for e in by_type.get(etype, [])]
        check(got == want, "n: %s %s, want %s" % (etype, got, want))
    got = [e for e in by_type.get("withdrawal.approved", []) if e[5].get("complete")]
    check(len(got) == 1 and got[0][5]["withdrawal_id"] == wid, "n: completing approvals %s" % got)
    for etype in ("proposal.opened", "proposal.rejected"):
        got = [e[5].get("proposal_id") for e in by_type.get(etype, [])
               if e[5].get("proposal_id") == prop["id"]]
        check(len(got) == 1, "n: %d %s of the cancelled proposal" % (len(got), etype))
    check(all(d.credits() == 1 for d in (d1, d2)), "n: the deposits' credits")

    # One message per event x recipient x channel (events after the cast
    # was complete), all SENT, each in the mail dir.
    rows = json.loads(psql(
        "SELECT coalesce(json_agg(json_build_array(d.id, d.event_id, d.channel, d.address,"
        " d.user_id, d.status, e.group_seq)), '[]') FROM events_delivery d"
        " JOIN events_event e ON e.id = d.event_id WHERE e.group_id = '%s'"
        " OR e.id = '%s'" % (g.id, code_ids[0])))
    check(all(r[5] == "SENT" for r in rows), "n: deliveries not SENT: %s"
          % [r for r in rows if r[5] != "SENT"])
    got = sorted((r[1], r[4], r[2]) for r in rows if r[6] and r[6] > base_seq)
    want = sorted((e[1], p[0], ch) for e in evs if e[0] > base_seq for p in cast
                  for ch in expected_channels(e[2], p, e[3], e[4]))
    check(got == want, "n: messages %d, want %d; missing %s, extra %s"
          % (len(got), len(want), sorted(set(want) - set(got))[:5],
             sorted(set(got) - set(want))[:5]))
    check_messages("n", [(r[0], r[1], r[2], r[3]) for r in rows])
    code_files = [f for r in rows if r[1] == code_ids[0] for f in mail_files(r[1], r[0], "eml")]
    check(code_files and all(re.search(r"Your code: [0-9]{6}", t) for _, t in code_files),
          "n: the new user's code mail %s" % [n for n, _ in code_files])

    # The partner got every partner-visible event of the group after its
    # endpoint was made, at least once, in order once repeats are dropped
    # by id, each signed.
    partner = [e for e in evs if e[0] > hook_after and AUDIENCE[e[2]][3]]

    def received():
        firsts, seen = [], set()
        for d in recv.deliveries("/hook-n"):
            if d["answered"] == 200 and d["id"] not in seen:
                seen.add(d["id"])
                firsts.append(d["id"])
        return firsts if len(firsts) >= len(partner) else None
    firsts = poll("every partner delivery received", received, cap=2 * CAP)
    check(firsts == [e[1] for e in partner], "n: the partner got %s, want %s in order"
          % (firsts, [e[1] for e in partner]))
    check(all(d["signature_ok"] for d in recv.deliveries("/hook-n")), "n: a bad signature")
    log("n: %d events, %d messages (%d files), %d partner deliveries"
        % (len(evs), len(rows), len(os.listdir(ENV["KOLO_MAIL_DIR"])),
           len(recv.deliveries("/hook-n"))))
    wait_money_acts(o)
    invariants("n")


SCENARIOS = [("a", scenario_a), ("b", scenario_b), ("c", scenario_c), ("d", scenario_d),
             ("e", scenario_e),
             ("f", scenario_f), ("g", scenario_g),
             ("h", scenario_h), ("i", scenario_i), ("j", scenario_j),
             ("k", scenario_k), ("l", scenario_l),
             ("m", scenario_m), ("n", scenario_n)]
# Scenarios that do not depend on the provider: run by default only with
# flutterwave (KOLO_FAULT_PROVIDER=paystack runs them when named).
PROVIDER_FREE = {"n"}


def on_term(signum, frame):
    raise Stopped("stopped by signal %d (the step's time limit?)" % signum)


def main():
    only = sys.argv[1:]
    failed = False
    signal.signal(signal.SIGTERM, on_term)
    try:
        for name in SERVICES + ["gateway"]:
            start(name)
        for name in SERVICES + ["gateway"]:
            wait_healthy(name)
        owner = User("owner")
        wait_money_acts(owner)
        invariants("start")
        for name, fn in SCENARIOS:
            if only and name not in only:
                continue
            if not only and name in PROVIDER_FREE and PROVIDER != "flutterwave":
                continue
            t0 = time.monotonic()
            fn(owner)
            log("%s: ok (%.1f s) - %s" % (name, time.monotonic() - t0,
                                         " ".join(fn.__doc__.split())))
    except Exception as e:
        failed = True
        log("FAILED: %s" % e)
    finally:
        # Every process still running must exit 0 on SIGTERM, gateway first.
        for name in ["gateway"] + SERVICES[::-1]:
            if name in PROCS:
                try:
                    terminate(name)
                except Fail as e:
                    failed = True
                    log("FAILED: %s" % e)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
