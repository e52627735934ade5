#!/usr/bin/env python3
"""media_live.py SIPSPEC WORKDIR: `sipspec call` against `sipspec serve --media` on 127.0.0.1
(UDP), checked from both sides' reports: serve's "media" line (--json-log) and the media
object of `call --json`.

- echo with rtcp-mux (offered by call, answered by serve): RTT known on both sides, no loss,
  what one side sent the other received (within the packets in flight at the end), RTCP XR
  VoIP metrics received both ways, rtcp_mux true on both sides;
- without rtcp-mux, once refused by serve (--no-rtcp-mux) and once not offered by call
  (--no-rtcp-mux): the same figures over separate RTCP ports;
- DTMF: call --dtmf sends RFC 4733 events, serve reports the same digits;
- --record FILE.wav: a RIFF/WAVE file whose header says G.711 mu-law (tag 7, the PCMU the
  answer chose), 8 kHz mono 8 bits, with fact and data sizes equal to the octets received;
- serve --media tone:1000: the recorded audio, decoded, has about 2000 zero crossings a second;
  serve knows the RTT, the call (which sends no SR) reports it absent;
- two calls at once get two RTP ports from serve, both with RTT;
- usage errors exit 2 and name the option.

Every process is stopped by its PID; every wait is bounded."""
import json
import os
import queue
import re
import signal
import struct
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
    e["MRCP_SIP_RTCP_INTERVAL_MS"] = "400"  # several RTCP reports within a 2.5 s call
    return e


class Server:
    def __init__(self, *extra):
        args = [SIPSPEC, "serve", "--listen", "127.0.0.1:0", "--transport", "udp", "--json-log"] + list(extra)
        self.p = subprocess.Popen(args, env=env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                  bufsize=1)
        STARTED.append(self.p)
        self.q = queue.Queue()
        self.lines = []
        threading.Thread(target=self._read, daemon=True).start()
        m = self.wait_for(lambda o: o.get("event") == "listening" and o.get("text", "").endswith("/udp"))
        if not m:
            self.stop()
            raise RuntimeError("serve did not say where it listens: " + self.p.stderr.read())
        self.port = int(m["text"].split(":")[1].split("/")[0])
        self.uri = "sip:media@127.0.0.1:%d" % self.port

    def _read(self):
        for line in self.p.stdout:
            self.q.put(line)
        self.q.put(None)

    def wait_for(self, pred, max_s=10.0):
        for o in self.lines:
            if pred(o):
                return o
        deadline = time.monotonic() + max_s
        while time.monotonic() < deadline:
            try:
                line = self.q.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                break
            if line is None:
                break
            try:
                o = json.loads(line)
            except ValueError:
                check(False, "serve printed a line that is not JSON: %r" % line)
                continue
            self.lines.append(o)
            if pred(o):
                return o
        return None

    def media_of(self, call_id):
        return self.wait_for(lambda o: o.get("event") == "media" and o.get("call_id") == call_id, 5.0)

    def stop(self):
        if self.p.poll() is None:
            os.kill(self.p.pid, signal.SIGTERM)
        try:
            return self.p.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.kill(self.p.pid, signal.SIGKILL)
            self.p.wait(timeout=10)
            check(False, "serve did not stop within 30 s")
            return None


def call_args(srv, rtp_port, *extra):
    return [SIPSPEC, "call", "--json", "--transport", "udp", "--hold", "2500", "--rtp-port", str(rtp_port)] + \
        list(extra) + [srv.uri]


def finish_call(p, what):
    try:
        out, err = p.communicate(timeout=40)
    except subprocess.TimeoutExpired:
        os.kill(p.pid, signal.SIGKILL)
        out, err = p.communicate(timeout=10)
        check(False, what + ": call did not end within 40 s")
    lines = [l for l in out.splitlines() if l.strip()]
    if not check(p.returncode == 0 and len(lines) == 1, "%s: exit 0 and one JSON line, got %s %r %r" %
                 (what, p.returncode, out, err)):
        return {}
    return json.loads(lines[0])


def run_call(srv, rtp_port, *extra, what=""):
    p = subprocess.Popen(call_args(srv, rtp_port, *extra), env=env(), stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    STARTED.append(p)
    return finish_call(p, what)


def both_sides(what, c, s, mux):
    """The call's media object c and serve's s for one echo call."""
    if not check(isinstance(c, dict) and isinstance(s, dict), "%s: both reports have media: %r / %r" % (what, c, s)):
        return
    print("  %s: call sent %d received %d lost %d rtt %s jitter %s | serve sent %d received %d lost %d rtt %s" %
          (what, c["packets_sent"], c["packets_received"], c["lost"], c["rtt_ms"], c["jitter_ms"]["max"],
           s["packets_sent"], s["packets_received"], s["lost"], s["rtt_ms"]), flush=True)
    check(c["rtt_ms"] is not None and s["rtt_ms"] is not None, what + ": RTT known on both sides")
    for side, m in (("call", c), ("serve", s)):  # kernel arrival times: no scheduling delay counts
        check(m["rtt_ms"] is None or 0 <= m["rtt_ms"] < 10, "%s: %s's loopback RTT under 10 ms: %r" %
              (what, side, m["rtt_ms"]))
    check(c["mos"] is not None and s["mos"] is not None, what + ": MOS once the RTT is known")
    check(c["lost"] == 0 and s["lost"] == 0, what + ": no loss on loopback")
    check(c["packets_sent"] >= 100, what + ": 2.5 s of 20 ms packets sent")
    # serve stops at the BYE, the call a moment later: the last packets may find it gone;
    # the first of each stream is A.1's probation packet, not counted
    check(0 <= c["packets_sent"] - s["packets_received"] <= 25,
          what + ": serve received what the call sent (%d of %d)" % (s["packets_received"], c["packets_sent"]))
    check(0 <= s["packets_sent"] - c["packets_received"] <= 25,
          what + ": the call received the echo (%d of %d)" % (c["packets_received"], s["packets_sent"]))
    check(c["rtcp_mux"] is mux and s["rtcp_mux"] is mux, what + ": rtcp_mux %s on both sides" % mux)
    check(c["rtcp_malformed"] == 0 and s["rtcp_malformed"] == 0 and c["rtp_foreign"] == 0 and s["rtp_foreign"] == 0,
          what + ": nothing malformed or foreign")
    for side, m in (("call", c), ("serve", s)):
        xr = m["xr"]
        check(xr["sent"] > 0 and xr["peer"] is not None, "%s: %s sent and received RFC 3611 VoIP metrics" % (what, side))
        if xr["peer"]:
            check(xr["peer"]["loss_rate"] == 0 and xr["peer"]["mos_lq"] == 127, what + ": the peer's block: no loss")
            check(0 <= xr["peer"]["r_factor"] <= 100 or xr["peer"]["r_factor"] == 127, what + ": R in range")


def echo(mux_serve, mux_call, port):
    what = "echo serve-mux=%s call-mux=%s" % (mux_serve, mux_call)
    srv = Server("--media", "echo", "--rtp-port", str(port), *([] if mux_serve else ["--no-rtcp-mux"]))
    try:
        c = run_call(srv, port + 1000, "--play", "tone:440", *([] if mux_call else ["--no-rtcp-mux"]), what=what)
        s = srv.media_of(c.get("call_id"))
        both_sides(what, c.get("media"), (s or {}).get("media"), mux_serve and mux_call)
    finally:
        check(srv.stop() == 0, "serve exits 0 (no sanitizer report)")


def dtmf_and_wav(port):
    srv = Server("--media", "echo", "--rtp-port", str(port))
    wav = os.path.join(WORK, "echo.wav")
    try:
        c = run_call(srv, port + 1000, "--play", "tone:440", "--dtmf", "12#9*A", "--record", wav, what="dtmf")
        s = (srv.media_of(c.get("call_id")) or {}).get("media") or {}
        cm = c.get("media") or {}
        check(cm.get("dtmf_sent") == 6, "dtmf: the call sent 6 events, got %r" % cm.get("dtmf_sent"))
        check(s.get("dtmf_digits") == "12#9*A" and s.get("dtmf_received") == 6,
              "dtmf: serve reported 12#9*A, got %r" % s.get("dtmf_digits"))
        check(cm.get("dtmf_received") == 0, "dtmf: serve does not echo events")
        data = open(wav, "rb").read()
        n = cm.get("octets_received", -1)
        ok = check(len(data) >= 58, "wav: at least a header")
        if ok:
            riff, size, wave = struct.unpack("<4sI4s", data[:12])
            fmt, flen, tag, ch, rate, brate, align, bits, cb = struct.unpack("<4sIHHIIHHH", data[12:38])
            fact, fl, samples = struct.unpack("<4sII", data[38:50])
            dtag, dlen = struct.unpack("<4sI", data[50:58])
            check((riff, wave, fmt, fact, dtag) == (b"RIFF", b"WAVE", b"fmt ", b"fact", b"data"), "wav: chunk ids")
            check(size == len(data) - 8, "wav: RIFF size %d for a file of %d" % (size, len(data)))
            check((flen, tag, ch, rate, brate, align, bits, cb) == (18, 7, 1, 8000, 8000, 1, 8, 0),
                  "wav: fmt says mu-law 8 kHz mono 8 bits, got %r" % ((flen, tag, ch, rate, brate, align, bits, cb),))
            check(fl == 4 and samples == n and dlen == n, "wav: fact %d and data %d are the %d octets received" %
                  (samples, dlen, n))
            check(len(data) == 58 + n + (n & 1), "wav: data then the pad byte only")
    finally:
        check(srv.stop() == 0, "serve exits 0 (no sanitizer report)")


def ulaw_decode(b):
    b = ~b & 0xFF
    sign, exp, mant = b & 0x80, (b >> 4) & 7, b & 0x0F
    v = (((mant << 3) + 0x84) << exp) - 0x84
    return -v if sign else v


def tone(port):
    srv = Server("--media", "tone:1000", "--rtp-port", str(port))
    raw = os.path.join(WORK, "tone.ulaw")
    try:
        c = run_call(srv, port + 1000, "--record", raw, what="tone")
        s = (srv.media_of(c.get("call_id")) or {}).get("media") or {}
        cm = c.get("media") or {}
        data = open(raw, "rb").read()
        check(len(data) == cm.get("octets_received") and len(data) >= 16000,
              "tone: the raw recording holds the %r octets received (%d)" % (cm.get("octets_received"), len(data)))
        check(cm.get("packets_sent") == 0 and s.get("packets_received") == 0, "tone: record only, nothing sent")
        # RFC 3550 6.4.1: RTT needs an SR from the side that measures it; the call sends none
        check(s.get("rtt_ms") is not None, "tone: serve's RTT known from its SR and our RR's LSR/DLSR")
        check(cm.get("rtt_ms") is None and cm.get("mos") is None, "tone: the call's RTT absent (null, not 0)")
        pcm = [ulaw_decode(x) for x in data]
        crossings = sum(1 for i in range(1, len(pcm)) if (pcm[i - 1] < 0) != (pcm[i] < 0))
        hz = crossings / 2 / (len(pcm) / 8000.0)
        print("  tone: %d octets, %.1f Hz" % (len(data), hz), flush=True)
        check(abs(hz - 1000) < 20, "tone: about 1000 Hz in the recording, got %.1f" % hz)
    finally:
        check(srv.stop() == 0, "serve exits 0 (no sanitizer report)")


def two_at_once(port):
    srv = Server("--media", "echo", "--rtp-port", str(port))
    try:
        ps = [subprocess.Popen(call_args(srv, port + 1000 + 10 * k, "--play", "tone:300"), env=env(),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for k in range(2)]
        STARTED.extend(ps)
        cs = [finish_call(p, "two calls #%d" % k) for k, p in enumerate(ps)]
        ports = set()
        for c in cs:
            s = (srv.media_of(c.get("call_id")) or {}).get("media")
            ports.add(((c.get("session") or {}).get("audio") or {}).get("port"))
            both_sides("two calls", c.get("media"), s, True)
        check(ports == {port, port + 2}, "two calls: serve answered two RTP ports %r" % sorted(ports, key=str))
        check(not any(o.get("event") == "media-error" for o in srv.lines), "two calls: no media-error line")
    finally:
        check(srv.stop() == 0, "serve exits 0 (no sanitizer report)")


def usage():
    for args, want in [(["call", "--dtmf", "12x", "sip:a@127.0.0.1:5"], "--dtmf"),
                       (["serve", "--listen", "127.0.0.1:0", "--media", "loud"], "--media"),
                       (["serve", "--listen", "127.0.0.1:0", "--no-rtcp-mux"], "--no-rtcp-mux")]:
        p = subprocess.run([SIPSPEC] + args, env=env(), capture_output=True, text=True, timeout=20)
        check(p.returncode == 2 and want in p.stderr, "usage %r: exit 2 naming %s, got %d %r" %
              (args, want, p.returncode, p.stderr))


try:
    base = 20000 + (os.getpid() % 200) * 40  # spread concurrent runs apart; RTP ports are fixed
    usage()
    echo(True, True, base)
    echo(False, True, base + 4)
    echo(True, False, base + 8)
    dtmf_and_wav(base + 12)
    tone(base + 16)
    two_at_once(base + 20)
finally:
    for p in STARTED:
        if p.poll() is None:
            os.kill(p.pid, signal.SIGKILL)
            p.wait(timeout=10)
print("%d failure(s)" % len(FAILS))
sys.exit(1 if FAILS else 0)
