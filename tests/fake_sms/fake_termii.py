#!/usr/bin/env python3
"""A fake Termii-shaped SMS API for tests (stdlib http.server).

POST /api/sms/send {to, from, sms, type, channel, api_key}: 200
{"message_id": ..., "message": "Successfully Sent", ...} when api_key is
--api-key and the fields are there; 401 for a wrong key, 400 for a missing
field. Each accepted request is recorded.

Control (no key): GET /_control/requests -> the JSON list of accepted bodies
(and "at": when each arrived, Unix seconds, in the same order);
POST /_control/fail {"times": N, "status": 500}: the next N sends fail.

  fake_termii.py --port 0 --api-key KEY [--watch-stdin]
Prints "listening <port>"."""
import argparse
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

STATE = {"requests": [], "at": [], "fail": 0, "fail_status": 500, "seen": 0}
LOCK = threading.Lock()
API_KEY = ""


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def reply(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n) if n else b""
        try:
            return json.loads(raw or b"{}")
        except ValueError:
            return None

    def do_GET(self):
        if self.path == "/_control/requests":
            with LOCK:
                self.reply(200, {"requests": STATE["requests"], "at": STATE["at"],
                                 "seen": STATE["seen"]})
            return
        self.reply(404, {"message": "not found"})

    def do_POST(self):
        arrived = time.time()
        body = self.body()
        if self.path == "/_control/fail":
            with LOCK:
                STATE["fail"] = int(body.get("times", 1))
                STATE["fail_status"] = int(body.get("status", 500))
            self.reply(200, {})
            return
        if self.path != "/api/sms/send":
            self.reply(404, {"message": "not found"})
            return
        with LOCK:
            STATE["seen"] += 1
            if STATE["fail"] > 0:
                STATE["fail"] -= 1
                self.reply(STATE["fail_status"], {"message": "try again later"})
                return
        if not isinstance(body, dict):
            self.reply(400, {"message": "bad json"})
            return
        if body.get("api_key") != API_KEY:
            self.reply(401, {"message": "invalid api key"})
            return
        for field in ("to", "from", "sms", "type", "channel"):
            if not isinstance(body.get(field), str) or not body[field]:
                self.reply(400, {"message": f"{field} is required"})
                return
        with LOCK:
            STATE["requests"].append(body)
            STATE["at"].append(arrived)
            n = len(STATE["requests"])
        self.reply(200, {"message_id": f"fake-{n}", "message": "Successfully Sent",
                         "balance": 1000 - n, "user": "Kolo Test"})


def main():
    global API_KEY
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--api-key", required=True)
    ap.add_argument("--watch-stdin", action="store_true")
    args = ap.parse_args()
    API_KEY = args.api_key
    ThreadingHTTPServer.request_queue_size = 128  # bursts of a whole group
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    print(f"listening {server.server_address[1]}", flush=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    if args.watch_stdin:
        sys.stdin.read()
    else:
        threading.Event().wait()
    server.shutdown()


if __name__ == "__main__":
    main()
