#!/usr/bin/env python3
"""limits_scenarios.py SIPSPEC: the limits of docs/limits.md (issue 18 part 3) through a live
`sipspec serve` on 127.0.0.1, each exceeded beside a call that `sipspec call` holds meanwhile.

  sizes        MRCP_SIP_MAX_MESSAGE_SIZE / _MAX_HEADERS / _MAX_HEADER_LENGTH over UDP: a request
               over each is answered 513 with a Warning naming the limit; a response and an ACK
               over it are dropped; the same requests over TCP get their connection closed with
               no response; a request under the limits is answered 200.
  transactions MRCP_SIP_MAX_TRANSACTIONS: OPTIONS with new branches fill the layer (Timer J
               keeps each one 64*T1); the ones beyond the bound get 503 with Retry-After.
  connections  MRCP_SIP_MAX_CONNECTIONS: one connection too many is closed at once; when one
               closes, a new one is kept.
  idle         MRCP_SIP_IDLE_TIMEOUT_MS: a silent connection is closed after the timeout; one
               whose INVITE is still being answered (ring interval longer than the timeout) is
               kept and gets its 200; the TCP call held longer than the timeout ends normally.
  slow         MRCP_SIP_MESSAGE_TIMEOUT_MS: a header dribbled a byte every 200 ms is cut off
               after the bound; a message sent in three pieces within the bound is answered.

Each checks serve's counters (its `telemetry` line at SIGTERM) and that the held call ends
with result ok and a 200 to its BYE. Loopback only; every process is stopped by its PID,
every wait is bounded."""
import json
import os
import re
import signal
import socket
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "harness"))
from scenario_procs import check, clean_env, Serve, run_cases, start_call as run_call, wait_output  # noqa: E402

SIPSPEC = sys.argv[1]


def base_env(**extra):
    return clean_env(False, **{"MRCP_SIP_RETRANS_T1_MS": "100", **extra})


class Server(Serve):
    """`sipspec serve` with the given MRCP_SIP_* limits; its stdout read by a thread."""

    def __init__(self, *args, **limits):
        super().__init__(SIPSPEC, args, base_env(**limits))

    def stop(self):
        """SIGTERM by PID; returns serve's telemetry (dict) from its `telemetry` line."""
        st = self.signal_and_wait(signal.SIGTERM, 40.0, "serve")
        m = self.wait_for(r"^telemetry (\{.*\})$", 5.0)
        check(st == 0, f"serve exit status {st}")
        return json.loads(m.group(1)) if check(m is not None, f"serve printed its telemetry: {self.lines[-3:]}") else {}


def start_call(uri, tp="udp", hold=1000, **env):
    return run_call(SIPSPEC, uri, base_env(**env), tp, hold)


def finish_call(p, what, max_s=60):
    rc, out, err, _ = wait_output(p, what, max_s)
    obj = {}
    try:
        obj = json.loads(out) if out.strip() else {}
    except ValueError:
        pass
    check(rc == 0 and obj.get("result") == "ok" and obj.get("bye_status") == 200,
          f"{what}: the held call ended ok with a 200 to its BYE, got {rc} {out[:400]!r} {err[-300:]!r}")
    return obj


def request(port, me, method="OPTIONS", branch="z9hG4bKl1", callid="l1@127.0.0.1", extra="", body="", tp="UDP",
            ctype=None):
    ct = f"Content-Type: {ctype}\r\n" if ctype else ""
    return (f"{method} sip:mresources@127.0.0.1:{port} SIP/2.0\r\nVia: SIP/2.0/{tp} 127.0.0.1:{me};branch={branch}\r\n"
            f"Max-Forwards: 70\r\nFrom: <sip:l@127.0.0.1>;tag=lf1\r\nTo: <sip:mresources@127.0.0.1>\r\nCall-ID: {callid}\r\n"
            f"CSeq: 1 {method}\r\nContact: <sip:l@127.0.0.1:{me};transport={tp.lower()}>\r\n{extra}{ct}"
            f"Content-Length: {len(body)}\r\n\r\n{body}")


OFFER = ("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
         "m=application 9 TCP/MRCPv2 1\r\na=setup:active\r\na=connection:new\r\n"
         "a=resource:speechsynth\r\na=cmid:1\r\nm=audio 4002 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n"
         "a=recvonly\r\na=mid:1\r\n")


def udp_exchange(sock, port, data, max_s=2.0):
    """Sends data; returns the final responses (status, text) to its branch within max_s."""
    sock.sendto(data.encode("latin-1"), ("127.0.0.1", port))
    b = re.search(r"branch=([^;\r\n]*)", data)
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
        if m and int(m.group(1)) >= 200 and b and rb and rb.group(1) == b.group(1):
            got.append((int(m.group(1)), t))
    return got


def hdr(msg, name):
    m = re.search(r"\r\n" + name + r": *([^\r]*)\r\n", msg, re.I)
    return m.group(1) if m else ""


def closed_within(s, max_s):
    """Reads until the peer closes (EOF or reset); returns (closed, bytes read, seconds)."""
    t0, data = time.monotonic(), b""
    s.settimeout(0.05)
    while time.monotonic() - t0 < max_s:
        try:
            d = s.recv(65536)
        except socket.timeout:
            continue
        except ConnectionResetError:
            return True, data, time.monotonic() - t0
        if not d:
            return True, data, time.monotonic() - t0
        data += d
    return False, data, time.monotonic() - t0


def tcp_connect(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    return s


# ---- the scenarios ----------------------------------------------------------------------------

def sizes():
    srv = Server(MRCP_SIP_MAX_MESSAGE_SIZE="4000", MRCP_SIP_MAX_HEADERS="40", MRCP_SIP_MAX_HEADER_LENGTH="1000")
    held = start_call(srv.uri, hold=4000)
    check(srv.wait_for(r"^established", 10) is not None, "sizes: the held call was established")
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(0.1)
    me = sock.getsockname()[1]
    try:
        over = {
            "message size": request(srv.port, me, branch="z9hG4bKsz", body="x" * 4500, ctype="text/plain"),
            "header count": request(srv.port, me, branch="z9hG4bKhc", extra="".join(f"X-Pad-{i}: {i}\r\n" for i in range(60))),
            "header line length": request(srv.port, me, branch="z9hG4bKhl", extra="Subject: " + "s" * 2000 + "\r\n"),
        }
        for what, data in over.items():
            got = udp_exchange(sock, srv.port, data)
            if check(len(got) == 1, f"sizes: a request over the {what} limit answered once, got {[g[0] for g in got]}"):
                st, t = got[0]
                check(st == 513, f"sizes: {what}: 513 Message Too Large, got {t[:200]!r}")
                check(what in hdr(t, "Warning") and hdr(t, "Warning").startswith("399 "),
                      f"sizes: {what}: the Warning names the limit: {hdr(t, 'Warning')!r}")
        resp = ("SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bKrs\r\nFrom: <sip:l@127.0.0.1>;tag=a\r\n"
                "To: <sip:m@127.0.0.1>;tag=b\r\nCall-ID: rs@h\r\nCSeq: 1 OPTIONS\r\nContent-Length: 4500\r\n\r\n" % me) + "y" * 4500
        check(not udp_exchange(sock, srv.port, resp, 1.0), "sizes: a response over the size limit is dropped")
        ack = request(srv.port, me, "ACK", branch="z9hG4bKak", body="z" * 4500, ctype="text/plain")
        check(not udp_exchange(sock, srv.port, ack, 1.0), "sizes: an ACK over the size limit is dropped (never answered)")
        got = udp_exchange(sock, srv.port, request(srv.port, me, branch="z9hG4bKok", body="x" * 3000, ctype="text/plain"))
        check([g[0] for g in got] == [200], f"sizes: a request under the limits is answered 200, got {[g[0] for g in got]}")
        # TCP: the connection is closed, nothing answered
        for i, (what, data) in enumerate(over.items()):
            s = tcp_connect(srv.port)
            me_tcp = s.getsockname()[1]
            s.sendall(data.replace(f"127.0.0.1:{me};", f"127.0.0.1:{me_tcp};").replace("SIP/2.0/UDP", "SIP/2.0/TCP").encode())
            closed, rx, took = closed_within(s, 5.0)
            check(closed and not rx, f"sizes: TCP, over the {what} limit: closed without a response ({closed}, {rx[:80]!r})")
            s.close()
        s = tcp_connect(srv.port)
        s.sendall(request(srv.port, s.getsockname()[1], branch="z9hG4bKcl", tp="TCP").replace(
            "Content-Length: 0", "Content-Length: 100000").encode())
        closed, rx, _ = closed_within(s, 5.0)
        check(closed and not rx, f"sizes: TCP, a Content-Length of 100000: closed at its head ({closed}, {rx[:80]!r})")
        s.close()
    finally:
        sock.close()
    check(srv.p.poll() is None, "sizes: serve still runs")
    finish_call(held, "sizes")
    tel = srv.stop()
    check(tel.get("sipMessagesTooLarge") == 9, f"sizes: 5 datagrams and 4 streams counted, got {tel.get('sipMessagesTooLarge')}")


def transactions():
    srv = Server(MRCP_SIP_MAX_TRANSACTIONS="6", MRCP_SIP_RETRY_AFTER_S="7")
    held = start_call(srv.uri, hold=9000)
    check(srv.wait_for(r"^established", 10) is not None, "transactions: the held call was established")
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(0.1)
    me = sock.getsockname()[1]
    statuses = []
    try:
        for i in range(10):
            got = udp_exchange(sock, srv.port, request(srv.port, me, branch=f"z9hG4bKtx{i}", callid=f"tx{i}@h"), 1.0)
            statuses.append(got[0][0] if got else None)
            if got and got[0][0] == 503:
                check(hdr(got[0][1], "Retry-After") == "7", f"transactions: the 503 carries Retry-After: 7: {got[0][1][:300]!r}")
        check(None not in statuses, f"transactions: every OPTIONS answered, got {statuses}")
        check(200 in statuses and statuses.count(503) >= 4 and statuses.index(503) > statuses.index(200) and
              all(s == 503 for s in statuses[statuses.index(503):]),
              f"transactions: 200s until the bound, then 503s, got {statuses}")
        # Timer J (64*T1 = 6.4 s) frees them: the held call's BYE, later, gets its transaction
    finally:
        sock.close()
    finish_call(held, "transactions")
    tel = srv.stop()
    check(tel.get("sipTransactionsRefused") == statuses.count(503),
          f"transactions: {statuses.count(503)} refusals counted, got {tel.get('sipTransactionsRefused')}")


def connections():
    srv = Server(MRCP_SIP_MAX_CONNECTIONS="3")
    held = start_call(srv.uri, tp="tcp", hold=3000)
    check(srv.wait_for(r"^established", 10) is not None, "connections: the held TCP call was established")
    a, b = tcp_connect(srv.port), tcp_connect(srv.port)
    time.sleep(0.3)
    c = tcp_connect(srv.port)  # the fourth with the call's
    closed, rx, took = closed_within(c, 3.0)
    check(closed and not rx and took < 1.0, f"connections: one too many closed at once ({closed}, {took:.2f} s)")
    c.close()
    closed, _, _ = closed_within(a, 0.3)
    check(not closed, "connections: the ones within the bound stay open")
    a.close()
    time.sleep(0.5)
    d = tcp_connect(srv.port)
    closed, _, _ = closed_within(d, 0.5)
    check(not closed, "connections: after one closed, a new one is kept")
    d.sendall(request(srv.port, d.getsockname()[1], branch="z9hG4bKcn", tp="TCP").encode())
    d.settimeout(3.0)
    try:
        rx = d.recv(65536).decode("latin-1")
    except socket.timeout:
        rx = ""
    check(rx.startswith("SIP/2.0 200"), f"connections: it carries an OPTIONS, got {rx[:80]!r}")
    for s in (b, d):
        s.close()
    finish_call(held, "connections")
    tel = srv.stop()
    check(tel.get("sipConnectionsRefused") == 1, f"connections: one refusal counted, got {tel.get('sipConnectionsRefused')}")


def idle():
    srv = Server("--ring-interval", "2500", MRCP_SIP_IDLE_TIMEOUT_MS="1000")
    # the client's T1 of 50 ms ends its INVITE transaction (Timer M, 64*T1 = 3.2 s) long before
    # serve's (Timer L, 6.4 s), after which serve closes the idle connection; the BYE at 9 s opens
    # a new one
    held = start_call(srv.uri, tp="tcp", hold=9000, MRCP_SIP_RETRANS_T1_MS="50")
    silent = tcp_connect(srv.port)
    closed, rx, took = closed_within(silent, 5.0)
    check(closed and not rx and 0.8 <= took <= 3.0, f"idle: a silent connection closed after about 1 s ({closed}, {took:.2f} s)")
    silent.close()
    s = tcp_connect(srv.port)
    me = s.getsockname()[1]
    s.sendall(request(srv.port, me, "INVITE", branch="z9hG4bKid", callid="idle@h", tp="TCP", body=OFFER,
                      ctype="application/sdp").encode())
    t0, got = time.monotonic(), ""
    s.settimeout(0.1)
    while time.monotonic() - t0 < 6.0 and "SIP/2.0 200" not in got:
        try:
            d = s.recv(65536)
        except socket.timeout:
            continue
        if not d:
            break
        got += d.decode("latin-1")
    check("SIP/2.0 200" in got and time.monotonic() - t0 >= 2.0,
          f"idle: a connection whose INVITE is being answered is kept past the timeout and gets the 200 ({got[:60]!r})")
    s.close()
    check(srv.wait_for(r"^established", 10) is not None, "idle: the held call was established")
    finish_call(held, "idle (a TCP call held past the idle timeout)")
    tel = srv.stop()
    check(2 <= tel.get("sipIdleClosed", 0) <= 3, f"idle: the silent and the held connections closed for idleness, got {tel.get('sipIdleClosed')}")


def slow():
    srv = Server(MRCP_SIP_MESSAGE_TIMEOUT_MS="1500")
    held = start_call(srv.uri, hold=3000)
    check(srv.wait_for(r"^established", 10) is not None, "slow: the held call was established")
    s = tcp_connect(srv.port)
    data = request(srv.port, s.getsockname()[1], branch="z9hG4bKsl", tp="TCP").encode()
    t0, cut = time.monotonic(), None
    s.settimeout(0.2)
    for i in range(40):  # 8 s at most, one byte every 200 ms
        try:
            s.send(data[i:i + 1])
            d = s.recv(100)
            if not d:
                cut = time.monotonic() - t0
                break
        except socket.timeout:
            continue
        except (BrokenPipeError, ConnectionResetError):
            cut = time.monotonic() - t0
            break
    check(cut is not None and 1.3 <= cut <= 3.5, f"slow: the dribbling sender cut off after about 1.5 s, got {cut}")
    s.close()
    s = tcp_connect(srv.port)
    data = request(srv.port, s.getsockname()[1], branch="z9hG4bKsl2", tp="TCP").encode()
    for part in (data[:40], data[40:200], data[200:]):
        s.sendall(part)
        time.sleep(0.3)
    s.settimeout(3.0)
    try:
        rx = s.recv(65536).decode("latin-1")
    except socket.timeout:
        rx = ""
    check(rx.startswith("SIP/2.0 200"), f"slow: a message in three pieces within the bound is answered, got {rx[:80]!r}")
    s.close()
    finish_call(held, "slow")
    tel = srv.stop()
    check(tel.get("sipSlowClosed") == 1, f"slow: one slow sender counted, got {tel.get('sipSlowClosed')}")


def main():
    only = sys.argv[2:]  # scenario names to run (default: all)
    return run_cases([c for c in (sizes, transactions, connections, idle, slow) if not only or c.__name__ in only])


if __name__ == "__main__":
    sys.exit(main())
