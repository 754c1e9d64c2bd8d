#!/usr/bin/env python3
"""A misbehaving HTTPS (or plain HTTP) server for the hostile-server tests.

Why it exists: `smv testserver` sends well-formed responses (or exact raw bytes that fit in a JSON
string); these cases need endless streams, bytes dribbled one a second, bare NULs, TCP resets and TLS
records no library would send. The request path picks the behaviour (see CASES). Prints
{"port": N} when listening; logs "PATH" per request to --log so a test can see what was asked.
"""
import argparse
import json
import os
import socket
import socketserver
import ssl
import struct
import sys
import threading
import time

CRLF = b"\r\n"


def head(status, headers, reason=b"X"):
    out = b"HTTP/1.1 %d " % status + reason + CRLF
    for k, v in headers:
        out += k + b": " + v + CRLF
    return out + CRLF


def redirect(location):
    return head(302, [(b"Location", location), (b"Content-Length", b"0")])


def endless(sock, first, chunk, pause=0.0):
    sock.sendall(first)
    while True:
        sock.sendall(chunk)
        if pause:
            time.sleep(pause)


def slow_headers(sock, ctx):
    sock.sendall(b"HTTP/1.1 200 OK\r\n")
    line = b"X-Slow: " + b"a" * 10000
    for b in line:
        sock.sendall(bytes([b]))
        time.sleep(1.0)


def reset_mid(sock, ctx):
    sock.sendall(head(200, [(b"Content-Length", b"1000")]) + b"partial body")
    time.sleep(0.2)
    raw = ctx["raw"]
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    raw.close()  # SO_LINGER 0: the kernel sends RST instead of FIN
    ctx["closed"] = True


def eof_mid(sock, ctx):
    sock.sendall(head(200, [(b"Content-Length", b"1000")]) + b"partial body")
    time.sleep(0.2)


def alert_mid(sock, ctx):
    sock.sendall(head(200, [(b"Content-Length", b"1000")]) + b"partial body")
    time.sleep(0.2)
    # A fatal alert record (handshake_failure) written under the TLS layer: in the middle of an
    # encrypted stream the client sees an alert or a record it cannot authenticate; either way the
    # stream is broken by the TLS layer, not by the HTTP peer.
    os.write(ctx["raw"].fileno(), b"\x15\x03\x03\x00\x02\x02\x28")
    time.sleep(0.5)


STATIC = {
    "/ok": head(200, [(b"Content-Length", b"2")]) + b"ok",
    "/loc-cr": redirect(b"/next\rX: y"),
    "/loc-lf": redirect(b"/next\nX: y"),
    "/loc-nul": redirect(b"/next\x00evil"),
    "/loc-tab": redirect(b"/next\tevil"),
    "/loc-two": head(302, [(b"Location", b"/a"), (b"Location", b"/b"), (b"Content-Length", b"0")]),
    "/cl-conflict": head(200, [(b"Content-Length", b"5"), (b"Content-Length", b"6")]) + b"hello!",
    "/cl-te": head(200, [(b"Content-Length", b"5"), (b"Transfer-Encoding", b"chunked")])
    + b"5\r\nhello\r\n0\r\n\r\n",
    "/chunk-overflow": head(200, [(b"Transfer-Encoding", b"chunked")])
    + b"ffffffffffffffffffff1\r\nhello\r\n0\r\n\r\n",
    "/to-file": redirect(b"file:///etc/passwd"),
    "/to-ftp": redirect(b"ftp://127.0.0.1/x"),
    "/to-data": redirect(b"data:text/plain;base64,aGVsbG8="),
    "/to-data-html": redirect(b"data:text/html,<script>alert(1)</script>"),
    "/to-javascript": redirect(b"javascript:alert(1)"),
    "/loop-a": redirect(b"/loop-b"),
    "/loop-b": redirect(b"/loop-a"),
}

STREAMS = {
    "/endless-headers": lambda s, c: endless(s, b"HTTP/1.1 200 OK\r\n", b"X-Filler: " + b"b" * 100 + CRLF),
    "/endless-body": lambda s, c: endless(s, head(200, [(b"Content-Type", b"text/plain")]), b"z" * 4096),
    "/endless-chunked": lambda s, c: endless(s, head(200, [(b"Transfer-Encoding", b"chunked")]),
                                             b"1000\r\n" + b"z" * 4096 + CRLF),
    "/storm-1xx": lambda s, c: endless(s, b"", b"HTTP/1.1 100 Continue\r\n\r\n"),
    "/storm-103": lambda s, c: endless(s, b"", b"HTTP/1.1 103 Early Hints\r\nLink: </s.css>\r\n\r\n"),
    "/slow-headers": slow_headers,
    "/reset-mid": reset_mid,
    "/eof-mid": eof_mid,
    "/alert-mid": alert_mid,
}


class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        raw = self.request
        ctx = {"raw": raw, "closed": False}
        sock = raw
        try:
            if self.server.tls:
                sock = self.server.tls.wrap_socket(raw, server_side=True)
                ctx["raw"] = sock  # wrap_socket took over the descriptor: the SSLSocket owns it now
            data = b""
            while True:  # keep-alive: the redirect cases come back on the same connection
                while b"\r\n\r\n" not in data and len(data) < 65536:
                    got = sock.recv(4096)
                    if not got:
                        return
                    data += got
                req, data = data.split(b"\r\n\r\n", 1)
                parts = req.split(b"\r\n", 1)[0].decode("latin-1").split(" ")
                path = parts[1].split("?", 1)[0] if len(parts) > 1 else "/"
                with self.server.lock:
                    with open(self.server.log, "a") as f:
                        f.write(path + "\n")
                if path in STATIC:
                    sock.sendall(STATIC[path])
                elif path in STREAMS:
                    STREAMS[path](sock, ctx)
                    return
                else:
                    sock.sendall(head(404, [(b"Content-Length", b"0")]))
        except (OSError, ssl.SSLError):
            pass  # the client gave up, as it should
        finally:
            if not ctx["closed"]:
                try:
                    sock.close()
                except OSError:
                    pass


class Server(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cert")
    ap.add_argument("--key")
    ap.add_argument("--log", required=True)
    a = ap.parse_args()
    srv = Server(("127.0.0.1", 0), Handler)
    srv.lock = threading.Lock()
    srv.log = a.log
    srv.tls = None
    if a.cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(a.cert, a.key)
        srv.tls = ctx
    print(json.dumps({"port": srv.server_address[1]}), flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
