#!/usr/bin/env python3
"""A real SMTP server for tests (aiosmtpd): every message it accepts is saved
as one file in --dir (<n>.eml, the bytes as received, with a first line
"X-Rcpt-To: <recipients>" added), so a test reads what a receiver got.

  smtp_sink.py --port 0 --dir DIR [--watch-stdin]

Prints "listening <port>" once it accepts connections. --watch-stdin: exit
when stdin closes (the test program died)."""
import argparse
import itertools
import os
import sys
import threading
import time

from aiosmtpd.controller import Controller


class Sink:
    def __init__(self, folder):
        self.folder = folder
        self.counter = itertools.count(1)

    async def handle_DATA(self, server, session, envelope):
        n = next(self.counter)
        tmp = os.path.join(self.folder, f".{n}.tmp")
        with open(tmp, "wb") as f:
            f.write(b"X-Rcpt-To: " + ",".join(envelope.rcpt_tos).encode() + b"\r\n")
            f.write(envelope.original_content or envelope.content)
        os.rename(tmp, os.path.join(self.folder, f"{n}.eml"))
        return "250 OK"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--dir", required=True)
    ap.add_argument("--watch-stdin", action="store_true")
    args = ap.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    port = args.port
    if port == 0:
        import socket
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
    controller = Controller(Sink(args.dir), hostname="127.0.0.1", port=port)
    controller.start()
    print(f"listening {port}", flush=True)
    try:
        if args.watch_stdin:
            sys.stdin.read()
        else:
            while True:
                time.sleep(3600)
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
