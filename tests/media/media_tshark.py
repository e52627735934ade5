#!/usr/bin/env python3
"""media_tshark.py SIPSPEC WORKDIR: Wireshark's reading of our RTP and RTCP, against our own.

tshark captures loopback (UDP on the test's RTP ports only) while `sipspec call --play
tone:440` talks to `sipspec serve --media echo` (RTCP on its own ports, --no-rtcp-mux, so the
capture can be decoded by port), then a second call sends DTMF. From the capture:

- no packet is malformed and no expert note of warning or error level is raised on RTP,
  RTCP or the RFC 4733 events;
- every RTP and RTCP packet the two sides say they sent is in the capture;
- `tshark -q -z rtp,streams`: each stream's packets and loss equal what the sender sent and
  the receiver reports lost, and its max jitter is within 5% (or one 8 kHz timestamp unit,
  0.125 ms, A.8's resolution) of the largest A.8 estimate the receiver reports (jitter_ms.peak);
- the RTCP XR VoIP metrics blocks are dissected as RFC 3611 blocks (Gmin 16, MOS-LQ 127);
- the DTMF call's events are rtpevent packets: per digit the marker on the first, the
  event's code, three end packets with the final duration, all with the same timestamp.

tshark is a requirement of this test (tools/setup installs it): without it, or when the
capture cannot start (capturing on lo needs root or the capture capabilities), the test
fails and says why. Every process is stopped by its PID; every wait is bounded."""
import json
import os
import queue
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time

SIPSPEC, WORK = sys.argv[1], sys.argv[2]
os.makedirs(WORK, exist_ok=True)
FAILS = []
STARTED = []


def check(cond, what):
    if not cond:
        FAILS.append(what)
        print("  FAIL:", what, flush=True)
    return cond


def env():
    e = {k: v for k, v in os.environ.items() if not k.startswith("MRCP_SIP_")}
    e["MRCP_SIP_RTCP_INTERVAL_MS"] = "400"
    return e


def stop(p, sig=signal.SIGTERM, max_s=30):
    if p.poll() is None:
        os.kill(p.pid, sig)
    try:
        return p.wait(timeout=max_s)
    except subprocess.TimeoutExpired:
        os.kill(p.pid, signal.SIGKILL)
        p.wait(timeout=10)
        return None


def serve(port):
    p = subprocess.Popen([SIPSPEC, "serve", "--listen", "127.0.0.1:0", "--transport", "udp", "--json-log",
                          "--media", "echo", "--no-rtcp-mux", "--rtp-port", str(port)],
                         env=env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, bufsize=1)
    STARTED.append(p)
    q = queue.Queue()

    def read():
        for line in p.stdout:
            q.put(line)
        q.put(None)
    threading.Thread(target=read, daemon=True).start()
    lines, deadline, sip = [], time.monotonic() + 10, None
    while sip is None and time.monotonic() < deadline:
        try:
            line = q.get(timeout=max(0.01, deadline - time.monotonic()))
        except queue.Empty:
            break
        if line is None:
            break
        o = json.loads(line)
        lines.append(o)
        if o.get("event") == "listening" and o.get("text", "").endswith("/udp"):
            sip = int(o["text"].split(":")[1].split("/")[0])
    if sip is None:
        stop(p)
        raise RuntimeError("serve did not start: " + p.stderr.read())
    return p, q, lines, sip


def serve_media(q, lines, call_id, max_s=5):
    deadline = time.monotonic() + max_s
    while True:
        for o in lines:
            if o.get("event") == "media" and o.get("call_id") == call_id:
                return o["media"]
        if time.monotonic() >= deadline:
            return None
        try:
            line = q.get(timeout=max(0.01, deadline - time.monotonic()))
        except queue.Empty:
            return None
        if line is None:
            return None
        lines.append(json.loads(line))


def call(sip, rtp_port, *extra):
    p = subprocess.Popen([SIPSPEC, "call", "--json", "--transport", "udp", "--hold", "2500", "--rtp-port",
                          str(rtp_port)] + list(extra) + ["sip:media@127.0.0.1:%d" % sip],
                         env=env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    STARTED.append(p)
    out, err = p.communicate(timeout=40)
    check(p.returncode == 0, "call %r: exit 0, got %d %r" % (extra, p.returncode, err))
    return json.loads(out.strip().splitlines()[-1])


def tshark(args, timeout=60):
    p = subprocess.run(["tshark"] + args, capture_output=True, text=True, timeout=timeout)
    check(p.returncode == 0, "tshark %r: exit 0, got %d %r" % (args, p.returncode, p.stderr[-400:]))
    return p.stdout


def capture_jitter_ms(cap, dec, src, dst, n):
    """RFC 3550 A.8's interarrival jitter estimate from the capture's arrival times and the RTP
    timestamps (8 kHz), its largest value in ms, over each run of n consecutive RTP packets of
    the stream src -> dst: what the receiver computes over the n packets it counted (it starts
    counting once its session runs and stops at the BYE, so which run is not known; the list
    has one value per possible start)."""
    rows = tshark(["-r", cap] + dec + ["-Y", "rtp && udp.srcport == %d && udp.dstport == %d" % (src, dst),
                                       "-T", "fields", "-E", "separator=|", "-e", "frame.time_epoch",
                                       "-e", "rtp.timestamp"]).splitlines()
    pk = [(float(t) * 8000.0, int(ts)) for t, ts in (r.split("|") for r in rows)]
    peaks = []
    for k in range(0, len(pk) - n + 1):
        j = peak = 0.0
        for prev, cur in zip(pk[k:k + n], pk[k + 1:k + n]):
            d = (cur[0] - prev[0]) - ((cur[1] - prev[1]) & 0xFFFFFFFF)
            j += (abs(d) - j) / 16.0
            peak = max(peak, j)
        peaks.append(peak / 8.0)
    return peaks


def main():
    if not check(shutil.which("tshark") is not None, "tshark is not installed (tools/setup installs it)"):
        return
    base = 30000 + (os.getpid() % 100) * 20
    s_port, c1, c2 = base, base + 6, base + 10  # serve's pair, the two calls' pairs
    cap = os.path.join(WORK, "media.pcapng")
    if os.path.exists(cap):
        os.unlink(cap)
    # -P -l: a line per packet on stdout as it is written, so that a probe datagram tells when
    # the capture really runs ("Capturing on" comes before the filter is in place)
    ts = subprocess.Popen(["tshark", "-i", "lo", "-f", "udp and portrange %d-%d" % (base, base + 11), "-w", cap, "-P",
                           "-l"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"))
    STARTED.append(ts)
    outq, said = queue.Queue(), []
    threading.Thread(target=lambda: [outq.put(l) for l in ts.stdout] + [outq.put(None)], daemon=True).start()
    threading.Thread(target=lambda: [said.append(l) for l in ts.stderr], daemon=True).start()
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    started, deadline = False, time.monotonic() + 20
    while not started and time.monotonic() < deadline and ts.poll() is None:
        probe.sendto(b"probe", ("127.0.0.1", base + 11))
        try:
            started = outq.get(timeout=0.2) is not None
        except queue.Empty:
            pass
    probe.close()
    if not check(started and ts.poll() is None,
                 "tshark cannot capture on lo (root or the capture capabilities are needed): %r" % "".join(said)):
        stop(ts)
        return
    threading.Thread(target=lambda: [None for _ in iter(outq.get, None)], daemon=True).start()  # keep draining
    srv, q, lines, sip = serve(s_port)
    try:
        c = call(sip, c1, "--play", "tone:440")
        s = serve_media(q, lines, c["call_id"])
        d = call(sip, c2, "--play", "tone:440", "--dtmf", "5#")
        ds = serve_media(q, lines, d["call_id"])
    finally:
        check(stop(srv) == 0, "serve exits 0 (no sanitizer report)")
        time.sleep(0.3)  # the last packets reach the capture
        stop(ts, signal.SIGINT)
    cm = c.get("media") or {}
    if not check(s is not None and ds is not None and cm, "both sides reported media"):
        return
    print("  call: sent %d rtcp %d, received %d lost %d peak jitter %.3f | serve: sent %d rtcp %d received %d lost %d"
          " peak jitter %.3f" % (cm["packets_sent"], cm["rtcp_sent"], cm["packets_received"], cm["lost"],
                                 cm["jitter_ms"]["peak"], s["packets_sent"], s["rtcp_sent"], s["packets_received"],
                                 s["lost"], s["jitter_ms"]["peak"]), flush=True)
    dec = []
    for p in (s_port, c1, c2):
        dec += ["-d", "udp.port==%d,rtp" % p, "-d", "udp.port==%d,rtcp" % (p + 1)]

    # every packet well-formed, no warning or error expert note
    bad = tshark(["-r", cap] + dec + ["-Y", "_ws.malformed || _ws.expert.severity >= warning"])
    check(bad.strip() == "", "no malformed packet and no expert warning:\n" + bad[:2000])

    # every packet sent is captured
    rows = tshark(["-r", cap] + dec + ["-T", "fields", "-E", "separator=|", "-e", "udp.srcport", "-e", "rtp.ssrc",
                                       "-e", "rtcp.pt"]).splitlines()
    rtp = {}
    rtcp = {}
    for r in rows:
        sport, ssrc, pt = (r.split("|") + ["", "", ""])[:3]
        if ssrc:
            rtp[int(sport)] = rtp.get(int(sport), 0) + 1
        elif pt:
            rtcp[int(sport)] = rtcp.get(int(sport), 0) + 1
    dm = d.get("media") or {}
    check(rtp.get(c1) == cm["packets_sent"] and rtp.get(c2) == dm.get("packets_sent"),
          "the calls' RTP packets all captured: %r vs %d, %r" % (rtp, cm["packets_sent"], dm.get("packets_sent")))
    check(rtp.get(s_port) == s["packets_sent"] + ds["packets_sent"],
          "serve's RTP packets all captured: %r vs %d + %d" % (rtp.get(s_port), s["packets_sent"], ds["packets_sent"]))
    check(rtcp.get(c1 + 1) == cm["rtcp_sent"] and rtcp.get(s_port + 1) == s["rtcp_sent"] + ds["rtcp_sent"],
          "RTCP compounds all captured: %r vs call %d, serve %d + %d" % (rtcp, cm["rtcp_sent"], s["rtcp_sent"],
                                                                        ds["rtcp_sent"]))

    # Wireshark's stream analysis against our figures (first call: no DTMF in the streams)
    out = tshark(["-r", cap, "-q", "-z", "rtp,streams"] + dec)
    streams = {}
    for l in out.splitlines():
        m = re.match(r"\s*[\d.]+\s+[\d.]+\s+127\.0\.0\.1\s+(\d+)\s+127\.0\.0\.1\s+(\d+)\s+0x[0-9A-Fa-f]+\s+\S+\s+"
                     r"(\d+)\s+(-?\d+)\s+\([^)]*\)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)", l)
        if m:
            streams[(int(m.group(1)), int(m.group(2)))] = (int(m.group(3)), int(m.group(4)), float(m.group(10)))
    for (src, dst), sender, receiver in (((c1, s_port), cm, s), ((s_port, c1), s, cm)):
        st = streams.get((src, dst))
        if not check(st is not None, "rtp,streams has the stream %d -> %d:\n%s" % (src, dst, out)):
            continue
        pkts, lost, maxj = st
        peak = receiver["jitter_ms"]["peak"]
        print("  stream %d -> %d: tshark %d packets, lost %d, max jitter %.3f ms; ours: sent %d, lost %d, peak %.3f ms"
              % (src, dst, pkts, lost, maxj, sender["packets_sent"], receiver["lost"], peak), flush=True)
        check(pkts == sender["packets_sent"], "stream %d -> %d: packets %d = sent %d" % (src, dst, pkts,
                                                                                       sender["packets_sent"]))
        check(lost == receiver["lost"], "stream %d -> %d: tshark's loss %d = ours %d" % (src, dst, lost,
                                                                                       receiver["lost"]))
        got = receiver["packets_received"]
        if got == pkts:  # the receiver counted every packet: Wireshark's own maximum
            check(abs(maxj - peak) <= max(0.05 * maxj, 0.125),
                  "stream %d -> %d: max jitter %.3f ms vs ours %.3f ms (5%% or 0.125 ms)" % (src, dst, maxj, peak))
        else:  # it stopped before the last packets (the BYE): the same estimate over the same packets
            runs = capture_jitter_ms(cap, dec, src, dst, got)
            print("  stream %d -> %d: receiver counted %d of %d; A.8 over each run of %d in the capture: %s ms"
                  % (src, dst, got, pkts, got, " ".join("%.3f" % v for v in runs)), flush=True)
            check(0 < got < pkts and got >= pkts - 5 and any(abs(v - peak) <= max(0.05 * v, 0.125) for v in runs),
                  "stream %d -> %d: max jitter over a run of the %d packets received (capture) %s ms vs ours %.3f ms"
                  " (5%% or 0.125 ms)" % (src, dst, got, runs, peak))

    # RFC 3611 VoIP metrics as Wireshark reads them
    xr = tshark(["-r", cap] + dec + ["-Y", "rtcp.xr.bt == 7", "-T", "fields", "-E", "separator=|", "-e",
                                     "rtcp.xr.voipmetrics.gmin", "-e", "rtcp.xr.voipmetrics.moslq"]).splitlines()
    check(len(xr) >= 4, "XR VoIP metrics blocks in the capture: %d" % len(xr))
    check(all(r.split("|")[0] == "16" for r in xr), "XR blocks carry Gmin 16: %r" % xr[:3])

    # RFC 4733 events of the second call
    ev = tshark(["-r", cap] + dec + ["-Y", "rtpevent && udp.srcport == %d" % c2, "-T", "fields", "-E", "separator=|",
                                     "-e", "rtp.marker", "-e", "rtp.timestamp", "-e", "rtpevent.event_id", "-e",
                                     "rtpevent.end_of_event", "-e", "rtpevent.duration"]).splitlines()
    rows = [r.split("|") for r in ev]
    if check(len(rows) == 16, "16 event packets (2 digits x (5 + 3 end)), got %d: %r" % (len(rows), rows)):
        for k, code in enumerate(("5", "11")):
            dig = rows[8 * k:8 * k + 8]
            check([r[0] for r in dig] == ["1"] + ["0"] * 7 or [r[0] for r in dig] == ["True"] + ["False"] * 7,
                  "digit %s: marker on the first packet only: %r" % (code, dig))
            check(len({r[1] for r in dig}) == 1, "digit %s: one timestamp: %r" % (code, dig))
            check(all(r[2] == code for r in dig), "digit %s: event code: %r" % (code, dig))
            check([r[3] in ("1", "True") for r in dig] == [False] * 5 + [True] * 3, "digit %s: three end packets" % code)
            check([int(r[4]) for r in dig] == [160, 320, 480, 640, 800, 800, 800, 800], "digit %s: durations %r" %
                  (code, [r[4] for r in dig]))
    check(ds.get("dtmf_digits") == "5#", "serve received the digits 5#: %r" % ds.get("dtmf_digits"))


try:
    main()
finally:
    for p in STARTED:
        if p.poll() is None:
            os.kill(p.pid, signal.SIGKILL)
            p.wait(timeout=10)
print("%d failure(s)" % len(FAILS))
sys.exit(1 if FAILS else 0)
