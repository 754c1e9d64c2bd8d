#!/usr/bin/env python3
"""smv against TLS servers nobody here wrote (issue 11): OpenSSL's s_server, GnuTLS's gnutls-serv,
nginx (on OpenSSL) and Python's ssl module (on OpenSSL, with Python's defaults). Started by run.sh;
docs/interop.md describes the cases and what each stack really exercises.

Each case starts the stack's server on a free loopback port with one restriction (protocol,
certificate, chain order, group, cipher, resumption mode), runs `smv follow` against it, reads the
server's own view of what happened (its log: handshakes, full or resumed, HelloRetryRequests, the
group, connections), then runs curl against a fresh instance of the same server as the control.
A case passes when smv's exit status, JSON result and the server's view are what the case demands
and, for a case smv must accept, curl succeeds too (else the server setup is wrong, not smv).
"""
import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

HERE = os.path.dirname(os.path.abspath(__file__))
PKI_SH = os.path.join(HERE, "..", "lib", "pki.sh")
RETURN_URL = "myapp://verified"
STACKS = ("openssl", "gnutls", "nginx", "python")
TOOL = {"openssl": "openssl", "gnutls": "gnutls-serv", "nginx": "nginx", "python": "python3"}
SERVER_START_S = 5.0   # a server that is not listening by then failed
CLIENT_TIMEOUT_S = 20  # smv's own --max-time is 8 s; this only bounds a hung process

# ---- Certificates ---------------------------------------------------------------------------------
# Leaves for 127.0.0.1 from one test root, by key type; a chain leaf -> lower -> upper -> root; an
# unrelated CA certificate; and a leaf whose address is only a dNSName.
PKI_SCRIPT = r'''
set -e
. "$PKI_SH"
pki_init "$1"
SAN="subjectAltName=IP:127.0.0.1,DNS:localhost"
root root
issue p256 root "$LEAF_EXT;$SAN" ec
issue p384 root "$LEAF_EXT;$SAN" ec:P-384
issue rsa2048 root "$LEAF_EXT;$SAN" rsa:2048
issue rsa4096 root "$LEAF_EXT;$SAN" rsa:4096
issue upper root "$CA_EXT"
issue lower upper "$CA_EXT"
issue chained lower "$LEAF_EXT;$SAN"
root stray-root
issue stray stray-root "$CA_EXT"
issue ipdns root "$LEAF_EXT;subjectAltName=DNS:127.0.0.1"
'''

# certificate name -> (leaf, the certificates sent after it, in this order)
CERTS = {
    "p256": ("p256", []),
    "p384": ("p384", []),
    "rsa2048": ("rsa2048", []),
    "rsa4096": ("rsa4096", []),
    "ordered": ("chained", ["lower", "upper"]),
    "out-of-order": ("chained", ["upper", "lower"]),          # root side first, then the leaf's issuer
    "extra": ("chained", ["stray", "lower", "upper"]),        # an unrelated CA certificate first
    "ipdns": ("ipdns", []),
}


def make_pki(d):
    os.makedirs(d, exist_ok=True)
    r = subprocess.run(["bash", "-c", PKI_SCRIPT, "pki", d], env=dict(os.environ, PKI_SH=PKI_SH),
                       capture_output=True, text=True, timeout=300)
    if r.returncode != 0:
        raise SystemExit("interop: making the certificates failed: " + r.stdout + r.stderr)
    for name, (leaf, rest) in CERTS.items():
        with open(os.path.join(d, name + ".chain.pem"), "w") as out:
            for c in [leaf] + rest:
                out.write(open(os.path.join(d, c + ".pem")).read())
        if rest:
            with open(os.path.join(d, name + ".rest.pem"), "w") as out:
                for c in rest:
                    out.write(open(os.path.join(d, c + ".pem")).read())


# ---- Cases ----------------------------------------------------------------------------------------
class Case:
    def __init__(self, name, what, proto=None, cert="p256", group=None, cipher=None, tickets=True,
                 path="/ok", refuse=None, resume=False, hrr=None, keepalive=False, stacks=STACKS,
                 seclevel0=False):
        self.name, self.what = name, what
        self.proto, self.cert, self.group, self.cipher, self.tickets = proto, cert, group, cipher, tickets
        self.path, self.refuse, self.resume, self.hrr, self.keepalive = path, refuse, resume, hrr, keepalive
        self.stacks, self.seclevel0 = stacks, seclevel0


CASES = [
    Case("tls1.3-only", "protocol: TLS 1.3 only (ECDSA P-256)", proto="1.3"),
    Case("tls1.2-only", "protocol: TLS 1.2 only (ECDSA P-256)", proto="1.2"),
    Case("rsa2048-tls1.3", "certificate RSA-2048, TLS 1.3", proto="1.3", cert="rsa2048"),
    Case("rsa2048-tls1.2", "certificate RSA-2048, TLS 1.2 (RSA-PSS ServerKeyExchange)", proto="1.2",
         cert="rsa2048"),
    Case("rsa4096-tls1.3", "certificate RSA-4096, TLS 1.3", proto="1.3", cert="rsa4096"),
    Case("rsa4096-tls1.2", "certificate RSA-4096, TLS 1.2", proto="1.2", cert="rsa4096"),
    Case("p384-tls1.3", "certificate ECDSA P-384, TLS 1.3", proto="1.3", cert="p384"),
    Case("p384-tls1.2", "certificate ECDSA P-384, TLS 1.2", proto="1.2", cert="p384"),
    Case("chain-ordered", "chain leaf, issuer, root-side intermediate", cert="ordered"),
    Case("chain-out-of-order", "chain leaf, root-side intermediate, issuer", cert="out-of-order"),
    Case("chain-extra-cert", "chain with an unrelated CA certificate after the leaf", cert="extra"),
    Case("x25519-tls1.3", "key exchange X25519 only, TLS 1.3 (HelloRetryRequest)", proto="1.3",
         group="x25519", hrr=True),
    Case("p256-tls1.3", "key exchange P-256 only, TLS 1.3", proto="1.3", group="p256", hrr=False),
    Case("p384-kx-tls1.3", "key exchange P-384 only, TLS 1.3 (HelloRetryRequest)", proto="1.3",
         group="p384", hrr=True),
    Case("x25519-tls1.2", "key exchange X25519 only, TLS 1.2", proto="1.2", group="x25519"),
    Case("p256-tls1.2", "key exchange P-256 only, TLS 1.2", proto="1.2", group="p256"),
    Case("p384-kx-tls1.2", "key exchange P-384 only, TLS 1.2", proto="1.2", group="p384"),
    Case("aes128gcm-tls1.3", "cipher AES-128-GCM, TLS 1.3", proto="1.3", cipher="aes128"),
    Case("aes256gcm-tls1.3", "cipher AES-256-GCM, TLS 1.3", proto="1.3", cipher="aes256"),
    Case("chacha20-tls1.3", "cipher ChaCha20-Poly1305, TLS 1.3", proto="1.3", cipher="chacha"),
    Case("aes128gcm-tls1.2", "cipher ECDHE-ECDSA AES-128-GCM, TLS 1.2", proto="1.2", cipher="aes128"),
    Case("aes256gcm-tls1.2", "cipher ECDHE-ECDSA AES-256-GCM, TLS 1.2", proto="1.2", cipher="aes256"),
    Case("chacha20-tls1.2", "cipher ECDHE-ECDSA ChaCha20-Poly1305, TLS 1.2", proto="1.2",
         cipher="chacha"),
    Case("aes128gcm-rsa-tls1.2", "cipher ECDHE-RSA AES-128-GCM, TLS 1.2", proto="1.2",
         cipher="aes128", cert="rsa2048"),
    Case("resume-tls1.3-ticket", "resumption: TLS 1.3 ticket, on a chain back to the server",
         proto="1.3", path="/start", resume=True),
    Case("resume-tls1.2-ticket", "resumption: TLS 1.2 ticket", proto="1.2", path="/start",
         resume=True),
    Case("resume-tls1.2-session-id", "resumption: TLS 1.2 session ID only (no tickets)",
         proto="1.2", tickets=False, path="/start", resume=True),
    Case("keepalive-chain", "keep-alive: A(https) -> B(http) -> A(https) on one connection to A",
         path="/start", keepalive=True, stacks=("nginx",)),
    # gnutls-serv picks TLS 1.1, then finds none of smv's suites usable in it (all AEAD, TLS 1.2+)
    # and ends with handshake_failure: to smv a failed negotiation, not a version it was told of.
    Case("refuse-tls1.1", "refused: TLS 1.1 only", proto="1.1", seclevel0=True,
         refuse={"*": "SMV_ERR_TLS_VERSION", "gnutls": "SMV_ERR_TLS_HANDSHAKE"}),
    Case("refuse-cbc-only", "refused: TLS 1.2 with only a CBC suite (smv offers AEAD only)",
         proto="1.2", cipher="cbc", refuse="SMV_ERR_TLS_HANDSHAKE"),
    Case("refuse-ip-as-dns", "refused: the address only as a dNSName SAN", cert="ipdns",
         refuse="SMV_ERR_TLS_CERT_HOSTNAME"),
]

# What a stack cannot be made to do; the case is reported as n/a with the reason.
def not_applicable(stack, case):
    if stack == "python":
        if case.cipher and case.proto == "1.3":
            return "Python's ssl has no call to choose the TLS 1.3 suites"
        if case.group == "x25519":
            return "Python's ssl chooses a group only by EC curve name (set_ecdh_curve), not X25519"
    if case.keepalive and stack != "nginx":
        return "the server closes every connection after one response"
    return None


# ---- The plain-HTTP hop B -------------------------------------------------------------------------
class Redirector(BaseHTTPRequestHandler):
    """B: /he?to=URL answers 302 to URL (the seed's chain A(https) -> B(http) -> A(https))."""
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        to = parse_qs(urlsplit(self.path).query).get("to", [""])[0]
        self.send_response(302 if to else 404)
        if to:
            self.send_header("Location", to)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *a):
        pass


# ---- Servers --------------------------------------------------------------------------------------
def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def port_open(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
        return True
    except OSError:
        return False


LIVE = set()          # servers running now: stopped by the signal handler if the run is cut short
LIVE_LOCK = threading.Lock()


class Server:
    """One server process in its own process group (killed whole, by its id, when stopped)."""

    def __init__(self, stack, case, pki, bport, work):
        self.stack, self.case, self.pki, self.bport = stack, case, pki, bport
        self.work = tempfile.mkdtemp(prefix=stack + ".", dir=work)
        self.log = os.path.join(self.work, "server.log")
        self.proc = None
        self.port = None
        self.b2 = None  # nginx's own B, for the keep-alive case

    def file(self, name):
        return os.path.join(self.pki, name)

    def start(self):
        for _ in range(5):
            if self._start_once():
                return
            self.stop()
        raise RuntimeError("%s server did not start: %s" % (self.stack, self.tail()))

    def _spawn(self, argv, cwd=None, stdout=None):
        self.logf = open(self.log, "w")
        with LIVE_LOCK:
            self.proc = subprocess.Popen(argv, cwd=cwd or self.work, stdin=subprocess.DEVNULL,
                                         stdout=stdout or self.logf, stderr=subprocess.STDOUT,
                                         start_new_session=True)
            LIVE.add(self)

    def _wait(self, ready):
        deadline = time.time() + SERVER_START_S
        while time.time() < deadline:
            if self.proc.poll() is not None:
                return False
            if ready():
                return True
            time.sleep(0.02)
        return False

    def _log_has(self, text):
        try:
            return text in open(self.log, errors="replace").read()
        except OSError:
            return False

    def _start_once(self):
        c, cert = self.case, CERTS[self.case.cert]
        leaf = cert[0]
        chain, key = self.file(c.cert + ".chain.pem"), self.file(leaf + ".key")
        if self.stack == "python":
            argv = [sys.executable, os.path.join(HERE, "pyserver.py"), "--cert", chain, "--key", key,
                    "--b", "http://127.0.0.1:%d/he" % self.bport]
            argv += python_args(c)
            self._spawn(argv)
            if not self._wait(lambda: self._log_has("PORT ")):
                return False
            self.port = int(re.search(r"PORT (\d+)", open(self.log).read()).group(1))
            return True
        self.port = free_port()
        if self.stack == "openssl":
            www = os.path.join(self.work, "www")
            os.makedirs(www, exist_ok=True)
            routes = {"ok": "HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\nok\n",
                      "start": "HTTP/1.0 302 Found\r\nLocation: http://127.0.0.1:%d/he?to=https://"
                               "127.0.0.1:%d/finish\r\nContent-Length: 0\r\n\r\n" % (self.bport, self.port),
                      "finish": "HTTP/1.0 302 Found\r\nLocation: %s\r\nContent-Length: 0\r\n\r\n" % RETURN_URL}
            for name, text in routes.items():
                with open(os.path.join(www, name), "w") as f:
                    f.write(text)
            argv = ["openssl", "s_server", "-accept", "127.0.0.1:%d" % self.port, "-HTTP", "-msg",
                    "-cert", self.file(leaf + ".pem"), "-key", key]
            if cert[1]:
                argv += ["-cert_chain", self.file(c.cert + ".rest.pem")]
            argv += openssl_args(c)
            self._spawn(argv, cwd=www)
            return self._wait(lambda: self._log_has("ACCEPT"))
        if self.stack == "gnutls":
            argv = ["gnutls-serv", "-p", str(self.port), "--http", "-a", "--x509certfile", chain,
                    "--x509keyfile", key, "--priority", gnutls_priority(c)]
            if not c.tickets:
                argv.append("--noticket")
            self._spawn(argv)
            return self._wait(lambda: self._log_has("listening on IPv4"))
        if self.stack == "nginx":
            if c.keepalive:
                self.b2 = free_port()
            conf = os.path.join(self.work, "nginx.conf")
            with open(conf, "w") as f:
                f.write(nginx_conf(c, self, chain, key))
            self._spawn(["nginx", "-p", self.work, "-c", conf, "-e", os.path.join(self.work, "error.log")])
            # nginx says nothing when it listens: the ports answer, and it is still running (a
            # port that a parallel case took in between would answer too, but nginx would exit)
            if not self._wait(lambda: port_open(self.port) and (not self.b2 or port_open(self.b2))):
                return False
            time.sleep(0.05)
            return self.proc.poll() is None
        raise ValueError(self.stack)

    def url(self):
        return "https://127.0.0.1:%d%s" % (self.port, self.case.path)

    def stop(self):
        with LIVE_LOCK:
            LIVE.discard(self)
        if self.proc and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout=3)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        if getattr(self, "logf", None):
            self.logf.close()

    def tail(self):
        try:
            return open(self.log, errors="replace").read()[-1500:]
        except OSError:
            return ""

    def view(self):
        """The server's own account: connections, full and resumed handshakes, HelloRetryRequests,
        tickets sent, groups, from its log (read once the server has stopped)."""
        text = open(self.log, errors="replace").read()
        return VIEWS[self.stack](text, self)


def openssl_args(c):
    a = {"1.3": ["-tls1_3"], "1.2": ["-tls1_2"], "1.1": ["-tls1_1"]}.get(c.proto, [])
    if c.group:
        a += ["-groups", {"x25519": "X25519", "p256": "P-256", "p384": "P-384"}[c.group]]
    if c.cipher and c.proto == "1.3":
        a += ["-ciphersuites", TLS13_SUITE[c.cipher]]
    elif c.cipher:
        a += ["-cipher", tls12_suite(c)]
    if not c.tickets:
        a.append("-no_ticket")
    if c.seclevel0:
        a += ["-cipher", "DEFAULT@SECLEVEL=0"]
    return a


TLS13_SUITE = {"aes128": "TLS_AES_128_GCM_SHA256", "aes256": "TLS_AES_256_GCM_SHA384",
               "chacha": "TLS_CHACHA20_POLY1305_SHA256"}


def tls12_suite(c):
    auth = "RSA" if c.cert.startswith("rsa") else "ECDSA"
    return {"aes128": "ECDHE-%s-AES128-GCM-SHA256", "aes256": "ECDHE-%s-AES256-GCM-SHA384",
            "chacha": "ECDHE-%s-CHACHA20-POLY1305", "cbc": "ECDHE-%s-AES128-SHA256"}[c.cipher] % auth


def gnutls_priority(c):
    p = "NORMAL"
    if c.proto:
        p += ":-VERS-ALL:+VERS-TLS" + c.proto
    if c.group:
        p += ":-GROUP-ALL:+GROUP-" + {"x25519": "X25519", "p256": "SECP256R1", "p384": "SECP384R1"}[c.group]
    if c.cipher:
        p += ":-CIPHER-ALL:+" + {"aes128": "AES-128-GCM", "aes256": "AES-256-GCM",
                                 "chacha": "CHACHA20-POLY1305", "cbc": "AES-128-CBC"}[c.cipher]
        if c.cipher == "cbc":
            p += ":+SHA256:+SHA1"
    return p


def python_args(c):
    a = ["--proto", c.proto] if c.proto else []
    if c.cipher:
        a += ["--ciphers", tls12_suite(c)]
    if c.group:
        a += ["--curve", {"p256": "prime256v1", "p384": "secp384r1"}[c.group]]
    if not c.tickets:
        a.append("--no-ticket")
    if c.seclevel0:
        a.append("--seclevel0")
    return a


def nginx_conf(c, s, chain, key):
    w = s.work
    ssl = ["ssl_certificate %s;" % chain, "ssl_certificate_key %s;" % key,
           "ssl_protocols %s;" % {"1.3": "TLSv1.3", "1.2": "TLSv1.2", "1.1": "TLSv1.1"}.get(c.proto, "TLSv1.2 TLSv1.3"),
           "ssl_session_cache shared:smv:1m;",
           "ssl_session_tickets %s;" % ("on" if c.tickets else "off")]
    if c.group:
        ssl.append("ssl_ecdh_curve %s;" % {"x25519": "X25519", "p256": "prime256v1", "p384": "secp384r1"}[c.group])
    if c.cipher and c.proto == "1.3":
        ssl.append("ssl_conf_command Ciphersuites %s;" % TLS13_SUITE[c.cipher])
    elif c.cipher:
        ssl.append("ssl_ciphers %s;" % tls12_suite(c))
    if c.seclevel0:
        ssl.append("ssl_ciphers DEFAULT@SECLEVEL=0;")
    b = "http://127.0.0.1:%d/he" % (s.b2 or s.bport)
    if not s.b2:
        b += "?to=https://127.0.0.1:%d/finish" % s.port
    temp = "".join("  %s_temp_path %s/tmp_%s;\n" % (t, w, t)
                   for t in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    b_server = ""
    if s.b2:
        b_server = ("  server {\n    listen 127.0.0.1:%d;\n    keepalive_timeout 30;\n"
                    "    location = /he { return 302 https://127.0.0.1:%d/finish; }\n  }\n" % (s.b2, s.port))
    return """daemon off;
master_process off;
worker_processes 1;
pid %(w)s/nginx.pid;
error_log %(w)s/error.log notice;
events { worker_connections 64; }
http {
  log_format view escape=json '{"conn":"$connection","port":"$server_port","reused":"$ssl_session_reused",'
                              '"proto":"$ssl_protocol","cipher":"$ssl_cipher","curve":"$ssl_curve",'
                              '"uri":"$request_uri","status":"$status"}';
  access_log %(w)s/server.log view;
%(temp)s  server {
    listen 127.0.0.1:%(port)d ssl;
    %(ssl)s
    keepalive_timeout %(ka)s;
    location = /ok { return 200 "ok\\n"; }
    location = /start { return 302 %(b)s; }
    location = /finish { return 302 %(ret)s; }
  }
%(b_server)s}
""" % {"w": w, "temp": temp, "port": s.port, "ssl": "\n    ".join(ssl), "b": b, "ret": RETURN_URL,
       "ka": "30" if c.keepalive else "0", "b_server": b_server}


# ---- The servers' views ---------------------------------------------------------------------------
def view_openssl(text, s):
    # s_server -msg: "<<< TLS 1.3, Handshake [length 00ef], ClientHello" received, ">>> ..." sent. A
    # ClientHello that answers a ServerHello (nothing sent in between) follows a HelloRetryRequest;
    # a handshake whose server Finished went out without a Certificate before it was resumed.
    v = {"conns": 0, "full": 0, "resumed": 0, "hrr": 0, "tickets": 0}
    after_server_hello = cert = False
    for line in text.splitlines():
        m = re.match(r"(<<<|>>>) .*Handshake \[length [0-9a-f]+\], (\w+)$", line)
        if not m:
            continue
        d, msg = m.groups()
        if d == "<<<" and msg == "ClientHello":
            if after_server_hello:
                v["hrr"] += 1
            else:
                v["conns"] += 1
                cert = False
        after_server_hello = d == ">>>" and msg == "ServerHello"
        if d == ">>>" and msg == "Certificate":
            cert = True
            v["full"] += 1
        if d == ">>>" and msg == "Finished" and not cert:
            v["resumed"] += 1
        if d == ">>>" and msg == "NewSessionTicket":
            v["tickets"] += 1
    return v


def view_gnutls(text, s):
    # gnutls-serv reports a connection once its handshake is over, or the handshake's error
    accepted = text.count("* Accepted connection")
    resumed = text.count("*** This is a resumed session")
    curves = re.findall(r"Using curve: (\S+)", text)
    return {"conns": accepted + text.count("Error in handshake"), "full": accepted - resumed,
            "resumed": resumed, "groups": sorted(set(curves)),
            "ciphers": sorted(set(re.findall(r"^- Cipher: (\S+)", text, re.M))),
            "sigs": sorted(set(re.findall(r"^- Server Signature: (\S+)", text, re.M)))}


def view_nginx(text, s):
    tls = {}
    for line in text.splitlines():
        try:
            e = json.loads(line)
        except ValueError:
            continue
        if e["port"] == str(s.port):
            tls.setdefault(e["conn"], e)
    reused = sum(1 for e in tls.values() if e["reused"] == "r")
    return {"conns": len(tls), "full": len(tls) - reused, "resumed": reused,
            "requests": sum(1 for line in text.splitlines() if '"port":"%d"' % s.port in line),
            "groups": sorted({e["curve"] for e in tls.values() if e["curve"]}),
            "ciphers": sorted({e["cipher"] for e in tls.values() if e["cipher"]})}


def view_python(text, s):
    conns = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
    ok = [e for e in conns if "version" in e]
    reused = sum(1 for e in ok if e["reused"])
    return {"conns": len(conns), "full": len(ok) - reused, "resumed": reused,
            "ciphers": sorted({e["cipher"] for e in ok})}


VIEWS = {"openssl": view_openssl, "gnutls": view_gnutls, "nginx": view_nginx, "python": view_python}


def show_view(v):
    out = "%d conn, %d full, %d resumed" % (v["conns"], v["full"], v["resumed"])
    if v["conns"] > v["full"] + v["resumed"]:
        out += ", %d failed" % (v["conns"] - v["full"] - v["resumed"])
    if v.get("hrr"):
        out += ", %d HRR" % v["hrr"]
    for k in ("groups", "ciphers", "sigs"):
        if v.get(k):
            out += ", " + "/".join(v[k])
    if v.get("sent"):
        out += ", chain sent " + ",".join(v["sent"])
    if "requests" in v and v["requests"] != v["conns"]:
        out += ", %d requests" % v["requests"]
    return out


# ---- One case -------------------------------------------------------------------------------------
def run_smv(args, stack, case, url, pki):
    root = os.path.join(pki, "root.pem")
    twice = stack == "gnutls" and case.resume
    if twice:  # gnutls-serv cannot redirect: two flows on one client (tests/interop/twice.c)
        argv = [args.twice, url.replace("/start", "/ok"), root]
    else:
        argv = [args.smv, "follow", url, "--carrier", "lo", "--json", "--cacert", root,
                "--return-url", RETURN_URL, "--max-time", "8", "--connect-timeout", "5"]
    r = subprocess.run(argv, capture_output=True, text=True, timeout=CLIENT_TIMEOUT_S)
    results = []
    for line in r.stdout.splitlines():
        try:
            results.append(json.loads(line))
        except ValueError:
            pass
    if not results:
        try:
            results = [json.loads(r.stdout)]
        except ValueError:
            results = []
    return r.returncode, results, r.stderr


def run_curl(stack, case, url, pki):
    root = os.path.join(pki, "root.pem")
    argv = ["curl", "-sS", "--cacert", root, "-o", "/dev/null", "-w", "%{http_code} %{redirect_url}\\n",
            "--max-time", "8"]
    if stack == "gnutls" and case.resume:
        u = url.replace("/start", "/ok")
        argv += [u, "-o", "/dev/null", u]
    elif case.path == "/start":
        argv += ["-L", "--max-redirs", "2", url]   # stops at the redirect to the returnUrl (exit 47)
    else:
        argv.append(url)
    r = subprocess.run(argv, capture_output=True, text=True, timeout=CLIENT_TIMEOUT_S)
    lines = r.stdout.split()
    if r.returncode == 47 and RETURN_URL in r.stdout:
        return True, "302 -> returnUrl"
    if r.returncode == 0:
        codes = [x for x in lines if x.isdigit()]
        return all(x == "200" for x in codes), " ".join(codes)
    err = [e for e in r.stderr.splitlines() if e.startswith("curl: (")]
    why = ""
    if err:
        msg = err[0].split(") ", 1)[-1]
        why = ": " + (msg.rsplit("::", 1)[-1] if "::" in msg else msg.split(": ", 1)[-1])[:48]
    return False, "exit %d%s" % (r.returncode, why)


def wire_chain(port):
    """The certificates the server really sends, by CN, in order (openssl s_client -showcerts)."""
    r = subprocess.run(["openssl", "s_client", "-connect", "127.0.0.1:%d" % port, "-showcerts"],
                       stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=10)
    return re.findall(r"^ *\d+ s:.*?CN ?= ?([^,/\n]+)", r.stdout, re.M)


def describe_smv(rc, results):
    if not results:
        return "exit %d, no JSON" % rc
    last = results[-1]
    if last.get("error"):
        return "exit %d %s" % (rc, last["error"]["code"])
    tls = [h["tls"] + ("+reused" if h.get("reused") else "") for h in
           [h for r in results for h in r.get("hops", [])] if h["url"].startswith("https")]
    return "exit %d %s" % (rc, " ".join(tls))


def judge(stack, case, rc, results, v, curl_ok):
    """The reasons the case failed (empty: passed)."""
    bad = []
    last = results[-1] if results else {}
    if case.refuse:
        code = (last.get("error") or {}).get("code")
        want = case.refuse.get(stack, case.refuse["*"]) if isinstance(case.refuse, dict) else case.refuse
        if rc != 6 or code != want:
            bad.append("want exit 6 %s, got exit %d %s" % (want, rc, code))
        if stack == "openssl" and v["conns"] < 1:  # the stack that logs every ClientHello
            bad.append("the server saw no ClientHello")
        return bad
    if rc != 0:
        bad.append("smv exit %d" % rc)
    if not curl_ok:
        bad.append("curl, the control, failed: the server setup is wrong")
    hops = [h for r in results for h in r.get("hops", []) if h["url"].startswith("https")]
    if case.proto and hops and not hops[0]["tls"].startswith("tls" + case.proto):
        bad.append("negotiated %s, want TLS %s" % (hops[0]["tls"], case.proto))
    if case.resume:
        full = sum(r["stats"]["tls_full"] for r in results if "stats" in r)
        resumed = sum(r["stats"]["tls_resumed"] for r in results if "stats" in r)
        if (full, resumed) != (1, 1) or not hops or not hops[-1]["tls"].endswith("-resumed"):
            bad.append("smv: %d full + %d resumed handshakes, want 1 + 1" % (full, resumed))
        if (v["conns"], v["full"], v["resumed"]) != (2, 1, 1):
            bad.append("server: %s, want 2 connections, 1 full, 1 resumed" % show_view(v))
        if stack == "openssl" and not case.tickets and v["tickets"]:
            bad.append("s_server sent %d tickets with -no_ticket" % v["tickets"])
        if stack == "openssl" and case.tickets and not v["tickets"]:
            bad.append("s_server sent no ticket")
    elif case.keepalive:
        st = last.get("stats", {})
        if (st.get("connections"), st.get("tls_full"), st.get("tls_resumed")) != (2, 1, 0):
            bad.append("smv stats %s, want 2 connections (A once, B once), 1 full handshake" % st)
        if len(hops) != 2 or not hops[1].get("reused"):
            bad.append("smv did not reuse its connection to A")
        if (v["conns"], v["full"], v.get("requests")) != (1, 1, 2):
            bad.append("nginx: %s, want 1 connection, 1 full handshake, 2 requests" % show_view(v))
    elif v["conns"] != 1 or v["full"] != 1:
        bad.append("server: %s, want 1 connection with a full handshake" % show_view(v))
    if case.hrr is not None and stack == "openssl" and bool(v["hrr"]) != case.hrr:
        bad.append("HelloRetryRequest %s, want %s" % (v["hrr"], case.hrr))
    want_group = {"x25519": "X25519", "p256": {"gnutls": "SECP256R1", "nginx": "prime256v1"},
                  "p384": {"gnutls": "SECP384R1", "nginx": "secp384r1"}}.get(case.group)
    if isinstance(want_group, dict):
        want_group = want_group.get(stack)
    if want_group and "groups" in v and v["groups"] != [want_group]:
        bad.append("group %s, want %s" % (v["groups"], want_group))
    want_cipher = {"aes128": "AES128GCM", "aes256": "AES256GCM", "chacha": "CHACHA20"}.get(case.cipher)
    if want_cipher and "ciphers" in v and not all(want_cipher in re.sub(r"[-_]", "", c.upper())
                                                  for c in v["ciphers"] or ["none"]):
        bad.append("cipher %s, want %s" % (v["ciphers"], want_cipher))
    return bad


def run_case(args, stack, case, pki, bport, work):
    try:
        return run_case_once(args, stack, case, pki, bport, work)
    except Exception as e:  # a server that would not start, a client that hung
        return {"stack": stack, "case": case.name, "status": "FAIL", "smv": "-", "curl": "-",
                "server": "-", "why": [repr(e)]}


def run_case_once(args, stack, case, pki, bport, work):
    reason = not_applicable(stack, case)
    if reason:
        return {"stack": stack, "case": case.name, "status": "n/a", "smv": "-", "curl": "-",
                "server": reason, "why": []}
    srv = Server(stack, case, pki, bport, work)
    try:
        srv.start()
        rc, results, err = run_smv(args, stack, case, srv.url(), pki)
    finally:
        srv.stop()
    v = srv.view()
    ctl = Server(stack, case, pki, bport, work)
    try:
        ctl.start()
        curl_ok, curl_desc = run_curl(stack, case, ctl.url(), pki)
        sent = wire_chain(ctl.port) if CERTS[case.cert][1] else None
    finally:
        ctl.stop()
    cv = ctl.view()
    if sent is not None and sent != [CERTS[case.cert][0]] + CERTS[case.cert][1]:
        return {"stack": stack, "case": case.name, "status": "n/a", "smv": describe_smv(rc, results),
                "curl": curl_desc, "server": "the server sends the chain as %s, not as given" % ",".join(sent),
                "why": []}
    v["sent"] = sent
    bad = judge(stack, case, rc, results, v, curl_ok)
    out = {"stack": stack, "case": case.name, "status": "FAIL" if bad else "pass",
           "smv": describe_smv(rc, results), "curl": curl_desc + (" [%s]" % show_view(cv) if case.resume or case.keepalive else ""),
           "server": show_view(v), "why": bad}
    if bad:
        out["detail"] = {"smv_stdout": results, "smv_stderr": err[-1500:], "server_log": srv.tail()}
    else:
        shutil.rmtree(srv.work, ignore_errors=True)
        shutil.rmtree(ctl.work, ignore_errors=True)
    return out


# ---- Main -----------------------------------------------------------------------------------------
def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--smv", required=True)
    p.add_argument("--twice", required=True, help="the smv_interop_twice program (tests/interop/twice.c)")
    p.add_argument("--stack", action="append", choices=STACKS, help="default: every stack")
    p.add_argument("--case", action="append", help="only these cases (names as in --list)")
    p.add_argument("--table", action="store_true", help="print the stack x case table (markdown)")
    p.add_argument("--jobs", type=int, default=3, help="cases run at once (default 3)")
    p.add_argument("--pki", help="use the certificates already made in this directory")
    p.add_argument("--make-pki", metavar="DIR", help="only make the certificates into DIR")
    p.add_argument("--list", action="store_true", help="list the cases")
    p.add_argument("--keep", action="store_true", help="keep the work directory")
    a = p.parse_args()
    if a.list:
        for c in CASES:
            print("%-26s %s" % (c.name, c.what))
        return 0
    if a.make_pki:
        make_pki(a.make_pki)
        return 0
    stacks = a.stack or list(STACKS)
    missing = [t for t in ["curl", "openssl"] + [TOOL[s] for s in stacks] if not shutil.which(t)]
    if missing:
        print("interop: SKIP, missing %s (toolchains/install-build-deps.sh installs them)" % ", ".join(missing))
        return 77
    for prog in (a.smv, a.twice):
        if not os.access(prog, os.X_OK):
            print("interop: no program at %s" % prog, file=sys.stderr)
            return 1
    cases = [c for c in CASES if not a.case or c.name in a.case]
    work = tempfile.mkdtemp(prefix="smv-interop.")

    def cut_short(sig, frame):  # ctest's timeout, ^C: no server outlives the run
        with LIVE_LOCK:
            for srv in list(LIVE):
                try:
                    os.killpg(srv.proc.pid, signal.SIGKILL)
                except (ProcessLookupError, AttributeError):
                    pass
        shutil.rmtree(work, ignore_errors=True)
        os._exit(1)
    signal.signal(signal.SIGTERM, cut_short)
    signal.signal(signal.SIGINT, cut_short)
    b = ThreadingHTTPServer(("127.0.0.1", 0), Redirector)
    b.daemon_threads = True
    threading.Thread(target=b.serve_forever, daemon=True).start()
    failed = False
    t0 = time.time()
    try:
        pki = a.pki
        if not pki:
            pki = os.path.join(work, "pki")
            make_pki(pki)
        jobs = [(s, c) for s in stacks for c in cases if s in c.stacks]
        with ThreadPoolExecutor(max_workers=max(1, a.jobs)) as ex:
            futs = [ex.submit(run_case, a, s, c, pki, b.server_address[1], work) for s, c in jobs]
            rows = []
            for f in futs:
                r = f.result()
                rows.append(r)
                if not a.table:
                    print("%-4s %-7s %-26s smv: %-34s curl: %-22s server: %s" % (
                        r["status"], r["stack"], r["case"], r["smv"], r["curl"], r["server"]), flush=True)
                if r["status"] == "FAIL":
                    failed = True
                    for w in r["why"]:
                        print("     FAIL: %s" % w, file=sys.stderr)
                    if "detail" in r:
                        print("     " + json.dumps(r["detail"])[:3000], file=sys.stderr)
        if a.table:
            print("| stack | case | result | smv (exit, TLS per https hop) | curl | server's view (smv's run) |")
            print("|---|---|---|---|---|---|")
            for r in rows:
                print("| %s | %s | %s | %s | %s | %s |" % (r["stack"], r["case"], r["status"], r["smv"],
                                                           r["curl"], r["server"]))
        counts = {k: sum(1 for r in rows if r["status"] == k) for k in ("pass", "FAIL", "n/a")}
        print("\ninterop: %d passed, %d failed, %d not applicable (%s; %.1f s)" % (
            counts["pass"], counts["FAIL"], counts["n/a"], ", ".join(stacks), time.time() - t0))
    finally:
        b.shutdown()
        if a.keep or failed:
            print("interop: kept %s" % work, file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
