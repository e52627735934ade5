#!/usr/bin/env python3
"""tests/interop/interop.py: sipspec against peers it did not write.

Each case starts the processes it needs on loopback (sipp, kamailio, `sipspec serve`,
valgrind), drives one exchange, checks what every side says about it and stops every
process it started, by PID, whatever happens (a failed check, an exception, SIGTERM from
CTest). Everything a case writes (sipp statistics and error traces, kamailio's log, the
JSON of `sipspec call`) lands in the --workdir, which is kept for reading after a failure.

Cases (the first argument):
  selfcheck-mrcp     uac_mrcp.xml against uas_mrcp.xml: the two scenarios agree
  selfcheck-options  uac_options.xml against uas_options.xml
  selfcheck-proxy    uac_mrcp_auth.xml through kamailio.cfg to uas_mrcp.xml, with the right
                     password (established, ACK and BYE along the Record-Route) and a wrong
                     one (challenged again, never relayed)
  call               `sipspec call --json` against sipp playing an MRCPv2 server
  session-timer      `sipspec call --json` against sipp playing UniMRCP's session timer
                     (uas_session_timer.xml: refresher=uac at a shortened interval): the
                     client's UPDATE refreshes come on time
  serve              sipp calling `sipspec serve` (--calls N)
  serve-options      sipp sending OPTIONS to `sipspec serve`
  proxy-call         `sipspec call --user --password` through kamailio to `sipspec serve`
  proxy-badpw        the same with a wrong password: auth-failed, a bounded number of INVITEs
  proxy-two-challenges  the same with `sipspec serve --auth` too: kamailio's 407 and serve's
                     401 on one INVITE chain, both answered (3 INVITEs, 2 challenges)
  proxy-sipp-serve   sipp's client through kamailio to `sipspec serve` (serve's Record-Route)
  proxy-call-sipp    `sipspec call` through kamailio to sipp's MRCP server (the client's)
  leak               `sipspec serve` under valgrind while sipp makes --calls sequential calls:
                     no leak, no memory error, no socket open at exit

A case exits 0 when every check held, 1 when one failed (the reason on stderr), 2 for a
usage or setup error (a tool missing, a port that would not bind).
"""
import argparse
import csv
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))

# What the sipp MRCP server answers (uas_mrcp.xml takes them as -key values). Not RFC 6787's
# example numbers on purpose, so that a client echoing its defaults is caught.
MRCP_PORT = 6075
RTP_PORT = 4002
CHANNEL_SESSION = "32AECB234338"

AUTH_USER = "alice"
AUTH_PASSWORD = "s3cret-interop"
AUTH_REALM = "interop.test"
# The realm of `sipspec serve --auth` in proxy-two-challenges: not kamailio's, so that the
# client must hold two credentials at once (RFC 3261 22.3: one per realm).
SERVE_REALM = "serve.interop.test"
# sipspec's user agent answers at most this many challenges per request
# (sipspec_ua_opts.auth.max_challenges default), so a refused password costs at most
# 1 + MAX_CHALLENGES INVITEs.
MAX_CHALLENGES = 2


from interop_procs import (CheckFailed, SetupError, note, check, Procs, on_signal, free_port, read, tail,
                            wait_for_line, port_bound, wait_bound)


def sipp_transport(args, transport):
    """sipp's -t: one socket for all calls, or over TCP with --connection-per-call one
    connection per call (each opened and closed by sipp)."""
    if transport == "tcp":
        return "tn" if args.connection_per_call else "t1"
    return "u1"


def sipp_socket_limit(args):
    # with tn sipp wants -max_socket below the open-file limit
    return ["-max_socket", "1000"] if args.connection_per_call else []


def sipp_argv(args, name, scenario, transport, extra):
    w = args.workdir
    return [args.sipp, "-sf", os.path.join(HERE, scenario), "-t", sipp_transport(args, transport),
            "-i", "127.0.0.1", "-nostdin",
            "-trace_stat", "-stf", os.path.join(w, name + "_stat.csv"), "-fd", "1",
            "-trace_err", "-error_file", os.path.join(w, name + "_errors.log"),
            "-trace_logs", "-log_file", os.path.join(w, name + "_logs.log"),
            "-trace_msg", "-message_file", os.path.join(w, name + "_messages.log")] + \
        sipp_socket_limit(args) + extra


def sipp_stats(args, name):
    path = os.path.join(args.workdir, name + "_stat.csv")
    rows = [r for r in csv.reader(open(path, errors="replace"), delimiter=";") if r]
    if len(rows) < 2:
        raise CheckFailed("sipp %s wrote no statistics in %s" % (name, path))
    return dict(zip(rows[0], rows[-1]))


# sipp notes it in its error trace when it was scheduled late (a loaded machine); that says
# nothing about the peer, so those events alone do not fail a case.
SIPP_BENIGN = re.compile(r"Overload warning: the minor watchdog timer")


def sipp_error_events(args, name):
    """The events of sipp's -trace_err file (each starts with a date), less the benign ones."""
    text = read(os.path.join(args.workdir, name + "_errors.log"))
    events = re.split(r"\n(?=\d{4}-\d\d-\d\d\t)", text)
    events = [e.strip() for e in events if e.strip() and not e.startswith("The following events occurred")]
    benign = [e for e in events if SIPP_BENIGN.search(e)]
    if benign:
        note("sipp %s was scheduled late %d times (watchdog warnings, not counted)" % (name, len(benign)))
    return "\n".join(e for e in events if not SIPP_BENIGN.search(e))


def check_sipp(args, name, rc, calls):
    """sipp's own verdict: exit 0, every call successful, nothing unexpected."""
    errors = sipp_error_events(args, name)
    if rc != 0 or errors:
        note("sipp %s exit status %s; its error trace:\n%s" % (name, rc, errors[-4000:]))
    check(rc == 0, "sipp %s exited 0 (all calls successful)" % name)
    check(not errors, "sipp %s traced no unexpected message or failed check" % name)
    st = sipp_stats(args, name)
    ok, failed = int(st.get("SuccessfulCall(C)", -1)), int(st.get("FailedCall(C)", -1))
    check(ok == calls and failed == 0, "sipp %s: %d of %d calls successful, %d failed" % (
        name, ok, calls, failed))
    check(int(st.get("OutOfCallMsgs(C)", 0)) == 0, "sipp %s: no message outside its calls" % name)
    return st


def sipp_logs(args, name):
    return read(os.path.join(args.workdir, name + "_logs.log")).splitlines()


def uas_answers(args, name):
    """What uas_mrcp.xml answered, from its <log> lines."""
    out = []
    for line in sipp_logs(args, name):
        m = re.search(r"answer channel=(\S+) mrcp_port=(\d+) pt=(\d+) call_id=(\S+)", line)
        if m:
            out.append({"channel": m.group(1), "mrcp_port": int(m.group(2)),
                        "pt": int(m.group(3)), "call_id": m.group(4)})
    return out


def uas_keys():
    return ["-key", "mrcp_port", str(MRCP_PORT), "-key", "rtp_port", str(RTP_PORT),
            "-key", "channel_session", CHANNEL_SESSION]


def start_serve(args, procs, transport, extra=(), name="serve", wrapper=(), startup=15.0):
    argv = list(wrapper) + [args.sipspec, "serve", "--listen", "127.0.0.1:0",
                            "--transport", transport] + list(extra)
    p = procs.start(name, argv)
    m = wait_for_line(procs, p, procs.path(name, "out"),
                      r"listening on (\[?[0-9a-fA-F:.]+\]?):(\d+)", startup)
    port = int(m.group(2))
    note("%s listens on 127.0.0.1:%d" % (name, port))
    return p, port


def stop_serve(procs, p, name="serve", grace=10.0):
    rc = procs.stop(p, signal.SIGTERM, grace)
    if rc != 0:
        note("%s stderr:\n%s" % (name, tail(procs.path(name, "err"))))
    check(rc == 0, "%s ended cleanly on SIGTERM (exit status %s)" % (name, rc))
    return serve_counters(procs, name)


def serve_counters(procs, name="serve"):
    """The counters of serve's last line: "stopped invites 1, established 1, ..." (docs/cli.md)."""
    for line in reversed(read(procs.path(name, "out")).splitlines()):
        if line.startswith("stopped "):
            return {k.strip(): int(v) for v, k in
                    ((m.group(2), m.group(1)) for m in re.finditer(r"([a-z ]+?) (\d+)(?:,|$)", line[8:]))}
    raise CheckFailed("%s printed no \"stopped\" line" % name)


def start_kamailio(args, procs, next_port, password=AUTH_PASSWORD, defines=()):
    kdir = os.path.join(args.workdir, "kamailio")
    os.makedirs(kdir, exist_ok=True)
    pidfile = os.path.join(kdir, "kamailio.pid")
    if os.path.exists(pidfile):
        os.unlink(pidfile)
    port = free_port()
    argv = [args.kamailio, "-DD", "-E", "-f", os.path.join(HERE, "kamailio.cfg"),
            "-w", kdir, "-Y", kdir, "-P", pidfile, "-m", "32", "-M", "4", "-n", "1",
            "-A", "LISTEN_PORT=%d" % port,
            "-A", 'NEXT_HOP="127.0.0.1:%d"' % next_port,
            "-A", 'AUTH_USER="%s"' % AUTH_USER,
            "-A", 'AUTH_PASSWORD="%s"' % password,
            "-A", 'AUTH_REALM="%s"' % AUTH_REALM]
    for d in defines:
        argv += ["-A", d]
    p = procs.start("kamailio", argv, pidfile=pidfile)
    # ready once its listening sockets answer: the pid file comes after they are bound
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and not os.path.exists(pidfile):
        if p.poll() is not None:
            raise CheckFailed("kamailio ended (status %s):\n%s" % (
                p.returncode, tail(procs.path("kamailio", "err"))))
        time.sleep(0.05)
    if not os.path.exists(pidfile):
        raise CheckFailed("kamailio wrote no pid file within 15 s")
    wait_bound(p, port, "udp")
    wait_bound(p, port, "tcp")
    note("kamailio listens on 127.0.0.1:%d (udp, tcp), relays to 127.0.0.1:%d" % (port, next_port))
    return p, port


def kamailio_log(procs):
    return [l for l in read(procs.path("kamailio", "err")).splitlines() if "interop:" in l]


def call_json(args, procs, name, argv, timeout, env=None):
    """Runs `sipspec call ... --json` to its end; returns (exit status, parsed JSON)."""
    p = procs.start(name, argv, env=env)
    rc = procs.wait(p, timeout)
    if rc is None:
        procs.stop(p)
        raise CheckFailed("%s did not end within %.0f s" % (name, timeout))
    out = read(procs.path(name, "out"))
    note("%s exit status %d, stdout:\n%s" % (name, rc, out.strip()))
    err = read(procs.path(name, "err")).strip()
    if err:
        note("%s stderr:\n%s" % (name, err[-3000:]))
    try:
        doc = json.loads(out)
    except ValueError as e:
        raise CheckFailed("%s printed no JSON document (%s)" % (name, e))
    check(isinstance(doc, dict), "%s printed a JSON object" % name)
    return rc, doc


def session_channels(doc):
    """The channels of the JSON report (docs/cli.md): [{"id","resource","host","port",
    "rejected"}], [] when there is no session."""
    s = doc.get("session")
    return s.get("channels", []) if isinstance(s, dict) else []


def session_codec(doc):
    """The codec object {"name","rate","pt"} of the report's audio stream, or None."""
    s = doc.get("session")
    a = s.get("audio") if isinstance(s, dict) else None
    return a.get("codec") if isinstance(a, dict) else None


def telemetry(doc, name):
    t = doc.get("telemetry")
    return t.get(name) if isinstance(t, dict) else None


# ---- cases ------------------------------------------------------------------------------

def case_selfcheck_mrcp(args, procs):
    port = free_port()
    uas = procs.start("uas", sipp_argv(args, "uas", "uas_mrcp.xml", args.transport,
                                       ["-p", str(port), "-m", "1"] + uas_keys()))
    wait_bound(uas, port, args.transport)
    uac = procs.start("uac", sipp_argv(args, "uac", "uac_mrcp.xml", args.transport,
                                       ["-p", str(free_port()), "-m", "1", "-s", "mresources",
                                        "127.0.0.1:%d" % port]))
    rc = procs.wait(uac, 30)
    check(rc is not None, "sipp uac ended within 30 s")
    check_sipp(args, "uac", rc, 1)
    urc = procs.wait(uas, 10)
    check(urc is not None, "sipp uas ended after its one call")
    check_sipp(args, "uas", urc, 1)
    ans = uas_answers(args, "uas")
    check(len(ans) == 1 and ans[0]["channel"] == CHANNEL_SESSION + "@speechsynth" and ans[0]["pt"] == 8,
          "uas_mrcp.xml answered %s@speechsynth with the second offered payload type (8, PCMA)"
          % CHANNEL_SESSION)


def case_selfcheck_options(args, procs):
    port = free_port()
    uas = procs.start("uas", sipp_argv(args, "uas", "uas_options.xml", args.transport,
                                       ["-p", str(port), "-m", "1"]))
    wait_bound(uas, port, args.transport)
    uac = procs.start("uac", sipp_argv(args, "uac", "uac_options.xml", args.transport,
                                       ["-p", str(free_port()), "-m", "1", "-s", "mresources",
                                        "127.0.0.1:%d" % port]))
    rc = procs.wait(uac, 30)
    check(rc is not None, "sipp uac ended within 30 s")
    check_sipp(args, "uac", rc, 1)
    urc = procs.wait(uas, 10)
    check(urc is not None, "sipp uas ended after its one call")
    check_sipp(args, "uas", urc, 1)


def proxy_sipp_call(args, procs, kport, password, name):
    uac = procs.start(name, sipp_argv(args, name, "uac_mrcp_auth.xml", args.transport,
                                      ["-p", str(free_port()), "-m", "1", "-s", "mresources",
                                       "-au", AUTH_USER, "-ap", password,
                                       "127.0.0.1:%d" % kport]))
    rc = procs.wait(uac, 30)
    check(rc is not None, "sipp %s ended within 30 s" % name)
    check_sipp(args, name, rc, 1)
    return sipp_logs(args, name)


def case_selfcheck_proxy(args, procs):
    uport = free_port()
    uas = procs.start("uas", sipp_argv(args, "uas", "uas_mrcp.xml", args.transport,
                                       ["-p", str(uport), "-m", "1"] + uas_keys()))
    wait_bound(uas, uport, args.transport)
    kam, kport = start_kamailio(args, procs, uport)
    logs = proxy_sipp_call(args, procs, kport, AUTH_PASSWORD, "uac_good")
    check(any(l.startswith("established ") for l in logs),
          "with the right password the call through kamailio was established")
    urc = procs.wait(uas, 10)
    check(urc is not None, "sipp uas ended after its one call")
    check_sipp(args, "uas", urc, 1)
    klog = kamailio_log(procs)
    check(any("in-dialog ACK routed" in l for l in klog), "the ACK went through kamailio (Record-Route)")
    check(any("in-dialog BYE routed" in l for l in klog), "the BYE went through kamailio (Record-Route)")
    before = sum("INVITE relayed" in l for l in klog)
    check(before == 1, "kamailio relayed exactly one INVITE (%d)" % before)

    logs = proxy_sipp_call(args, procs, kport, "not-" + AUTH_PASSWORD, "uac_bad")
    check(any(l.startswith("rejected ") for l in logs),
          "with a wrong password kamailio challenged the credentials again")
    klog = kamailio_log(procs)
    check(sum("INVITE relayed" in l for l in klog) == before,
          "kamailio relayed no INVITE with the wrong password")
    check(sum("auth result -2" in l for l in klog) == 1,
          "kamailio logged the wrong password once (auth result -2, invalid password)")


def case_call(args, procs):
    port = free_port()
    uas = procs.start("uas", sipp_argv(args, "uas", "uas_mrcp.xml", args.transport,
                                       ["-p", str(port), "-m", "1"] + uas_keys()))
    wait_bound(uas, port, args.transport)
    rc, doc = call_json(args, procs, "call", [
        args.sipspec, "call", "--transport", args.transport, "--hold", "200", "--json",
        "--resource", "speechsynth", "sip:mresources@127.0.0.1:%d" % port], 30)
    urc = procs.wait(uas, 10)
    check(urc is not None, "sipp uas ended after its one call")
    check_sipp(args, "uas", urc, 1)
    ans = uas_answers(args, "uas")
    check(len(ans) == 1, "sipp answered one INVITE")
    a = ans[0]
    check(doc.get("result") == "ok", "sipspec call: result \"ok\" (got %r)" % doc.get("result"))
    check(doc.get("status") == 200, "sipspec call: status 200 (got %r)" % doc.get("status"))
    check(rc == 0, "sipspec call exited 0")
    chans = [c for c in session_channels(doc) if c.get("id") == a["channel"]]
    check(len(chans) == 1, "sipspec call reports the channel id sipp sent (%s; got %s)"
          % (a["channel"], [c.get("id") for c in session_channels(doc)]))
    ch = chans[0]
    check(ch.get("resource") == "speechsynth" and ch.get("rejected") is False,
          "the channel is an accepted speechsynth channel")
    check(ch.get("port") == a["mrcp_port"], "sipspec call reports the MRCP port sipp sent (%d, got %r)"
          % (a["mrcp_port"], ch.get("port")))
    codec = session_codec(doc) or {}
    check(codec.get("pt") == a["pt"] and codec.get("name") == "PCMA" and codec.get("rate") == 8000,
          "sipspec call reports the codec sipp chose (PCMA/8000, payload type %d; got %r)" % (a["pt"], codec))
    check(doc.get("ended_by") == "local", "sipspec call ended the session itself after --hold (BYE)")
    check(telemetry(doc, "sipByeSent") == 1, "telemetry: one BYE sent")
    check(telemetry(doc, "sessionsEstablished") == 1, "telemetry: one session established")


# UniMRCP's defaults are Session-Expires 600, Min-SE 120, refresher=uac; the sipp server plays
# them at a hundredth of the interval (6 s, Min-SE 2 s), which the client accepts because
# MRCP_SIP_MIN_SE=2 lets it (RFC 4028 9: a UAS may reduce the interval down to the client's
# Min-SE). The client keeps asking for its default 1800 s.
SESSION_TIMER_SE = 6  # uas_session_timer.xml's UPDATE timeouts (4.5 s) are written for it
SESSION_TIMER_MIN_SE = 2


def case_session_timer(args, procs):
    port = free_port()
    se = SESSION_TIMER_SE
    uas = procs.start("uas", sipp_argv(args, "uas", "uas_session_timer.xml", args.transport,
                                       ["-p", str(port), "-m", "1"] + uas_keys() +
                                       ["-key", "se", str(se), "-key", "min_se_srv", str(SESSION_TIMER_MIN_SE)]))
    wait_bound(uas, port, args.transport)
    rc, doc = call_json(args, procs, "call", [
        args.sipspec, "call", "--transport", args.transport, "--hold", str(se * 1000 + 1000), "--json",
        "--resource", "speechsynth", "sip:mresources@127.0.0.1:%d" % port], 30,
        env={"MRCP_SIP_MIN_SE": str(SESSION_TIMER_MIN_SE)})
    urc = procs.wait(uas, 10)
    check(urc is not None, "sipp uas ended after its one call")
    check_sipp(args, "uas", urc, 1)
    logs = sipp_logs(args, "uas")
    asked = [re.search(r"invite asked=(\d+) min_se=(\d+)", l) for l in logs]
    asked = [m for m in asked if m]
    check(len(asked) == 1 and asked[0].group(1) == "1800" and asked[0].group(2) == str(SESSION_TIMER_MIN_SE),
          "the INVITE asked for Session-Expires 1800 with Min-SE %d (got %s)"
          % (SESSION_TIMER_MIN_SE, [m.groups() for m in asked]))
    ack = [int(m.group(1)) for m in (re.search(r"ack clock=(\d+)", l) for l in logs) if m]
    refreshes = [(int(m.group(1)), int(m.group(2)), int(m.group(3)))
                 for m in (re.search(r"refresh (\d) clock=(\d+) se=(\d+)", l) for l in logs) if m]
    check(len(ack) == 1 and len(refreshes) == 2, "sipp logged the ACK and two refreshes (%s, %s)" % (ack, refreshes))
    check(all(r[2] == se for r in refreshes), "each UPDATE asked for Session-Expires %d;refresher=uac" % se)
    t0, t1, t2 = ack[0], refreshes[0][1], refreshes[1][1]
    # half the interval after each 2xx (the 200 and the ACK, the 200 to the UPDATE, all on
    # loopback within milliseconds); the margins are for the processes' scheduling
    half = se * 1000 // 2
    check(half - 300 <= t1 - t0 <= half + 700,
          "the first refresh came %d ms after the ACK (half the interval: %d ms)" % (t1 - t0, half))
    check(half - 300 <= t2 - t1 <= half + 700,
          "the second refresh came %d ms after the first (half the interval: %d ms)" % (t2 - t1, half))
    check(rc == 0 and doc.get("result") == "ok", "sipspec call: exit 0, result ok (got %s %r)" % (rc, doc.get("result")))
    check(doc.get("session_expires") == se and doc.get("refresher") == "uac",
          "sipspec call reports Session-Expires %d, refresher uac (got %r %r)"
          % (se, doc.get("session_expires"), doc.get("refresher")))
    check(telemetry(doc, "sipSessionRefreshes") == 2, "telemetry: two refreshes (got %r)" % telemetry(doc, "sipSessionRefreshes"))
    check(telemetry(doc, "sipSessionExpired") == 0, "telemetry: no expiry")
    check(doc.get("ended_by") == "local", "sipspec call ended the session itself after --hold (BYE)")


def case_serve(args, procs):
    serve, port = start_serve(args, procs, args.transport)
    uac = procs.start("uac", sipp_argv(args, "uac", "uac_mrcp.xml", args.transport,
                                       ["-p", str(free_port()), "-m", str(args.calls), "-l", "10",
                                        "-r", "50", "-s", "mresources", "127.0.0.1:%d" % port]))
    rc = procs.wait(uac, 60)
    check(rc is not None, "sipp uac ended within 60 s")
    check_sipp(args, "uac", rc, args.calls)
    c = stop_serve(procs, serve)
    n = args.calls
    check(c.get("invites") == n and c.get("established") == n and c.get("ended") == n and c.get("refused") == 0
          and c.get("byes received") == n,
          "serve counted %d invites, established, ended and BYEs received, none refused (%s)" % (n, c))


def case_serve_options(args, procs):
    serve, port = start_serve(args, procs, args.transport)
    uac = procs.start("uac", sipp_argv(args, "uac", "uac_options.xml", args.transport,
                                       ["-p", str(free_port()), "-m", "3", "-s", "mresources",
                                        "127.0.0.1:%d" % port]))
    rc = procs.wait(uac, 30)
    check(rc is not None, "sipp uac ended within 30 s")
    check_sipp(args, "uac", rc, 3)
    c = stop_serve(procs, serve)
    check(c.get("options") == 3 and c.get("invites") == 0, "serve counted 3 OPTIONS and no INVITE (%s)" % c)


def proxy_case(args, procs, password, serve_extra=(), kamailio_defines=(), call_env=None):
    serve, sport = start_serve(args, procs, args.transport, extra=serve_extra)
    kam, kport = start_kamailio(args, procs, sport, defines=kamailio_defines)
    rc, doc = call_json(args, procs, "call", [
        args.sipspec, "call", "--transport", args.transport, "--hold", "200", "--json",
        "--user", AUTH_USER, "--password", password, "--resource", "speechsynth",
        "sip:mresources@127.0.0.1:%d" % kport], 40, env=call_env)
    time.sleep(0.3)  # let kamailio log the last relayed request
    return serve, rc, doc, kamailio_log(procs)


def case_proxy_call(args, procs):
    serve, rc, doc, klog = proxy_case(args, procs, AUTH_PASSWORD)
    check(doc.get("result") == "ok", "sipspec call through kamailio: result \"ok\" (got %r)"
          % doc.get("result"))
    check(rc == 0, "sipspec call exited 0")
    check(any("with credentials user=%s" % AUTH_USER in l for l in klog),
          "the client answered kamailio's 407 with credentials for %s" % AUTH_USER)
    check(sum("INVITE relayed" in l for l in klog) == 1, "kamailio relayed one INVITE")
    check(any("in-dialog ACK routed" in l for l in klog), "the ACK went through kamailio (Record-Route)")
    check(any("in-dialog BYE routed" in l for l in klog), "the BYE went through kamailio (Record-Route)")
    check(any(str(c.get("id", "")).endswith("@speechsynth") and c.get("port") for c in session_channels(doc)),
          "sipspec call reports the speechsynth channel sipspec serve answered")
    check(telemetry(doc, "sipAuthChallenges") == 1, "telemetry: one challenge (kamailio's 407)")
    check(doc.get("ended_by") == "local" and telemetry(doc, "sipByeSent") == 1,
          "sipspec call ended the session with its BYE")
    stop_serve(procs, serve)


def case_proxy_badpw(args, procs):
    serve, rc, doc, klog = proxy_case(args, procs, "not-" + AUTH_PASSWORD)
    check(doc.get("result") == "auth-failed", "wrong password: result \"auth-failed\" (got %r)"
          % doc.get("result"))
    check(rc != 0, "wrong password: sipspec call exited non-zero (%d)" % rc)
    invites = sum(("INVITE without credentials" in l or "INVITE with credentials" in l) for l in klog)
    check(1 <= invites <= 1 + MAX_CHALLENGES,
          "kamailio saw %d INVITEs, at most 1 + %d challenges answered" % (invites, MAX_CHALLENGES))
    check(sum("INVITE relayed" in l for l in klog) == 0, "kamailio relayed no INVITE")
    check(telemetry(doc, "sipAuthChallenges") == invites,
          "telemetry counts one challenge per INVITE kamailio saw (%r)" % telemetry(doc, "sipAuthChallenges"))
    check(doc.get("status") == 407, "the final status is kamailio's 407 (got %r)" % doc.get("status"))
    c = stop_serve(procs, serve)
    check(c.get("invites") == 0, "no INVITE reached serve (%s)" % c)


def case_proxy_two_challenges(args, procs):
    """Kamailio challenges the INVITE (407), relays the answered one to `sipspec serve
    --auth`, which challenges it too (401, its own realm): the client answers both on the
    same INVITE chain (RFC 3261 22.2, 22.3), the third INVITE carrying both credentials.

    Kamailio keeps the Request-URI (KEEP_RURI): serve checks that its credentials' uri is
    the Request-URI it received, which a proxy that rewrites it would break. Over UDP the
    third INVITE (an MRCP offer and two sets of credentials) is over the 1300 bytes of
    RFC 3261 18.1.1; the client moves only a first INVITE that big to TCP, not a retry, so
    the UDP run raises MRCP_SIP_UDP_MAX_SIZE to 4000 (loopback's MTU is 65536)."""
    serve, rc, doc, klog = proxy_case(
        args, procs, AUTH_PASSWORD,
        serve_extra=["--auth", "%s:%s" % (AUTH_USER, AUTH_PASSWORD), "--realm", SERVE_REALM],
        kamailio_defines=["KEEP_RURI"],
        call_env={"MRCP_SIP_UDP_MAX_SIZE": "4000"} if args.transport == "udp" else None)
    check(doc.get("result") == "ok", "sipspec call through kamailio to serve --auth: result \"ok\" (got %r)"
          % doc.get("result"))
    check(rc == 0, "sipspec call exited 0")
    invites = sum(("INVITE without credentials" in l or "INVITE with credentials" in l) for l in klog)
    check(invites == 3 and invites <= 1 + MAX_CHALLENGES,
          "kamailio saw exactly 3 INVITEs (no credentials, its own, both), within 1 + %d challenges (%d)"
          % (MAX_CHALLENGES, invites))
    check(sum("challenge (auth result" in l for l in klog) == 1, "kamailio challenged once (407)")
    check(sum("INVITE relayed" in l for l in klog) == 2,
          "kamailio relayed 2 INVITEs: the one serve challenged and the one it accepted")
    check(telemetry(doc, "sipAuthChallenges") == 2,
          "telemetry: two challenges, kamailio's 407 and serve's 401 (%r)" % telemetry(doc, "sipAuthChallenges"))
    check(any("in-dialog ACK routed" in l for l in klog), "the ACK went through kamailio (Record-Route)")
    check(any("in-dialog BYE routed" in l for l in klog), "the BYE went through kamailio (Record-Route)")
    check(doc.get("ended_by") == "local" and telemetry(doc, "sipByeSent") == 1,
          "sipspec call ended the session with its BYE")
    c = stop_serve(procs, serve)
    check(c.get("invites") == 2 and c.get("established") == 1 and c.get("ended") == 1,
          "serve saw 2 INVITEs and established and ended one dialog (%s)" % c)
    check(c.get("challenges") == 1 and c.get("refused") == 1,
          "serve challenged the INVITE once (401) and the BYE not at all (%s)" % c)


def case_proxy_sipp_serve(args, procs):
    """sipp's client through kamailio to sipspec serve: serve's side of the Record-Route."""
    serve, sport = start_serve(args, procs, args.transport)
    kam, kport = start_kamailio(args, procs, sport)
    logs = proxy_sipp_call(args, procs, kport, AUTH_PASSWORD, "uac")
    check(any(l.startswith("established ") for l in logs), "sipp's call through kamailio was established")
    klog = kamailio_log(procs)
    check(any("in-dialog ACK routed" in l for l in klog),
          "the ACK went through kamailio (serve's 2xx carried the Record-Route back)")
    check(any("in-dialog BYE routed" in l for l in klog), "the BYE went through kamailio")
    stop_serve(procs, serve)


def case_proxy_call_sipp(args, procs):
    """sipspec call through kamailio to sipp's MRCP server: the client's side of the
    Record-Route (sipp copies it into its 2xx, RFC 3261 12.1.1)."""
    uport = free_port()
    uas = procs.start("uas", sipp_argv(args, "uas", "uas_mrcp.xml", args.transport,
                                       ["-p", str(uport), "-m", "1"] + uas_keys()))
    wait_bound(uas, uport, args.transport)
    kam, kport = start_kamailio(args, procs, uport)
    rc, doc = call_json(args, procs, "call", [
        args.sipspec, "call", "--transport", args.transport, "--hold", "200", "--json",
        "--user", AUTH_USER, "--password", AUTH_PASSWORD, "--resource", "speechsynth",
        "sip:mresources@127.0.0.1:%d" % kport], 40)
    check(doc.get("result") == "ok" and rc == 0, "sipspec call through kamailio to sipp: result ok, exit 0")
    check(telemetry(doc, "sipAuthChallenges") == 1, "telemetry: one challenge (kamailio's 407)")
    ans = uas_answers(args, "uas")
    check(len(ans) == 1 and [c.get("id") for c in session_channels(doc)] == [ans[0]["channel"]],
          "sipspec call reports the channel sipp answered through the proxy")
    urc = procs.wait(uas, 10)
    check(urc is not None, "sipp uas ended after its one call")
    check_sipp(args, "uas", urc, 1)
    klog = kamailio_log(procs)
    check(any("in-dialog ACK routed" in l for l in klog), "the ACK went through kamailio (Record-Route)")
    check(any("in-dialog BYE routed" in l for l in klog), "the BYE went through kamailio (Record-Route)")


def case_leak(args, procs):
    vlog = os.path.join(args.workdir, "valgrind.log")
    wrapper = [args.valgrind, "--leak-check=full", "--show-leak-kinds=definite,indirect",
               "--errors-for-leak-kinds=definite,indirect", "--error-exitcode=99",
               "--track-fds=yes", "--log-file=" + vlog]
    serve, port = start_serve(args, procs, args.transport, wrapper=wrapper, startup=60.0)
    t0 = time.monotonic()
    # -l 1: one call at a time (sequential), as fast as serve under valgrind answers
    uac = procs.start("uac", sipp_argv(args, "uac", "uac_mrcp.xml", args.transport,
                                       ["-p", str(free_port()), "-m", str(args.calls), "-l", "1",
                                        "-r", "1000", "-s", "mresources", "127.0.0.1:%d" % port]))
    rc = procs.wait(uac, 240)
    check(rc is not None, "sipp made %d calls within 240 s" % args.calls)
    note("%d sequential calls under valgrind took %.1f s" % (args.calls, time.monotonic() - t0))
    check_sipp(args, "uac", rc, args.calls)
    src = procs.stop(serve, signal.SIGTERM, 60.0)
    text = read(vlog)
    summary = [l for l in text.splitlines() if re.search(
        r"(definitely|indirectly) lost:|ERROR SUMMARY|All heap blocks|in use at exit", l)]
    note("valgrind:\n" + "\n".join(summary))
    check(src == 0, "serve under valgrind ended cleanly on SIGTERM with no error (exit status %s)" % src)
    c = serve_counters(procs)
    check(c.get("invites") == args.calls and c.get("ended") == args.calls,
          "serve counted %d invites and %d ended dialogs (%s)" % (args.calls, args.calls, c))
    leaks_ok = "All heap blocks were freed" in text or (
        re.search(r"definitely lost: 0 bytes", text) and re.search(r"indirectly lost: 0 bytes", text))
    check(bool(leaks_ok), "valgrind: definitely lost 0 bytes, indirectly lost 0 bytes")
    check(re.search(r"ERROR SUMMARY: 0 errors", text) is not None, "valgrind: ERROR SUMMARY: 0 errors")
    # --track-fds: what is open at exit. libev's loop (epoll, eventfd) may stay; a socket may not
    sockets = re.findall(r"Open (AF_\w+ socket[^\n]*)", text)
    check(not sockets, "valgrind: no socket left open at exit (%s)" % ("; ".join(sockets) or "none"))


CASES = {
    "selfcheck-mrcp": case_selfcheck_mrcp,
    "selfcheck-options": case_selfcheck_options,
    "selfcheck-proxy": case_selfcheck_proxy,
    "call": case_call,
    "session-timer": case_session_timer,
    "serve": case_serve,
    "serve-options": case_serve_options,
    "proxy-call": case_proxy_call,
    "proxy-badpw": case_proxy_badpw,
    "proxy-two-challenges": case_proxy_two_challenges,
    "proxy-sipp-serve": case_proxy_sipp_serve,
    "proxy-call-sipp": case_proxy_call_sipp,
    "leak": case_leak,
}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("case", choices=sorted(CASES))
    ap.add_argument("--workdir", required=True, help="where logs and traces go (created)")
    ap.add_argument("--transport", choices=("udp", "tcp"), default="udp")
    ap.add_argument("--calls", type=int, default=20)
    ap.add_argument("--connection-per-call", action="store_true",
                    help="over TCP, sipp as the client opens one connection per call")
    ap.add_argument("--sipspec", default="sipspec")
    ap.add_argument("--sipp", default="sipp")
    ap.add_argument("--kamailio", default="kamailio")
    ap.add_argument("--valgrind", default="valgrind")
    args = ap.parse_args()
    if args.calls < 1:
        ap.error("--calls must be at least 1")
    os.makedirs(args.workdir, exist_ok=True)
    for f in os.listdir(args.workdir):  # a fresh run does not read an old run's traces
        p = os.path.join(args.workdir, f)
        if os.path.isfile(p):
            os.unlink(p)
    for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(s, on_signal)
    procs = Procs(args.workdir)
    status = 0
    try:
        CASES[args.case](args, procs)
        note("PASS %s (%s)" % (args.case, args.transport))
    except CheckFailed as e:
        print("FAIL %s (%s): %s" % (args.case, args.transport, e), file=sys.stderr, flush=True)
        status = 1
    except SetupError as e:
        print("ERROR %s: %s" % (args.case, e), file=sys.stderr, flush=True)
        status = 2
    finally:
        for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(s, signal.SIG_IGN)  # a second signal must not cut the cleanup short
        procs.stop_all()
    if status:
        print("logs and traces: %s" % args.workdir, file=sys.stderr)
    return status


if __name__ == "__main__":
    sys.exit(main())
