#!/usr/bin/python3
"""Interop: a gRPC client nobody here wrote (Debian's python3-grpcio) reads
the request id every Kolo server sends back: x-request-id in the initial
metadata of a reply (the caller's when valid, else a new one of 32 hex), on
a unary call and on a server stream (Health/Watch), and in the trailing
metadata of a failed call; a traceparent is accepted alongside.

usage: request_id.py ADDR ...   e.g. 127.0.0.1:7103
"""
import re
import sys

import grpc

TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


def identity(b):
    return b


def md_value(md, key):
    for k, v in md or ():
        if k == key:
            return v
    return None


def check(addr):
    failures = []
    with grpc.insecure_channel(addr) as channel:
        check_rpc = channel.unary_unary(
            "/grpc.health.v1.Health/Check",
            request_serializer=identity, response_deserializer=identity)
        _, call = check_rpc.with_call(
            b"", timeout=5,
            metadata=(("x-request-id", "interop-rid-1"), ("traceparent", TRACEPARENT)))
        got = md_value(call.initial_metadata(), "x-request-id")
        if got != "interop-rid-1":
            failures.append(f"{addr}: Check kept no x-request-id: {got!r}")
        _, call = check_rpc.with_call(b"", timeout=5)
        got = md_value(call.initial_metadata(), "x-request-id")
        if not got or not re.fullmatch(r"[0-9a-f]{32}", got):
            failures.append(f"{addr}: Check made no x-request-id: {got!r}")
        _, call = check_rpc.with_call(
            b"", timeout=5, metadata=(("x-request-id", "bad id!"),))
        got = md_value(call.initial_metadata(), "x-request-id")
        if not got or not re.fullmatch(r"[0-9a-f]{32}", got):
            failures.append(f"{addr}: Check kept an invalid x-request-id: {got!r}")
        watch = channel.unary_stream(
            "/grpc.health.v1.Health/Watch",
            request_serializer=identity, response_deserializer=identity)
        stream = watch(b"", timeout=5, metadata=(("x-request-id", "interop-rid-2"),))
        try:
            next(stream)
            got = md_value(stream.initial_metadata(), "x-request-id")
            if got != "interop-rid-2":
                failures.append(f"{addr}: Watch kept no x-request-id: {got!r}")
        finally:
            stream.cancel()
        missing = channel.unary_unary(
            "/kolo.nope.v1.Nope/Nothing",
            request_serializer=identity, response_deserializer=identity)
        try:
            missing(b"", timeout=5, metadata=(("x-request-id", "interop-rid-3"),))
            failures.append(f"{addr}: Nothing answered OK")
        except grpc.RpcError as e:
            if md_value(e.trailing_metadata(), "x-request-id") != "interop-rid-3":
                failures.append(f"{addr}: a failed call's trailer has no x-request-id")
            if md_value(e.initial_metadata(), "x-request-id") != "interop-rid-3":
                failures.append(f"{addr}: a failed call's headers have no x-request-id")
    return failures


def main(argv):
    failures = []
    for addr in argv:
        failures += check(addr)
    for f in failures:
        print("FAIL", f)
    checks = 6 * len(argv)
    print(f"interop request id: {checks - len(failures)} passed, {len(failures)} failed")
    return 1 if failures or not argv else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
