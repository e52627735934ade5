#!/usr/bin/env python3
"""cli_scenarios.py SIPSPEC TRANSPORT WORKDIR: the regression scenarios through the real
command line. `sipspec serve --listen 127.0.0.1:0` runs in the background (its port read from
its "listening on" line), `sipspec call --json` runs against it, and the one JSON object the
call prints is checked field by field, with the exit status. Also: usage errors (exit 2),
SIGINT while ringing (CANCEL), SIGTERM to serve during a call (it hangs up, writes its
--coverage-out file, exits 0), OPTIONS keep-alives, IPv6 loopback (not run where ::1 cannot be
bound, and it says so), the demo, that a password never shows in any output, that the session
`call --json` reports is the one the server's 200 carried (serve --trace), and serve --resources
refusing a resource with 488 and a Warning that `call --json` passes on. Issue 20: status and
reason stay the INVITE's whatever the BYE got (bye_status), ICMP port unreachable over UDP ends
a call or a BYE at once, two signals stop serve with exit 0 unless a dialog was cut off (3), and
a server's refresh re-INVITE (from a scripted UDP peer: serve sends none) is answered with
a=connection:existing.

Loopback only. Every process started here is stopped by its PID (terminate, then kill), and
every wait is bounded (subprocess timeouts, a deadline on each line read)."""
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time

from cli_common import (SIPSPEC, TP, WORK, STARTED, run_cases, check, base_env, run, call_json, Server,
                        chan_resources)


# ---- the scenarios ----------------------------------------------------------------------------

def usage_errors():
    uri = "sip:mresources@127.0.0.1:5060"
    for args, want in [
        (["call", "--bogus", uri], "unknown option '--bogus'"),
        (["call", "mresources@127.0.0.1"], "not a SIP URI"),
        (["call", "http://example.com/"], "not a sip: URI"),
        (["call", "--hold", "12x", uri], "--hold"),
        (["call", "--rtp-port", "70000", uri], "out of range"),
        (["call", "--resource", "speech", uri], "not an MRCP resource"),
        (["call", "--user", "alice", uri], "--password"),
        (["call", "--transport", "sctp", uri], "not a transport"),
        (["call"], "no target"),
        (["serve"], "--listen"),
        (["serve", "--listen", "127.0.0.1"], "PORT"),
        (["serve", "--listen", "127.0.0.1:0", "--reject", "200"], "300..699"),
        (["serve", "--listen", "127.0.0.1:0", "--realm", "x"], "--auth"),
        (["demo", "--transport", "sctp"], "not a transport"),
    ]:
        st, out, err = run(args)
        check(st == 2, f"{args}: exit 2, got {st}")
        check(want in err, f"{args}: stderr names the problem ({want!r}), got {err!r}")
        check(err.count("\n") == 1, f"{args}: a one-line error, got {err!r}")
        check(out == "", f"{args}: nothing on stdout, got {out!r}")
    st, out, err = run(["call", uri], env=base_env(MRCP_SIP_RETRANS_T1_MS="abc"))
    check(st == 2 and "MRCP_SIP_RETRANS_T1_MS" in err, f"bad MRCP_SIP_RETRANS_T1_MS: exit 2 naming it, got {st} {err!r}")
    st, out, err = run(["serve", "--listen", "127.0.0.1:0"], env=base_env(MRCP_SIP_TRANSPORT="carrier-pigeon"))
    check(st == 2 and "MRCP_SIP_TRANSPORT" in err, f"bad MRCP_SIP_TRANSPORT: exit 2 naming it, got {st} {err!r}")
    st, out, err = run(["call", "--help"])
    check(st == 0 and "3 rejected" in out and "4 timeout" in out, "call --help lists the exit statuses")


def normal_call():
    srv = Server()
    try:
        cov = os.path.join(WORK, "call-coverage.json")
        if os.path.exists(cov):
            os.unlink(cov)
        st, obj, _, _ = call_json(["--hold", "100", "--resource", "speechrecog", "--resource", "speechsynth",
                                   "--coverage-out", cov, srv.uri])
        check(os.path.exists(cov), "normal: call --coverage-out written at exit")
        check(st == 0, f"normal: exit 0, got {st}")
        check(obj.get("result") == "ok", f"normal: result ok, got {obj.get('result')}")
        check(obj.get("status") == 200, f"normal: status 200, got {obj.get('status')}")
        check(obj.get("reason") == "OK", f"normal: the 200's reason phrase, got {obj.get('reason')!r}")
        check(obj.get("bye_status") == 200 and obj.get("bye_reason") == "OK",
              f"normal: our BYE got 200 OK, got {obj.get('bye_status')} {obj.get('bye_reason')!r}")
        check(obj.get("ended_by") == "local", f"normal: ended_by local, got {obj.get('ended_by')}")
        check(chan_resources(obj) == ["speechrecog", "speechsynth"], f"normal: channels, got {obj.get('session')}")
        for c in (obj.get("session") or {}).get("channels", []):
            check(c.get("id", "").endswith("@" + c.get("resource", "?")), f"normal: channel id {c}")
            check(c.get("host") == "127.0.0.1" and c.get("port") == 1544, f"normal: MRCP endpoint {c}")
        audio = (obj.get("session") or {}).get("audio") or {}
        check(audio.get("port") == 4000 and audio.get("host") == "127.0.0.1", f"normal: audio endpoint {audio}")
        check((audio.get("codec") or {}).get("name") == "PCMU", f"normal: codec {audio.get('codec')}")
        check((audio.get("codec") or {}).get("rate") == 8000, f"normal: rate {audio.get('codec')}")
        check(audio.get("direction") == {"offered": "sendrecv", "answered": "sendrecv"}, f"normal: direction {audio}")
        t = obj.get("telemetry", {})
        check(t.get("sessionsEstablished") == 1 and t.get("sipByeSent") == 1 and t.get("sessionsFailed") == 0,
              f"normal: telemetry {t}")
        check(srv.wait_for(r"^ended ") is not None, f"normal: serve printed the end, lines {srv.lines}")
        check(srv.wait_for(r"^invited ") is not None and srv.wait_for(r"^established ") is not None,
              f"normal: serve printed invited and established, lines {srv.lines}")
    finally:
        check(srv.stop() == 0, "normal: serve exits 0 on SIGTERM")


def reject():
    srv = Server("--reject", "486")
    try:
        st, obj, _, _ = call_json([srv.uri])
        check(st == 3, f"reject: exit 3, got {st}")
        check(obj.get("result") == "rejected" and obj.get("status") == 486, f"reject: {obj}")
        check(obj.get("session") is None and obj.get("ended_by") == "none", f"reject: no session {obj}")
        check(obj.get("telemetry", {}).get("sipError4xx") == 1, f"reject: sipError4xx 1, {obj.get('telemetry')}")
    finally:
        check(srv.stop() == 0, "reject: serve exits 0")


def ring_many():
    srv = Server("--ring", "20")
    try:
        st, obj, _, _ = call_json(["--hold", "50", srv.uri])
        check(st == 0 and obj.get("result") == "ok", f"ring 20: ok, got {st} {obj.get('result')}")
        check(obj.get("telemetry", {}).get("sipProvisional", 0) >= 20, f"ring 20: provisional {obj.get('telemetry')}")
    finally:
        check(srv.stop() == 0, "ring: serve exits 0")


def server_bye():
    srv = Server("--bye-after", "100")
    try:
        st, obj, _, _ = call_json(["--hold", "30000", srv.uri], timeout=25)
        check(st == 0 and obj.get("result") == "ok", f"server BYE: ok, got {st} {obj}")
        check(obj.get("ended_by") == "peer", f"server BYE: ended_by peer, got {obj.get('ended_by')}")
        check(obj.get("telemetry", {}).get("sipByeSent") == 0, f"server BYE: we sent none {obj.get('telemetry')}")
    finally:
        check(srv.stop() == 0, "server BYE: serve exits 0")


def bye_status():
    """Issue 20: whatever the BYE got (serve --bye-status 481, 408, 500), `status` and
    `reason` stay the INVITE's 200 OK; the BYE's outcome is bye_status / bye_reason, with the
    reason phrase the server sent (read from serve's trace)."""
    for code, counter in (("481", "sipError4xx"), ("408", "sipError4xx"), ("500", "sipError5xx")):
        srv = Server("--bye-status", code, "--json-log", "--trace")
        try:
            st, obj, _, _ = call_json(["--hold", "50", srv.uri])
            check(st == 0 and obj.get("result") == "ok", f"{code} to BYE: result ok, got {st} {obj}")
            check(obj.get("status") == 200 and obj.get("reason") == "OK",
                  f"{code} to BYE: status/reason stay the INVITE's 200 OK, got {obj.get('status')} {obj.get('reason')!r}")
            check(obj.get("bye_status") == int(code), f"{code} to BYE: bye_status {code}, got {obj.get('bye_status')}")
            check(obj.get("telemetry", {}).get(counter) == 1, f"{code} to BYE: {counter} 1 {obj.get('telemetry')}")
            check(obj.get("telemetry", {}).get("sipByeAcksMissing") == 0, f"{code} to BYE: answered {obj.get('telemetry')}")
            check(obj.get("ended_by") in ("local", "error"), f"{code} to BYE: ended_by {obj.get('ended_by')}")
            check(srv.wait_for(r'"event":"sent".*SIP/2.0 ' + code + ' ') is not None, f"{code}: serve traced it")
        finally:
            check(srv.stop() == 0, f"{code} to BYE: serve exits 0")
        sent = traced(srv, "sent", "SIP/2.0 " + code, "BYE")
        phrase = sent[0].split("\r\n", 1)[0].split(" ", 2)[2] if sent else None
        check(phrase and obj.get("bye_reason") == phrase,
              f"{code} to BYE: bye_reason is the phrase sent, {obj.get('bye_reason')!r} vs {phrase!r}")


def reasons():
    """Issue 20: every final response's reason phrase is reported: the 200 that established the
    session (as traced by serve) and a rejection's."""
    srv = Server("--json-log", "--trace")
    try:
        st, obj, _, _ = call_json(["--hold", "50", srv.uri])
        check(st == 0 and obj.get("reason") == "OK", f"reason: a 200 OK gives reason OK, got {st} {obj.get('reason')!r}")
        check(srv.wait_for(r'"event":"ended"') is not None, "reason: serve saw the end")
    finally:
        check(srv.stop() == 0, "reason: serve exits 0")
    ok = traced(srv, "sent", "SIP/2.0 200", "INVITE")
    check(ok and ok[0].startswith("SIP/2.0 200 OK\r\n"), f"reason: serve's 200 says OK {ok[:1]}")
    srv = Server("--reject", "603", "--json-log", "--trace")
    try:
        st, obj, _, _ = call_json([srv.uri])
        check(srv.wait_for(r'"event":"sent".*SIP/2.0 603 ') is not None, "reason: serve traced its 603")
    finally:
        check(srv.stop() == 0, "reason 603: serve exits 0")
    sent = traced(srv, "sent", "SIP/2.0 603", "INVITE")
    phrase = sent[0].split("\r\n", 1)[0].split(" ", 2)[2] if sent else None
    check(st == 3 and obj.get("status") == 603 and phrase and obj.get("reason") == phrase,
          f"reason: the 603's phrase {phrase!r} reported, got {st} {obj.get('status')} {obj.get('reason')!r}")
    check(obj.get("bye_status") is None and obj.get("bye_reason") is None, f"reason: no BYE on a rejection {obj}")


def no_answer():
    env = base_env(MRCP_SIP_RETRANS_T1_MS="50")
    if TP == "udp":
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:  # bound, never read
            s.bind(("127.0.0.1", 0))
            st, obj, _, _ = call_json([f"sip:mresources@127.0.0.1:{s.getsockname()[1]}"], env=env)
        check(st == 4 and obj.get("result") == "timeout", f"silent port: exit 4 timeout, got {st} {obj}")
        check(obj.get("telemetry", {}).get("sipInviteTimeouts") == 1, f"silent port: {obj.get('telemetry')}")
    else:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:  # a port free a moment ago
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        st, obj, _, _ = call_json([f"sip:mresources@127.0.0.1:{port}"], env=env)
        check(st == 5 and obj.get("result") == "transport-error", f"closed port: exit 5, got {st} {obj}")
    check(obj.get("status") is None and obj.get("session") is None, f"no answer: status/session null {obj}")


def free_port(kind):
    """A loopback port of that kind that was free a moment ago (bound, then closed)."""
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_unreachable():
    """Issue 20, RFC 3261 18.4: an INVITE over UDP to a port where nothing listens ends at once
    as transport-error (exit 5) from the ICMP port unreachable, not after Timer B (32 s with the
    default T1 of 500 ms)."""
    port = free_port(socket.SOCK_DGRAM)
    t0 = time.monotonic()
    st, obj, _, _ = call_json([f"sip:mresources@127.0.0.1:{port}"], timeout=60)
    took = time.monotonic() - t0
    check(st == 5 and obj.get("result") == "transport-error", f"unreachable: exit 5 transport-error, got {st} {obj}")
    t = obj.get("telemetry", {})
    check(t.get("sipTransportErrors") == 1 and t.get("sipInviteTimeouts") == 0, f"unreachable: counters {t}")
    check(obj.get("status") is None and "transport error" in (obj.get("reason") or ""), f"unreachable: reason {obj}")
    check(took < 5.0, f"unreachable: ended at once, not on Timer B (took {took:.1f} s)")


def peer_gone_mid_dialog():
    """Issue 20: the server's port closes while the session is held (serve killed by its PID):
    our BYE fails at once with the transport error (ICMP port unreachable over UDP, a refused
    connection over TCP) instead of Timer F (32 s); bye_status null, bye_reason says why, exit
    0. A keep-alive's OPTIONS meets the same error and the session ends (ended_by error)."""
    for label, args in (("BYE", ["--hold", "1500"]), ("keep-alive", ["--hold", "20000", "--keepalive", "300"])):
        srv = Server()
        p = subprocess.Popen([SIPSPEC, "call", "--json", "--transport", TP] + args + [srv.uri], env=base_env(),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        STARTED.append(p)
        try:
            check(srv.wait_for(r"^established ") is not None, f"{label} to a closed port: established {srv.lines}")
            os.kill(srv.p.pid, signal.SIGKILL)
            srv.p.wait(timeout=10)
            t0 = time.monotonic()
            out, err = p.communicate(timeout=60)
            took = time.monotonic() - t0
        finally:
            if p.poll() is None:
                p.kill()
                p.wait(timeout=10)
        obj = json.loads(out) if out.strip() else {}
        t = obj.get("telemetry", {})
        check(p.returncode == 0 and obj.get("result") == "ok" and obj.get("status") == 200,
              f"{label} to a closed port: exit 0, ok, status 200, got {p.returncode} {out!r} {err!r}")
        check(t.get("sipTransportErrors") == 1 and t.get("sipByeAcksMissing") == 0,
              f"{label} to a closed port: one transport error, no Timer F {t}")
        if label == "BYE":
            check(obj.get("ended_by") == "local" and obj.get("bye_status") is None and
                  (obj.get("bye_reason") or "").startswith("transport error"),
                  f"BYE to a closed port: bye_status null, bye_reason the transport error, got {obj}")
            check(took < 1.5 + 5.0, f"BYE to a closed port: failed at once, not on Timer F (took {took:.1f} s)")
        else:
            check(obj.get("ended_by") == "error" and t.get("sipByeSent") == 0,
                  f"keep-alive to a closed port: the session ended as an error, got {obj}")
            check(took < 5.0, f"keep-alive to a closed port: ended at once, not on Timer F (took {took:.1f} s)")


def refresh_keeps_connection():
    """Issue 20, RFC 4145 5.1, RFC 6787 4.2: an MRCP server that refreshes the session with a
    re-INVITE repeating its SDP unchanged, still with a=connection:new, gets our SDP with
    a=connection:existing (the connection is kept) and the o= version one up (RFC 3264 8).
    `serve` sends no re-INVITE, so the server here is a scripted UDP peer on 127.0.0.1 that
    answers the INVITE, sends the refresh after the ACK and answers the BYE."""
    peer = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    peer.bind(("127.0.0.1", 0))
    peer.settimeout(0.2)
    port = peer.getsockname()[1]
    p = subprocess.Popen([SIPSPEC, "call", "--json", "--transport", "udp", "--hold", "1500",
                          f"sip:mresources@127.0.0.1:{port}"], env=base_env(), stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    STARTED.append(p)

    def recv(start, cseq_method, max_s=10.0):
        """The next message from the client starting with start whose CSeq method is cseq_method."""
        deadline = time.monotonic() + max_s
        while time.monotonic() < deadline:
            try:
                data, src = peer.recvfrom(65536)
            except socket.timeout:
                continue
            msg = data.decode("utf-8", "replace")
            m = re.search(r"\r\nCSeq: *\d+ +(\w+)\r\n", msg)
            if msg.startswith(start) and m and m.group(1) == cseq_method:
                return msg, src
        return None, None

    def hdr(msg, name):
        m = re.search(r"\r\n" + name + r": *([^\r]*)\r\n", msg, re.I)
        return m.group(1) if m else ""

    def respond(req, src, status, extra="", body=""):
        vias = "".join(f"Via: {v}\r\n" for v in re.findall(r"\r\nVia: *([^\r]*)", req, re.I))
        to = hdr(req, "To") + ("" if ";tag=" in hdr(req, "To") else ";tag=srv1")
        peer.sendto((f"SIP/2.0 {status}\r\n{vias}From: {hdr(req, 'From')}\r\nTo: {to}\r\n"
                     f"Call-ID: {hdr(req, 'Call-ID')}\r\nCSeq: {hdr(req, 'CSeq')}\r\n{extra}"
                     f"Content-Length: {len(body)}\r\n\r\n{body}").encode(), src)

    answer = ("v=0\r\no=srv 77 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
              "m=application 1544 TCP/MRCPv2 1\r\na=setup:passive\r\na=connection:new\r\n"
              "a=channel:0123abcd@speechsynth\r\na=cmid:1\r\n"
              "m=audio 4000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=sendonly\r\na=mid:1\r\n")
    contact = f"Contact: <sip:srv@127.0.0.1:{port}>\r\nContent-Type: application/sdp\r\n"
    try:
        inv, src = recv("INVITE ", "INVITE")
        if not check(inv is not None, "refresh: the INVITE arrived"):
            return
        respond(inv, src, "200 OK", contact, answer)
        ack, _ = recv("ACK ", "ACK")
        check(ack is not None, "refresh: the 200 was ACKed")
        target = re.search(r"<([^>]*)>", hdr(inv, "Contact")).group(1)
        ours = hdr(inv, "From")
        theirs = hdr(inv, "To") + ";tag=srv1"
        peer.sendto((f"INVITE {target} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:{port};branch=z9hG4bKrefresh1\r\n"
                     f"Max-Forwards: 70\r\nFrom: {theirs}\r\nTo: {ours}\r\nCall-ID: {hdr(inv, 'Call-ID')}\r\n"
                     f"CSeq: 1 INVITE\r\n{contact}Content-Length: {len(answer)}\r\n\r\n{answer}").encode(), src)
        ok, _ = recv("SIP/2.0 200", "INVITE")
        if check(ok is not None, "refresh: the re-INVITE was answered 200"):
            peer.sendto((f"ACK {target} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:{port};branch=z9hG4bKrefresh2\r\n"
                         f"Max-Forwards: 70\r\nFrom: {theirs}\r\nTo: {ours}\r\nCall-ID: {hdr(inv, 'Call-ID')}\r\n"
                         f"CSeq: 1 ACK\r\nContent-Length: 0\r\n\r\n").encode(), src)
            offer_s, offer_m = sdp_of(inv)
            ans_s, ans_m = sdp_of(ok)
            apps = [m for m in ans_m if m[0].startswith("m=application ")]
            check(apps and all(attr(m, "connection") == ["existing"] for m in apps if not m[0].startswith("m=application 0 ")),
                  f"refresh: our answer keeps the connection (a=connection:existing), got {apps}")
            check(attr([m for m in offer_m if m[0].startswith("m=application ")][0], "connection") == ["new"],
                  "refresh: our first offer said a=connection:new")
            o1 = [l for l in offer_s if l.startswith("o=")][0].split()
            o2 = [l for l in ans_s if l.startswith("o=")][0].split()
            check(o2[:2] == o1[:2] and o2[3:] == o1[3:] and int(o2[2]) == int(o1[2]) + 1,
                  f"refresh: the o= line the same but its version one up, {o1} then {o2}")
        bye, src = recv("BYE ", "BYE")
        if check(bye is not None, "refresh: the BYE arrived"):
            respond(bye, src, "200 OK")
        out, err = p.communicate(timeout=30)
        obj = json.loads(out) if out.strip() else {}
        check(p.returncode == 0 and obj.get("result") == "ok" and obj.get("ended_by") == "local",
              f"refresh: the call went on and ended with our BYE, got {p.returncode} {out!r} {err!r}")
    finally:
        if p.poll() is None:
            p.kill()
            p.wait(timeout=10)
        peer.close()


def cancel_on_sigint():
    srv = Server("--ring", "50", "--ring-interval", "200")
    try:
        p = subprocess.Popen([SIPSPEC, "call", "--json", "--transport", TP, srv.uri], env=base_env(),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        STARTED.append(p)
        check(srv.wait_for(r"^invited ") is not None, "SIGINT: the INVITE arrived")
        time.sleep(0.3)  # a 180 or two reach the client (not a timing assertion)
        os.kill(p.pid, signal.SIGINT)
        out, err = p.communicate(timeout=30)
        obj = json.loads(out) if out.strip() else {}
        check(p.returncode == 7 and obj.get("result") == "cancelled", f"SIGINT while ringing: exit 7 cancelled, "
              f"got {p.returncode} {out!r} {err!r}")
        check(obj.get("status") == 487, f"SIGINT while ringing: 487, got {obj.get('status')}")
        check(srv.wait_for(r"^ended ") is not None, f"SIGINT: serve saw the end, {srv.lines}")
    finally:
        check(srv.stop() == 0, "cancel: serve exits 0")


def sigterm_serve_during_call():
    cov = os.path.join(WORK, "serve-coverage.json")
    if os.path.exists(cov):
        os.unlink(cov)
    srv = Server("--coverage-out", cov, "--json-log")
    p = subprocess.Popen([SIPSPEC, "call", "--json", "--transport", TP, "--hold", "60000", srv.uri],
                         env=base_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    STARTED.append(p)
    try:
        check(srv.wait_for(r'"event":"established"') is not None, f"SIGTERM: call established {srv.lines}")
        st = srv.stop(signal.SIGTERM)
        check(st == 0, f"SIGTERM: serve exits 0 after hanging up, got {st}")
        out, err = p.communicate(timeout=30)
        obj = json.loads(out) if out.strip() else {}
        check(p.returncode == 0 and obj.get("ended_by") == "peer", f"SIGTERM: the call was ended by the server, "
              f"got {p.returncode} {out!r} {err!r}")
        for l in srv.lines:
            check(isinstance(json.loads(l), dict), f"--json-log line is a JSON object: {l!r}")
        check(any('"event":"stopped"' in l for l in srv.lines), f"SIGTERM: stopped line {srv.lines}")
        check(os.path.exists(cov), "SIGTERM: --coverage-out written at exit")
        if os.path.exists(cov):
            with open(cov) as f:
                check(json.load(f).get("format") == "sipspec-coverage/1", "coverage file format")
    finally:
        if p.poll() is None:
            p.kill()
            p.wait(timeout=10)


def serve_two_signals():
    """Issue 20: two SIGTERMs close together (as `timeout` sends them) stop serve with exit 0
    when no dialog was cut off: with no call at all, after a call that ended, and with both
    signals sent back to back. With a dialog still open (the client stopped before it could
    ACK the 200, so the dialog waits for that ACK before its BYE, RFC 3261 15) the second
    signal cuts it off: `stop-now` says so and serve exits 3."""
    for label, with_call, wait_first in (("idle", False, True), ("after a call", True, True),
                                         ("back to back", False, False)):
        srv = Server()
        if with_call:
            st, obj, _, _ = call_json(["--hold", "50", srv.uri])
            check(st == 0 and srv.wait_for(r"^ended ") is not None, f"two signals {label}: the call ended, {st}")
        os.kill(srv.p.pid, signal.SIGTERM)
        if wait_first:  # the first signal was handled: the second arrives while serve waits
            check(srv.wait_for(r"^stopping SIGTERM") is not None, f"two signals {label}: stopping {srv.lines}")
        st = srv.stop(signal.SIGTERM)
        check(st == 0, f"two signals {label}: serve exits 0 with no dialog cut off, got {st} {srv.lines[-3:]}")
        m = [l for l in srv.lines if l.startswith("stop-now")]
        check(all(l.endswith(" 0 dialogs cut off") for l in m), f"two signals {label}: stop-now says none cut off {m}")
    srv = Server("--json-log", "--trace", "--ring-interval", "300")
    p = subprocess.Popen([SIPSPEC, "call", "--json", "--transport", TP, "--hold", "60000", srv.uri],
                         env=base_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    STARTED.append(p)
    try:
        check(srv.wait_for(r'"event":"invited"') is not None, f"cut off: the INVITE arrived {srv.lines}")
        os.kill(p.pid, signal.SIGSTOP)  # the client answers nothing from now on: no ACK
        check(srv.wait_for(r'"event":"sent".*SIP/2.0 200 ') is not None, f"cut off: serve sent its 200 {srv.lines}")
        os.kill(srv.p.pid, signal.SIGTERM)
        check(srv.wait_for(r'"event":"stopping"') is not None, f"cut off: stopping {srv.lines}")
        st = srv.stop(signal.SIGTERM)
        check(st == 3, f"cut off: serve exits 3 when the second signal cut a dialog off, got {st} {srv.lines[-3:]}")
        check(any('"event":"stop-now"' in l and "1 dialog cut off" in l for l in srv.lines),
              f"cut off: stop-now says 1 dialog cut off {srv.lines[-3:]}")
    finally:
        os.kill(p.pid, signal.SIGKILL)
        p.wait(timeout=10)


def auth():
    srv = Server("--auth", "alice:s3cretpw")
    try:
        st, obj, out, err = call_json(["--user", "alice", "--password", "s3cretpw", "--hold", "50", srv.uri])
        check(st == 0 and obj.get("result") == "ok", f"auth: ok, got {st} {obj}")
        check(obj.get("telemetry", {}).get("sipAuthChallenges", 0) >= 1, f"auth: challenged {obj.get('telemetry')}")
        check("s3cretpw" not in out + err, "auth: the password is not printed by call")
        st, obj, out, err = call_json(["--hold", "50", srv.uri],
                                      env=base_env(SIPSPEC_USER="alice", SIPSPEC_PASSWORD="wrongpw"))
        check(st == 6 and obj.get("result") == "auth-failed", f"auth: wrong password exit 6, got {st} {obj}")
        check("wrongpw" not in out + err, "auth: the wrong password is not printed")
    finally:
        check(srv.stop() == 0, "auth: serve exits 0")
        check(not any("s3cretpw" in l for l in srv.lines), "auth: serve never prints the password")
    srv = Server("--auth", "bob:pw2", "--realm", "mrcp.example", "--proxy")
    try:
        st, obj, out, err = call_json(["--hold", "50", srv.uri],
                                      env=base_env(SIPSPEC_USER="bob", SIPSPEC_PASSWORD="pw2"))
        check(st == 0 and obj.get("result") == "ok", f"auth 407: ok with SIPSPEC_USER/PASSWORD, got {st} {obj}")
        check(obj.get("telemetry", {}).get("sipAuthChallenges") == 1, f"auth 407: one challenge {obj.get('telemetry')}")
    finally:
        check(srv.stop() == 0, "auth 407: serve exits 0")


def traced(srv, event, start, cseq_method):
    """The whole messages serve --json-log --trace logged as `event` ("sent"/"received") that
    start with `start` and whose CSeq method is cseq_method, in order."""
    out = []
    for l in srv.lines:
        try:
            o = json.loads(l)
        except ValueError:
            continue
        if o.get("event") != event:
            continue
        kind, peer, msg = o.get("text", "").split(" ", 2)
        m = re.search(r"\r\nCSeq: *\d+ +(\w+)\r\n", msg)
        if msg.startswith(start) and m and m.group(1) == cseq_method:
            out.append(msg)
    return out


def sdp_of(msg):
    """The SDP body of a message as (session lines, [media sections]), each section a list of
    lines starting with its m= line."""
    body = msg.split("\r\n\r\n", 1)[1] if "\r\n\r\n" in msg else ""
    sess, media = [], []
    for line in body.split("\r\n"):
        if line.startswith("m="):
            media.append([line])
        elif line:
            (media[-1] if media else sess).append(line)
    return sess, media


def attr(sec, name):
    return [l[len(name) + 3:] for l in sec if l.startswith("a=" + name + ":")]


def direction(sec):
    for d in ("sendrecv", "sendonly", "recvonly", "inactive"):
        if "a=" + d in sec:
            return d
    return "sendrecv"  # RFC 4566 6: the default


def answer_as_served():
    """Issue 5: what `call --json` reports about the session (channel identifiers, MRCP
    endpoint, codec, direction) is what the server's 200 carried, read from serve's trace."""
    srv = Server("--json-log", "--trace", "--mrcp-port", "6075", "--rtp-port", "4242")
    try:
        st, obj, _, _ = call_json(["--hold", "50", "--resource", "speechrecog", "--resource", "speechsynth",
                                   "--rtp-port", "5010", srv.uri])
        check(st == 0 and obj.get("result") == "ok", f"answer: ok, got {st} {obj}")
        check(srv.wait_for(r'"event":"ended"') is not None, f"answer: serve saw the end {srv.lines[-3:]}")
    finally:
        check(srv.stop() == 0, "answer: serve exits 0")
    answers = traced(srv, "sent", "SIP/2.0 200", "INVITE")
    offers = traced(srv, "received", "INVITE ", "INVITE")
    if not check(len(answers) >= 1 and len(offers) == 1, f"answer: serve traced the INVITE and its 200 "
                                                         f"({len(offers)}, {len(answers)})"):
        return
    check(len(set(answers)) == 1, "answer: every copy of the 200 carries the same answer")
    check(f"\r\nCall-ID: {obj.get('call_id')}\r\n" in answers[0], "answer: the 200 traced is this call's")
    sess, media = sdp_of(answers[0])
    _, offer_media = sdp_of(offers[0])
    conn = [l[len("c=IN IP4 "):] for l in sess if l.startswith("c=IN IP")]
    apps = [m for m in media if m[0].startswith("m=application ")]
    audio = [m for m in media if m[0].startswith("m=audio ")]
    chans = (obj.get("session") or {}).get("channels", [])
    check(len(apps) == 2 and len(chans) == 2, f"answer: two m=application, two channels ({apps}, {chans})")
    for sec, ch in zip(apps, chans):
        ids = attr(sec, "channel")
        check(ids and ch.get("id") == ids[0], f"answer: channel id {ch.get('id')} == a=channel {ids}")
        check(ch.get("port") == int(sec[0].split()[1]) == 6075, f"answer: MRCP port {ch} vs {sec[0]}")
        check(conn and ch.get("host") == conn[0], f"answer: MRCP host {ch.get('host')} vs c= {conn}")
        check(ids and ids[0].endswith("@" + ch.get("resource", "?")), f"answer: resource {ch} vs {ids}")
    au = (obj.get("session") or {}).get("audio") or {}
    if check(len(audio) == 1, f"answer: one m=audio {media}"):
        m = audio[0][0].split()
        check(au.get("port") == int(m[1]) == 4242, f"answer: audio port {au.get('port')} vs {m}")
        rtpmap = {r.split()[0]: r.split()[1] for r in attr(audio[0], "rtpmap")}
        first = m[3] if len(m) > 3 else None
        name, rate = (rtpmap.get(first, "?/0").split("/") + ["0"])[:2]
        codec = au.get("codec") or {}
        check(codec.get("pt") == int(first or -1) and codec.get("name") == name and codec.get("rate") == int(rate),
              f"answer: codec {codec} vs m=audio {m} rtpmap {rtpmap}")
        offered = direction([s for s in offer_media if s[0].startswith("m=audio ")][0])
        check(au.get("direction") == {"offered": offered, "answered": direction(audio[0])},
              f"answer: direction {au.get('direction')} vs offered {offered}, answered {direction(audio[0])}")
        check(conn and au.get("host") == conn[0], f"answer: audio host {au.get('host')} vs {conn}")


def refused_resources():
    """serve --resources: a recorder it does not serve gets 488 with a Warning, which
    `call --json` reports (exit 3); with a resource it serves beside it, the recorder's stream
    alone gets port 0."""
    srv = Server("--resources", "speechrecog,speechsynth", "--json-log", "--trace")
    try:
        st, obj, _, _ = call_json(["--resource", "recorder", srv.uri])
        check(st == 3, f"488: exit 3 (rejected), got {st}")
        check(obj.get("result") == "rejected" and obj.get("status") == 488, f"488: rejected 488, got {obj}")
        check(obj.get("session") is None, f"488: no session {obj}")
        w = obj.get("warning") or ""
        check("recorder" in w and "not served" in w, f"488: the warning names the resource, got {w!r}")
        check(srv.wait_for(r'"event":"sent".*SIP/2.0 488 ') is not None, "488: serve traced its 488")
        sent = traced(srv, "sent", "SIP/2.0 488", "INVITE")
        hdr = re.search(r"\r\nWarning: *([^\r]*)\r\n", sent[0]) if sent else None
        check(hdr is not None and hdr.group(1) == w, f"488: warning is the server's Warning header, "
                                                     f"{hdr.group(1) if hdr else None!r} vs {w!r}")
        check(srv.wait_for(r'"event":"refused".*"status":488') is not None, "488: serve logged the refusal")
        st, obj, _, _ = call_json(["--hold", "50", "--resource", "speechsynth", "--resource", "recorder", srv.uri])
        check(st == 0 and chan_resources(obj) == ["speechsynth", "recorder"], f"488: a mixed offer is answered, {st} {obj}")
        rej = [c.get("rejected") for c in (obj.get("session") or {}).get("channels", [])]
        check(rej == [False, True], f"488: of a mixed offer only the recorder gets port 0, got {rej}")
    finally:
        check(srv.stop() == 0, "488: serve exits 0")
    st, out, err = run(["serve", "--listen", "127.0.0.1:0", "--resources", "speechrecog,tts"])
    check(st == 2 and "'tts' is not an MRCP resource" in err, f"--resources with a bad name: exit 2, {st} {err!r}")


def keepalive():
    srv = Server()
    try:
        st, out, err = run(["call", "--transport", TP, "--keepalive", "100", "--hold", "450", srv.uri])
        check(st == 0, f"keepalive: exit 0, got {st} {err!r}")
        n = out.count("OPTIONS keep-alive: 200")
        check(n >= 2, f"keepalive: OPTIONS answered 200 while held (4 expected in 450 ms, got {n}): {out!r}")
    finally:
        check(srv.stop() == 0, "keepalive: serve exits 0")
    m = re.search(r"options (\d+)", srv.lines[-1] if srv.lines else "")
    check(m is not None and int(m.group(1)) == n, f"keepalive: serve answered as many OPTIONS as the client saw "
          f"({n}), {srv.lines[-1:]}")


def session_timer():
    """RFC 4028 in real time, so with a session interval of 4 s, below the RFC's 90 s minimum,
    which MRCP_SIP_MIN_SE=2 and serve --session-expires 4 --min-se 2 allow for tests:
    negotiation and one refresh by UPDATE at 2 s (serve's Allow lists UPDATE) with serve as
    refresher=uac's peer; then serve --refresher uas, whose own UPDATEs at half the interval
    (2 s, 4 s) reach the client, which answers them and never expires the session; then
    serve --min-se 4 answering a client that asks for 3 s with 422, and the client's INVITE
    again asking for 4 s."""
    env = base_env(MRCP_SIP_SESSION_EXPIRES="4", MRCP_SIP_MIN_SE="2")
    srv = Server("--session-expires", "4", "--min-se", "2")
    try:
        st, obj, out, err = call_json(["--hold", "3000", srv.uri], env=env)
        tel = obj.get("telemetry") or {}
        check(st == 0 and obj.get("result") == "ok", f"session_timer: exit 0 and ok, got {st} {obj.get('result')} {err!r}")
        check(obj.get("session_expires") == 4 and obj.get("refresher") == "uac",
              f"session_timer: 4 s, refresher uac, got {obj.get('session_expires')} {obj.get('refresher')}")
        check(tel.get("sipSessionRefreshes") == 1, f"session_timer: one refresh in 3 s, got {tel.get('sipSessionRefreshes')}")
        check(obj.get("ended_by") == "local", f"session_timer: ended local, got {obj.get('ended_by')}")
    finally:
        check(srv.stop() == 0, "session_timer: serve exits 0")
    srv = Server("--session-expires", "4", "--min-se", "2", "--refresher", "uas", "--json-log", "--trace")
    try:
        t0 = time.monotonic()
        st, obj, out, err = call_json(["--hold", "5000", srv.uri], env=env)
        took = time.monotonic() - t0
        tel = obj.get("telemetry") or {}
        check(st == 0 and obj.get("result") == "ok", f"session_timer uas: exit 0 and ok, got {st} {obj.get('result')} {err!r}")
        check(obj.get("refresher") == "uas" and obj.get("session_expires") == 4,
              f"session_timer uas: 4 s, refresher uas, got {obj.get('session_expires')} {obj.get('refresher')}")
        check(obj.get("ended_by") == "local" and tel.get("sipSessionExpired") == 0,
              f"session_timer uas: serve's refreshes keep the session, got {obj.get('ended_by')} "
              f"expired {tel.get('sipSessionExpired')}")
        check(tel.get("sipSessionRefreshes") == 2,
              f"session_timer uas: serve's UPDATEs at 2 s and 4 s answered, got {tel.get('sipSessionRefreshes')}")
        check(4.5 < took < 8, f"session_timer uas: held 5 s, took {took:.1f} s")
        srv.wait_for(r'"event":"ended"', 3.0)
        sent = [l for l in srv.lines if '"event":"sent"' in l and 'UPDATE sip:' in l]
        check(len(sent) == 2 and all("Session-Expires: 4;refresher=uac" in l for l in sent),
              f"session_timer uas: serve sent two UPDATEs saying refresher=uac, got {len(sent)}")
    finally:
        check(srv.stop() == 0, "session_timer uas: serve exits 0")
    srv = Server("--session-expires", "4", "--min-se", "4", "--json-log")
    try:
        st, obj, out, err = call_json(["--hold", "100", srv.uri],
                                      env=base_env(MRCP_SIP_SESSION_EXPIRES="3", MRCP_SIP_MIN_SE="2"))
        check(st == 0 and obj.get("result") == "ok" and obj.get("session_expires") == 4,
              f"session_timer 422: the INVITE again with serve's Min-SE 4, got {st} {obj.get('result')} "
              f"{obj.get('session_expires')} {err!r}")
        check(srv.wait_for(r'"event":"refused".*"status":422', 3.0) is not None, "session_timer 422: serve logged the 422")
    finally:
        check(srv.stop() == 0, "session_timer 422: serve exits 0")


def ipv6():
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as s:
            s.bind(("::1", 0))
    except OSError as e:
        print(f"  not run: no IPv6 loopback here ({e})", flush=True)
        return
    srv = Server(listen="[::1]:0")
    try:
        st, obj, _, _ = call_json(["--hold", "50", srv.uri])
        check(srv.uri.startswith("sip:mresources@[::1]:"), f"ipv6: target {srv.uri}")
        check(st == 0 and obj.get("result") == "ok", f"ipv6: call ok, got {st} {obj}")
        ch = ((obj.get("session") or {}).get("channels") or [{}])[0]
        check(ch.get("host") == "::1", f"ipv6: the MRCP channel is on ::1, got {ch}")
    finally:
        check(srv.stop() == 0, "ipv6: serve exits 0 on SIGTERM")


def demo():
    st, out, err = run(["demo", "--transport", TP, "--json"], timeout=60)
    obj = json.loads(out) if out.strip() else {}
    check(st == 0 and obj.get("result") == "ok", f"demo --json: ok, got {st} {out!r} {err!r}")
    check(chan_resources(obj) == ["speechrecog", "speechsynth"], f"demo: channels {obj.get('session')}")
    check(obj.get("server", {}).get("established") == 1, f"demo: server counters {obj.get('server')}")
    check("INVITE sip:" in err, "demo --json: the exchange goes to stderr")
    st, out, err = run(["demo", "--transport", TP], timeout=60)
    check(st == 0, f"demo: exit 0, got {st} {err!r}")
    check("client -> " in out and "INVITE sip:" in out and "SIP/2.0 200" in out and "BYE sip:" in out,
          f"demo: prints the exchange {out!r}")
    st, out, err = run(["demo", "--transport", TP, "--verbose"], timeout=60)
    check(st == 0 and "Content-Type: application/sdp" in out and "a=resource:speechrecog" in out,
          f"demo --verbose: whole messages with the offer, got {st} {out[:2000]!r}")
    cov = os.path.join(WORK, "demo-coverage.json")
    if os.path.exists(cov):
        os.unlink(cov)
    st, out, err = run(["demo", "--transport", TP, "--quiet", "--coverage-out", cov], timeout=60)
    check(st == 0 and "INVITE sip:" not in out and "result ok" in out, f"demo --quiet: {out!r}")
    check(os.path.exists(cov), "demo --coverage-out: the file is written at exit")
    if os.path.exists(cov):
        with open(cov) as f:
            doc = json.load(f)
        check(doc.get("format") == "sipspec-coverage/1", "demo coverage file format")
        check("uac_session" in json.dumps(doc), "demo coverage file has the client session chart")


def main():
    cases = [normal_call, reject, ring_many, server_bye, bye_status, reasons, no_answer, peer_gone_mid_dialog, cancel_on_sigint,
             sigterm_serve_during_call, serve_two_signals, auth, keepalive, ipv6, demo, answer_as_served, refused_resources,
             session_timer]
    if TP == "udp":
        cases.insert(0, usage_errors)
        cases.append(port_unreachable)  # over TCP: no_answer's closed port
        cases.append(refresh_keeps_connection)
    return run_cases(cases, TP)


if __name__ == "__main__":
    sys.exit(main())
