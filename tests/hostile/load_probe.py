#!/usr/bin/env python3
"""load_probe.py SIPSPEC: `sipspec load --probe-options` (what tools/flood/sipspec-flood-test
counts the held sessions with) against a live `sipspec serve` on 127.0.0.1.

  1. 20 sessions held 500 ms: 20 OPTIONS sent in their dialogs, 20 answered 2xx, exit 0.
  2. the same with --hold 0: each session is probed as soon as it is answered.
  3. a serve that sends BYE 200 ms after the ACK (--bye-after) while the sessions are held
     2 s: no probe can be sent, the summary counts 20 sessions ended by the server, and
     load exits 1 (a held session was lost).
  4. SIGUSR1 ends holds of 60 s at once: the run ends within seconds with 20 probes answered.

Loopback only; every process started here is stopped by its PID; every wait is bounded."""
import json
import os
import re
import signal
import subprocess
import sys
import time

SIPSPEC = sys.argv[1]
FAILS = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    if not cond:
        FAILS.append(what)


def env():
    e = {k: v for k, v in os.environ.items() if not k.startswith("MRCP_SIP_")}
    e["MRCP_SIP_RETRANS_T1_MS"] = "100"
    return e


def serve(*extra):
    p = subprocess.Popen([SIPSPEC, "serve", "--listen", "127.0.0.1:0", *extra], env=env(), stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, text=True)
    line = p.stdout.readline()  # serve prints it at once; readline returns "" if serve dies
    m = re.search(r"listening on 127\.0\.0\.1:(\d+)/", line)
    if not m:
        p.kill()
        p.wait(timeout=10)
        raise SystemExit("serve did not print its listening line: %r" % line)
    return p, "sip:mresources@127.0.0.1:%s" % m.group(1)


def stop(p):
    if p.poll() is None:
        os.kill(p.pid, signal.SIGTERM)
    try:
        p.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.kill(p.pid, signal.SIGKILL)
        p.wait(timeout=10)
    p.stdout.close()


def load(uri, *opts, usr1_after=None, max_s=60):
    p = subprocess.Popen([SIPSPEC, "load", "--calls", "20", "--rate", "100", "--quiet", "--json", "--probe-options",
                          *opts, uri], env=env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    t0 = time.monotonic()
    if usr1_after is not None:
        time.sleep(usr1_after)
        os.kill(p.pid, signal.SIGUSR1)
    try:
        out, err = p.communicate(timeout=max_s)
    except subprocess.TimeoutExpired:
        os.kill(p.pid, signal.SIGKILL)
        out, err = p.communicate(timeout=10)
    try:
        d = json.loads(out)
    except ValueError:
        d = {}
    return p.returncode, d, time.monotonic() - t0, err


def main():
    s, uri = serve()
    try:
        rc, d, _, err = load(uri, "--hold", "500")
        check(rc == 0 and d.get("ok") == 20 and d.get("probes") == {"sent": 20, "answered": 20, "failed": 0}
              and d.get("peer_ended") == 0, "held 500 ms: 20 probes answered (exit %s, %s)" % (rc, d.get("probes")))
        rc, d, _, err = load(uri, "--hold", "0")
        check(rc == 0 and d.get("probes") == {"sent": 20, "answered": 20, "failed": 0},
              "hold 0: 20 probes answered (exit %s, %s)" % (rc, d.get("probes")))
        rc, d, secs, err = load(uri, "--hold", "60000", usr1_after=1.5)
        check(rc == 0 and d.get("probes") == {"sent": 20, "answered": 20, "failed": 0} and secs < 20,
              "SIGUSR1 ends 60 s holds: %.1f s, exit %s, %s" % (secs, rc, d.get("probes")))
    finally:
        stop(s)
    s, uri = serve("--bye-after", "200")
    try:
        rc, d, _, err = load(uri, "--hold", "2000")
        check(rc == 1 and d.get("peer_ended") == 20 and d.get("probes", {}).get("answered") == 0,
              "serve ends the held sessions: 20 lost, exit 1 (exit %s, peer_ended %s, %s)" %
              (rc, d.get("peer_ended"), d.get("probes")))
    finally:
        stop(s)
    print("%d failed" % len(FAILS))
    return 1 if FAILS else 0


if __name__ == "__main__":
    sys.exit(main())
