#!/usr/bin/python3
"""Interop: Debian's python3-grpcio registers, logs in and calls GetMe on
kolo-identity. Messages are encoded and decoded by hand (proto3 wire format:
only string fields are involved), so no generated stubs are needed.

usage: identity.py ADDR
"""
import os
import sys

import grpc

SERVICE = "/kolo.identity.v1.IdentityService/"


def field(number, text):
    data = text.encode()
    out = bytes([(number << 3) | 2])
    n = len(data)
    while n >= 0x80:
        out += bytes([(n & 0x7F) | 0x80])
        n >>= 7
    return out + bytes([n]) + data


def varint(buf, i):
    shift = value = 0
    while True:
        b = buf[i]
        i += 1
        value |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return value, i


def parse(buf):
    """Field number -> raw value (bytes for length-delimited, int else)."""
    fields, i = {}, 0
    while i < len(buf):
        key, i = varint(buf, i)
        number, wire = key >> 3, key & 7
        if wire == 2:
            n, i = varint(buf, i)
            fields[number] = buf[i:i + n]
            i += n
        elif wire == 0:
            fields[number], i = varint(buf, i)
        else:
            raise ValueError(f"unexpected wire type {wire}")
    return fields


def rpc(channel, name):
    return channel.unary_unary(SERVICE + name,
                               request_serializer=lambda b: b,
                               response_deserializer=lambda b: b)


def error_info(e):
    """code, message and ErrorInfo fields of grpc-status-details-bin."""
    trailer = dict(e.trailing_metadata() or ())
    status = parse(trailer.get("grpc-status-details-bin", b""))
    detail = parse(status.get(3, b""))  # the first Any
    if detail.get(1, b"").decode() != "type.googleapis.com/google.rpc.ErrorInfo":
        return status.get(1, 0), status.get(2, b"").decode(), {}
    return status.get(1, 0), status.get(2, b"").decode(), parse(detail[2])


def refusal(call, code, reason):
    """'' when call fails with code, kolo-error reason and the same reason
    in google.rpc.Status's ErrorInfo (domain kolo); else what differs."""
    try:
        call()
        return "answered OK"
    except grpc.RpcError as e:
        got = dict(e.trailing_metadata() or ()).get("kolo-error")
        status_code, message, info = error_info(e)
        if e.code() != code or got != reason:
            return f"{e.code()} {got}"
        if status_code != code.value[0] or message != e.details():
            return f"google.rpc.Status {status_code} {message!r}"
        if info.get(1, b"").decode() != reason or info.get(2, b"").decode() != "kolo":
            return f"ErrorInfo {info}"
        return ""


def details_checks(channel, email, token):
    """Issue 21: standard error details and the Bearer scheme in any case."""
    failures = []
    bad = refusal(lambda: rpc(channel, "Login")(field(1, email) + field(2, "wrong password"),
                                                timeout=10),
                  grpc.StatusCode.UNAUTHENTICATED, "invalid_credentials")
    if bad:
        failures.append(f"Login with a bad password: {bad}")
    bad = refusal(lambda: rpc(channel, "GetMe")(b"", timeout=10,
                                                metadata=[("authorization", "Token abc")]),
                  grpc.StatusCode.UNAUTHENTICATED, "unsupported_auth_scheme")
    if bad:
        failures.append(f"GetMe with scheme Token: {bad}")
    try:
        rpc(channel, "GetMe")(b"", timeout=10, metadata=[("authorization", "BEARER " + token)])
    except grpc.RpcError as e:
        failures.append(f"GetMe with BEARER: {e.code()}")
    bad = refusal(lambda: rpc(channel, "VerifyPin")(
        field(1, "not-a-uuid") + field(2, "1234"), timeout=10,
        metadata=[("authorization", "Bearer " + token)]),
        grpc.StatusCode.INVALID_ARGUMENT, "invalid_id")
    if bad:
        failures.append(f"VerifyPin of a malformed id: {bad}")
    return failures


def main(addr):
    email = f"interop-{os.getpid()}@example.com"
    password = "interop password 42"
    failures = []
    with grpc.insecure_channel(addr) as channel:
        reply = parse(rpc(channel, "Register")(
            field(1, email) + field(2, password) + field(3, "Interop Tester"),
            timeout=10))
        user = parse(reply[1])
        if user[2].decode() != email:
            failures.append("Register returned another email")
        login = parse(rpc(channel, "Login")(field(1, email.upper()) + field(2, password),
                                            timeout=10))
        token = login[2].decode()
        if login.get(4, b"").decode() != "Bearer":
            failures.append("Login token_type is not Bearer")
        me = parse(parse(rpc(channel, "GetMe")(
            b"", timeout=10, metadata=[("authorization", "Bearer " + token)]))[1])
        if me[1] != user[1] or me[2].decode() != email:
            failures.append("GetMe did not answer the registered user")
        try:
            rpc(channel, "GetMe")(b"", timeout=10)
            failures.append("GetMe without a token answered OK")
        except grpc.RpcError as e:
            reason = dict(e.trailing_metadata() or ()).get("kolo-error")
            if e.code() != grpc.StatusCode.UNAUTHENTICATED or reason != "missing_token":
                failures.append(f"GetMe without a token: {e.code()} {reason}")
        failures += details_checks(channel, email, token)
    for f in failures:
        print("FAIL", f)
    print(f"interop identity: {8 - len(failures)} passed, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
