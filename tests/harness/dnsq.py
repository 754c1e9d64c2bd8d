#!/usr/bin/env python3
"""One DNS query over UDP, for checking the harness's own DNS servers (tests/harness/lib.sh
h_dns_ask): dnsq.py SERVER NAME A|AAAA. Prints one "ADDRESS TTL" line per answer record of that
type, "NODATA" for an empty answer, or the rcode's name; exit 0 when an answer came, 1 on timeout or
a reply that does not parse. No dig in the package list: this is all the harness needs of it."""
import random
import socket
import struct
import sys

TYPES = {"A": 1, "AAAA": 28}
RCODES = {1: "FORMERR", 2: "SERVFAIL", 3: "NXDOMAIN", 4: "NOTIMP", 5: "REFUSED"}


def skip_name(msg, off):
    while True:
        n = msg[off]
        if n & 0xC0 == 0xC0:
            return off + 2
        off += 1
        if n == 0:
            return off
        off += n


def main():
    server, name, qtype = sys.argv[1], sys.argv[2], TYPES[sys.argv[3]]
    qid = random.randrange(65536)
    q = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0)
    for label in name.rstrip(".").split("."):
        q += bytes([len(label)]) + label.encode()
    q += b"\0" + struct.pack(">HH", qtype, 1)
    family = socket.AF_INET6 if ":" in server else socket.AF_INET
    with socket.socket(family, socket.SOCK_DGRAM) as s:
        s.settimeout(2)
        s.sendto(q, (server, 53))
        try:
            msg = s.recv(4096)
        except socket.timeout:
            print("TIMEOUT")
            return 1
    rid, flags, qd, an = struct.unpack(">HHHH", msg[:8])
    if rid != qid:
        print("BADID")
        return 1
    rcode = flags & 0xF
    if rcode:
        print(RCODES.get(rcode, "RCODE%d" % rcode))
        return 0
    off = 12
    for _ in range(qd):
        off = skip_name(msg, off) + 4
    found = 0
    for _ in range(an):
        off = skip_name(msg, off)
        rtype, _cls, ttl, rdlen = struct.unpack(">HHIH", msg[off:off + 10])
        off += 10
        rdata = msg[off:off + rdlen]
        off += rdlen
        if rtype == qtype:
            fam = socket.AF_INET6 if rtype == 28 else socket.AF_INET
            print(socket.inet_ntop(fam, rdata), ttl)
            found += 1
    if not found:
        print("NODATA")
    return 0


if __name__ == "__main__":
    sys.exit(main())
