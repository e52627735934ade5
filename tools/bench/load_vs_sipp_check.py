#!/usr/bin/env python3
"""tools/bench/load_vs_sipp_check.py: the CTest check of tools/bench/load-vs-sipp (label bench).

Runs the benchmark end to end with tiny numbers (200 calls at 200/s, one run per pair; the
highest clean rate in steps of 200 calls up to 2000/s; 200 held sessions, read 1 s after the
last) and checks that every line of its output has the format of docs/bench.md, that each
section holds every pair, and that the figures agree with each other: the medians of one run
are that run's figures, each ratio is the quotient of the figures it names, a step is called
clean exactly when its counts are, a pair's clean rate is the highest achieved rate of its clean
steps, its step count the number of its step lines, bytes per session (RSS with N held - RSS
with 1 held) / (N - 1). It times nothing: no figure has to reach a value. Before that it drives
the search of the highest clean rate against model pairs (no process), and after it checks
that bad options are refused with exit status 2 and an error naming the option.

Usage: load_vs_sipp_check.py --sipspec PATH --sipp PATH --workdir DIR
Exit status 0 when every check passed, 1 otherwise.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
BENCH = os.path.join(HERE, "load-vs-sipp")
CALLS, RATE, RUNS, LIMIT = 200, 200, 1, 1000
MR_CALLS, MR_START, MR_LIMIT, MR_RETRIES, MR_STEPS, MR_TIME = 200, 500, 2000, 1, 16, 300
HELD, HELD_RATE, SETTLE = 200, 2000, 1.0
COMPARE = [("sipp-uac", "sipp-uas"), ("sipspec-load", "sipp-uas"), ("sipp-uac", "sipspec-serve")]
PAIRS2 = [("sipspec-load", "sipspec-serve"), ("sipp-uac", "sipp-uas")]
NUM = r"(\d+(?:\.\d+)?)"
RATIO = r"(\d+\.\d\d|nan)"

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL " + what)
    return cond


def near(a, b, tol):
    return abs(a - b) <= tol


class Lines:
    def __init__(self, text):
        self.lines = text.split("\n")
        if self.lines and self.lines[-1] == "":
            self.lines.pop()
        self.i = 0

    def take(self, rx, what):
        """The next line, which must match rx whole; returns its groups (None on a mismatch)."""
        if self.i >= len(self.lines):
            check(False, "%s: the output ended early" % what)
            return None
        line = self.lines[self.i]
        self.i += 1
        m = re.fullmatch(rx, line)
        check(m is not None, "%s: line %d %r does not match %r" % (what, self.i, line, rx))
        return m.groups() if m else None

    def blank(self, what):
        self.take(r"", what + " (a blank line)")


def ratio_ok(text, num, den, tol=0.011):
    if den == 0:
        return text == "nan"
    return text != "nan" and near(float(text), num / den, tol)


def check_compare(L):
    L.blank("compare")
    L.take(r"compare: %d calls at %d/s, at most %d open, %d runs per pair \(medians\)" % (CALLS, RATE, LIMIT, RUNS),
           "compare header")
    runs = {}
    for _ in range(RUNS * len(COMPARE)):
        g = L.take(r"  run (\d+) (sipp-uac|sipspec-load) +-> (sipp-uas|sipspec-serve) +(\d+) calls/s, (\d+) failed, "
                   r"(\d+) retrans, client (\d+) us/call, server (\d+) us/call", "run line")
        if g:
            runs.setdefault((g[1], g[2]), []).append([int(x) for x in (g[3], g[4], g[5], g[6], g[7])])
    for p in COMPARE:
        check(len(runs.get(p, [])) == RUNS, "compare: %d run lines for %s -> %s" % (len(runs.get(p, [])), p[0], p[1]))
    L.blank("compare")
    L.take(r"pair \(medians\) +calls/s +failed +retrans +client us/c +server us/c +client RSS +server RSS +"
           r"setup p50 +setup p99", "compare table header")
    rows = {}
    for cl, sv in COMPARE:
        g = L.take(r"(%s -> %s) +(\d+) +(\d+) +(\d+) +%s +%s +%s MB +%s MB +%s ms +%s ms" % (
            cl, sv, NUM, NUM, NUM, NUM, NUM, NUM), "compare row %s -> %s" % (cl, sv))
        if g:
            rows[(cl, sv)] = [float(x) for x in g[1:]]
            one = runs.get((cl, sv), [[None] * 5])[0]
            # one run: the median is that run's figure (calls/s, failed, retrans, CPU per call)
            check(near(rows[(cl, sv)][0], one[0], 1), "compare %s -> %s: median calls/s %s is not the run's %s" % (
                cl, sv, g[1], one[0]))
            check(rows[(cl, sv)][1] == one[1] and rows[(cl, sv)][2] == one[2],
                  "compare %s -> %s: median failed/retrans differ from the run's" % (cl, sv))
            check(near(rows[(cl, sv)][3], one[3], 1) and near(rows[(cl, sv)][4], one[4], 1),
                  "compare %s -> %s: median CPU per call differs from the run's" % (cl, sv))
            check(rows[(cl, sv)][0] > 0, "compare %s -> %s: no call succeeded" % (cl, sv))
    L.blank("compare")
    c = L.take(r"client: sipspec load / sipp UAC \(same sipp UAS\): CPU per call %s, peak RSS %s" % (RATIO, RATIO),
               "client ratio line")
    s = L.take(r"server: sipspec serve / sipp UAS \(same sipp UAC\): CPU per call %s, peak RSS %s" % (RATIO, RATIO),
               "server ratio line")
    if c and s and len(rows) == 3:
        a, b, d = (rows[p] for p in COMPARE)
        check(ratio_ok(c[0], b[3], a[3], 0.02), "client CPU ratio %s is not %.1f / %.1f" % (c[0], b[3], a[3]))
        check(ratio_ok(s[0], d[4], a[4], 0.02), "server CPU ratio %s is not %.1f / %.1f" % (s[0], d[4], a[4]))
        # RSS printed in MB with one decimal: the ratio's tolerance follows
        check(ratio_ok(c[1], b[5], a[5], 0.05), "client RSS ratio %s is not %.1f / %.1f" % (c[1], b[5], a[5]))
        check(ratio_ok(s[1], d[6], a[6], 0.05), "server RSS ratio %s is not %.1f / %.1f" % (s[1], d[6], a[6]))


def check_max_rate(L):
    L.blank("max-rate")
    L.take(r"max-rate: highest clean rate, %d calls a step, at most %d open, asked from %d/s doubling up to %d/s, "
           r"then bisection to 5%%; an unclean step repeated %d times; at most %d steps and %d s per pair" % (
               MR_CALLS, LIMIT, MR_START, MR_LIMIT, MR_RETRIES, MR_STEPS, MR_TIME), "max-rate header")
    steps = {p: [] for p in PAIRS2}
    while L.i < len(L.lines) and L.lines[L.i].startswith("  "):
        g = L.take(r"  (sipspec-load -> sipspec-serve|sipp-uac -> sipp-uas) +step +(\d+): asked +(\d+)/s achieved +"
                   r"(\d+\.\d)/s ok (\d+)/(\d+) failed (\d+) retrans (\d+)\+(\d+) server ok (\d+): "
                   r"(clean|unclean \(.+\))", "max-rate step line")
        if not g:
            continue
        pair = tuple(g[0].split(" -> "))
        st = {"n": int(g[1]), "asked": int(g[2]), "achieved": float(g[3]), "ok": int(g[4]), "calls": int(g[5]),
              "failed": int(g[6]), "cr": int(g[7]), "sr": int(g[8]), "sok": int(g[9]), "clean": g[10] == "clean"}
        steps[pair].append(st)
        counted_clean = (st["ok"] == MR_CALLS and st["calls"] == MR_CALLS and st["failed"] == 0 and st["cr"] == 0
                         and st["sr"] == 0 and st["sok"] == MR_CALLS)
        # an exit status is the one thing a step line does not print: a clean verdict needs clean counts
        check(not st["clean"] or counted_clean,
              "max-rate %s step %d is called clean with counts that are not" % (g[0], st["n"]))
        check(st["clean"] or not counted_clean or "exit" in g[10] or "killed" in g[10],
              "max-rate %s step %d has clean counts but is called %s" % (g[0], st["n"], g[10]))
        check(1 <= st["asked"] <= MR_LIMIT, "max-rate %s step %d asked %d is out of 1..%d" % (
            g[0], st["n"], st["asked"], MR_LIMIT))
    for p in PAIRS2:
        ss = steps[p]
        check(len(ss) >= 1, "max-rate %s -> %s: no step line" % p)
        check([s["n"] for s in ss] == list(range(1, len(ss) + 1)), "max-rate %s -> %s: steps not numbered 1.." % p)
        if ss:
            check(ss[0]["asked"] == min(MR_START, MR_LIMIT), "max-rate %s -> %s: first asked rate %d" % (
                p[0], p[1], ss[0]["asked"]))
    L.blank("max-rate")
    L.take(r"pair +clean calls/s +asked/s +unclean asked/s +steps +stopped", "max-rate table header")
    best = []
    for p in PAIRS2:
        g = L.take(r"(%s -> %s) +(\d+\.\d|none) +(\d+|-) +(\d+|-) +(\d+) (precision|steps|time|limit|plateau|"
                   r"none-clean)" % p, "max-rate row %s -> %s" % p)
        if not g:
            best.append(0.0)
            continue
        ss = steps[p]
        clean = [s for s in ss if s["clean"]]
        clean_rates = set(s["asked"] for s in clean)
        # a rate is unclean when none of its steps (the first and its repeats) was clean
        unclean = [s for s in ss if s["asked"] not in clean_rates]
        for rate in set(s["asked"] for s in ss):
            tries = [s["clean"] for s in ss if s["asked"] == rate]
            check(len(tries) <= MR_RETRIES + 1 and all(not t for t in tries[:-1]),
                  "max-rate %s: rate %d tried %s (a repeat only after an unclean step, at most %d)" % (
                      g[0], rate, tries, MR_RETRIES + 1))
        check(int(g[4]) == len(ss), "max-rate %s: %s steps printed, %d step lines" % (g[0], g[4], len(ss)))
        if clean:
            top = max(clean, key=lambda s: s["achieved"])
            check(g[1] == "%.1f" % top["achieved"] and g[2] == str(top["asked"]),
                  "max-rate %s: clean rate %s at %s is not its best clean step's %.1f at %d" % (
                      g[0], g[1], g[2], top["achieved"], top["asked"]))
            best.append(top["achieved"])
        else:
            check(g[1] == "none" and g[2] == "-", "max-rate %s: a clean rate without a clean step" % g[0])
            best.append(0.0)
        want_hi = str(min(s["asked"] for s in unclean)) if unclean else "-"
        check(g[3] == want_hi, "max-rate %s: unclean asked %s, the step lines say %s" % (g[0], g[3], want_hi))
        if g[5] == "limit":
            check(any(s["asked"] == MR_LIMIT for s in clean), "max-rate %s: stopped at the limit unreached" % g[0])
    g = L.take(r"max-rate ratio sipspec/sipp: %s" % RATIO, "max-rate ratio line")
    if g:
        check(ratio_ok(g[0], best[0], best[1]), "max-rate ratio %s is not %.1f / %.1f" % (g[0], best[0], best[1]))


def check_held(L):
    L.blank("held")
    L.take(r"held: %d sessions held at once \(and 1 beside\), established at %d/s, RSS read %.1f s after the last; "
           r"bytes/session = \(RSS with N held - RSS with 1 held\) / \(N - 1\)" % (HELD, HELD_RATE, SETTLE),
           "held header")
    L.take(r"pair +N held +client KiB 1 +client KiB N +client B/sess +server KiB 1 +server KiB N +server B/sess",
           "held table header")
    per = []
    for p in PAIRS2:
        g = L.take(r"(%s -> %s) +(\d+) +(\d+) +(\d+) +(-?\d+) +(\d+) +(\d+) +(-?\d+)" % p, "held row %s -> %s" % p)
        if not g:
            per.append((0, 0))
            continue
        n, c1, cn, cb, s1, sn, sb = (int(x) for x in g[1:])
        # a few calls may fail under load: at least 99% of them held, never more than asked
        check(0.99 * HELD <= n <= HELD, "held %s: %d held of %d" % (g[0], n, HELD))
        for side, one, big, b in (("client", c1, cn, cb), ("server", s1, sn, sb)):
            check(one > 0 and big > 0, "held %s %s: RSS of 0 KiB" % (g[0], side))
            check(near(b, (big - one) * 1024.0 / (n - 1), 1.0),
                  "held %s %s: %d B/session is not (%d - %d) KiB / %d" % (g[0], side, b, big, one, n - 1))
        per.append(((cn - c1) * 1024.0 / (n - 1), (sn - s1) * 1024.0 / (n - 1)))
    g = L.take(r"held ratio sipspec/sipp: client %s, server %s" % (RATIO, RATIO), "held ratio line")
    if g and len(per) == 2:
        for text, a, b, side in ((g[0], per[0][0], per[1][0], "client"), (g[1], per[0][1], per[1][1], "server")):
            if b > 0:
                check(text != "nan" and near(float(text), a / b, 0.011 + 0.01 * a / b),
                      "held %s ratio %s is not %.0f / %.0f" % (side, text, a, b))
            else:
                check(text == "nan", "held %s ratio %s for a sipp figure of %.0f" % (side, text, b))


def check_search():
    """The search of lvs_maxrate.Search against model pairs (no process): it must find the
    boundary of a pair clean below a rate, repeat an unclean step once, stop on a plateau, and
    report none when nothing is clean."""
    sys.dont_write_bytecode = True
    sys.path.insert(0, HERE)
    import lvs_maxrate

    class A:
        max_rate_start, max_rate_limit, max_rate_precision = 500, 40000, 0.05
        max_rate_retries, max_rate_steps, max_rate_time = 1, 30, 300

    def drive(clean_below, achieved=lambda r: 0.9 * r, flaky=(), args=A):
        s = lvs_maxrate.Search(args, "model", "model")
        seen = []
        while True:
            r = s.next_rate()
            if r is None:
                return s, seen
            first = r not in seen
            seen.append(r)
            ok = r < clean_below and not (first and r in flaky)
            s.record({"asked": r, "achieved": achieved(r), "clean": ok})

    s, seen = drive(7000)
    check(s.stopped == "precision" and s.lo < 7000 <= s.hi and s.hi - s.lo <= 0.05 * s.lo,
          "search: a pair clean below 7000/s: stopped %s between %s and %s" % (s.stopped, s.lo, s.hi))
    check(seen[:5] == [500, 1000, 2000, 4000, 8000] and seen[5] == 8000,
          "search: doubling from 500/s and the unclean 8000/s once more: %s" % seen[:6])
    check(s.best["asked"] == s.lo and abs(s.best["achieved"] - 0.9 * s.lo) < 1e-9,
          "search: the best clean step is the highest clean rate's")
    s, seen = drive(7000, flaky=(2000,))
    check(seen[:4] == [500, 1000, 2000, 2000] and s.lo < 7000 <= s.hi,
          "search: one unclean step at 2000/s, clean when repeated: %s, %s..%s" % (seen[:4], s.lo, s.hi))
    s, seen = drive(10 ** 9, achieved=lambda r: min(0.9 * r, 3000.0))
    check(s.stopped == "plateau" and seen == [500, 1000, 2000, 4000, 8000] and s.best["achieved"] == 3000.0,
          "search: a caller bound at 3000/s: stopped %s after %s" % (s.stopped, seen))
    s, seen = drive(10 ** 9)
    check(s.stopped == "limit" and seen[-1] == 40000 and s.hi is None, "search: clean up to the limit: %s" % seen)
    s, seen = drive(0)
    check(s.stopped == "none-clean" and s.best is None and s.lo is None, "search: nothing clean: %s" % s.stopped)

    class Few(A):
        max_rate_steps = 6
    # 500 1000 2000 clean, 4000 twice unclean, 3000 unclean with no step left to repeat it:
    # unclean as far as it was tried
    s, seen = drive(3000, args=Few)
    check(s.stopped == "steps" and seen == [500, 1000, 2000, 4000, 4000, 3000] and s.hi == 3000 and s.lo == 2000,
          "search: 6 steps at most: %s, %s..%s" % (seen, s.lo, s.hi))


def run_bench(argv, timeout):
    return subprocess.run([sys.executable, BENCH] + argv, stdin=subprocess.DEVNULL, capture_output=True,
                          text=True, timeout=timeout)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sipspec", required=True)
    ap.add_argument("--sipp", required=True)
    ap.add_argument("--workdir", required=True)
    a = ap.parse_args()
    if os.path.isdir(a.workdir):
        shutil.rmtree(a.workdir)
    check_search()
    base = ["--sipspec", a.sipspec, "--sipp", a.sipp]
    p = run_bench(base + ["--workdir", a.workdir, "--calls", str(CALLS), "--rate", str(RATE), "--runs", str(RUNS),
                          "--max-rate", "--max-rate-calls", str(MR_CALLS), "--max-rate-limit", str(MR_LIMIT),
                          "--held", str(HELD), "--held-settle", str(SETTLE)], 240)
    sys.stdout.write(p.stdout)
    sys.stderr.write(p.stderr)
    check(p.returncode == 0, "load-vs-sipp exited %d" % p.returncode)
    L = Lines(p.stdout)
    L.take(r"load-vs-sipp: udp, sipspec %s, sipp %s; traces in %s" % (
        re.escape(os.path.abspath(a.sipspec)), re.escape(shutil.which(a.sipp) or a.sipp),
        re.escape(os.path.abspath(a.workdir))), "first line")
    check_compare(L)
    check_max_rate(L)
    check_held(L)
    check(L.i == len(L.lines), "%d lines after the held ratio line" % (len(L.lines) - L.i))

    # bad options: exit 2 and an error that names the option
    for argv, name in ((["--max-rate-calls", "0"], "--max-rate-calls"), (["--held", "1"], "--held"),
                       (["--max-rate-precision", "0"], "--max-rate-precision"),
                       (["--no-compare"], "--no-compare")):
        q = run_bench(base + argv, 30)
        check(q.returncode == 2 and name in q.stderr and "Traceback" not in q.stderr,
              "load-vs-sipp %s: exit %d, %r" % (" ".join(argv), q.returncode, q.stderr[-300:]))
    q = run_bench(["--sipspec", a.sipspec, "--sipp", os.path.join(a.workdir, "no-such-sipp")], 30)
    check(q.returncode == 2 and "--sipp" in q.stderr, "a missing sipp: exit %d, %r" % (q.returncode, q.stderr[-300:]))

    print("load_vs_sipp_check: %d failed" % len(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
