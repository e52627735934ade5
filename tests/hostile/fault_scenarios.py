#!/usr/bin/env python3
"""fault_scenarios.py SIPSPEC: faults in the middle of a call (issue 18 part 6), through a live
`sipspec serve` and `sipspec call` on 127.0.0.1. Each ends with the result and exit status
docs/cli.md documents, the counters that say what happened, and within the bound the timers
give (T1 is 100 ms here, so 64*T1 = 6.4 s), never a hang.

  sigstop_mid_call      serve stopped (SIGSTOP) while the call is held, UDP and TCP: the BYE gets
                        no response, Timer F ends it: result ok, exit 0, bye_status null,
                        bye_reason "no response to BYE (Timer F)", sipByeAcksMissing 1. After
                        SIGCONT serve takes the late BYE, ends the dialog and stops with exit 0.
  sigstop_before_answer serve stopped before the INVITE: Timer B, result timeout, exit 4,
                        sipInviteTimeouts 1; serve, continued, answers the stale INVITE to a
                        client that is gone and still stops cleanly.
  tcp_reset_by_server   a scripted TCP server resets the connection (SO_LINGER 0) in the middle
                        of the dialog: the dialog outlives its connection (RFC 3261 18: the BYE
                        opens a new one) and gets 200; with the listener gone too, the BYE
                        fails at once with the transport error (no Timer F).
  tcp_reset_by_client   a scripted TCP client resets its connection after the ACK: serve's BYE
                        (--bye-after) to its Contact is refused at once, serve ends the dialog
                        (sipTransportErrors, no Timer F), and a call held beside it is unharmed.
  icmp_mid_dialog       a scripted UDP client closes its socket after the ACK: serve's BYE meets
                        the ICMP port unreachable (RFC 3261 18.4) and the dialog ends at once.
                        The client side of ICMP (an INVITE to a closed port, serve killed during
                        a call) is in tests/scenarios/cli_scenarios.py (port_unreachable,
                        peer_gone_mid_dialog).

Loopback only. Every process started here is stopped by its PID (a stopped one is continued
first), every wait is bounded."""
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
T64 = 6.4  # 64*T1 with MRCP_SIP_RETRANS_T1_MS=100


def base_env(**extra):
    return clean_env(False, **{"MRCP_SIP_RETRANS_T1_MS": "100", **extra})


class Server(Serve):
    def __init__(self, *args):
        super().__init__(SIPSPEC, args, base_env())

    def stop(self, want_status=0):
        """SIGCONT (in case), SIGTERM by PID; returns serve's telemetry from its `telemetry` line."""
        if self.p.poll() is None:
            os.kill(self.p.pid, signal.SIGCONT)
        st = self.signal_and_wait(signal.SIGTERM, T64 + 10, "serve")
        m = self.wait_for(r"^telemetry (\{.*\})$", 5.0)
        check(st == want_status, f"serve exit status {st}, expected {want_status}: {self.lines[-4:]}")
        return json.loads(m.group(1)) if check(m is not None, f"serve printed its telemetry: {self.lines[-3:]}") else {}


def start_call(uri, tp="udp", hold=1000):
    return run_call(SIPSPEC, uri, base_env(), tp, hold)


def finish_call(p, what, max_s):
    """Waits at most max_s; returns (exit status, JSON object, seconds waited)."""
    rc, out, err, took = wait_output(p, what, max_s)
    obj = {}
    try:
        obj = json.loads(out) if out.strip() else {}
    except ValueError:
        check(False, f"{what}: not JSON: {out!r}")
    check(rc is not None and rc >= 0, f"{what}: ended by a signal, stderr {err[-300:]!r}")
    return rc, obj, took


def hdr(msg, name):
    m = re.search(r"\r\n" + name + r": *([^\r]*)\r\n", msg, re.I)
    return m.group(1) if m else ""


ANSWER = ("v=0\r\no=srv 77 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
          "m=application 1544 TCP/MRCPv2 1\r\na=setup:passive\r\na=connection:new\r\n"
          "a=channel:0123abcd@speechsynth\r\na=cmid:1\r\n"
          "m=audio 4000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=sendonly\r\na=mid:1\r\n")

OFFER = ("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
         "m=application 9 TCP/MRCPv2 1\r\na=setup:active\r\na=connection:new\r\n"
         "a=resource:speechsynth\r\na=cmid:1\r\nm=audio 4002 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n"
         "a=recvonly\r\na=mid:1\r\n")


def response(req, status, tag="srv1", contact_port=0, tp="udp", body=""):
    vias = "".join(f"Via: {v}\r\n" for v in re.findall(r"\r\nVia: *([^\r]*)", req, re.I))
    to = hdr(req, "To") + ("" if ";tag=" in hdr(req, "To") else ";tag=" + tag)
    ct = "Content-Type: application/sdp\r\n" if body else ""
    return (f"SIP/2.0 {status}\r\n{vias}From: {hdr(req, 'From')}\r\nTo: {to}\r\nCall-ID: {hdr(req, 'Call-ID')}\r\n"
            f"CSeq: {hdr(req, 'CSeq')}\r\nContact: <sip:srv@127.0.0.1:{contact_port};transport={tp}>\r\n{ct}"
            f"Content-Length: {len(body)}\r\n\r\n{body}").encode("latin-1")


def read_msg(c, max_s=10.0):
    """One whole SIP message (head and Content-Length body) from a TCP socket, or ''."""
    data, deadline = b"", time.monotonic() + max_s
    c.settimeout(0.1)
    while time.monotonic() < deadline:
        while data.startswith(b"\r\n"):
            data = data[2:]
        if b"\r\n\r\n" in data:
            head, rest = data.split(b"\r\n\r\n", 1)
            m = re.search(rb"\r\nContent-Length: *(\d+)", head, re.I)
            n = int(m.group(1)) if m else 0
            if len(rest) >= n:
                return (head + b"\r\n\r\n" + rest[:n]).decode("latin-1"), rest[n:]
        try:
            d = c.recv(65536)
        except socket.timeout:
            continue
        except OSError:
            break
        if not d:
            break
        data += d
    return "", data


def rst_close(c):
    c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    c.close()


# ---- the scenarios ----------------------------------------------------------------------------

def sigstop_mid_call():
    for tp in ("udp", "tcp"):
        srv = Server()
        p = start_call(srv.uri, tp=tp, hold=1500)
        try:
            check(srv.wait_for(r"^established ", 10) is not None, f"sigstop {tp}: established")
            os.kill(srv.p.pid, signal.SIGSTOP)
            st, obj, took = finish_call(p, f"sigstop {tp}", 1.5 + T64 + 10)
            t = obj.get("telemetry", {})
            check(st == 0 and obj.get("result") == "ok" and obj.get("status") == 200 and obj.get("ended_by") == "local",
                  f"sigstop {tp}: result ok, exit 0, ended by us: {st} {obj}")
            check(obj.get("bye_status") is None and obj.get("bye_reason") == "no response to BYE (Timer F)",
                  f"sigstop {tp}: the BYE ended by Timer F: {obj.get('bye_status')} {obj.get('bye_reason')!r}")
            check(t.get("sipByeSent") == 1 and t.get("sipByeAcksMissing") == 1 and t.get("sipTransportErrors") == 0,
                  f"sigstop {tp}: counters {t}")
            check(1.5 + T64 - 1.0 <= took <= 1.5 + T64 + 5.0, f"sigstop {tp}: ended on Timer F (hold + 64*T1), took {took:.1f} s")
            n = len(srv.lines)
            os.kill(srv.p.pid, signal.SIGCONT)
            check(srv.wait_for(r"^ended ", 5.0, start=n) is not None or any(l.startswith("ended ") for l in srv.lines),
                  f"sigstop {tp}: continued, serve takes the late BYE and ends the dialog: {srv.lines[-3:]}")
        finally:
            if p.poll() is None:
                p.kill()
                p.wait(timeout=10)
            tel = srv.stop()
        check(tel.get("sessionsEstablished") == 1 and tel.get("sipByeSent") == 0,
              f"sigstop {tp}: serve's counters: one session, no BYE of its own: {tel}")


def sigstop_before_answer():
    for tp in ("udp", "tcp"):
        srv = Server()
        os.kill(srv.p.pid, signal.SIGSTOP)
        p = start_call(srv.uri, tp=tp, hold=200)
        try:
            st, obj, took = finish_call(p, f"stopped server {tp}", T64 + 10)
            t = obj.get("telemetry", {})
            check(st == 4 and obj.get("result") == "timeout" and obj.get("status") is None,
                  f"stopped server {tp}: timeout, exit 4: {st} {obj}")
            check(t.get("sipInviteTimeouts") == 1 and t.get("sessionsFailed") == 1 and t.get("sipTransportErrors") == 0,
                  f"stopped server {tp}: counters {t}")
            check(T64 - 1.0 <= took <= T64 + 5.0, f"stopped server {tp}: ended on Timer B (64*T1), took {took:.1f} s")
        finally:
            if p.poll() is None:
                p.kill()
                p.wait(timeout=10)
        os.kill(srv.p.pid, signal.SIGCONT)
        check(srv.wait_for(r"^invited ", 5.0) is not None, f"stopped server {tp}: continued, it takes the stale INVITE")
        time.sleep(0.5)
        tel = srv.stop()
        check(srv.p.returncode == 0, f"stopped server {tp}: serve stops cleanly after answering a client that is gone: {tel}")


def scripted_tcp_call(keep_listening):
    """A TCP server script: 200 to the INVITE, the ACK, then a reset. Returns (status, obj, took
    after the reset, the BYE it got on a new connection or '')."""
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", 0))
    ls.listen(4)
    ls.settimeout(10)
    port = ls.getsockname()[1]
    p = start_call(f"sip:mresources@127.0.0.1:{port};transport=tcp", tp="tcp", hold=2500)
    bye = ""
    try:
        c, _ = ls.accept()
        inv, _ = read_msg(c)
        if not check(inv.startswith("INVITE "), f"tcp reset: the INVITE arrived: {inv[:60]!r}"):
            return None, {}, 0, ""
        c.sendall(response(inv, "200 OK", contact_port=port, tp="tcp", body=ANSWER))
        ack, _ = read_msg(c)
        check(ack.startswith("ACK "), f"tcp reset: the ACK arrived: {ack[:60]!r}")
        time.sleep(0.5)
        rst_close(c)  # mid-dialog, the INVITE client transaction still in Accepted (Timer M)
        t0 = time.monotonic()
        if keep_listening:
            c2, _ = ls.accept()
            bye, _ = read_msg(c2)
            if bye.startswith("BYE "):
                c2.sendall(response(bye, "200 OK", contact_port=port, tp="tcp"))
            time.sleep(0.3)
            c2.close()
        else:
            ls.close()
        st, obj, _ = finish_call(p, "tcp reset", 2.5 + T64 + 10)
        return st, obj, time.monotonic() - t0, bye
    finally:
        if p.poll() is None:
            p.kill()
            p.wait(timeout=10)
        ls.close()


def tcp_reset_by_server():
    st, obj, took, bye = scripted_tcp_call(True)
    t = obj.get("telemetry", {})
    check(bye.startswith("BYE "), f"tcp reset, listener kept: the BYE came on a new connection: {bye[:60]!r}")
    check(st == 0 and obj.get("result") == "ok" and obj.get("bye_status") == 200 and obj.get("ended_by") == "local",
          f"tcp reset, listener kept: the dialog outlived its connection, BYE answered 200: {st} {obj}")
    check(t.get("sipByeAcksMissing") == 0, f"tcp reset, listener kept: counters {t}")
    st, obj, took, _ = scripted_tcp_call(False)
    t = obj.get("telemetry", {})
    check(st == 0 and obj.get("result") == "ok" and obj.get("status") == 200 and obj.get("bye_status") is None and
          (obj.get("bye_reason") or "").startswith("transport error"),
          f"tcp reset, listener gone: the BYE fails with the transport error: {st} {obj}")
    check(t.get("sipTransportErrors", 0) >= 1 and t.get("sipByeAcksMissing") == 0, f"tcp reset, listener gone: counters {t}")
    check(took < 2.5 + 4.0, f"tcp reset, listener gone: ended at once after the hold, not on Timer F ({took:.1f} s)")


def raw_invite(port, me, tp, callid):
    return (f"INVITE sip:mresources@127.0.0.1:{port} SIP/2.0\r\nVia: SIP/2.0/{tp.upper()} 127.0.0.1:{me};branch=z9hG4bK{callid}\r\n"
            f"Max-Forwards: 70\r\nFrom: <sip:f@127.0.0.1>;tag=ff1\r\nTo: <sip:mresources@127.0.0.1>\r\nCall-ID: {callid}@h\r\n"
            f"CSeq: 1 INVITE\r\nContact: <sip:f@127.0.0.1:{me};transport={tp}>\r\nContent-Type: application/sdp\r\n"
            f"Content-Length: {len(OFFER)}\r\n\r\n{OFFER}")


def raw_ack(ok, port, me, tp, callid):
    return (f"ACK sip:mresources@127.0.0.1:{port} SIP/2.0\r\nVia: SIP/2.0/{tp.upper()} 127.0.0.1:{me};branch=z9hG4bK{callid}ack\r\n"
            f"Max-Forwards: 70\r\nFrom: <sip:f@127.0.0.1>;tag=ff1\r\nTo: {hdr(ok, 'To')}\r\nCall-ID: {callid}@h\r\n"
            f"CSeq: 1 ACK\r\nContent-Length: 0\r\n\r\n")


def tcp_reset_by_client():
    srv = Server("--bye-after", "1000")
    held = start_call(srv.uri, tp="tcp", hold=800)  # ends before serve's bye-after
    try:
        c = socket.create_connection(("127.0.0.1", srv.port), timeout=5)
        me = c.getsockname()[1]
        c.sendall(raw_invite(srv.port, me, "tcp", "rstc").encode())
        ok = ""
        for _ in range(4):  # 180, then 200
            m, _ = read_msg(c, 5.0)
            if m.startswith("SIP/2.0 200"):
                ok = m
                break
        if check(ok != "", "tcp reset by the client: the 200 came"):
            c.sendall(raw_ack(ok, srv.port, me, "tcp", "rstc").encode())
            time.sleep(0.2)
        rst_close(c)
        t0 = time.monotonic()
        m = srv.wait_for(r"^ended rstc@h", T64 + 5)
        check(m is not None and time.monotonic() - t0 < 1.0 + 3.0,
              f"tcp reset by the client: serve's BYE refused at once, the dialog ended ({time.monotonic() - t0:.1f} s)")
        st, obj, _ = finish_call(held, "tcp reset by the client: the held call", 20)
        check(st == 0 and obj.get("result") == "ok" and obj.get("bye_status") == 200, f"the held call beside it: {st} {obj}")
    finally:
        if held.poll() is None:
            held.kill()
            held.wait(timeout=10)
        tel = srv.stop()
    check(tel.get("sipByeSent") == 1 and tel.get("sipTransportErrors", 0) >= 1 and tel.get("sipByeAcksMissing") == 0,
          f"tcp reset by the client: serve's counters {tel}")


def icmp_mid_dialog():
    srv = Server("--bye-after", "1000")
    held = start_call(srv.uri, hold=800)
    try:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("127.0.0.1", 0))
        s.settimeout(0.1)
        me = s.getsockname()[1]
        s.sendto(raw_invite(srv.port, me, "udp", "icmp").encode(), ("127.0.0.1", srv.port))
        ok, deadline = "", time.monotonic() + 5
        while time.monotonic() < deadline and not ok:
            try:
                d, _ = s.recvfrom(65536)
            except socket.timeout:
                continue
            if d.startswith(b"SIP/2.0 200"):
                ok = d.decode("latin-1")
        if check(ok != "", "icmp: the 200 came"):
            s.sendto(raw_ack(ok, srv.port, me, "udp", "icmp").encode(), ("127.0.0.1", srv.port))
        s.close()  # the port is closed: serve's BYE meets an ICMP port unreachable
        t0 = time.monotonic()
        m = srv.wait_for(r"^ended icmp@h", T64 + 5)
        check(m is not None and time.monotonic() - t0 < 1.0 + 3.0,
              f"icmp: serve's BYE failed at once on the ICMP error, the dialog ended ({time.monotonic() - t0:.1f} s)")
        st, obj, _ = finish_call(held, "icmp: the held call", 20)
        check(st == 0 and obj.get("result") == "ok" and obj.get("bye_status") == 200, f"icmp: the held call beside it: {st} {obj}")
    finally:
        if held.poll() is None:
            held.kill()
            held.wait(timeout=10)
        tel = srv.stop()
    check(tel.get("sipByeSent") == 1 and tel.get("sipTransportErrors", 0) >= 1 and tel.get("sipByeAcksMissing") == 0,
          f"icmp: serve's counters {tel}")


def main():
    only = sys.argv[2:]
    cases = (sigstop_mid_call, sigstop_before_answer, tcp_reset_by_server, tcp_reset_by_client, icmp_mid_dialog)
    return run_cases([c for c in cases if not only or c.__name__ in only])


if __name__ == "__main__":
    sys.exit(main())
