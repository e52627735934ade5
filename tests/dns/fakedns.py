#!/usr/bin/env python3
"""tests/dns/fakedns.py: a small authoritative DNS server on loopback for the resolver tests.

It answers A, AAAA, SRV and NAPTR questions from a zone given as JSON (RFC 1035 4.1 message
format, RFC 2782 SRV and RFC 3403 NAPTR RDATA, names uncompressed), over UDP and TCP on the
same port. Names listed under "servfail" get SERVFAIL, names under "silent" get no answer at
all (the client times out), names under "truncate" get an empty answer with TC set over UDP
and the full answer over TCP (RFC 1035 4.2.1: the client retries over TCP). Any other name of
the zone with no record of the asked type gets NOERROR with no answer (NODATA); a name not in
the zone gets NXDOMAIN.

Usage: fakedns.py ZONE.json   prints "port N" on its first line once it listens on
127.0.0.1:N, then one line "query NAME TYPE UDP|TCP" per question. It runs until killed.

Zone: {"records": [{"name": "example.test", "type": "NAPTR", "order": 10, "pref": 50,
                    "flags": "s", "service": "SIP+D2U", "regexp": "", "replacement": "_sip._udp.example.test",
                    "ttl": 60},
                   {"name": "_sip._udp.example.test", "type": "SRV", "priority": 0, "weight": 1,
                    "port": 5070, "target": "a.example.test"},
                   {"name": "a.example.test", "type": "A", "address": "127.0.0.1"}],
       "servfail": [...], "silent": [...], "truncate": [...]}
"""
import json
import selectors
import socket
import struct
import sys

TYPES = {"A": 1, "AAAA": 28, "SRV": 33, "NAPTR": 35}
NAMES = {v: k for k, v in TYPES.items()}


def encode_name(name):
    out = b""
    for label in name.rstrip(".").split("."):
        if label:
            out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def decode_question(msg):
    labels, i = [], 12
    while msg[i]:
        n = msg[i]
        labels.append(msg[i + 1:i + 1 + n].decode(errors="replace"))
        i += 1 + n
    qtype, qclass = struct.unpack("!HH", msg[i + 1:i + 5])
    return ".".join(labels), qtype, msg[12:i + 5]


def rdata(rec):
    t = rec["type"]
    if t == "A":
        return socket.inet_pton(socket.AF_INET, rec["address"])
    if t == "AAAA":
        return socket.inet_pton(socket.AF_INET6, rec["address"])
    if t == "SRV":
        return struct.pack("!HHH", rec["priority"], rec["weight"], rec["port"]) + encode_name(rec["target"])
    if t == "NAPTR":
        def cs(s):
            b = s.encode()
            return bytes([len(b)]) + b
        return (struct.pack("!HH", rec["order"], rec["pref"]) + cs(rec.get("flags", "s")) + cs(rec["service"]) +
                cs(rec.get("regexp", "")) + encode_name(rec["replacement"]))
    raise ValueError(t)


class Zone:
    def __init__(self, data):
        self.records = data.get("records", [])
        self.servfail = {n.lower() for n in data.get("servfail", [])}
        self.silent = {n.lower() for n in data.get("silent", [])}
        self.truncate = {n.lower() for n in data.get("truncate", [])}
        self.names = {r["name"].lower() for r in self.records}

    def answer(self, msg, tcp):
        """The response to query msg, or None for no response."""
        if len(msg) < 17:
            return None
        qid, flags = struct.unpack("!HH", msg[:4])
        name, qtype, question = decode_question(msg)
        key = name.lower()
        print("query %s %s %s" % (name, NAMES.get(qtype, qtype), "TCP" if tcp else "UDP"), flush=True)
        if key in self.silent:
            return None
        rd = flags & 0x0100
        rcode, answers, tc = 0, [], 0
        if key in self.servfail:
            rcode = 2
        elif key not in self.names:
            rcode = 3
        elif key in self.truncate and not tcp:
            tc = 1
        else:
            for r in self.records:
                if r["name"].lower() == key and TYPES[r["type"]] == qtype:
                    data = rdata(r)
                    answers.append(encode_name(r["name"]) + struct.pack("!HHIH", qtype, 1, r.get("ttl", 60), len(data)) + data)
        hflags = 0x8000 | 0x0400 | rd | (tc << 9) | rcode  # QR, AA, RD copied, TC, RCODE
        header = struct.pack("!HHHHHH", qid, hflags, 1, len(answers), 0, 0)
        return header + question + b"".join(answers)


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    with open(sys.argv[1]) as f:
        zone = Zone(json.load(f))
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("127.0.0.1", 0))
    port = udp.getsockname()[1]
    tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    tcp.bind(("127.0.0.1", port))
    tcp.listen(16)
    print("port %d" % port, flush=True)
    sel = selectors.DefaultSelector()
    sel.register(udp, selectors.EVENT_READ, "udp")
    sel.register(tcp, selectors.EVENT_READ, "listen")
    buffers = {}
    while True:
        for key, _ in sel.select():
            s = key.fileobj
            if key.data == "udp":
                msg, peer = s.recvfrom(4096)
                out = zone.answer(msg, False)
                if out is not None:
                    s.sendto(out, peer)
            elif key.data == "listen":
                c, _ = s.accept()
                buffers[c] = b""
                sel.register(c, selectors.EVENT_READ, "conn")
            else:
                data = s.recv(4096)
                if not data:
                    sel.unregister(s)
                    buffers.pop(s, None)
                    s.close()
                    continue
                buffers[s] += data
                while len(buffers[s]) >= 2:
                    n = struct.unpack("!H", buffers[s][:2])[0]
                    if len(buffers[s]) < 2 + n:
                        break
                    msg, buffers[s] = buffers[s][2:2 + n], buffers[s][2 + n:]
                    out = zone.answer(msg, True)
                    if out is not None:
                        s.sendall(struct.pack("!H", len(out)) + out)


if __name__ == "__main__":
    sys.exit(main())
