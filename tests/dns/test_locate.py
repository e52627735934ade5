#!/usr/bin/env python3
"""tests/dns/test_locate.py: RFC 3263 through the command line, against a DNS server on
loopback (fakedns.py, started and stopped by PID here).

`sipspec resolve --json` shows which targets a call would try and the log of fakedns shows
which questions were asked: NAPTR order picks the transport, SRV priority orders the
targets, no NAPTR falls back to SRV per transport and then to A/AAAA, a port or
MRCP_SIP_DNS_SRV=0 asks for addresses only, answers come from the cache the second time,
a truncated UDP answer is asked again over TCP; NXDOMAIN, SERVFAIL, a silent server and no
server at all end as dns-failed (exit status 10) with a sentence naming the name and the
record type. Then `sipspec call --json` reaches `sipspec serve` through an SRV record, and a
call to a name that does not exist ends dns-failed.

Usage: test_locate.py SIPSPEC WORKDIR
"""
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
FAKEDNS = os.path.join(HERE, "fakedns.py")
DNS_FAILED = 10


def zone(serve_port=None):
    recs = [
        # example.test: TLS first (we have no TLS: skipped), then TCP, then UDP (RFC 3263 4.1)
        {"name": "example.test", "type": "NAPTR", "order": 10, "pref": 50, "flags": "s", "service": "SIPS+D2T",
         "replacement": "_sips._tcp.example.test"},
        {"name": "example.test", "type": "NAPTR", "order": 30, "pref": 50, "flags": "s", "service": "SIP+D2U",
         "replacement": "_sip._udp.example.test"},
        {"name": "example.test", "type": "NAPTR", "order": 20, "pref": 50, "flags": "s", "service": "SIP+D2T",
         "replacement": "_sip._tcp.example.test"},
        {"name": "example.test", "type": "NAPTR", "order": 5, "pref": 50, "flags": "u", "service": "E2U+sip",
         "regexp": "!^.*$!sip:x@example.test!", "replacement": ""},
        {"name": "_sip._tcp.example.test", "type": "SRV", "priority": 10, "weight": 1, "port": 5080,
         "target": "b.example.test"},
        {"name": "_sip._tcp.example.test", "type": "SRV", "priority": 0, "weight": 1, "port": 5070,
         "target": "a.example.test"},
        {"name": "_sip._udp.example.test", "type": "SRV", "priority": 0, "weight": 1, "port": 5090,
         "target": "c.example.test"},
        {"name": "a.example.test", "type": "A", "address": "127.0.0.1"},
        {"name": "b.example.test", "type": "AAAA", "address": "::1"},
        {"name": "c.example.test", "type": "A", "address": "127.0.0.3"},
        # no NAPTR: SRV for UDP, then TCP (RFC 3263 4.1 para 12)
        {"name": "nonaptr.test", "type": "A", "address": "127.0.0.9"},
        {"name": "_sip._tcp.nonaptr.test", "type": "SRV", "priority": 0, "weight": 1, "port": 5071,
         "target": "a.example.test"},
        # neither NAPTR nor SRV: A/AAAA at 5060 (RFC 3263 4.2 para 5)
        {"name": "plain.test", "type": "A", "address": "127.0.0.5"},
        # an SRV answer too big for UDP (TC set): asked again over TCP
        {"name": "big.test", "type": "A", "address": "127.0.0.6"},
        {"name": "_sip._udp.big.test", "type": "SRV", "priority": 0, "weight": 1, "port": 5072,
         "target": "a.example.test"},
    ]
    if serve_port:
        recs += [
            {"name": "mrcp.test", "type": "A", "address": "127.0.0.1"},
            {"name": "_sip._udp.mrcp.test", "type": "SRV", "priority": 0, "weight": 1, "port": serve_port,
             "target": "speech1.mrcp.test"},
            {"name": "speech1.mrcp.test", "type": "A", "address": "127.0.0.1"},
        ]
    return {"records": recs, "servfail": ["broken.test"], "silent": ["slow.test"],
            "truncate": ["_sip._udp.big.test"]}


def stop_process(p, grace):
    """SIGTERM, then SIGKILL after grace seconds."""
    if p.poll() is None:
        os.kill(p.pid, signal.SIGTERM)
        try:
            p.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            os.kill(p.pid, signal.SIGKILL)
            p.wait()


class Dns:
    """fakedns.py on 127.0.0.1, its question log in a file."""

    def __init__(self, workdir, z, tag):
        self.zone_path = os.path.join(workdir, tag + "_zone.json")
        self.log_path = os.path.join(workdir, tag + "_dns.log")
        with open(self.zone_path, "w") as f:
            json.dump(z, f)
        self.log = open(self.log_path, "w+")
        self.p = subprocess.Popen([sys.executable, FAKEDNS, self.zone_path], stdout=self.log,
                                  stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        self.port = None
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and self.port is None:
            m = re.search(r"^port (\d+)$", open(self.log_path).read(), re.M)
            if m:
                self.port = int(m.group(1))
            elif self.p.poll() is not None:
                raise RuntimeError("fakedns ended: " + open(self.log_path).read())
            else:
                time.sleep(0.05)
        if self.port is None:
            raise RuntimeError("fakedns did not start")

    def mark(self):
        return len(open(self.log_path).read().splitlines())

    def questions(self, since=0):
        return [l[len("query "):] for l in open(self.log_path).read().splitlines()[since:] if l.startswith("query ")]

    def stop(self):
        stop_process(self.p, 5)
        self.log.close()


failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    if not cond:
        failures.append(what)


def resolve(sipspec, dns_port, args, srv=1, servers=None, timeout=20):
    env = dict(os.environ)
    env["MRCP_SIP_DNS_SRV"] = str(srv)
    env["MRCP_SIP_DNS_SERVERS"] = servers or "127.0.0.1:%d" % dns_port
    env.pop("MRCP_SIP_TRANSPORT", None)
    t0 = time.monotonic()
    p = subprocess.run([sipspec, "resolve", "--json"] + args, env=env, capture_output=True, text=True,
                       timeout=timeout)
    lines = [json.loads(l) for l in p.stdout.splitlines() if l.startswith("{")]
    return p.returncode, lines, p.stderr, time.monotonic() - t0


def targets(obj):
    return [(t["address"], t["transport"], t["name"]) for t in obj["targets"]]


def closed_udp_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def resolver_cases(sipspec, workdir):
    dns = Dns(workdir, zone(), "resolve")
    try:
        # NAPTR order 20 (TCP) wins: TLS is not ours, "u" records are not for us; SRV priority 0 first
        m = dns.mark()
        rc, out, err, _ = resolve(sipspec, dns.port, ["sip:mrcp@example.test"])
        check(rc == 0 and targets(out[0]) == [("127.0.0.1:5070", "tcp", "a.example.test"),
                                              ("[::1]:5080", "tcp", "b.example.test")],
              "NAPTR order picks TCP, SRV priority orders the targets: %s %s" % (out, err))
        q = dns.questions(m)
        check(q[:2] == ["example.test NAPTR UDP", "_sip._tcp.example.test SRV UDP"],
              "NAPTR first, then the SRV name of the chosen record: %s" % q)
        # a transport given: its SRV name at once, no NAPTR
        m = dns.mark()
        rc, out, err, _ = resolve(sipspec, dns.port, ["--transport", "udp", "sip:mrcp@example.test"])
        check(rc == 0 and targets(out[0]) == [("127.0.0.3:5090", "udp", "c.example.test")],
              "--transport udp: _sip._udp SRV: %s %s" % (out, err))
        check(not any("NAPTR" in x for x in dns.questions(m)), "no NAPTR question when the transport is given")
        # no NAPTR: SRV for UDP (none), then TCP
        m = dns.mark()
        rc, out, err, _ = resolve(sipspec, dns.port, ["sip:mrcp@nonaptr.test"])
        check(rc == 0 and targets(out[0]) == [("127.0.0.1:5071", "tcp", "a.example.test")],
              "no NAPTR: SRV per transport, the first that exists: %s %s" % (out, err))
        check(dns.questions(m)[:3] == ["nonaptr.test NAPTR UDP", "_sip._udp.nonaptr.test SRV UDP",
                                       "_sip._tcp.nonaptr.test SRV UDP"],
              "questions NAPTR, SRV udp, SRV tcp: %s" % dns.questions(m))
        # neither: the name's address at 5060 over UDP
        rc, out, err, _ = resolve(sipspec, dns.port, ["sip:mrcp@plain.test"])
        check(rc == 0 and targets(out[0]) == [("127.0.0.5:5060", "udp", "plain.test")],
              "no NAPTR, no SRV: A at 5060 over UDP: %s %s" % (out, err))
        # a port: addresses only (RFC 3263 4.2 para 3); example.test has none
        m = dns.mark()
        rc, out, err, _ = resolve(sipspec, dns.port, ["sip:mrcp@example.test:5099"])
        check(rc == DNS_FAILED and out and out[0]["result"] == "dns-failed" and
              "example.test A/AAAA" in (out[0]["error"] or ""),
              "a port: A/AAAA only, none: dns-failed naming name and type: %s" % out)
        check(not any("SRV" in x or "NAPTR" in x for x in dns.questions(m)), "no SRV or NAPTR question with a port")
        # MRCP_SIP_DNS_SRV=0: addresses only
        m = dns.mark()
        rc, out, err, _ = resolve(sipspec, dns.port, ["sip:mrcp@a.example.test"], srv=0)
        check(rc == 0 and targets(out[0]) == [("127.0.0.1:5060", "udp", "a.example.test")],
              "MRCP_SIP_DNS_SRV=0: A only: %s %s" % (out, err))
        check(all("A/AAAA" not in x and ("SRV" not in x and "NAPTR" not in x) for x in dns.questions(m)),
              "MRCP_SIP_DNS_SRV=0 asks no SRV or NAPTR: %s" % dns.questions(m))
        # the cache: the same URI twice in one process asks once
        m = dns.mark()
        rc, out, err, _ = resolve(sipspec, dns.port, ["sip:mrcp@example.test", "sip:mrcp@example.test"])
        check(rc == 0 and len(out) == 2 and targets(out[0]) == targets(out[1]) and
              out[1]["telemetry"]["sipDnsCacheHits"] >= 2 and
              out[1]["telemetry"]["sipDnsQueries"] == out[0]["telemetry"]["sipDnsQueries"],
              "the second resolution comes from the cache: %s" % out)
        check(dns.questions(m).count("example.test NAPTR UDP") == 1, "NAPTR asked once for two resolutions")
        # truncated over UDP: asked again over TCP
        m = dns.mark()
        rc, out, err, _ = resolve(sipspec, dns.port, ["--transport", "udp", "sip:mrcp@big.test"])
        check(rc == 0 and targets(out[0]) == [("127.0.0.1:5072", "udp", "a.example.test")],
              "a truncated SRV answer is read over TCP: %s %s" % (out, err))
        check("_sip._udp.big.test SRV TCP" in dns.questions(m), "the SRV question went again over TCP")
        # NXDOMAIN, SERVFAIL
        rc, out, err, _ = resolve(sipspec, dns.port, ["sip:mrcp@missing.test"], srv=0)
        check(rc == DNS_FAILED and "missing.test A/AAAA: no such name (NXDOMAIN)" in (out[0]["error"] or ""),
              "NXDOMAIN: dns-failed naming name and type: %s" % out)
        rc, out, err, _ = resolve(sipspec, dns.port, ["sip:mrcp@broken.test"])
        check(rc == DNS_FAILED and "broken.test NAPTR: the server failed (SERVFAIL)" in (out[0]["error"] or ""),
              "SERVFAIL: dns-failed at once, naming NAPTR: %s" % out)
        # a silent server: c-ares's timeouts (2 s, 2 tries per server) end it
        rc, out, err, took = resolve(sipspec, dns.port, ["sip:mrcp@slow.test"], srv=0, timeout=30)
        check(rc == DNS_FAILED and "slow.test A/AAAA: no answer (timeout)" in (out[0]["error"] or "") and took < 20,
              "a silent server: dns-failed by timeout in %.1f s: %s" % (took, out))
        # no server at all
        rc, out, err, took = resolve(sipspec, dns.port, ["sip:mrcp@a.example.test"], srv=0,
                                     servers="127.0.0.1:%d" % closed_udp_port())
        check(rc == DNS_FAILED and "a.example.test A/AAAA: no DNS server answered" in (out[0]["error"] or "") and took < 20,
              "no DNS server listening: dns-failed in %.1f s: %s" % (took, out))
        # a bad server list
        rc, out, err, _ = resolve(sipspec, dns.port, ["sip:mrcp@a.example.test"], servers="dns.example:53")
        check(rc == 2 and "MRCP_SIP_DNS_SERVERS" in err, "a bad MRCP_SIP_DNS_SERVERS: usage error naming it: %s" % err)
    finally:
        dns.stop()


class Serve:
    """sipspec serve on 127.0.0.1 (UDP), stopped by PID."""

    def __init__(self, sipspec, workdir, tag, extra=()):
        self.out = open(os.path.join(workdir, tag + "_serve.out"), "w+")
        self.p = subprocess.Popen([sipspec, "serve", "--listen", "127.0.0.1:0"] + list(extra), stdout=self.out,
                                  stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        self.port = None
        deadline = time.monotonic() + 10
        while self.port is None and time.monotonic() < deadline and self.p.poll() is None:
            m = re.search(r"listening on 127\.0\.0\.1:(\d+)", open(self.out.name).read())
            if m:
                self.port = int(m.group(1))
            else:
                time.sleep(0.05)
        if self.port is None:
            raise RuntimeError("serve did not start: " + open(self.out.name).read())

    def stop(self):
        stop_process(self.p, 45)
        self.out.close()


def srv(name, prio, port, target):
    return {"name": name, "type": "SRV", "priority": prio, "weight": 1, "port": port, "target": target}


def call(sipspec, dns_port, uri, extra_env=None):
    env = dict(os.environ)
    env.update({"MRCP_SIP_DNS_SRV": "1", "MRCP_SIP_DNS_SERVERS": "127.0.0.1:%d" % dns_port})
    env.pop("MRCP_SIP_TRANSPORT", None)
    env.update(extra_env or {})
    p = subprocess.run([sipspec, "call", "--json", uri], env=env, capture_output=True, text=True, timeout=90)
    out = json.loads(p.stdout) if p.stdout.startswith("{") else {}
    return p.returncode, out, p.stdout[:600] + p.stderr[-300:]


def failover_cases(sipspec, workdir):
    """RFC 3263 4.3: a transport error, no response (Timer B) and a 503 send the INVITE to the
    next target; another failure does not; the JSON lists the targets and why each was left."""
    ok, busy, rejecting = (Serve(sipspec, workdir, "ok"), Serve(sipspec, workdir, "busy", ["--reject", "503"]),
                           Serve(sipspec, workdir, "rejecting", ["--reject", "486"]))
    silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)  # takes INVITEs, never answers
    silent.bind(("127.0.0.1", 0))
    dead = closed_udp_port()
    recs = [{"name": n, "type": "A", "address": "127.0.0.1"} for n in
            ("fo.test", "dead.fo.test", "busy.fo.test", "ok.fo.test", "silent.fo.test", "rej.fo.test")]
    recs += [srv("_sip._udp.fo.test", 0, dead, "dead.fo.test"), srv("_sip._udp.fo.test", 1, busy.port, "busy.fo.test"),
             srv("_sip._udp.fo.test", 2, ok.port, "ok.fo.test"),
             srv("_sip._udp.slow.fo.test", 0, silent.getsockname()[1], "silent.fo.test"),
             srv("_sip._udp.slow.fo.test", 1, ok.port, "ok.fo.test"),
             srv("_sip._udp.none.fo.test", 0, dead, "dead.fo.test"), srv("_sip._udp.none.fo.test", 1, busy.port, "busy.fo.test"),
             srv("_sip._udp.rej.fo.test", 0, rejecting.port, "rej.fo.test"), srv("_sip._udp.rej.fo.test", 1, ok.port, "ok.fo.test")]
    for n in ("slow.fo.test", "none.fo.test", "rej.fo.test"):
        recs.append({"name": n, "type": "A", "address": "127.0.0.1"})
    dns = Dns(workdir, {"records": recs}, "failover")
    try:
        rc, out, raw = call(sipspec, dns.port, "sip:mrcp@fo.test")
        tg = out.get("targets") or []
        check(rc == 0 and out.get("result") == "ok" and len(tg) == 3 and
              tg[0]["address"] == "127.0.0.1:%d" % dead and "transport error" in (tg[0]["left"] or "") and
              tg[1]["address"] == "127.0.0.1:%d" % busy.port and (tg[1]["left"] or "").startswith("503") and
              tg[2]["address"] == "127.0.0.1:%d" % ok.port and tg[2]["left"] is None and
              out["telemetry"].get("sipFailovers") == 2,
              "failover: port unreachable, then 503, then the call: %s" % raw)
        # T1 50 ms: Timer B (3.2 s) ends the silent target; the next target must still answer
        # within its own 64*T1 on a busy machine (20 ms, 1.28 s, left little room under load)
        t0 = time.monotonic()
        rc, out, raw = call(sipspec, dns.port, "sip:mrcp@slow.fo.test", {"MRCP_SIP_RETRANS_T1_MS": "50"})
        tg = out.get("targets") or []
        check(rc == 0 and len(tg) == 2 and "Timer B" in (tg[0]["left"] or "") and time.monotonic() - t0 < 30,
              "failover after Timer B (64*T1 = 3.2 s) without a response: %s" % raw)
        rc, out, raw = call(sipspec, dns.port, "sip:mrcp@none.fo.test")
        check(rc == 3 and out.get("result") == "rejected" and out.get("status") == 503 and
              len(out.get("targets") or []) == 2,
              "every target failed: the last failure is the call's (503, rejected): %s" % raw)
        rc, out, raw = call(sipspec, dns.port, "sip:mrcp@rej.fo.test")
        check(rc == 3 and out.get("status") == 486 and len(out.get("targets") or []) == 1 and
              out["telemetry"].get("sipFailovers") == 0,
              "a 486 is the server's answer: no failover: %s" % raw)
    finally:
        dns.stop()
        silent.close()
        for sv in (ok, busy, rejecting):
            sv.stop()


def call_cases(sipspec, workdir):
    serve = Serve(sipspec, workdir, "call")
    dns = None
    try:
        dns = Dns(workdir, zone(serve.port), "call")
        rc, out, raw = call(sipspec, dns.port, "sip:mrcp@mrcp.test")
        check(rc == 0 and out.get("result") == "ok" and out.get("status") == 200 and out.get("call_id"),
              "call through NAPTR (none), SRV _sip._udp.mrcp.test to serve, with its Call-ID: %s" % raw)
        check("_sip._udp.mrcp.test SRV UDP" in dns.questions(), "the call asked the SRV name")
        rc, out, raw = call(sipspec, dns.port, "sip:mrcp@missing.test")
        check(rc == DNS_FAILED and out.get("result") == "dns-failed" and "missing.test" in (out.get("reason") or ""),
              "a call to a name that does not exist: dns-failed, exit 10: %s" % raw)
    finally:
        if dns:
            dns.stop()
        serve.stop()


def main():
    sipspec, workdir = sys.argv[1], sys.argv[2]
    os.makedirs(workdir, exist_ok=True)
    resolver_cases(sipspec, workdir)
    call_cases(sipspec, workdir)
    failover_cases(sipspec, workdir)
    print("%d failed" % len(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
