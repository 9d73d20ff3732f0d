#!/usr/bin/python3
"""Interop: a gRPC client nobody here wrote (Debian's python3-grpcio) calls
every Kolo service: Health/Check answers SERVING, Health/Watch streams
SERVING first (SERVICE_UNKNOWN for a name it does not serve, the stream
left open), and a method the service does not have answers UNIMPLEMENTED.

usage: health.py SERVICE=ADDR ...   e.g. kolo.ledger.v1.LedgerService=127.0.0.1:7103
Messages are encoded by hand (the health messages are one field each), so no
generated stubs are needed.
"""
import sys

import grpc

SERVING = b"\x08\x01"
SERVICE_UNKNOWN = b"\x08\x03"


def identity(b):
    return b


def health_request(service):
    data = service.encode()
    return b"\x0a" + bytes([len(data)]) + data if data else b""


def first_watched(channel, name):
    """The first message of Health/Watch(name); the stream is then cancelled."""
    watch = channel.unary_stream(
        "/grpc.health.v1.Health/Watch",
        request_serializer=identity, response_deserializer=identity)
    stream = watch(health_request(name), timeout=5)
    try:
        return next(stream)
    finally:
        stream.cancel()


def check_watch(channel, service):
    failures = []
    for name, want in ((service, SERVING), ("kolo.nope.v1.Nope", SERVICE_UNKNOWN)):
        try:
            reply = first_watched(channel, name)
        except grpc.RpcError as e:
            failures.append(f"{service}: Watch({name!r}) failed {e.code()}")
            continue
        if reply != want:
            failures.append(f"{service}: Watch({name!r}) sent {reply!r}")
    return failures


def check(service, addr):
    failures = []
    with grpc.insecure_channel(addr) as channel:
        health = channel.unary_unary(
            "/grpc.health.v1.Health/Check",
            request_serializer=identity, response_deserializer=identity)
        for name in ("", service):
            reply = health(health_request(name), timeout=5)
            if reply != SERVING:
                failures.append(f"{service}: Check({name!r}) answered {reply!r}")
        missing = channel.unary_unary(
            f"/{service}/NoSuchMethod",
            request_serializer=identity, response_deserializer=identity)
        try:
            missing(b"", timeout=5)
            failures.append(f"{service}: NoSuchMethod answered OK")
        except grpc.RpcError as e:
            if e.code() != grpc.StatusCode.UNIMPLEMENTED:
                failures.append(f"{service}: NoSuchMethod answered {e.code()}")
        failures += check_watch(channel, service)
    return failures


def main(argv):
    failures = []
    for arg in argv:
        service, addr = arg.split("=", 1)
        failures += check(service, addr)
    for f in failures:
        print("FAIL", f)
    checks = 5 * len(argv)
    print(f"interop: {checks - len(failures)} passed, {len(failures)} failed")
    return 1 if failures or not argv else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
