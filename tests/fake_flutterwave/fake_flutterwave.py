#!/usr/bin/python3
"""A fake Flutterwave v3 API for Kolo's tests (stdlib only).

    /usr/bin/python3 fake_flutterwave.py --port 0 [--secret-key KEY] [--watch-stdin]

Listens on 127.0.0.1 and prints "listening <port>" as its first line of
stdout. Every /v3/ request must carry "Authorization: Bearer <secret key>"
(401 otherwise). State lives in memory:

  POST /v3/virtual-account-numbers   a new 10-digit account at "WEMA BANK"
  POST /v3/transfers                 a transfer, "NEW"; a reference seen
                                     before returns the existing transfer;
                                     400 for account number 0000000000
  GET  /v3/transfers?reference=R     the transfers with reference R (a list)
  GET  /v3/transfers/{id}            one transfer
  GET  /v3/transactions/{id}/verify  what /_control/transaction registered
  POST /v3/accounts/resolve          a fixed name for any 10-digit number;
                                     400 for 0000000000
  GET  /v3/banks/NG                  a short list (035 Wema Bank, 058 GTBank)

Amounts keep their exact text: a number a test registers as 1500.75 is
written back as 1500.75, never through a float.

Control API (no auth, JSON bodies):

  POST /_control/transaction {id, tx_ref, amount, currency, status, app_fee}
       what verify returns for id; amount (and the optional app_fee, the fee
       Flutterwave kept, default 0) is a JSON number or a string that is
       written verbatim as a JSON number. Optional "reply_raw": a string
       returned verbatim as the whole verify body (odd shapes). Optional
       "originator" {account_number, name, bank_name}: the sender of the bank
       transfer, in verify's data.meta (originatoraccountnumber,
       originatorname, bankname) as Flutterwave names it; absent: meta null.
  POST /_control/account_name {account_number, name}
       the holder resolve names for that account (else the fixed name).
  POST /_control/mode {endpoint, behaviour, times}
       endpoint "transfers" | "virtual-account-numbers" | "verify" |
       "resolve" | "banks" | "*"; behaviour
         ok               normal answers (clears the endpoint's mode)
         fail500          500 before doing anything
         unauthorized     401 "Invalid authorization key" (a rotated key)
         created_fail500  do the work, then answer 500 (outcome unknown)
         slow:<ms>        do the work, wait ms, then answer
         timeout          do the work, then wait 30 s and answer 503
         mismatch_amount  verify answers an amount 1.00 more than registered
         duplicate_error  transfers: a known reference gets 400 "Duplicate
                          reference" (as the live API may) instead of the
                          existing transfer
         succeed_immediately | fail_immediately | new
                          transfers: the status new transfers start with
       times: how many requests it applies to (0 = until changed).
  POST /_control/transfer_status {reference, status}
       settles a transfer ("SUCCESSFUL", "FAILED" or "PENDING").
  GET  /_control/stats
       {"transfers_created": {ref: n}, "virtual_accounts_created":
        {tx_ref: n}, "requests": {path: n, "METHOD path": n}, "last_body": {path: text}}
  POST /_control/reset  forgets everything (state, modes, counters).
  POST /_control/bvn {bvn, first_name, last_name}
       the holder of a BVN (default: the names the consent request gave).
  POST /_control/bvn_consent {reference, status}
       the customer acted on the consent page: "COMPLETED" or "FAILED".

BVN consent (KYC): POST /v3/bvn/verifications {bvn, firstname, lastname,
redirect_url} -> data {url, reference}; GET /v3/bvn/verifications/{ref}
-> data {first_name, last_name, status ("INITIATED" until consent), ...}.
Mode endpoint "bvn" applies to both.
"""

import argparse
import decimal
import json
import os
import random
import re
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

NUMBER_RE = re.compile(r"-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?\Z")
MAX_BODY = 1 << 20
MAX_CONTROL_BODY = 8 << 20  # room for an oversized reply_raw
BANKS = [
    {"id": 1, "code": "044", "name": "Access Bank"},
    {"id": 9, "code": "035", "name": "Wema Bank"},
    {"id": 12, "code": "058", "name": "GTBank"},
    {"id": 17, "code": "057", "name": "Zenith Bank"},
    {"id": 191, "code": "50211", "name": "Kuda Bank"},
]
RESOLVED_NAME = "ADAEZE OKAFOR"
TRANSFER_STATUSES = ("NEW", "PENDING", "SUCCESSFUL", "FAILED")


class Raw(str):
    """A JSON number kept as its exact text."""


def load_json(text):
    """json.loads that keeps every number as Raw text."""
    return json.loads(text, parse_float=Raw, parse_int=Raw,
                      parse_constant=lambda c: (_ for _ in ()).throw(
                          ValueError("no " + c)))


def dump_json(value):
    """json.dumps that writes Raw values verbatim as numbers."""
    raws = []

    def walk(v):
        if isinstance(v, Raw):
            raws.append(str(v))
            return "\x00raw%d\x00" % (len(raws) - 1)
        if isinstance(v, dict):
            return {k: walk(x) for k, x in v.items()}
        if isinstance(v, list):
            return [walk(x) for x in v]
        return v

    text = json.dumps(walk(value), separators=(",", ":"))
    for i, raw in enumerate(raws):
        text = text.replace('"\\u0000raw%d\\u0000"' % i, raw, 1)
    return text


def raw_number(v):
    """v as Raw if it is a JSON number or a string holding one, else None."""
    if isinstance(v, bool) or v is None:
        return None
    if isinstance(v, (int, float)):
        v = repr(v)
    if isinstance(v, str) and NUMBER_RE.match(v):
        return Raw(v)
    return None


class State:
    def __init__(self):
        self.lock = threading.Lock()
        self.reset()

    def reset(self):
        self.accounts = {}          # account number -> virtual account
        self.va_created = {}        # tx_ref -> count
        self.transfers = {}         # reference -> transfer
        self.transfers_by_id = {}   # id -> transfer
        self.transfers_created = {}  # reference -> count
        self.next_transfer_id = 400001
        self.transactions = {}      # id (text) -> registered transaction
        self.modes = {}             # endpoint -> [behaviour, remaining]
        self.transfer_start = ["NEW", 0]
        self.requests = {}
        self.last_body = {}
        self.connections = 0        # TCP connections that carried a /v3/ request
        self.create_shared = 0      # /v3/ requests sharing a connection with a create
        self.rng = random.Random(20240601)
        self.bvn_holders = {}       # bvn -> (first, last)
        self.bvn_checks = {}        # reference -> check
        self.account_names = {}     # account number -> resolved holder

    def take_mode(self, endpoint):
        """The behaviour for one request to endpoint (consumes a use)."""
        for key in (endpoint, "*"):
            mode = self.modes.get(key)
            if not mode:
                continue
            behaviour, remaining = mode
            if remaining > 0:
                mode[1] -= 1
                if mode[1] == 0:
                    del self.modes[key]
            return behaviour
        return "ok"

    def take_transfer_start(self):
        status, remaining = self.transfer_start
        if remaining > 0:
            self.transfer_start[1] -= 1
            if self.transfer_start[1] == 0:
                self.transfer_start = ["NEW", 0]
        return status


STATE = State()
SECRET_KEY = "FLWSECK_TEST-fake"


def now_text():
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())


class Handler(BaseHTTPRequestHandler):
    server_version = "fake-flutterwave/1"
    # HTTP/1.1: connections stay open between requests (keep-alive), as
    # Flutterwave's do, so the tests see whether the client reuses them.
    protocol_version = "HTTP/1.1"

    def setup(self):
        super().setup()
        self.served = 0       # /v3/ requests on this connection so far
        self.created = False  # one of them created something (POST)

    def log_message(self, fmt, *args):  # quiet: tests read stdout
        pass

    # --- plumbing ---------------------------------------------------------

    def reply(self, status, body):
        data = (body if isinstance(body, str) else dump_json(body)).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        try:
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def error(self, status, message):
        self.reply(status, {"status": "error", "message": message, "data": None})

    def read_body(self, limit=MAX_BODY):
        length = int(self.headers.get("Content-Length") or 0)
        if length < 0 or length > limit:
            raise ValueError("body too large")
        return self.rfile.read(length).decode("utf-8") if length else ""

    def json_body(self, limit=MAX_BODY):
        text = self.read_body(limit)
        value = load_json(text) if text else {}
        if not isinstance(value, dict):
            raise ValueError("body is not an object")
        return text, value

    def wait(self, ms):
        time.sleep(ms / 1000.0)

    def do_GET(self):
        self.route("GET")

    def do_POST(self):
        self.route("POST")

    def route(self, method):
        url = urllib.parse.urlsplit(self.path)
        path = url.path
        query = urllib.parse.parse_qs(url.query)
        try:
            if path.startswith("/_control/"):
                return self.control(method, path)
            with STATE.lock:
                STATE.requests[path] = STATE.requests.get(path, 0) + 1
                key = method + " " + path
                STATE.requests[key] = STATE.requests.get(key, 0) + 1
                if path.startswith("/v3/"):
                    self.count_connection(method, path)
            if not path.startswith("/v3/"):
                self.read_body()
                return self.error(404, "Not found")
            if self.headers.get("Authorization") != "Bearer " + SECRET_KEY:
                self.read_body()
                return self.error(401, "Invalid authorization key")
            self.v3(method, path, query)
        except (ValueError, UnicodeDecodeError) as e:
            self.close_connection = True  # the body may be unread
            self.error(400, "Bad request: %s" % e)

    def count_connection(self, method, path):
        """Connection reuse, under STATE.lock: a new connection, and any
        request that shares one with a create (a POST of a transfer or a
        virtual account, which must go alone)."""
        create = method == "POST" and path in ("/v3/transfers",
                                               "/v3/virtual-account-numbers")
        if self.served == 0:
            STATE.connections += 1
        if self.created or (create and self.served > 0):
            STATE.create_shared += 1
        self.served += 1
        if create:
            self.created = True

    # --- the v3 API -------------------------------------------------------

    def v3(self, method, path, query):
        parts = path.strip("/").split("/")[1:]
        text = ""
        body = {}
        if method == "POST":
            text, body = self.json_body()
            with STATE.lock:
                STATE.last_body[path] = text
        if parts == ["virtual-account-numbers"] and method == "POST":
            return self.with_mode("virtual-account-numbers",
                                  lambda b: self.create_va(body))
        if parts == ["transfers"] and method == "POST":
            return self.with_mode("transfers", lambda b: self.create_transfer(body, b))
        if parts == ["transfers"] and method == "GET":
            return self.with_mode("transfers", lambda b: self.list_transfers(query))
        if len(parts) == 2 and parts[0] == "transfers" and method == "GET":
            return self.with_mode("transfers", lambda b: self.get_transfer(parts[1]))
        if (len(parts) == 3 and parts[0] == "transactions" and
                parts[2] == "verify" and method == "GET"):
            return self.with_mode("verify", lambda b: self.verify(parts[1], b))
        if parts == ["bvn", "verifications"] and method == "POST":
            return self.with_mode("bvn", lambda b: self.bvn_start(body))
        if len(parts) == 3 and parts[:2] == ["bvn", "verifications"] and method == "GET":
            return self.with_mode("bvn", lambda b: self.bvn_get(parts[2]))
        if parts == ["accounts", "resolve"] and method == "POST":
            return self.with_mode("resolve", lambda b: self.resolve(body))
        if len(parts) == 2 and parts[0] == "banks" and method == "GET":
            return self.with_mode("banks", lambda b: (200, {
                "status": "success", "message": "Banks fetched successfully",
                "data": BANKS if parts[1] == "NG" else []}))
        return self.error(404, "Not found")

    def with_mode(self, endpoint, work):
        with STATE.lock:
            behaviour = STATE.take_mode(endpoint)
        if behaviour == "fail500":
            return self.error(500, "Internal server error")
        if behaviour == "unauthorized":
            return self.error(401, "Invalid authorization key")
        with STATE.lock:
            status, body = work(behaviour)
        if behaviour == "created_fail500":
            return self.error(500, "Internal server error")
        if behaviour.startswith("slow:"):
            self.wait(int(behaviour[5:]))
        elif behaviour == "timeout":
            self.wait(30000)
            return self.error(503, "Service unavailable")
        self.reply(status, body)

    def create_va(self, body):
        tx_ref = body.get("tx_ref")
        if not isinstance(tx_ref, str) or not tx_ref:
            return 400, {"status": "error", "message": "tx_ref is required",
                         "data": None}
        if "email" in body and not isinstance(body["email"], str):
            return 400, {"status": "error", "message": "email must be a string",
                         "data": None}
        while True:
            number = "%010d" % STATE.rng.randrange(10 ** 9, 10 ** 10)
            if number not in STATE.accounts:
                break
        n = len(STATE.accounts) + 1
        va = {
            "response_code": "02",
            "response_message": "Transaction in progress",
            "flw_ref": "FLW-%032x" % STATE.rng.getrandbits(128),
            "order_ref": "URF_%d_%04d" % (int(time.time()), n),
            "account_number": number,
            "frequency": "N/A",
            "bank_name": "WEMA BANK",
            "created_at": now_text(),
            "expiry_date": "N/A",
            "note": "Please make a bank transfer to %s" % body.get("narration", ""),
            "amount": None,
        }
        STATE.accounts[number] = dict(va, tx_ref=tx_ref)
        STATE.va_created[tx_ref] = STATE.va_created.get(tx_ref, 0) + 1
        return 200, {"status": "success", "message": "Virtual account created",
                     "data": va}

    def bvn_start(self, body):
        bvn = body.get("bvn")
        if not isinstance(bvn, str) or not re.fullmatch(r"[0-9]{11}", bvn):
            return 400, {"status": "error", "message": "Invalid BVN", "data": None}
        first, last = STATE.bvn_holders.get(
            bvn, (str(body.get("firstname", "")), str(body.get("lastname", ""))))
        reference = "BVN-%016x" % STATE.rng.getrandbits(64)
        STATE.bvn_checks[reference] = {"bvn": bvn, "first_name": first,
                                       "last_name": last, "status": "INITIATED"}
        return 200, {"status": "success", "message": "Bvn verification initiated",
                     "data": {"url": "https://consent.flutterwave.test/%s" % reference,
                              "reference": reference}}

    def bvn_get(self, reference):
        check = STATE.bvn_checks.get(reference)
        if check is None:
            return 404, {"status": "error", "message": "No record found", "data": None}
        data = {"reference": reference, "status": check["status"],
                "bvn_data": None}
        if check["status"] == "COMPLETED":
            data.update(first_name=check["first_name"], last_name=check["last_name"],
                        bvn_data={"bvn": check["bvn"]})
        return 200, {"status": "success", "message": "Bvn details fetched",
                     "data": data}

    def create_transfer(self, body, behaviour):
        def bad(message):
            return 400, {"status": "error", "message": message, "data": None}

        for field in ("account_bank", "account_number", "currency", "reference"):
            if not isinstance(body.get(field), str) or not body[field]:
                return bad("%s is required" % field)
        amount = body.get("amount")
        if not isinstance(amount, Raw):
            return bad("amount must be a number")
        if decimal.Decimal(amount) <= 0:
            return bad("amount must be greater than 0")
        if body["currency"] != "NGN":
            return bad("currency not supported")
        if body["account_number"] == "0000000000":
            return bad("Account 0000000000 is not a valid account")
        reference = body["reference"]
        existing = STATE.transfers.get(reference)
        if existing is not None:
            if behaviour == "duplicate_error":
                return bad("Duplicate reference")
            return 200, {"status": "success", "message": "Transfer Queued Successfully",
                         "data": existing}
        status = STATE.take_transfer_start()
        transfer = {
            "id": STATE.next_transfer_id,
            "account_number": body["account_number"],
            "bank_code": body["account_bank"],
            "full_name": body.get("beneficiary_name") or RESOLVED_NAME,
            "created_at": now_text(),
            "currency": "NGN",
            "debit_currency": body.get("debit_currency", "NGN"),
            "amount": amount,
            "fee": Raw("26.875"),
            "status": status,
            "reference": reference,
            "meta": None,
            "narration": body.get("narration", ""),
            "complete_message": ("Transaction was successful" if status == "SUCCESSFUL"
                                 else "DISBURSE FAILED: Insufficient funds"
                                 if status == "FAILED" else ""),
            "requires_approval": 0,
            "is_approved": 1,
            "bank_name": "WEMA BANK",
        }
        STATE.next_transfer_id += 1
        STATE.transfers[reference] = transfer
        STATE.transfers_by_id[str(transfer["id"])] = transfer
        STATE.transfers_created[reference] = STATE.transfers_created.get(reference, 0) + 1
        return 200, {"status": "success", "message": "Transfer Queued Successfully",
                     "data": transfer}

    def list_transfers(self, query):
        refs = query.get("reference")
        if refs:
            found = [t for r, t in STATE.transfers.items() if r == refs[0]]
        else:
            found = list(STATE.transfers.values())
        return 200, {"status": "success", "message": "Transfers fetched",
                     "meta": {"page_info": {"total": len(found), "current_page": 1,
                                            "total_pages": 1}},
                     "data": found}

    def get_transfer(self, transfer_id):
        transfer = STATE.transfers_by_id.get(transfer_id)
        if transfer is None:
            return 404, {"status": "error", "message": "Transfer not found",
                         "data": None}
        return 200, {"status": "success", "message": "Transfer fetched",
                     "data": transfer}

    def verify(self, transaction_id, behaviour):
        tx = STATE.transactions.get(transaction_id)
        if tx is None:
            # The live API answers 400 for an id it does not know.
            return 400, {"status": "error",
                         "message": "No transaction was found for this id",
                         "data": None}
        if tx.get("reply_raw") is not None:
            return 200, tx["reply_raw"]
        amount = tx["amount"]
        if behaviour == "mismatch_amount":
            amount = Raw(str(decimal.Decimal(amount) + 1))
        tid = Raw(tx["id"]) if tx["id"].isdigit() else tx["id"]
        return 200, {"status": "success", "message": "Transaction fetched successfully",
                     "data": {
                         "id": tid,
                         "tx_ref": tx["tx_ref"],
                         "flw_ref": "FLW-MOCK-%s" % tx["id"],
                         "device_fingerprint": "N/A",
                         "amount": amount,
                         "currency": tx["currency"],
                         "charged_amount": amount,
                         "app_fee": tx["app_fee"],
                         "merchant_fee": Raw("0"),
                         "processor_response": "success",
                         "auth_model": "AUTH",
                         "ip": "127.0.0.1",
                         "narration": "Bank transfer",
                         "status": tx["status"],
                         "payment_type": "bank_transfer",
                         "created_at": now_text(),
                         "account_id": 17321,
                         "customer": {"id": 1, "name": "Anonymous customer",
                                      "email": "user@example.com"},
                         "meta": tx.get("meta"),
                     }}

    def resolve(self, body):
        number = body.get("account_number")
        bank = body.get("account_bank")
        valid = (isinstance(number, str) and re.fullmatch(r"[0-9]{10}", number) and
                 number != "0000000000" and isinstance(bank, str) and
                 any(b["code"] == bank for b in BANKS))
        if not valid:
            return 400, {"status": "error",
                         "message": "Sorry, that account number is invalid, "
                                    "please check and try again",
                         "data": None}
        # (the caller may hold STATE.lock: one dict read needs none)
        name = STATE.account_names.get(number, RESOLVED_NAME)
        return 200, {"status": "success", "message": "Account details fetched",
                     "data": {"account_number": number,
                              "account_name": name}}

    # --- control ----------------------------------------------------------

    def control(self, method, path):
        if method == "GET" and path == "/_control/stats":
            with STATE.lock:
                return self.reply(200, {
                    "transfers_created": dict(STATE.transfers_created),
                    "virtual_accounts_created": dict(STATE.va_created),
                    "requests": dict(STATE.requests),
                    "last_body": dict(STATE.last_body),
                    "connections": STATE.connections,
                    "create_shared": STATE.create_shared,
                })
        if method != "POST":
            return self.error(404, "Not found")
        _, body = self.json_body(MAX_CONTROL_BODY)
        if path == "/_control/reset":
            with STATE.lock:
                STATE.reset()
            return self.reply(200, {"ok": True})
        if path == "/_control/transaction":
            tid = body.get("id")
            tid = str(tid) if isinstance(tid, (str, Raw)) else None
            reply_raw = body.get("reply_raw")
            amount = raw_number(body.get("amount", "0"))
            app_fee = raw_number(body.get("app_fee", "0"))
            if not tid or (reply_raw is None and (amount is None or app_fee is None)):
                return self.error(400, "id and a numeric amount (and app_fee) are required")
            if reply_raw is not None and not isinstance(reply_raw, str):
                return self.error(400, "reply_raw must be a string")
            originator = body.get("originator")
            meta = None
            if isinstance(originator, dict):
                meta = {"originatoraccountnumber": originator.get("account_number"),
                        "originatorname": originator.get("name"),
                        "bankname": originator.get("bank_name"),
                        "originatoramount": "N/A"}
            with STATE.lock:
                STATE.transactions[tid] = {
                    "meta": meta,
                    "id": tid,
                    "tx_ref": str(body.get("tx_ref", "")),
                    "amount": amount,
                    "currency": str(body.get("currency", "NGN")),
                    "status": str(body.get("status", "successful")),
                    "app_fee": app_fee,
                    "reply_raw": reply_raw,
                }
            return self.reply(200, {"ok": True})
        if path == "/_control/account_name":
            number, name = body.get("account_number"), body.get("name")
            if not isinstance(number, str) or not isinstance(name, str):
                return self.error(400, "account_number and name are strings")
            with STATE.lock:
                STATE.account_names[number] = name
            return self.reply(200, {"ok": True})
        if path == "/_control/mode":
            endpoint = body.get("endpoint")
            behaviour = body.get("behaviour")
            times = int(body.get("times", 0) or 0)
            known = ("ok", "fail500", "unauthorized", "created_fail500", "timeout",
                     "mismatch_amount", "duplicate_error")
            starts = {"succeed_immediately": "SUCCESSFUL",
                      "fail_immediately": "FAILED", "new": "NEW"}
            if endpoint not in ("transfers", "virtual-account-numbers", "verify",
                                "resolve", "banks", "bvn", "*"):
                return self.error(400, "unknown endpoint")
            if not isinstance(behaviour, str) or times < 0:
                return self.error(400, "bad behaviour")
            with STATE.lock:
                if behaviour in starts:
                    if endpoint != "transfers":
                        return self.error(400, "only transfers start settled")
                    STATE.transfer_start = [starts[behaviour], times]
                elif behaviour == "ok":
                    STATE.modes.pop(endpoint, None)
                elif behaviour in known or re.fullmatch(r"slow:[0-9]{1,7}", behaviour):
                    STATE.modes[endpoint] = [behaviour, times]
                else:
                    return self.error(400, "unknown behaviour")
            return self.reply(200, {"ok": True})
        if path == "/_control/bvn":
            with STATE.lock:
                STATE.bvn_holders[str(body.get("bvn"))] = (
                    str(body.get("first_name", "")), str(body.get("last_name", "")))
            return self.reply(200, {"ok": True})
        if path == "/_control/bvn_consent":
            with STATE.lock:
                check = STATE.bvn_checks.get(body.get("reference"))
                if check is None:
                    return self.error(404, "no such check")
                check["status"] = str(body.get("status", "COMPLETED"))
            return self.reply(200, {"ok": True})
        if path == "/_control/transfer_status":
            reference = body.get("reference")
            status = body.get("status")
            if status not in TRANSFER_STATUSES:
                return self.error(400, "unknown status")
            with STATE.lock:
                transfer = STATE.transfers.get(reference)
                if transfer is None:
                    return self.error(404, "no such transfer")
                transfer["status"] = status
                transfer["complete_message"] = (
                    "Transaction was successful" if status == "SUCCESSFUL" else
                    "DISBURSE FAILED: Insufficient funds" if status == "FAILED" else "")
            return self.reply(200, {"ok": True})
        return self.error(404, "Not found")


def watch_stdin():
    """Exits when stdin closes: the test that started us is gone."""
    try:
        while sys.stdin.buffer.read(4096):
            pass
    finally:
        os._exit(0)


def main():
    global SECRET_KEY
    parser = argparse.ArgumentParser(description="fake Flutterwave v3 API")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--secret-key", default=SECRET_KEY)
    parser.add_argument("--watch-stdin", action="store_true",
                        help="exit when stdin reaches end of file")
    args = parser.parse_args()
    SECRET_KEY = args.secret_key
    ThreadingHTTPServer.daemon_threads = True
    ThreadingHTTPServer.allow_reuse_address = True
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    print("listening %d" % server.server_address[1], flush=True)
    if args.watch_stdin:
        threading.Thread(target=watch_stdin, daemon=True).start()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
