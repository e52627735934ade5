#!/usr/bin/env python3
"""load_scenarios.py SIPSPEC TRANSPORT: `sipspec load` through the real command line against
`sipspec serve` on 127.0.0.1. 200 sessions against a server that answers all of them: the
summary counts 200 ok, no failure, a latency sample per session, exit 0. 200 sessions against
`serve --reject 486 --reject-every 10`: exactly 20 rejected-4xx and 180 ok, exit 1 (a
session failed), exit 0 with --allow-failures, and the text summary says the same; serve's
own counters agree. Also usage errors (exit 2).

No timing is checked (performance lives in tools/bench). Loopback only; every process
started here is stopped by its PID, every wait is bounded."""
import json
import os
import re
import signal
import subprocess
import sys

SIPSPEC, TP = sys.argv[1], sys.argv[2]
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "harness"))
from scenario_procs import check, clean_env, Serve, run_cases  # noqa: E402


def env():
    return clean_env()


class Server(Serve):
    def __init__(self, *extra):
        super().__init__(SIPSPEC, ["--transport", TP] + list(extra), env(), TP)

    def stop(self):
        """SIGTERM by PID; returns serve's 'stopped' line (its counters) or ''."""
        self.signal_and_wait(signal.SIGTERM, 40.0, "serve")
        m = self.wait_for(r"^stopped (.*)", max_s=5.0)
        return m.group(1) if m else ""


def load(uri, *extra, timeout=120):
    p = subprocess.run([SIPSPEC, "load", "--transport", TP, "--calls", "200", "--rate", "200"] + list(extra) + [uri],
                       env=env(), capture_output=True, text=True, timeout=timeout)
    return p.returncode, p.stdout, p.stderr


def load_json(uri, *extra):
    st, out, err = load(uri, "--json", *extra)
    lines = [l for l in out.splitlines() if l.strip()]
    obj = {}
    if check(len(lines) == 1, "load --json: one line on stdout, got %r (stderr %r)" % (out, err)):
        try:
            obj = json.loads(lines[0])
        except ValueError as e:
            check(False, "load --json: not JSON (%s): %r" % (e, lines[0]))
    return st, obj, err


def all_ok():
    srv = Server()
    try:
        st, o, err = load_json(srv.uri, "--hold", "50")
    finally:
        stopped = srv.stop()
    check(st == 0, "all ok: exit 0, got %d (stderr %r)" % (st, err))
    check(o.get("started") == 200 and o.get("finished") == 200 and o.get("unfinished") == 0,
          "all ok: 200 started and finished: %r" % o)
    check(o.get("ok") == 200 and o.get("failed") == 0, "all ok: 200 ok, 0 failed: %r" % o.get("results"))
    res = o.get("results", {})
    check(res.get("ok") == 200 and sum(res.values()) == 200, "all ok: results add up to 200: %r" % res)
    lat = o.get("latency_us", {})
    for k in ("invite_1xx", "invite_200", "bye_200"):
        h = lat.get(k, {})
        check(h.get("n") == 200, "all ok: %s has 200 samples: %r" % (k, h))
        check(0 < h.get("p50", 0) <= h.get("p90", 0) <= h.get("p99", 0) <= h.get("max", 0),
              "all ok: %s percentiles ordered: %r" % (k, h))
    check(o.get("peak_sessions", 0) >= 1 and o.get("peak_rss_kib", 0) > 0 and o.get("cpu_us_per_call", 0) > 0,
          "all ok: resource figures present: %r" % o)
    tel = o.get("telemetry", {})
    check(tel.get("sessionsStarted") == 200 and tel.get("sessionsEstablished") == 200 and tel.get("sipByeSent") == 200,
          "all ok: telemetry agrees: %r" % tel)
    check(re.search(r"invites 200, established 200, ended 200, refused 0", stopped) is not None,
          "all ok: serve saw 200 invites: %r" % stopped)
    check(re.search(r"started \d+ \(\d+/s\) active \d+", err) is not None,
          "all ok: a progress line on stderr: %r" % err)


def ten_percent_rejected():
    srv = Server("--reject", "486", "--reject-every", "10")
    try:
        st, o, err = load_json(srv.uri)
        st2, o2, _ = load_json(srv.uri, "--allow-failures", "--quiet")
        st3, out3, err3 = load(srv.uri, "--quiet")
    finally:
        stopped = srv.stop()
    res = o.get("results", {})
    check(st == 1, "10%% rejected: exit 1 without --allow-failures, got %d" % st)
    check(res.get("ok") == 180 and res.get("rejected-4xx") == 20 and sum(res.values()) == 200,
          "10%% rejected: 180 ok and 20 rejected-4xx: %r" % res)
    check(o.get("failed") == 20 and o.get("latency_us", {}).get("invite_200", {}).get("n") == 180,
          "10%% rejected: 20 failed, 180 answered: %r" % o)
    check(o.get("telemetry", {}).get("sipError4xx") == 20, "10%% rejected: 20 4xx in the telemetry")
    check(st2 == 0 and o2.get("results", {}).get("rejected-4xx") == 20,
          "10%% rejected, --allow-failures: exit 0 (got %d), 20 rejected" % st2)
    check(st3 == 1 and re.search(r"^results: ok 180 rejected-4xx 20$", out3, re.M) is not None,
          "10%% rejected, text: the results line: %r (stderr %r)" % (out3, err3))
    check(re.search(r"200 sessions in [0-9.]+ s \([0-9.]+/s\): 180 ok, 20 failed", out3) is not None,
          "10%% rejected, text: the count line: %r" % out3)
    check(err3 == "", "--quiet: nothing on stderr: %r" % err3)
    check(re.search(r"invites 600, established 540, ended \d+, refused 60", stopped) is not None,
          "10%% rejected: serve refused 60 of 600: %r" % stopped)


def usage_errors():
    for args in (["--rate", "0", "sip:a@127.0.0.1:5060"], ["--calls", "x", "sip:a@127.0.0.1:5060"],
                 ["--bogus", "sip:a@127.0.0.1:5060"], [], ["--user", "u", "sip:a@127.0.0.1:5060"]):
        p = subprocess.run([SIPSPEC, "load"] + args, env=env(), capture_output=True, text=True, timeout=30)
        check(p.returncode == 2 and p.stderr.startswith("sipspec load: "),
              "usage %r: exit 2 with a sentence, got %d %r" % (args, p.returncode, p.stderr))
    p = subprocess.run([SIPSPEC, "serve", "--listen", "127.0.0.1:0", "--reject-every", "10"], env=env(),
                       capture_output=True, text=True, timeout=30)
    check(p.returncode == 2 and "--reject-every needs --reject" in p.stderr,
          "serve --reject-every without --reject: exit 2, got %d %r" % (p.returncode, p.stderr))


def main():
    return run_cases([usage_errors, all_ok, ten_percent_rejected], "load " + TP)


if __name__ == "__main__":
    sys.exit(main())
