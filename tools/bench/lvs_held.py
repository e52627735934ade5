"""tools/bench/lvs_held.py: load-vs-sipp --held N, the bytes per held session of the client and
of the server, for sipspec load + sipspec serve and for sipp UAC + sipp UAS (docs/bench.md).

For each pair, two fresh server and client pairs hold sessions at once: one holds a single
session, the other N. The client establishes them at --held-rate per second (INVITE, 200, ACK)
and keeps them before BYE (sipspec load --hold, sipp -d), at most N open, so all N are held
at once. Once the client says all are held (sipspec load's progress line 'held N', sipp's
counts of sessions in the pause before BYE; or, when a few calls failed under load, once it
has started all and holds at least 99% of them, unchanged for 5 s), the benchmark waits
--held-settle seconds (by default 64*T1 + 2 s: every transaction of the setup has ended by
then, Timer L and M of RFC 6026 being the longest, and serve has given freed pages back),
checks that the clients still hold 1 and (at least 99% of) N, and reads the resident set
(VmRSS) of the four processes. Then, for the client and for the server,

    bytes per held session = (RSS with N held - RSS with 1 held) / (N - 1)

N being the sessions held when the RSS was read (printed as 'N held'): what each further
session costs, the process's start and the first session's one-time allocations taken out.
The processes are then killed (by PID): the BYEs are not part of the figure.
"""
import os
import time

import lvs_procs as lp

PAIRS = [("sipspec-load", "sipspec-serve"), ("sipp-uac", "sipp-uas")]
MAX_HOLD_MS = 3600000  # sipspec load's bound on --hold
MIN_SHARE = 0.99       # of the sessions asked, held at least
STILL = 5.0            # seconds without a change in the sessions held: the rest failed


def enough(n):
    return n if n < 2 else max(2, int(MIN_SHARE * n + 0.999999))


def default_settle():
    t1 = os.environ.get("MRCP_SIP_RETRANS_T1_MS", "500")
    try:
        t1_ms = int(t1)
    except ValueError:
        t1_ms = 500
    return 64 * t1_ms / 1000.0 + 2


def start_held(args, client, server, n, pairs):
    """A fresh server and client holding n sessions; returns (pair, server, client) once the
    client holds them all, or once it has started them all and the number it holds has not
    moved for STILL seconds (calls that failed under load) when that is at least MIN_SHARE
    of n."""
    pr = lp.Pair(args, "held_%s_%d" % (client, n))
    pairs.append(pr)
    srv, port = pr.server(server)
    establish = n / float(args.held_rate) + 60
    hold_ms = min(MAX_HOLD_MS, int((establish + args.held_settle + 120) * 1000))
    limit = n + 1 if client == "sipp-uac" else n
    cl = pr.client(client, port, n, args.held_rate, limit, hold_ms, quiet=False, counts=True)
    deadline = time.monotonic() + establish
    held, moved = 0, time.monotonic()
    while time.monotonic() < deadline:
        started, now = pr.held(client, cl)
        if now != held:
            held, moved = now, time.monotonic()
        if held >= n or (started >= n and held >= enough(n) and time.monotonic() - moved >= STILL):
            return pr, srv, cl
        if cl.poll() is not None:
            break
        time.sleep(0.2)
    raise lp.Failed("%s -> %s held %d of %d sessions (exit %s); see %s" % (
        client, server, held, n, cl.returncode, pr.dir))


def measure(args, client, server):
    n = args.held
    pairs = []
    try:
        one = start_held(args, client, server, 1, pairs)
        full = start_held(args, client, server, n, pairs)
        time.sleep(args.held_settle)
        time.sleep(1.2)  # the clients' held counts are written each second
        rss = {}
        for key, (pr, srv, cl), want in (("1", one, 1), ("n", full, n)):
            held = pr.held(client, cl)[1]
            if held < enough(want) or held > want or cl.poll() is not None or srv.poll() is not None:
                raise lp.Failed("%s -> %s held %d of %d sessions after the settle; see %s" % (
                    client, server, held, want, pr.dir))
            rss["held_" + key] = held
        for key, (pr, srv, cl) in (("1", one), ("n", full)):
            rss["client_" + key] = lp.status_kib(cl.pid, "VmRSS")
            rss["server_" + key] = lp.status_kib(srv.pid, "VmRSS")
        if None in rss.values():
            raise lp.Failed("%s -> %s: a process ended before its RSS was read" % (client, server))
        for side in ("client", "server"):
            rss[side + "_bytes"] = (rss[side + "_n"] - rss[side + "_1"]) * 1024.0 / (rss["held_n"] - 1)
        return rss
    finally:
        for pr in pairs:
            pr.stop_all()


def run(args, out):
    out("")
    out("held: %d sessions held at once (and 1 beside), established at %d/s, RSS read %.1f s after the last; "
        "bytes/session = (RSS with N held - RSS with 1 held) / (N - 1)" % (
            args.held, args.held_rate, args.held_settle))
    out("%-29s %7s %13s %13s %13s %13s %13s %13s" % (
        "pair", "N held", "client KiB 1", "client KiB N", "client B/sess", "server KiB 1", "server KiB N",
        "server B/sess"))
    res = []
    for client, server in PAIRS:
        r = measure(args, client, server)
        res.append(r)
        out("%-29s %7d %13d %13d %13.0f %13d %13d %13.0f" % (
            client + " -> " + server, r["held_n"], r["client_1"], r["client_n"], r["client_bytes"],
            r["server_1"], r["server_n"], r["server_bytes"]))

    def ratio(x, y):
        return "%.2f" % (x / y) if y > 0 else "nan"
    out("held ratio sipspec/sipp: client %s, server %s" % (
        ratio(res[0]["client_bytes"], res[1]["client_bytes"]), ratio(res[0]["server_bytes"], res[1]["server_bytes"])))
    return res
