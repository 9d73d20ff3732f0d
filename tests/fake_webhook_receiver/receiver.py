#!/usr/bin/python3
"""A partner's webhook receiver for Kolo's tests (stdlib only).

    /usr/bin/python3 receiver.py --port 0 [--secret-key IGNORED] [--watch-stdin]

Listens on 127.0.0.1 and prints "listening <port>" as its first line of
stdout. Every POST to a path outside /_control/ is a delivery: it is
recorded with its headers and body, and its Kolo-Signature is verified the
way docs/webhooks.md tells partners to (HMAC-SHA256 of "<t>.<body>" under
the endpoint's secret, constant-time compare, t within 5 minutes), with
the secret registered for that path. It answers 200 {"ok": true} unless a
mode says otherwise.

Control API (no auth, JSON bodies):

  POST /_control/secret {path, secret}   the secret deliveries to path are
                                         verified with
  POST /_control/mode {endpoint, behaviour, times}
       endpoint: a path, or "*" for every path; behaviour
         ok            200 (clears the path's mode)
         status:<n>    answer n with a body of "error " repeated (1 KiB)
         redirect      302 to <path>/moved
         timeout       wait 30 s, then answer 200
       times: how many deliveries get it (0: until changed)
  GET  /_control/stats   {"deliveries": [{path, id, type, signature,
                         signature_ok, body, answered}], "requests": {path: n}}
"""
import argparse
import hashlib
import hmac
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOCK = threading.Lock()
SECRETS = {}
MODES = {}  # path -> [behaviour, times left or 0]
DELIVERIES = []
REQUESTS = {}
TOLERANCE_S = 300


def verify(header, secret, body, now):
    """The partner's check of Kolo-Signature (docs/webhooks.md)."""
    if not header or not secret:
        return False
    parts = [p.split("=", 1) for p in header.split(",") if "=" in p]
    stamps = [v for k, v in parts if k == "t"]
    sigs = [v for k, v in parts if k == "v1"]
    if len(stamps) != 1 or not stamps[0].isdigit() or not sigs:
        return False
    t = int(stamps[0])
    if abs(now - t) > TOLERANCE_S:
        return False
    want = hmac.new(secret.encode(), stamps[0].encode() + b"." + body,
                    hashlib.sha256).hexdigest()
    return any(hmac.compare_digest(want, s) for s in sigs)


def take_mode(path):
    with LOCK:
        for key in (path, "*"):
            mode = MODES.get(key)
            if not mode:
                continue
            behaviour = mode[0]
            if mode[1] > 0:
                mode[1] -= 1
                if mode[1] == 0:
                    del MODES[key]
            return behaviour
    return "ok"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def reply(self, status, body, extra=None):
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def read_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def do_GET(self):
        if self.path == "/_control/stats":
            with LOCK:
                self.reply(200, {"deliveries": DELIVERIES, "requests": REQUESTS})
            return
        self.reply(404, {"error": "not found"})

    def control(self, what, body):
        req = json.loads(body or b"{}")
        with LOCK:
            if what == "secret":
                SECRETS[req["path"]] = req["secret"]
            elif what == "mode":
                if req["behaviour"] == "ok":
                    MODES.pop(req["endpoint"], None)
                else:
                    MODES[req["endpoint"]] = [req["behaviour"], int(req.get("times", 0))]
            else:
                return self.reply(404, {"error": "no such control"})
        self.reply(200, {"ok": True})

    def do_POST(self):
        body = self.read_body()
        if self.path.startswith("/_control/"):
            return self.control(self.path[len("/_control/"):], body)
        behaviour = take_mode(self.path)
        status = 200
        if behaviour.startswith("status:"):
            status = int(behaviour.split(":", 1)[1])
        elif behaviour == "redirect":
            status = 302
        sig = self.headers.get("Kolo-Signature")
        with LOCK:
            REQUESTS[self.path] = REQUESTS.get(self.path, 0) + 1
            DELIVERIES.append({
                "path": self.path,
                "id": self.headers.get("Kolo-Event-Id"),
                "type": self.headers.get("Kolo-Event-Type"),
                "content_type": self.headers.get("Content-Type"),
                "signature": sig,
                "signature_ok": verify(sig, SECRETS.get(self.path), body, time.time()),
                "body": body.decode("utf-8", "replace"),
                "answered": 0 if behaviour == "timeout" else status,
            })
        if behaviour == "timeout":
            time.sleep(30)
        if status == 302:
            return self.reply(302, {}, {"Location": self.path + "/moved"})
        if status != 200:
            return self.reply(status, b"error " * 175)
        self.reply(200, {"ok": True})


def watch_stdin():
    """Exits when stdin closes: the test that started us is gone."""
    try:
        while sys.stdin.buffer.read(4096):
            pass
    finally:
        import os
        os._exit(0)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--secret-key", default="")
    parser.add_argument("--watch-stdin", action="store_true")
    args = parser.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    print("listening %d" % server.server_address[1], flush=True)
    if args.watch_stdin:
        threading.Thread(target=watch_stdin, daemon=True).start()
    server.serve_forever()


if __name__ == "__main__":
    main()
