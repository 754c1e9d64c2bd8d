#!/usr/bin/env python3
"""An HTTPS server that closes late, as many do (a keep-alive timeout, a lingering close): it answers
one request per connection, waits DELAY_MS, then sends its TLS close_notify and its FIN back to back
(two segments). A client that closed its socket without reading the server's close meets them with
no socket left: the first gets a reset from the closed socket (still bound to its interface), the
second a reset from no socket at all, which the kernel routes by its main table (tests/harness/
s14_late_close.sh). Usage: late_close_server.py CERT KEY BIND PORT DELAY_MS BODY. One line on stdout
per event."""
import socket
import ssl
import sys
import threading
import time


def log(*a):
    print(*a, flush=True)


def serve(conn, peer, delay, body):
    try:
        conn.settimeout(5)
        data = b""
        while b"\r\n\r\n" not in data and len(data) < 65536:
            chunk = conn.recv(4096)
            if not chunk:
                return
            data += chunk
        head = ("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n"
                "Connection: keep-alive\r\n\r\n" % len(body)).encode()
        conn.sendall(head + body)
        log("answered", peer, data.split(b"\r\n", 1)[0].decode(errors="replace"))
        time.sleep(delay)
        conn.setblocking(False)
        try:
            conn.unwrap()          # sends close_notify, then would wait for the peer's: not here
        except (ssl.SSLWantReadError, ssl.SSLError, OSError):
            pass
        try:
            conn.shutdown(socket.SHUT_WR)
            log("close_notify and FIN sent", peer)
        except OSError as e:
            log("FIN not sent", peer, e)
    except (OSError, ssl.SSLError) as e:
        log("connection", peer, "ended:", e)
    finally:
        time.sleep(0.5)
        conn.close()


def main():
    cert, key, bind, port, delay_ms, body = sys.argv[1:7]
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    family = socket.AF_INET6 if ":" in bind else socket.AF_INET
    srv = socket.socket(family, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((bind, int(port)))
    srv.listen(16)
    log("listening", bind, port)
    while True:
        raw, addr = srv.accept()
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            conn = ctx.wrap_socket(raw, server_side=True)
        except (OSError, ssl.SSLError) as e:
            log("handshake with", addr, "failed:", e)
            raw.close()
            continue
        threading.Thread(target=serve, args=(conn, "%s:%d" % addr[:2], int(delay_ms) / 1000,
                                             body.encode()), daemon=True).start()


if __name__ == "__main__":
    main()
