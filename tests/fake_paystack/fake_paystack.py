#!/usr/bin/python3
"""A fake Paystack API for Kolo's tests (stdlib only).

    /usr/bin/python3 fake_paystack.py --port 0 [--secret-key KEY] [--watch-stdin]

Listens on 127.0.0.1 and prints "listening <port>" as its first line of
stdout. Every API request must carry "Authorization: Bearer <secret key>"
(401 "Invalid key" otherwise). Replies are Paystack's shape:
{"status": true|false, "message": ..., "data": ...}; amounts are integer kobo.

  POST /customer                  a customer (CUS_...); the same email
                                  answers the existing customer
  GET  /customer/{code}           the customer, with its dedicated_account
                                  (null until it has one)
  POST /customer/{code}/identification
                                  {country: "NG", type: "bank_account", bvn,
                                  account_number, bank_code, first_name,
                                  last_name}: 202 "Customer Identification in
                                  progress" (400 for a bad field); by default
                                  the customer is identified at once (its
                                  names those sent); see the "identification"
                                  modes
  POST /dedicated_account         {customer, preferred_bank}: a 10-digit
                                  account at "Wema Bank"; 400 when the
                                  customer already has one
  POST /transferrecipient         a recipient (RCP_..., the same for the same
                                  bank and account); 400 for 0000000000
  POST /transfer                  {source, amount, recipient, reference,
                                  reason}: a transfer, "pending"; a reference
                                  seen before is refused 400 (never paid
                                  twice); a reference not 16..50 of
                                  [a-z0-9_-] is refused 400
  GET  /transfer/verify/{ref}     the transfer; 400 "Transfer not found"
  GET  /transaction/verify/{ref}  what /_control/transaction registered;
                                  400 "Transaction reference not found"
  GET  /bank/resolve?account_number=&bank_code=
                                  a fixed name for any 10-digit number; 422
                                  for 0000000000
  GET  /bank?country=nigeria      a short list (035 Wema Bank, 058 GTBank)

Control API (no auth, JSON bodies):

  POST /_control/transaction {reference, amount, currency, status, fees,
       account_number}  what verify returns for reference (amount and fees
       integer kobo; account_number the receiving dedicated account).
       Optional "reply_raw": returned verbatim as the whole verify body.
       Optional "sender" {account_number, name, bank}: the payer in verify's
       authorization (sender_bank_account_number, sender_name, sender_bank);
       null: no sender fields; absent: a masked account of ADAEZE OKAFOR.
  POST /_control/account_name {account_number, name}
       the holder resolve names for that account (else the fixed name).
  POST /_control/mode {endpoint, behaviour, times}
       endpoint "customer" | "identification" | "dedicated_account" | "transferrecipient" |
       "transfer" | "transfer_verify" | "verify" | "resolve" | "banks" | "*";
       behaviour
         ok               normal answers (clears the endpoint's mode)
         fail500          500 before doing anything
         unauthorized     401 "Invalid key" (a rotated key)
         created_fail500  do the work, then answer 500 (outcome unknown)
         slow:<ms>        do the work, wait ms, then answer
         timeout          do the work, then wait 30 s and answer 503
         mismatch_amount  verify answers an amount 100 kobo more
         name_mismatch    resolve names another person; identification:
                          the customer is identified under another
                          person's name (CHUKWUEMEKA BELLO)
         id_hold          identification: stays in progress until
                          /_control/identification settles it
         id_failed        identification: refused (never identified; the
                          refusal is only in the webhook)
         succeed_immediately | fail_immediately | pending
                          transfer: the status new transfers start with
       times: how many requests it applies to (0 = until changed).
  POST /_control/identification {customer_code, status?, reason?}
       status "success" | "failed" settles the customer's identification
       (success: identified under the names sent); without status nothing
       changes. Answers {"event": <the customeridentification.success|failed
       webhook body for the customer's last identification>}.
  POST /_control/transfer_status {reference, status}
       settles a transfer ("success", "failed", "reversed" or "pending").
  GET  /_control/stats
       {"transfers_created": {ref: n}, "virtual_accounts_created":
        {tx_ref: n}, "requests": {path: n, "METHOD path": n},
        "last_body": {path: text}, "last_traceparent": {path: header}}
  POST /_control/reset  forgets everything (state, modes, counters).
"""

import argparse
import json
import os
import random
import re
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MAX_BODY = 1 << 20
MAX_CONTROL_BODY = 8 << 20
BANKS = [
    {"id": 1, "name": "Access Bank", "slug": "access-bank", "code": "044"},
    {"id": 20, "name": "Wema Bank", "slug": "wema-bank", "code": "035"},
    {"id": 9, "name": "Guaranty Trust Bank", "slug": "guaranty-trust-bank", "code": "058"},
    {"id": 21, "name": "Zenith Bank", "slug": "zenith-bank", "code": "057"},
    {"id": 67, "name": "Kuda Bank", "slug": "kuda-bank", "code": "50211"},
]
RESOLVED_NAME = "ADAEZE OKAFOR"
OTHER_NAME = "CHUKWUEMEKA BELLO"
TRANSFER_STATUSES = ("pending", "success", "failed", "reversed")
REFERENCE_RE = re.compile(r"[a-z0-9_-]{16,50}\Z")
ENDPOINTS = ("customer", "identification", "dedicated_account", "transferrecipient", "transfer",
             "transfer_verify", "verify", "resolve", "banks", "*")


class State:
    def __init__(self):
        self.lock = threading.Lock()
        self.reset()

    def reset(self):
        self.customers = {}          # code -> customer
        self.customers_by_email = {}  # email -> code
        self.accounts = {}           # account number -> customer code
        self.va_created = {}         # tx_ref -> count
        self.recipients = {}         # (bank, account) -> recipient
        self.transfers = {}          # reference -> transfer
        self.transfers_created = {}  # reference -> count
        self.transactions = {}       # reference -> registered transaction
        self.modes = {}
        self.transfer_start = ["pending", 0]
        self.requests = {}
        self.last_body = {}
        self.last_traceparent = {}
        self.next_id = 1000
        self.rng = random.Random(20261206)
        self.account_names = {}      # account number -> resolved holder

    def new_id(self):
        self.next_id += 1
        return self.next_id

    def take_mode(self, endpoint):
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
                self.transfer_start = ["pending", 0]
        return status


STATE = State()
SECRET_KEY = "sk_test_fake_paystack"


def now_text():
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())


def ok(message, data):
    return 200, {"status": True, "message": message, "data": data}


def refused(status, message):
    return status, {"status": False, "message": message}


class Handler(BaseHTTPRequestHandler):
    server_version = "fake-paystack/1"
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def reply(self, status, body):
        data = (body if isinstance(body, str) else json.dumps(body)).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        try:
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def error(self, status, message):
        self.reply(status, {"status": False, "message": message})

    def read_body(self, limit=MAX_BODY):
        length = int(self.headers.get("Content-Length") or 0)
        if length < 0 or length > limit:
            raise ValueError("body too large")
        return self.rfile.read(length).decode("utf-8") if length else ""

    def json_body(self, limit=MAX_BODY):
        text = self.read_body(limit)
        value = json.loads(text) if text else {}
        if not isinstance(value, dict):
            raise ValueError("body is not an object")
        return text, value

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
                if self.headers.get("traceparent") is not None:
                    STATE.last_traceparent[path] = self.headers.get("traceparent")
            if self.headers.get("Authorization") != "Bearer " + SECRET_KEY:
                self.read_body()
                return self.error(401, "Invalid key")
            self.api(method, path, query)
        except (ValueError, UnicodeDecodeError) as e:
            self.close_connection = True
            self.error(400, "Bad request: %s" % e)

    # --- the API ----------------------------------------------------------

    def api(self, method, path, query):
        parts = path.strip("/").split("/")
        body = {}
        if method == "POST":
            text, body = self.json_body()
            with STATE.lock:
                STATE.last_body[path] = text
        if parts == ["customer"] and method == "POST":
            return self.with_mode("customer", lambda b: self.create_customer(body))
        if (len(parts) == 3 and parts[0] == "customer" and parts[2] == "identification"
                and method == "POST"):
            return self.with_mode("identification",
                                  lambda b: self.identify(parts[1], body, b))
        if len(parts) == 2 and parts[0] == "customer" and method == "GET":
            return self.with_mode("customer", lambda b: self.get_customer(parts[1]))
        if parts == ["dedicated_account"] and method == "POST":
            return self.with_mode("dedicated_account", lambda b: self.create_dva(body))
        if parts == ["transferrecipient"] and method == "POST":
            return self.with_mode("transferrecipient", lambda b: self.recipient(body))
        if parts == ["transfer"] and method == "POST":
            return self.with_mode("transfer", lambda b: self.create_transfer(body, b))
        if len(parts) == 3 and parts[:2] == ["transfer", "verify"] and method == "GET":
            return self.with_mode("transfer_verify", lambda b: self.get_transfer(parts[2]))
        if (len(parts) == 3 and parts[:2] == ["transaction", "verify"] and
                method == "GET"):
            return self.with_mode("verify", lambda b: self.verify(parts[2], b))
        if parts == ["bank", "resolve"] and method == "GET":
            return self.with_mode("resolve", lambda b: self.resolve(query, b))
        if parts == ["bank"] and method == "GET":
            return self.with_mode("banks", lambda b: ok("Banks retrieved", BANKS))
        return self.error(404, "Not found")

    def with_mode(self, endpoint, work):
        with STATE.lock:
            behaviour = STATE.take_mode(endpoint)
        if behaviour == "fail500":
            return self.error(500, "An error occurred")
        if behaviour == "unauthorized":
            return self.error(401, "Invalid key")
        with STATE.lock:
            status, body = work(behaviour)
        if behaviour == "created_fail500":
            return self.error(500, "An error occurred")
        if behaviour.startswith("slow:"):
            time.sleep(int(behaviour[5:]) / 1000.0)
        elif behaviour == "timeout":
            time.sleep(30)
            return self.error(503, "Service unavailable")
        self.reply(status, body)

    def create_customer(self, body):
        email = body.get("email")
        if not isinstance(email, str) or "@" not in email:
            return refused(400, "Invalid Email Address Passed")
        code = STATE.customers_by_email.get(email)
        if code is None:
            code = "CUS_%012x" % STATE.rng.getrandbits(48)
            metadata = body.get("metadata") if isinstance(body.get("metadata"), dict) else {}
            STATE.customers[code] = {
                "id": STATE.new_id(), "customer_code": code, "email": email,
                "first_name": str(body.get("first_name", "")),
                "last_name": str(body.get("last_name", "")),
                "metadata": metadata, "identified": False,
                "dedicated_account": None, "createdAt": now_text(),
            }
            STATE.customers_by_email[email] = code
        return ok("Customer created", STATE.customers[code])

    def get_customer(self, code):
        customer = STATE.customers.get(code)
        if customer is None:
            return refused(404, "Customer not found")
        return ok("Customer retrieved",
                  {k: v for k, v in customer.items() if k != "identification"})

    def identify(self, code, body, behaviour):
        customer = STATE.customers.get(code)
        if customer is None:
            return refused(404, "Customer not found")
        fields = ("bvn", "account_number", "bank_code", "first_name", "last_name")
        if body.get("country") != "NG" or body.get("type") != "bank_account":
            return refused(400, "Invalid country or type")
        if not all(isinstance(body.get(f), str) and body.get(f) for f in fields):
            return refused(400, "Missing identification field")
        if not re.fullmatch(r"[0-9]{11}", body["bvn"]) or \
                not re.fullmatch(r"[0-9]{10}", body["account_number"]):
            return refused(400, "Invalid BVN or account number")
        ident = {f: body[f] for f in fields}
        ident["status"] = "pending"
        customer["identification"] = ident
        if behaviour == "id_failed":
            self.settle_identification(customer, "failed",
                                       "Account number or BVN is incorrect")
        elif behaviour != "id_hold":
            self.settle_identification(customer, "success", None,
                                       other=behaviour == "name_mismatch")
        return 202, {"status": True, "message": "Customer Identification in progress"}

    @staticmethod
    def settle_identification(customer, status, reason, other=False):
        ident = customer["identification"]
        ident["status"] = status
        ident["reason"] = reason
        if status == "success":
            if other:
                first, last = OTHER_NAME.split(" ", 1)
            else:
                first, last = ident["first_name"], ident["last_name"]
            customer["first_name"], customer["last_name"] = first, last
            customer["identified"] = True
            customer["identifications"] = [{"country": "NG", "type": "bank_account",
                                            "value": ident["account_number"]}]

    @staticmethod
    def identification_event(customer):
        ident = customer.get("identification")
        if ident is None:
            return None
        masked = {"country": "NG", "type": "bank_account",
                  "bvn": ident["bvn"][:3] + "*****" + ident["bvn"][-3:],
                  "account_number": ident["account_number"][:3] + "****" +
                  ident["account_number"][-3:],
                  "bank_code": ident["bank_code"]}
        data = {"customer_id": str(customer["id"]),
                "customer_code": customer["customer_code"],
                "email": customer["email"], "identification": masked}
        if ident["status"] == "failed":
            data["reason"] = ident["reason"]
            return {"event": "customeridentification.failed", "data": data}
        return {"event": "customeridentification.success", "data": data}

    def create_dva(self, body):
        customer = STATE.customers.get(body.get("customer"))
        if customer is None:
            return refused(400, "Customer not found")
        if customer["dedicated_account"] is not None:
            return refused(400, "Customer already has an active dedicated account")
        if body.get("preferred_bank") not in ("wema-bank", "titan-paystack"):
            return refused(400, "Invalid preferred bank")
        while True:
            number = "%010d" % STATE.rng.randrange(10 ** 9, 10 ** 10)
            if number not in STATE.accounts:
                break
        dva = {
            "bank": {"name": "Wema Bank", "id": 20, "slug": "wema-bank"},
            "account_name": "KOLO/%s %s" % (customer["first_name"], customer["last_name"]),
            "account_number": number, "assigned": True, "currency": "NGN",
            "active": True, "id": STATE.new_id(), "createdAt": now_text(),
            "customer": {"id": customer["id"], "customer_code": customer["customer_code"],
                         "email": customer["email"]},
        }
        customer["dedicated_account"] = {k: v for k, v in dva.items() if k != "customer"}
        STATE.accounts[number] = customer["customer_code"]
        tx_ref = str(customer["metadata"].get("kolo_tx_ref", customer["email"]))
        STATE.va_created[tx_ref] = STATE.va_created.get(tx_ref, 0) + 1
        return ok("NUBAN successfully created", dva)

    def recipient(self, body):
        number = body.get("account_number")
        bank = body.get("bank_code")
        if body.get("type") != "nuban" or body.get("currency") != "NGN":
            return refused(400, "Invalid type or currency")
        if not isinstance(number, str) or not re.fullmatch(r"[0-9]{10}", number) or \
                number == "0000000000" or not isinstance(bank, str):
            return refused(400, "Cannot resolve account")
        key = (bank, number)
        if key not in STATE.recipients:
            STATE.recipients[key] = {
                "active": True, "currency": "NGN", "name": str(body.get("name", "")),
                "recipient_code": "RCP_%012x" % STATE.rng.getrandbits(48),
                "type": "nuban", "id": STATE.new_id(),
                "details": {"account_number": number, "bank_code": bank},
            }
        return ok("Transfer recipient created successfully", STATE.recipients[key])

    def create_transfer(self, body, behaviour):
        reference = body.get("reference")
        amount = body.get("amount")
        if not isinstance(reference, str) or not REFERENCE_RE.match(reference):
            return refused(400, "Invalid transfer reference")
        if reference in STATE.transfers:
            return refused(400, "Transfer reference already exists")
        if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
            return refused(400, "Invalid amount")
        recipient = next((r for r in STATE.recipients.values()
                          if r["recipient_code"] == body.get("recipient")), None)
        if recipient is None:
            return refused(400, "Recipient not found")
        status = STATE.take_transfer_start()
        transfer = {
            "reference": reference, "integration": 1, "domain": "test",
            "amount": amount, "currency": "NGN", "source": "balance",
            "reason": str(body.get("reason", "")), "recipient": recipient["id"],
            "status": status, "transfer_code": "TRF_%012x" % STATE.rng.getrandbits(48),
            "id": STATE.new_id(), "failures": None, "createdAt": now_text(),
        }
        if status == "failed":
            transfer["failures"] = "Insufficient balance"
        STATE.transfers[reference] = transfer
        STATE.transfers_created[reference] = STATE.transfers_created.get(reference, 0) + 1
        return ok("Transfer has been queued", transfer)

    def get_transfer(self, reference):
        transfer = STATE.transfers.get(reference)
        if transfer is None:
            return refused(400, "Transfer not found")
        return ok("Transfer retrieved", transfer)

    def verify(self, reference, behaviour):
        tx = STATE.transactions.get(reference)
        if tx is None:
            return refused(400, "Transaction reference not found")
        if tx["reply_raw"] is not None:
            return 200, tx["reply_raw"]
        amount = tx["amount"] + (100 if behaviour == "mismatch_amount" else 0)
        return ok("Verification successful", {
            "id": tx["id"], "domain": "test", "status": tx["status"],
            "reference": reference, "amount": amount, "currency": tx["currency"],
            "fees": tx["fees"], "channel": "dedicated_nuban",
            "gateway_response": "Approved", "paid_at": now_text(),
            "authorization": dict({
                "channel": "dedicated_nuban",
                "receiver_bank_account_number": tx["account_number"],
                "receiver_bank": "Wema Bank"}, **tx["sender"]),
            "customer": {"customer_code": STATE.accounts.get(tx["account_number"], "")},
        })

    def resolve(self, query, behaviour):
        number = (query.get("account_number") or [""])[0]
        bank = (query.get("bank_code") or [""])[0]
        if not re.fullmatch(r"[0-9]{10}", number) or number == "0000000000" or not bank:
            return refused(422, "Could not resolve account name. Check parameters or try again.")
        # (the caller may hold STATE.lock: one dict read needs none)
        name = STATE.account_names.get(number, RESOLVED_NAME)
        name = OTHER_NAME if behaviour == "name_mismatch" else name
        return ok("Account number resolved", {"account_number": number,
                                              "account_name": name, "bank_id": 20})

    # --- control ------------------------------------------------------------

    def control(self, method, path):
        if method == "GET" and path == "/_control/stats":
            with STATE.lock:
                return self.reply(200, {
                    "transfers_created": STATE.transfers_created,
                    "virtual_accounts_created": STATE.va_created,
                    "requests": STATE.requests,
                    "last_body": STATE.last_body,
                    "last_traceparent": STATE.last_traceparent,
                })
        if method != "POST":
            return self.error(404, "Not found")
        _, body = self.json_body(MAX_CONTROL_BODY)
        if path == "/_control/reset":
            with STATE.lock:
                STATE.reset()
            return self.reply(200, {"ok": True})
        if path == "/_control/transaction":
            return self.control_transaction(body)
        if path == "/_control/mode":
            return self.control_mode(body)
        if path == "/_control/account_name":
            number, name = body.get("account_number"), body.get("name")
            if not isinstance(number, str) or not isinstance(name, str):
                return self.error(400, "account_number and name are strings")
            with STATE.lock:
                STATE.account_names[number] = name
            return self.reply(200, {"ok": True})
        if path == "/_control/identification":
            return self.control_identification(body)
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
                transfer["failures"] = ("Insufficient balance"
                                        if status in ("failed", "reversed") else None)
            return self.reply(200, {"ok": True})
        return self.error(404, "Not found")

    def control_transaction(self, body):
        reference = body.get("reference")
        reply_raw = body.get("reply_raw")
        amount = body.get("amount", 0)
        fees = body.get("fees", 0)
        if not isinstance(reference, str) or not reference:
            return self.error(400, "reference is required")
        if reply_raw is not None and not isinstance(reply_raw, str):
            return self.error(400, "reply_raw must be a string")
        if reply_raw is None and (not isinstance(amount, int) or
                                  not (isinstance(fees, int) or fees is None)):
            return self.error(400, "amount and fees are integer kobo")
        with STATE.lock:
            STATE.transactions[reference] = {
                "id": STATE.new_id(), "amount": amount, "fees": fees,
                "currency": str(body.get("currency", "NGN")),
                "status": str(body.get("status", "success")),
                "account_number": str(body.get("account_number", "")),
                "reply_raw": reply_raw,
                "sender": self.sender_fields(body),
            }
        return self.reply(200, {"ok": True})

    @staticmethod
    def sender_fields(body):
        """The authorization's sender_* fields of a registered transaction."""
        if "sender" not in body:
            return {"sender_name": "ADAEZE OKAFOR", "sender_bank": "Guaranty Trust Bank",
                    "sender_bank_account_number": "XXXXXX4567"}
        sender = body.get("sender")
        if not isinstance(sender, dict):
            return {}
        return {"sender_bank_account_number": sender.get("account_number"),
                "sender_name": sender.get("name"), "sender_bank": sender.get("bank")}

    def control_identification(self, body):
        status = body.get("status")
        if status not in (None, "success", "failed"):
            return self.error(400, "unknown status")
        with STATE.lock:
            customer = STATE.customers.get(body.get("customer_code"))
            if customer is None or customer.get("identification") is None:
                return self.error(404, "no identification for that customer")
            if status is not None:
                self.settle_identification(
                    customer, status,
                    str(body.get("reason") or "Account number or BVN is incorrect"))
            return self.reply(200, {"event": self.identification_event(customer)})

    def control_mode(self, body):
        endpoint = body.get("endpoint")
        behaviour = body.get("behaviour")
        times = int(body.get("times", 0) or 0)
        known = ("ok", "fail500", "unauthorized", "created_fail500", "timeout",
                 "mismatch_amount", "name_mismatch", "id_hold", "id_failed")
        starts = {"succeed_immediately": "success", "fail_immediately": "failed",
                  "pending": "pending"}
        if endpoint not in ENDPOINTS:
            return self.error(400, "unknown endpoint")
        if not isinstance(behaviour, str) or times < 0:
            return self.error(400, "bad behaviour")
        with STATE.lock:
            if behaviour in starts:
                if endpoint != "transfer":
                    return self.error(400, "only transfers start settled")
                STATE.transfer_start = [starts[behaviour], times]
            elif behaviour == "ok":
                STATE.modes.pop(endpoint, None)
            elif behaviour in known or re.fullmatch(r"slow:[0-9]{1,7}", behaviour):
                STATE.modes[endpoint] = [behaviour, times]
            else:
                return self.error(400, "unknown behaviour")
        return self.reply(200, {"ok": True})


def watch_stdin():
    """Exits when stdin closes: the test that started us is gone."""
    try:
        while sys.stdin.buffer.read(4096):
            pass
    finally:
        os._exit(0)


def main():
    global SECRET_KEY
    parser = argparse.ArgumentParser(description="fake Paystack API")
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
