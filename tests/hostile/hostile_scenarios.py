#!/usr/bin/env python3
"""hostile_scenarios.py SIPSPEC: the SIP CVE classes of issue 18 through a live `sipspec serve`
and `sipspec call` on 127.0.0.1.

serve: while a call from `sipspec call --hold` is held, a UDP socket sends serve the hostile
shapes: a Via like `SIP/2.0/UDP :]` (Kamailio CVE-2018-16657), a Request-URI escape and a
quoted string cut by the end of the datagram (Sofia CVE-2022-31001/-31002, PJSIP
CVE-2022-39244), duplicated To/From/CSeq/Call-ID/Content-Length (Kamailio CVE-2020-27507),
a 4000-octet tag and branch (CVE-2018-14767), SDP with one-character lines (Sofia
CVE-2022-31003), malformed multipart bodies; over TCP, connections closed in the middle of a
message and right after an INVITE (PJSIP CVE-2022-23608's class: a transport gone while a
transaction uses it). Each is answered with 400 (or 415/488 for a body, 481 for an unknown
dialog) carrying a Warning, or dropped when it does not parse (there is no Via to answer);
serve never dies, the held call ends normally, and a new call afterwards works.

call: against a scripted UDP peer, two 2xx with different to-tags to one INVITE (the second
fork is ACKed and ended with BYE, RFC 3261 13.2.2.4), answers with hostile headers and
bodies, a response with a Via that does not parse; against a scripted TCP peer, the
connection reset after 100 Trying. Each call prints one JSON object and exits with its
documented status, never a signal.

Loopback only. Every process started here is stopped by its PID, every wait is bounded."""
import json
import os
import re
import signal
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "harness"))
from scenario_procs import check, clean_env, Serve, run_cases, start_call as run_call, wait_output  # noqa: E402

SIPSPEC = sys.argv[1]


def base_env():
    return clean_env(MRCP_SIP_RETRANS_T1_MS="100")  # short timers: a lost message costs 64*T1 = 6.4 s


class Server(Serve):
    """`sipspec serve` in the background; its stdout lines are read by a thread."""

    def __init__(self, tp="udp"):
        super().__init__(SIPSPEC, ["--transport", tp], base_env(), tp)

    def stop(self):
        return self.signal_and_wait(signal.SIGTERM, 40.0, "serve")


def start_call(uri, tp="udp", hold=1000):
    return run_call(SIPSPEC, uri, base_env(), tp, hold)


def finish_call(p, what, max_s=60):
    rc, out, err, _ = wait_output(p, what, max_s)
    check(rc is not None and rc >= 0, f"{what}: call ended by a signal ({rc}), stderr {err!r}")
    lines = [l for l in out.splitlines() if l.strip()]
    obj = {}
    if check(len(lines) == 1, f"{what}: one JSON line, got {out!r} (stderr {err[-400:]!r})"):
        try:
            obj = json.loads(lines[0])
        except ValueError:
            check(False, f"{what}: not JSON: {lines[0]!r}")
    return rc, obj


def hdr(msg, name):
    m = re.search(r"\r\n" + name + r": *([^\r]*)\r\n", msg, re.I)
    return m.group(1) if m else ""


# ---- serve ----------------------------------------------------------------------------------

OFFER = ("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
         "m=application 9 TCP/MRCPv2 1\r\na=setup:active\r\na=connection:new\r\n"
         "a=resource:speechsynth\r\na=cmid:1\r\nm=audio 4002 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n"
         "a=recvonly\r\na=mid:1\r\n")


def request(port, me, method="OPTIONS", branch="z9hG4bKh1", callid="h1@127.0.0.1", extra="", body="",
            via=None, ctype=None, tag_to="", cl=None):
    via = via if via is not None else f"SIP/2.0/UDP 127.0.0.1:{me};branch={branch}"
    ct = f"Content-Type: {ctype}\r\n" if ctype else ""
    return (f"{method} sip:mresources@127.0.0.1:{port} SIP/2.0\r\nVia: {via}\r\nMax-Forwards: 70\r\n"
            f"From: <sip:h@127.0.0.1>;tag=hf1\r\nTo: <sip:mresources@127.0.0.1>{tag_to}\r\nCall-ID: {callid}\r\n"
            f"CSeq: 1 {method}\r\nContact: <sip:h@127.0.0.1:{me}>\r\n{extra}{ct}"
            f"Content-Length: {len(body) if cl is None else cl}\r\n\r\n{body}")


def serve_hostile_udp():
    srv = Server("udp")
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(0.1)
    me = sock.getsockname()[1]
    held = None
    try:
        held = start_call(srv.uri, hold=6000)
        check(srv.wait_for(r"^established", 10) is not None, "serve: the held call was established")

        def exchange(data, max_s=4.0):
            """Sends data; returns the final responses (status, text) that came back within max_s."""
            sock.sendto(data if isinstance(data, bytes) else data.encode("latin-1"), ("127.0.0.1", srv.port))
            b = re.search(r"branch=([^;\r\n]*)", data)
            want = b.group(1) if b else None  # responses to earlier requests (retransmissions) are not this one's
            got, deadline = [], time.monotonic() + max_s
            while time.monotonic() < deadline:
                try:
                    d, _ = sock.recvfrom(65536)
                except socket.timeout:
                    if got:
                        break
                    continue
                t = d.decode("latin-1")
                m = re.match(r"SIP/2\.0 (\d{3})", t)
                rb = re.search(r"branch=([^;\r\n]*)", t)
                if want and (not rb or rb.group(1) != want):
                    continue
                if m and int(m.group(1)) >= 200:
                    got.append((int(m.group(1)), t))
            return got

        def expect_status(name, data, statuses, warn=True):
            got = exchange(data)
            if check(len(got) >= 1, f"{name}: answered (expected {statuses}), got nothing"):
                st, t = got[0]
                check(st in statuses, f"{name}: status {st}, expected {statuses}: {t[:300]!r}")
                if warn:
                    check(re.search(r"\r\nWarning: *3\d\d ", t) is not None, f"{name}: the {st} carries a Warning: {t[:400]!r}")
                # an ACK for the failure, so serve's INVITE transaction ends at once
                if "CSeq: 1 INVITE" in data if isinstance(data, str) else False:
                    ack = re.sub(r"^INVITE ", "ACK ", data.split("\r\n\r\n")[0]).replace("CSeq: 1 INVITE", "CSeq: 1 ACK")
                    ack = re.sub(r"Content-Length: \d+", "Content-Length: 0", ack)
                    to = hdr(t, "To")
                    ack = re.sub(r"\r\nTo: [^\r]*", lambda _m: "\r\nTo: " + to, ack) + "\r\n\r\n"
                    sock.sendto(ack.encode("latin-1"), ("127.0.0.1", srv.port))
            return got

        def expect_dropped(name, data):
            got = exchange(data, 1.0)
            check(not got, f"{name}: dropped without a response, got {[g[0] for g in got]}")

        # Kamailio CVE-2018-16657: no Via to answer to.
        expect_dropped("Via SIP/2.0/UDP :]", request(srv.port, me, via="SIP/2.0/UDP :]"))
        expect_dropped("Via SIP/2.0/UDP [ unclosed", request(srv.port, me, via="SIP/2.0/UDP [::1;branch=z9hG4bKv2"))
        # Sofia CVE-2022-31001/-31002, PJSIP CVE-2022-39244: cut by the end of the datagram.
        full = request(srv.port, me, branch="z9hG4bKcut")
        expect_dropped("Request-URI '%' at the end of the datagram", f"OPTIONS sip:x%")
        expect_dropped("To URI '%4' at the end of the datagram", full.split("To: ")[0] + "To: <sip:x%4")
        expect_dropped("quoted display name cut", full.split("From: ")[0] + 'From: "abc\\')
        expect_dropped("Max-Forwards cut", full.split("Max-Forwards: ")[0] + "Max-Forwards: 7")
        for cut in (1, 7, 40, len(full) // 2, len(full) - 3):
            expect_dropped(f"OPTIONS cut after {cut} octets", full[:cut])
        # Kamailio CVE-2020-27507: headers that must appear once.
        for name, line in (("To", "To: <sip:z@127.0.0.1>;tag=2nd\r\n"), ("From", "From: <sip:z@127.0.0.1>;tag=2nd\r\n"),
                           ("CSeq", "CSeq: 2 OPTIONS\r\n"), ("Call-ID", "Call-ID: second@x\r\n"),
                           ("Max-Forwards", "Max-Forwards: 9\r\n")):
            got = expect_status(f"a second {name}", request(srv.port, me, branch="z9hG4bKdup" + name, extra=line), (400,))
            if got:
                check("DUPLICATE_HEADER" in hdr(got[0][1], "Warning") or "once" in hdr(got[0][1], "Warning").lower(),
                      f"a second {name}: the Warning names the duplicate: {hdr(got[0][1], 'Warning')!r}")
        # the first Content-Length frames the datagram (0), the second is flagged
        expect_status("two Content-Length values", request(srv.port, me, branch="z9hG4bKdupcl", extra="Content-Length: 0\r\n", body="abcd"), (400,))
        # a Content-Length beyond the datagram: discarded (RFC 3261 18.3)
        expect_dropped("a Content-Length beyond the end of the datagram", request(srv.port, me, branch="z9hG4bKbigcl", cl=400))
        # CVE-2018-14767's class: overlong values.
        expect_status("a 4000-octet branch", request(srv.port, me, branch="z9hG4bK" + "b" * 4000), (400,))
        got = expect_status("a 4000-octet To tag on an OPTIONS outside a dialog",
                            request(srv.port, me, branch="z9hG4bKlongtag", tag_to=";tag=" + "t" * 4000), (200, 481), warn=False)
        expect_status("a 4000-octet From tag on an INVITE",
                      request(srv.port, me, "INVITE", branch="z9hG4bKlongft", callid="lt@h",
                              extra="", body=OFFER, ctype="application/sdp").replace(";tag=hf1", ";tag=" + "f" * 4000),
                      (200, 400, 488), warn=False)
        # Sofia CVE-2022-31003: SDP lines of one character.
        short = "v=0\r\no=\r\ns\r\nc=\r\nt=0 0\r\nm=\r\na\r\n"
        expect_status("SDP with one-character lines", request(srv.port, me, "INVITE", branch="z9hG4bKsdp1", callid="sdp1@h",
                                                              body=short, ctype="application/sdp"), (488,))
        expect_status("SDP cut in its last line", request(srv.port, me, "INVITE", branch="z9hG4bKsdp2", callid="sdp2@h",
                                                          body=OFFER[:-9], ctype="application/sdp"), (200, 488), warn=False)
        # Malformed multipart: the stack parses no multipart, so every multipart body is 415.
        for i, (ct, body) in enumerate((
                ('multipart/mixed;boundary="b1"', f"--b1\r\nContent-Type: application/sdp\r\n\r\n{OFFER}\r\n--b1--\r\n"),
                ("multipart/mixed", "--\r\n--b1\r\n\r\n"),
                ("multipart/mixed;boundary=zz", "--zz\r\nContent-Type: application/sdp\r\nContent-Length: 99\r\n\r\nv=0\r\n--z"),
                ("multipart/alternative;boundary=" + "x" * 3000, "--" + "x" * 3000 + "\r\n"))):
            expect_status(f"multipart body {i}", request(srv.port, me, "INVITE", branch=f"z9hG4bKmp{i}", callid=f"mp{i}@h",
                                                         body=body, ctype=ct), (415,))
        # a Content-Type that does not parse makes the whole message unparseable: dropped
        expect_dropped("Content-Type multipart/mixed with an unclosed quoted boundary",
                       request(srv.port, me, "INVITE", branch="z9hG4bKmpq", callid="mpq@h", body="--ab--\r\n",
                               ctype='multipart/mixed;boundary="ab'))

        check(srv.p.poll() is None, "serve is still running after the hostile datagrams")
        st, obj = finish_call(held, "serve: the held call")
        held = None
        check(st == 0 and obj.get("result") == "ok" and obj.get("ended_by") == "local",
              f"serve: the held call ended normally, got {st} {obj}")
        st, obj = finish_call(start_call(srv.uri, hold=200), "serve: a call after the hostile datagrams")
        check(st == 0 and obj.get("result") == "ok", f"serve: a call after the hostile datagrams works, got {st} {obj}")
    finally:
        if held is not None and held.poll() is None:
            held.kill()
            held.wait(timeout=10)
        sock.close()
        st = srv.stop()
        check(st == 0, f"serve exits 0 after SIGTERM, got {st}")


def serve_hostile_tcp():
    """Connections that go away in the middle of a message, and right after an INVITE (the
    server transaction's transport is gone when it answers)."""
    srv = Server("tcp")
    held = None
    try:
        held = start_call(srv.uri, tp="tcp", hold=4000)
        check(srv.wait_for(r"^established", 10) is not None, "serve tcp: the held call was established")
        inv = request(srv.port, 9, "INVITE", branch="z9hG4bKtcp1", callid="tcp1@h", body=OFFER, ctype="application/sdp")
        inv = inv.replace("SIP/2.0/UDP", "SIP/2.0/TCP")
        for i, (data, rst) in enumerate(((inv[:60], False), (inv[:len(inv) - 10], True), (inv, True), (inv, False),
                                         ("INVITE sip:x SIP/2.0\r\nContent-Length: 99999999\r\n\r\n", False),
                                         (inv.replace("Content-Length: ", "Content-Length: 1") , True))):
            c = socket.create_connection(("127.0.0.1", srv.port), timeout=5)
            if rst:  # close with a reset (RFC 793 abort)
                c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            c.sendall(data.replace("tcp1@h", f"tcp1-{i}@h").replace("z9hG4bKtcp1", f"z9hG4bKtcp1{i}").encode())
            c.close()
        time.sleep(1.0)
        check(srv.p.poll() is None, "serve tcp: still running after the closed connections")
        st, obj = finish_call(held, "serve tcp: the held call")
        held = None
        check(st == 0 and obj.get("result") == "ok", f"serve tcp: the held call ended normally, got {st} {obj}")
        st, obj = finish_call(start_call(srv.uri, tp="tcp", hold=200), "serve tcp: a call afterwards")
        check(st == 0 and obj.get("result") == "ok", f"serve tcp: a call afterwards works, got {st} {obj}")
    finally:
        if held is not None and held.poll() is None:
            held.kill()
            held.wait(timeout=10)
        st = srv.stop()
        check(st == 0, f"serve tcp exits 0 after SIGTERM, got {st}")


# ---- call -----------------------------------------------------------------------------------

ANSWER = ("v=0\r\no=srv 77 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
          "m=application 1544 TCP/MRCPv2 1\r\na=setup:passive\r\na=connection:new\r\n"
          "a=channel:0123abcd@speechsynth\r\na=cmid:1\r\n"
          "m=audio 4000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=sendonly\r\na=mid:1\r\n")


class Peer:
    """A scripted UDP peer on 127.0.0.1 for `sipspec call`."""

    def __init__(self):
        self.s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.s.bind(("127.0.0.1", 0))
        self.s.settimeout(0.1)
        self.port = self.s.getsockname()[1]
        self.uri = f"sip:mresources@127.0.0.1:{self.port}"

    def recv(self, start, method, max_s=10.0):
        deadline = time.monotonic() + max_s
        while time.monotonic() < deadline:
            try:
                d, src = self.s.recvfrom(65536)
            except socket.timeout:
                continue
            t = d.decode("latin-1")
            m = re.search(r"\r\nCSeq: *\d+ +(\w+)\r\n", t)
            if t.startswith(start) and m and m.group(1) == method:
                return t, src
        return None, None

    def respond(self, req, src, status, tag="srv1", extra="", body="", ctype="application/sdp", raw_to=None):
        vias = "".join(f"Via: {v}\r\n" for v in re.findall(r"\r\nVia: *([^\r]*)", req, re.I))
        to = raw_to if raw_to is not None else hdr(req, "To") + ("" if ";tag=" in hdr(req, "To") or not tag else ";tag=" + tag)
        contact = f"Contact: <sip:srv@127.0.0.1:{self.port}>\r\n"
        ct = f"Content-Type: {ctype}\r\n" if body else ""
        self.s.sendto((f"SIP/2.0 {status}\r\n{vias}From: {hdr(req, 'From')}\r\nTo: {to}\r\n"
                       f"Call-ID: {hdr(req, 'Call-ID')}\r\nCSeq: {hdr(req, 'CSeq')}\r\n{contact}{extra}{ct}"
                       f"Content-Length: {len(body)}\r\n\r\n{body}").encode("latin-1"), src)

    def close(self):
        self.s.close()


def call_forked_2xx():
    """PJSIP CVE-2022-23608's shape: two 2xx with different to-tags to one INVITE."""
    peer = Peer()
    p = start_call(peer.uri, hold=1500)
    try:
        inv, src = peer.recv("INVITE ", "INVITE")
        if not check(inv is not None, "fork: the INVITE arrived"):
            return
        peer.respond(inv, src, "180 Ringing", tag="forkA")
        peer.respond(inv, src, "200 OK", tag="forkA", body=ANSWER)
        peer.respond(inv, src, "200 OK", tag="forkB", body=ANSWER.replace("0123abcd", "4567ef01"))
        peer.respond(inv, src, "200 OK", tag="forkA", body=ANSWER)  # a retransmission of the first
        acks, byes = set(), []
        deadline = time.monotonic() + 8
        while time.monotonic() < deadline and not (len(acks) == 2 and byes):
            try:
                d, s2 = peer.s.recvfrom(65536)
            except socket.timeout:
                continue
            t = d.decode("latin-1")
            tag = re.search(r";tag=(\w+)", hdr(t, "To"))
            if t.startswith("ACK ") and tag:
                acks.add(tag.group(1))
            if t.startswith("BYE ") and tag:
                byes.append(tag.group(1))
                peer.respond(t, s2, "200 OK", body="")
        check(acks == {"forkA", "forkB"}, f"fork: both 2xx were ACKed, got {acks}")
        check(byes[:1] == ["forkB"], f"fork: the second fork was ended with BYE first, got {byes}")
        bye, s2 = peer.recv("BYE ", "BYE", 10)
        if check(bye is not None and "tag=forkA" in hdr(bye, "To"), "fork: the call's own dialog (forkA) ends with BYE"):
            peer.respond(bye, s2, "200 OK", body="")
        st, obj = finish_call(p, "fork")
        check(st == 0 and obj.get("result") == "ok" and obj.get("ended_by") == "local",
              f"fork: the call went on with the first fork and ended normally, got {st} {obj}")
    finally:
        if p.poll() is None:
            p.kill()
            p.wait(timeout=10)
        peer.close()


def call_hostile_answer(name, respond, expect_result, expect_status):
    """One call whose INVITE gets the hostile answer respond(peer, inv, src) produces."""
    peer = Peer()
    p = start_call(peer.uri, hold=300)
    try:
        inv, src = peer.recv("INVITE ", "INVITE")
        if not check(inv is not None, f"{name}: the INVITE arrived"):
            return
        respond(peer, inv, src)
        deadline = time.monotonic() + 15
        while p.poll() is None and time.monotonic() < deadline:  # answer whatever follows
            try:
                d, s2 = peer.s.recvfrom(65536)
            except socket.timeout:
                continue
            t = d.decode("latin-1")
            if t.startswith(("BYE ", "CANCEL ", "OPTIONS ")):
                peer.respond(t, s2, "200 OK", tag="", body="")
        st, obj = finish_call(p, name)
        check(st == expect_status and obj.get("result") == expect_result,
              f"{name}: exit {expect_status} result {expect_result}, got {st} {obj}")
    finally:
        if p.poll() is None:
            p.kill()
            p.wait(timeout=10)
        peer.close()


def call_hostile_answers():
    cases = [
        ("a 200 with one-character SDP lines",
         lambda pe, inv, src: pe.respond(inv, src, "200 OK", body="v=0\r\no=\r\ns\r\nc=\r\nt=0 0\r\nm=\r\na\r\n"), "bad-answer", 8),
        ("a 200 with a multipart body",
         lambda pe, inv, src: pe.respond(inv, src, "200 OK", ctype='multipart/mixed;boundary="b1"',
                                         body=f"--b1\r\nContent-Type: application/sdp\r\n\r\n{ANSWER}\r\n--b1--\r\n"), "bad-answer", 8),
        ("a 200 with a 4000-octet to-tag", lambda pe, inv, src: pe.respond(inv, src, "200 OK", tag="t" * 4000, body=ANSWER), "ok", 0),
        # duplicated headers in a response are flagged, not fatal: the first value counts (the
        # one the transaction matched), the call goes on with the first To tag
        ("a 200 with a second To and a second Call-ID",
         lambda pe, inv, src: pe.respond(inv, src, "200 OK", extra="To: <sip:other@127.0.0.1>;tag=zz\r\nCall-ID: other\r\n",
                                         body=ANSWER), "ok", 0),
        # RFC 3261 8.1.3.3: a response with a second Via value is discarded
        ("a 200 with a second Via, then a good 486",
         lambda pe, inv, src: (pe.respond(inv, src, "200 OK", extra="Via: SIP/2.0/UDP 192.0.2.9;branch=z9hG4bKmis\r\n", body=ANSWER),
                               pe.respond(inv, src, "486 Busy Here")), "rejected", 3),
        ("a response with Via SIP/2.0/UDP :] then a good 486",
         lambda pe, inv, src: (pe.s.sendto(("SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP :]\r\n" + inv.split("\r\n", 2)[2]).encode("latin-1"), src),
                               pe.respond(inv, src, "486 Busy Here")), "rejected", 3),
        ("a 200 cut in its To header, then a good 486",
         lambda pe, inv, src: (pe.s.sendto(("SIP/2.0 200 OK\r\nVia: " + hdr(inv, "Via") + "\r\nTo: <sip:x%4").encode("latin-1"), src),
                               pe.respond(inv, src, "486 Busy Here")), "rejected", 3),
    ]
    for name, fn, res, st in cases:
        call_hostile_answer(name, fn, res, st)


def call_tcp_reset():
    """The connection of a pending INVITE reset after 100 Trying: the call ends with
    transport-error at once (RFC 3261 17.1.4), not after Timer B."""
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.bind(("127.0.0.1", 0))
    ls.listen(4)
    ls.settimeout(10)
    port = ls.getsockname()[1]
    t0 = time.monotonic()
    p = start_call(f"sip:mresources@127.0.0.1:{port};transport=tcp", tp="tcp", hold=300)
    try:
        c, _ = ls.accept()
        c.settimeout(5)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = c.recv(65536)
            if not chunk:
                break
            data += chunk
        inv = data.decode("latin-1")
        if check(inv.startswith("INVITE "), "tcp reset: the INVITE arrived"):
            vias = "".join(f"Via: {v}\r\n" for v in re.findall(r"\r\nVia: *([^\r]*)", inv, re.I))
            c.sendall((f"SIP/2.0 100 Trying\r\n{vias}From: {hdr(inv, 'From')}\r\nTo: {hdr(inv, 'To')}\r\n"
                       f"Call-ID: {hdr(inv, 'Call-ID')}\r\nCSeq: {hdr(inv, 'CSeq')}\r\nContent-Length: 0\r\n\r\n").encode())
            time.sleep(0.2)
        c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        c.close()
        st, obj = finish_call(p, "tcp reset", 40)
        check(st == 5 and obj.get("result") == "transport-error", f"tcp reset: transport-error (exit 5), got {st} {obj}")
        check(time.monotonic() - t0 < 10, f"tcp reset: ended at once, took {time.monotonic() - t0:.1f} s")
    finally:
        if p.poll() is None:
            p.kill()
            p.wait(timeout=10)
        ls.close()


def main():
    return run_cases([serve_hostile_udp, serve_hostile_tcp, call_forked_2xx, call_hostile_answers, call_tcp_reset],
                     "hostile")


if __name__ == "__main__":
    sys.exit(main())
