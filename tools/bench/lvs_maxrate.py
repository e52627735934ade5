"""tools/bench/lvs_maxrate.py: load-vs-sipp --max-rate, the highest clean rate of a client and
server pair (docs/bench.md).

A step makes --max-rate-calls calls (INVITE..BYE, no hold) at an asked rate between a fresh
server and a fresh client, at most --limit open at once. The step is clean when
  - the client exited 0 within its bound and completed every call: sipspec load's ok equals
    the calls (failed and unfinished 0), sipp UAC's SuccessfulCall equals the calls
    (FailedCall 0);
  - the server completed every call: serve's 'ended' dialogs equal the calls and it received
    no INVITE it did not end; sipp UAS's SuccessfulCall equals the calls (FailedCall 0);
  - neither side retransmitted anything: the client's count (sipspec load's retransmissions,
    sipp's Retransmissions) and the server's (serve's sipRetransmissions, sipp's) are 0.
The achieved rate is the successful calls / the client's wall time (from its start to its
exit: process start and the last call's BYE included, the same for both clients), which is
what is reported; the asked rate is only the search's knob.

The search, per pair: the asked rate starts at --max-rate-start and doubles while steps are
clean, up to --max-rate-limit; when a step is not clean it bisects between the highest clean
and the lowest unclean asked rate until they are within --max-rate-precision of each other
(halving first when even the first step was not clean). An asked rate is unclean only when
its step and --max-rate-retries repeats of it (default 1) were all unclean: a shared machine
has moments where something else takes the cores, and one such moment should not decide the
search; a rate is clean when one of its steps was. It also stops on a plateau: the asked rate
doubled, the step was clean, but its achieved rate grew by less than PLATEAU (10%) over the
previous step's (the caller, not the asked rate, set the pace, and a higher asked rate would
not be achieved either); at --max-rate-limit; after --max-rate-steps steps (an unclean step
that could not be repeated then counts as unclean) or once its steps have taken
--max-rate-time seconds (a started step finishes). The two pairs'
searches take their steps in turn, so both see the same moments of a shared machine. The
result is the highest achieved rate of a clean step.
"""
import time

import lvs_procs as lp

PAIRS = [("sipspec-load", "sipspec-serve"), ("sipp-uac", "sipp-uas")]
PLATEAU = 1.10


def step(args, client, server, index, asked):
    """One step: a fresh server and client, --max-rate-calls calls at `asked` per second."""
    n = args.max_rate_calls
    pr = lp.Pair(args, "maxrate_%s_%02d_%d" % (client, index, asked))
    try:
        srv, port = pr.server(server)
        t0 = time.monotonic()
        cl = pr.client(client, port, n, asked, args.limit)
        # every call may need a Timer B or F (64*T1) on top of the time the rate takes
        rc, _, _ = lp.reap(cl, min(args.timeout, n / float(asked) + 60))
        wall = time.monotonic() - t0
        sv = pr.stop_server(server, srv)
        r = {"asked": asked, "wall": wall, "exit": rc}
        if client == "sipspec-load":
            o = pr.load_json(rc) if rc is not None else {}
            r.update(ok=o.get("ok", 0), failed=o.get("failed", 0) + o.get("unfinished", 0),
                     retrans=o.get("retransmissions", 0))
        else:
            st = lp.last_row(pr.f("uac_stat.csv"))
            r.update(ok=lp.count(st, "SuccessfulCall(C)"), failed=n - lp.count(st, "SuccessfulCall(C)"),
                     retrans=lp.count(st, "Retransmissions(C)"))
        r["achieved"] = r["ok"] / wall if wall > 0 else 0.0
        r["server"] = sv or {"ok": 0, "failed": n, "retrans": 0}
        why = []
        if rc is None:
            why.append("client killed after its time bound")
        elif rc != 0:
            why.append("client exit %d" % rc)
        if r["ok"] != n or r["failed"]:
            why.append("client completed %d of %d" % (r["ok"], n))
        if sv is None:
            why.append("server printed no counts")
        elif sv["ok"] != n or sv["failed"]:
            why.append("server completed %d of %d" % (sv["ok"], n))
        if r["retrans"] or r["server"]["retrans"]:
            why.append("retransmissions")
        r["clean"] = not why
        r["why"] = ", ".join(why)
        return r
    finally:
        pr.stop_all()


class Search:
    def __init__(self, args, client, server):
        self.args, self.client, self.server = args, client, server
        self.lo = None      # highest clean asked rate
        self.hi = None      # lowest unclean asked rate
        self.best = None    # the clean step with the highest achieved rate
        self.steps = []
        self.stopped = None
        self.used = 0.0     # seconds its steps took
        self.retry = None   # an asked rate to try again after an unclean step

    def name(self):
        return self.client + " -> " + self.server

    def next_rate(self):
        a = self.args
        if self.stopped:
            return None
        if len(self.steps) >= a.max_rate_steps or self.used >= a.max_rate_time:
            self.stopped = "steps" if len(self.steps) >= a.max_rate_steps else "time"
            if self.retry is not None:  # no time to repeat it: unclean as far as it was tried
                self.hi = self.retry if self.hi is None else min(self.hi, self.retry)
        elif self.retry is not None:
            return self.retry
        elif not self.steps:
            return min(a.max_rate_start, a.max_rate_limit)
        elif self.hi is None:
            return min(self.lo * 2, a.max_rate_limit)
        elif self.lo is None:
            r = self.hi // 2
            if r >= 1:
                return r
            self.stopped = "none-clean"
        else:
            if self.hi - self.lo <= max(1, a.max_rate_precision * self.lo):
                self.stopped = "precision"
            else:
                return (self.lo + self.hi) // 2
        return None

    def record(self, r):
        a = self.args
        self.steps.append(r)
        self.retry = None
        if r["clean"]:
            self.lo = r["asked"] if self.lo is None else max(self.lo, r["asked"])
            prev = self.best
            if self.best is None or r["achieved"] > self.best["achieved"]:
                self.best = r
            if self.hi is None and r["asked"] >= a.max_rate_limit:
                self.stopped = "limit"
            elif self.hi is None and prev is not None and r["achieved"] < PLATEAU * prev["achieved"]:
                self.stopped = "plateau"
        elif sum(1 for s in self.steps if s["asked"] == r["asked"]) <= a.max_rate_retries:
            self.retry = r["asked"]  # a moment of a shared machine, or the rate? once more
        else:
            self.hi = r["asked"] if self.hi is None else min(self.hi, r["asked"])


def run(args, out):
    out("")
    out("max-rate: highest clean rate, %d calls a step, at most %d open, asked from %d/s doubling up to %d/s, "
        "then bisection to %g%%; an unclean step repeated %d times; at most %d steps and %d s per pair" % (
            args.max_rate_calls, args.limit, args.max_rate_start, args.max_rate_limit,
            args.max_rate_precision * 100, args.max_rate_retries, args.max_rate_steps, args.max_rate_time))
    searches = [Search(args, c, s) for c, s in PAIRS]
    while True:
        moved = False
        for s in searches:
            asked = s.next_rate()
            if asked is None:
                continue
            moved = True
            t0 = time.monotonic()
            r = step(args, s.client, s.server, len(s.steps) + 1, asked)
            s.used += time.monotonic() - t0
            s.record(r)
            out("  %-29s step %2d: asked %6d/s achieved %8.1f/s ok %d/%d failed %d retrans %d+%d server ok %d: %s" % (
                s.name(), len(s.steps), asked, r["achieved"], r["ok"], args.max_rate_calls, r["failed"],
                r["retrans"], r["server"]["retrans"], r["server"]["ok"],
                "clean" if r["clean"] else "unclean (" + r["why"] + ")"))
        if not moved:
            break
    out("")
    out("%-29s %12s %8s %15s %5s %s" % ("pair", "clean calls/s", "asked/s", "unclean asked/s", "steps", "stopped"))
    for s in searches:
        b = s.best
        out("%-29s %12s %8s %15s %5d %s" % (
            s.name(), "%.1f" % b["achieved"] if b else "none", str(b["asked"]) if b else "-",
            str(s.hi) if s.hi is not None else "-", len(s.steps), s.stopped))
    a, b = (s.best["achieved"] if s.best else 0.0 for s in searches)
    out("max-rate ratio sipspec/sipp: %s" % ("%.2f" % (a / b) if b else "nan"))
    return searches
