#!/usr/bin/env python3
# The measuring half of tests/bench/chain.sh (see there for usage). Python because each run has to
# be timed and accounted on its own (wait4() gives the child's user and system time to the
# microsecond, which bash's `times` cannot give per process) and the server's request log has to be
# cut into per-run slices; the clients under test are the real programs, started directly.
import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

RETURN_URL = "myapp://verified"
HEAP_TARGET = 48 * 1024


def die(msg):
    print("chain: " + msg, file=sys.stderr)
    sys.exit(2)


def start_server(smv, work):
    log = os.path.join(work, "server.log")
    ready = os.path.join(work, "ready")
    with open(ready, "w") as out, open(os.path.join(work, "server.err"), "w") as err:
        proc = subprocess.Popen([smv, "testserver", "--scenario", "chain", "--log", log,
                                 "--dir", os.path.join(work, "certs")], stdout=out, stderr=err)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            die("the test server exited: " + open(os.path.join(work, "server.err")).read())
        text = open(ready).read()
        if text.endswith("\n"):
            return proc, json.loads(text.splitlines()[0]), log
        time.sleep(0.05)
    proc.kill()
    die("the test server printed no ready line")


def make_capath(work, ca):
    """A system store the test server's CA is part of: the system bundle plus that CA, in a directory
    laid out like /etc/ssl/certs (smv indexes dir/ca-certificates.crt; curl reads the same file)."""
    system = "/etc/ssl/certs/ca-certificates.crt"
    if not os.path.exists(system):
        die("no system bundle at " + system + " (apt-get install ca-certificates)")
    d = os.path.join(work, "capath")
    os.makedirs(d, exist_ok=True)
    bundle = os.path.join(d, "ca-certificates.crt")
    with open(bundle, "wb") as out:
        out.write(open(system, "rb").read())
        out.write(b"\n")
        out.write(open(ca, "rb").read())
    roots = open(bundle).read().count("BEGIN CERTIFICATE")
    return d, bundle, roots


def run_measured(argv, out_path, err_path):
    """Runs argv with stdout/stderr to files; returns (exit status, wall s, user s, sys s). (No maxrss:
    a spawned child's high-water mark starts from the parent's, so it would measure Python.)"""
    acts = [(os.POSIX_SPAWN_OPEN, 1, out_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600),
            (os.POSIX_SPAWN_OPEN, 2, err_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)]
    t0 = time.perf_counter()
    pid = os.posix_spawn(argv[0], argv, os.environ, file_actions=acts)
    _, status, ru = os.wait4(pid, 0)
    wall = time.perf_counter() - t0
    return os.waitstatus_to_exitcode(status), wall, ru.ru_utime, ru.ru_stime


def log_slice(log, offset, want, timeout=2.0):
    """The request-log entries written after offset; waits until `want` are there (the server logs a
    request as it answers it, so they normally are already)."""
    deadline = time.monotonic() + timeout
    while True:
        with open(log) as f:
            f.seek(offset)
            text = f.read()
        lines = [l for l in text.splitlines() if l.strip()]
        if len(lines) >= want or time.monotonic() > deadline:
            return [json.loads(l) for l in lines], offset + len(text.encode())
        time.sleep(0.01)


def server_view(entries):
    """Connections and handshakes as the server saw them: `conn` numbers each accepted connection,
    `tls_resumed` says how that connection's handshake went."""
    conns = {}
    for e in entries:
        conns.setdefault(e["conn"], e)
    full = sum(1 for e in conns.values() if e["listener"] == "https" and not e.get("tls_resumed"))
    resumed = sum(1 for e in conns.values() if e["listener"] == "https" and e.get("tls_resumed"))
    return len(entries), len(conns), full, resumed


class Variant:
    def __init__(self, name, tool, argv, trust):
        self.name, self.tool, self.argv, self.trust = name, tool, argv, trust
        self.wall, self.cpu = [], []
        self.client_conns, self.srv = [], []
        self.hook_peak = []
        self.failures = []
        self.massif = None

    def check(self, rc, out):
        """Did the run end where it should, and what does the client itself say it did?"""
        if self.tool == "smv":
            try:
                r = json.loads(out)
            except ValueError:
                return "no JSON result (exit %d)" % rc
            if rc != 0 or r.get("outcome") != "return_url":
                return "exit %d outcome %s error %s" % (rc, r.get("outcome"), r.get("error"))
            self.client_conns.append(r["stats"]["connections"])
            self.hook_peak.append(r["stats"]["heap_peak_bytes"])
            return None
        # curl stops with 47 (--max-redirs reached) at the response that points at the returnUrl
        fields = out.split()
        if rc != 47 or len(fields) < 3 or not fields[2].startswith(RETURN_URL):
            return "exit %d output %r" % (rc, out.strip())
        self.client_conns.append(int(fields[0]))
        return None


def massif(argv, work, tag):
    """Heap peak under valgrind massif (--pages-as-heap=no: malloc'd bytes, not mapped pages).
    Returns (peak useful bytes, peak with allocator overhead) of the peak snapshot, the figure
    ms_print draws, or None when valgrind is missing or the run failed."""
    vg = shutil.which("valgrind")
    if not vg:
        return None
    out = os.path.join(work, "massif." + tag)
    rc = subprocess.run([vg, "--tool=massif", "--pages-as-heap=no", "--peak-inaccuracy=0.0",
                         "--massif-out-file=" + out] + argv, stdout=subprocess.DEVNULL,
                        stderr=subprocess.DEVNULL).returncode
    if rc not in (0, 47) or not os.path.exists(out):
        return None
    best = (0, 0)
    heap = extra = 0
    for line in open(out):
        m = re.match(r"mem_heap_B=(\d+)", line)
        if m:
            heap = int(m.group(1))
        m = re.match(r"mem_heap_extra_B=(\d+)", line)
        if m:
            extra = int(m.group(1))
            if heap + extra > sum(best):
                best = (heap, extra)
    return best[0], best[0] + best[1], out


def fmt_ms(xs):
    return "%.2f" % (1000 * statistics.median(xs)) if xs else "-"


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(p / 100.0 * len(xs)))] if xs else 0


def same(xs):
    """'2' when every run gave 2, '2..3' otherwise."""
    if not xs:
        return "-"
    lo, hi = min(xs), max(xs)
    return str(lo) if lo == hi else "%s..%s" % (lo, hi)


def kib(n):
    return "%.1f" % (n / 1024.0) if n else "-"


def main():
    ap = argparse.ArgumentParser(prog="chain.sh")
    ap.add_argument("--runs", type=int, default=50)
    ap.add_argument("--smv", required=True)
    ap.add_argument("--curl", default=shutil.which("curl"))
    ap.add_argument("--no-massif", action="store_true")
    ap.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    a = ap.parse_args()
    if not a.curl:
        die("curl is needed as the peer (apt-get install curl)")
    smv = os.path.abspath(a.smv)
    work = tempfile.mkdtemp(prefix="smv-bench-chain.")
    proc, ready, log = start_server(smv, work)
    try:
        return bench(a, smv, work, ready, log)
    finally:
        proc.terminate()
        proc.wait()
        if a.keep:
            print("kept " + work)
        else:
            shutil.rmtree(work, ignore_errors=True)


def bench(a, smv, work, ready, log):
    url = ready["https"] + "/chain/start"
    ca = ready["ca"]
    capath, bundle, roots = make_capath(work, ca)
    smv_args = ["follow", url, "--carrier", "lo", "--json", "--return-url", RETURN_URL]
    curl_args = ["-sS", "-L", "--max-redirs", "2", "-o", "/dev/null",
                 "-w", "%{num_connects} %{num_redirects} %{redirect_url}\n", url]
    variants = [
        Variant("smv", "smv", [smv] + smv_args + ["--cacert", ca], "test CA"),
        Variant("curl -L", "curl", [a.curl] + curl_args + ["--cacert", ca], "test CA"),
        Variant("smv", "smv", [smv] + smv_args + ["--capath", capath], "system+CA"),
        Variant("curl -L", "curl", [a.curl] + curl_args + ["--cacert", bundle], "system+CA"),
    ]
    offset = os.path.getsize(log)
    out, err = os.path.join(work, "out"), os.path.join(work, "err")
    # Interleaved: every round runs each variant once, so that load from elsewhere on the machine
    # falls on all of them alike.
    for _ in range(a.runs):
        for v in variants:
            rc, wall, user, sys_ = run_measured(v.argv, out, err)
            problem = v.check(rc, open(out).read())
            entries, offset = log_slice(log, offset, 3)
            if problem:
                v.failures.append(problem + " " + open(err).read().strip()[:200])
                continue
            v.wall.append(wall)
            v.cpu.append(user + sys_)
            v.srv.append(server_view(entries))
    if not a.no_massif:
        for i, v in enumerate(variants):
            v.massif = massif(v.argv, work, "%d" % i)

    print("Chain https -> http -> https -> %s on loopback, %d runs per client, interleaved" %
          (RETURN_URL, a.runs))
    print("smv: %s; curl: %s" % (smv, subprocess.run([a.curl, "--version"], capture_output=True,
                                                      text=True).stdout.splitlines()[0]))
    print("trust: 'test CA' = the server's CA only; 'system+CA' = %d roots (%s plus the test CA)" %
          (roots, "/etc/ssl/certs/ca-certificates.crt"))
    print()
    head = ["client", "trust", "ok", "req", "conns(client)", "conns(server)", "TLS full",
            "TLS resumed", "wall p50 ms", "wall p90 ms", "CPU mean ms", "CPU p50 ms",
            "heap hook KiB", "massif heap KiB", "massif+extra KiB"]
    rows = []
    for v in variants:
        ms = v.massif
        rows.append([v.name, v.trust, "%d/%d" % (len(v.wall), a.runs),
                     same([s[0] for s in v.srv]), same(v.client_conns), same([s[1] for s in v.srv]),
                     same([s[2] for s in v.srv]), same([s[3] for s in v.srv]),
                     fmt_ms(v.wall), "%.2f" % (1000 * pct(v.wall, 90)) if v.wall else "-",
                     "%.2f" % (1000 * statistics.mean(v.cpu)) if v.cpu else "-", fmt_ms(v.cpu),
                     kib(max(v.hook_peak)) if v.hook_peak else "-",
                     kib(ms[0]) if ms else "-", kib(ms[1]) if ms else "-"])
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(head)]
    line = lambda cells: "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths)) + " |"
    print(line(head))
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for r in rows:
        print(line(r))
    print()

    missed = 0
    for v in variants:
        for f in v.failures[:5]:
            print("FAILED RUN %s (%s): %s" % (v.name, v.trust, f))
        missed += len(v.failures)

    def target(ok, text):
        nonlocal missed
        print("%s %s" % ("met:   " if ok else "MISSED:", text))
        if not ok:
            missed += 1

    s_ca, c_ca, s_sys, c_sys = variants
    for v in (s_ca, s_sys):
        if v.srv:
            target(all(s[1] == 2 for s in v.srv) and all(c == 2 for c in v.client_conns),
                   "2 connections per chain (smv, %s)" % v.trust)
            target(all(s[2] == 1 for s in v.srv), "1 full TLS handshake per chain (smv, %s)" % v.trust)
    if s_sys.hook_peak:
        target(max(s_sys.hook_peak) <= HEAP_TARGET,
               "heap peak <= 48 KiB trusting the system store (allocator hook: %s KiB)" %
               kib(max(s_sys.hook_peak)))
    for s, c in ((s_ca, c_ca), (s_sys, c_sys)):
        if s.cpu and c.cpu:
            sm, cm = statistics.mean(s.cpu), statistics.mean(c.cpu)
            target(sm <= cm / 2, "CPU time <= half of curl's (%s: smv %.2f ms, curl %.2f ms, ratio %.2f)"
                   % (s.trust, 1000 * sm, 1000 * cm, sm / cm))
    return 1 if (a.check and missed) else (1 if any(v.failures for v in variants) else 0)


if __name__ == "__main__":
    sys.exit(main())
