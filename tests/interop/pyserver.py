#!/usr/bin/env python3
"""The Python ssl stack of tests/interop: an HTTPS server on Python's ssl module (OpenSSL underneath,
with Python's own defaults), one connection at a time, each closed after its response.

Routes, as every stack of the suite serves them: /ok -> 200; /start -> 302 to the plain-HTTP hop B
(--b URL, which sends the client back to /finish); /finish -> 302 to the returnUrl.
Prints "PORT n" once listening, then one JSON line per connection (the server's view: version,
cipher, whether the session was resumed, the path asked for, or the handshake error)."""
import argparse
import json
import socket
import ssl
import sys

VERSIONS = {"1.1": ssl.TLSVersion.TLSv1_1, "1.2": ssl.TLSVersion.TLSv1_2, "1.3": ssl.TLSVersion.TLSv1_3}


def context(a):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(a.cert, a.key)
    if a.seclevel0:
        ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
    if a.proto:
        ctx.minimum_version = ctx.maximum_version = VERSIONS[a.proto]
    if a.ciphers:
        ctx.set_ciphers(a.ciphers)  # TLS 1.2 suites only: Python has no call for the TLS 1.3 ones
    if a.curve:
        ctx.set_ecdh_curve(a.curve)  # OpenSSL 3: the only group offered, TLS 1.3 included
    if a.no_ticket:
        ctx.options |= ssl.OP_NO_TICKET
    return ctx


def answer(path, a):
    if path == "/ok":
        return "200 OK", None
    if path == "/start":
        return "302 Found", a.b + "?to=https://127.0.0.1:%d/finish" % a.port
    if path == "/finish":
        return "302 Found", "myapp://verified"
    return "404 Not Found", None


def serve_one(conn, ctx, a, log):
    conn.settimeout(5)
    try:
        s = ctx.wrap_socket(conn, server_side=True)
    except (ssl.SSLError, OSError) as e:
        log({"error": str(e)})
        conn.close()
        return
    entry = {"version": s.version(), "cipher": s.cipher()[0], "reused": s.session_reused}
    try:
        req = b""
        while b"\r\n\r\n" not in req and len(req) < 16384:
            chunk = s.recv(4096)
            if not chunk:
                break
            req += chunk
        parts = req.split(b"\r\n", 1)[0].split()
        path = parts[1].decode("latin-1") if len(parts) >= 2 else ""
        entry["path"] = path
        log(entry)  # now: the runner may stop the server as soon as the client has its answer
        entry = None
        status, location = answer(path, a)
        head = "HTTP/1.1 %s\r\nContent-Length: 0\r\nConnection: close\r\n" % status
        if location:
            head += "Location: %s\r\n" % location
        s.sendall((head + "\r\n").encode())
        try:
            s.unwrap()  # close_notify
        except (ssl.SSLError, OSError):
            pass
    except (ssl.SSLError, OSError) as e:
        if entry is not None:
            entry["error"] = str(e)
    if entry is not None:
        log(entry)
    s.close()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--cert", required=True, help="PEM: the leaf, then the chain as it is to be sent")
    p.add_argument("--key", required=True)
    p.add_argument("--proto", choices=sorted(VERSIONS))
    p.add_argument("--ciphers")
    p.add_argument("--curve")
    p.add_argument("--no-ticket", action="store_true")
    p.add_argument("--seclevel0", action="store_true")
    p.add_argument("--b", default="http://127.0.0.1:9/he")
    a = p.parse_args()
    ctx = context(a)
    ls = socket.socket()
    ls.bind(("127.0.0.1", 0))
    ls.listen(16)
    a.port = ls.getsockname()[1]

    def log(entry):
        print(json.dumps(entry), flush=True)

    print("PORT %d" % a.port, flush=True)
    while True:
        conn, _ = ls.accept()
        serve_one(conn, ctx, a, log)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit(0)
