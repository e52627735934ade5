"""tools/bench/lvs_procs.py: the processes of load-vs-sipp (docs/bench.md) and what is read from them.

A Pair is one measurement's processes (a server and its client, or more), each started in its
own work directory and stopped by its PID in stop_all(). The clients and servers:

  sipp UAS       tests/interop/uas_mrcp.xml; its statistics (-trace_stat) are written once more
                 when it ends on SIGTERM, so the last row of uas_stat.csv is its final count
  sipspec serve  --listen 127.0.0.1:0; the port is read from its 'listening on' line, its
                 counters from the 'telemetry' and 'stopped' lines it prints when it ends
  sipp UAC       tests/interop/uac_mrcp.xml; -d is the hold before BYE; with counts=True its
                 message counts are written each second (-trace_counts -fd 1)
  sipspec load   --json; its progress lines (standard error, each second) say how many
                 sessions it holds
"""
import csv
import glob
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time

HERE = os.path.dirname(os.path.abspath(__file__))
INTEROP = os.path.join(HERE, "..", "..", "tests", "interop")
UAC = os.path.join(INTEROP, "uac_mrcp.xml")
UAS = os.path.join(INTEROP, "uas_mrcp.xml")
TICK = float(os.sysconf("SC_CLK_TCK"))


class Failed(Exception):
    """A measurement that could not run at all (a process that did not start or answer)."""


def free_port():
    for _ in range(50):
        t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            t.bind(("127.0.0.1", 0))
            port = t.getsockname()[1]
            u.bind(("127.0.0.1", port))
            return port
        except OSError:
            continue
        finally:
            u.close()
            t.close()
    raise Failed("no port free for both UDP and TCP on 127.0.0.1")


def proc_cpu(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def status_kib(pid, key):
    """A VmXXX line of /proc/PID/status in KiB, None when the process is gone."""
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def hwm_kib(pid, prev=0):
    """VmHWM, the peak resident set of the process's program (wait4's ru_maxrss would also
    count the Python process forked before the exec)."""
    v = status_kib(pid, "VmHWM")
    return prev if v is None else max(prev, v)


def reap(p, timeout):
    """Waits for p (bounded); returns (status, rusage, peak RSS KiB polled every 20 ms, so
    growth in its last 20 ms may be missed). Status None: it was killed at the bound."""
    deadline = time.monotonic() + timeout
    hwm = 0
    while time.monotonic() < deadline:
        hwm = hwm_kib(p.pid, hwm)
        pid, status, ru = os.wait4(p.pid, os.WNOHANG)
        if pid == p.pid:
            p.returncode = os.waitstatus_to_exitcode(status)
            return p.returncode, ru, hwm
        time.sleep(0.02)
    os.kill(p.pid, signal.SIGKILL)
    _, status, ru = os.wait4(p.pid, 0)
    p.returncode = os.waitstatus_to_exitcode(status)
    return None, ru, hwm


def terminate(p, grace):
    """SIGTERM, and after `grace` s a second one (serve then stops waiting for its dialogs and
    still prints its counters), then SIGKILL 10 s later. Returns the exit status, None if killed."""
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGTERM, 10.0)):
        if p.returncode is not None:
            break
        os.kill(p.pid, sig)
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            pid, status, _ = os.wait4(p.pid, os.WNOHANG)
            if pid == p.pid:
                p.returncode = os.waitstatus_to_exitcode(status)
                return p.returncode
            time.sleep(0.02)
    if p.returncode is None:
        os.kill(p.pid, signal.SIGKILL)
        _, status, _ = os.wait4(p.pid, 0)
        p.returncode = os.waitstatus_to_exitcode(status)
        return None
    return p.returncode


def last_row(path):
    try:
        with open(path, errors="replace") as f:
            rows = [r for r in csv.reader(f, delimiter=";") if r]
    except OSError:
        return {}
    return dict(zip(rows[0], rows[-1])) if len(rows) >= 2 else {}


def count(row, key):
    try:
        return int(row.get(key, "0") or 0)
    except ValueError:
        return 0


def pct(values, q):
    if not values:
        return 0.0
    v = sorted(values)
    return v[min(len(v) - 1, max(0, int(q * len(v) + 0.999999) - 1))]


def read(path, tail=None):
    try:
        with open(path, errors="replace") as f:
            text = f.read()
    except OSError:
        return ""
    return text[-tail:] if tail else text


class Pair:
    def __init__(self, args, tag):
        self.args, self.tag = args, tag
        self.procs = []
        self.dir = os.path.join(args.workdir, tag)
        if os.path.isdir(self.dir):  # a previous run's traces (sipp names some by PID)
            shutil.rmtree(self.dir)
        os.makedirs(self.dir)

    def f(self, name):
        return os.path.join(self.dir, name)

    def start(self, name, argv):
        with open(self.f(name + ".out"), "wb") as out, open(self.f(name + ".err"), "wb") as err:
            p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=err, cwd=self.dir)
        self.procs.append(p)
        return p

    def stop_all(self):
        for p in self.procs:
            if p.returncode is None and p.poll() is None:
                os.kill(p.pid, signal.SIGKILL)
                p.wait()

    def tp(self):
        return "t1" if self.args.transport == "tcp" else "u1"

    def sipp_uas(self):
        port = free_port()
        p = self.start("uas", [self.args.sipp, "-sf", UAS, "-t", self.tp(), "-i", "127.0.0.1", "-p", str(port),
                               "-nostdin", "-key", "mrcp_port", "1544", "-key", "rtp_port", "4000",
                               "-key", "channel_session", "5A1C3B9E", "-trace_stat", "-stf", self.f("uas_stat.csv")])
        time.sleep(0.5)
        if p.poll() is not None:
            raise Failed("sipp UAS ended at once: " + read(self.f("uas.err"), 500))
        return p, port

    def serve(self):
        p = self.start("serve", [self.args.sipspec, "serve", "--listen", "127.0.0.1:0",
                                 "--transport", self.args.transport])
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            m = re.search(r"listening on \S*?:(\d+)", read(self.f("serve.out")))
            if m:
                return p, int(m.group(1))
            if p.poll() is not None:
                break
            time.sleep(0.05)
        raise Failed("sipspec serve printed no 'listening on' line: " + read(self.f("serve.err"), 500))

    def server(self, kind):
        return self.serve() if kind == "sipspec-serve" else self.sipp_uas()

    def sipp_uac(self, port, calls, rate, limit, hold_ms=0, counts=False, rtt=False):
        extra = ["-trace_counts", "-fd", "1"] if counts else []
        if rtt:
            extra += ["-trace_rtt", "-rtt_freq", "1"]
        return self.start("uac", [self.args.sipp, "-sf", UAC, "-t", self.tp(), "-i", "127.0.0.1",
                                  "-p", str(free_port()), "-nostdin", "-s", "mresources", "-m", str(calls),
                                  "-r", str(rate), "-l", str(limit), "-d", str(hold_ms),
                                  "-trace_stat", "-stf", self.f("uac_stat.csv")] + extra +
                          ["127.0.0.1:%d" % port])

    def load(self, port, calls, rate, limit, hold_ms=0, quiet=True):
        a = self.args
        return self.start("load", [a.sipspec, "load", "--json", "--allow-failures"] + (["--quiet"] if quiet else []) +
                          ["--transport", a.transport, "--calls", str(calls), "--rate", str(rate),
                           "--concurrency", str(limit), "--hold", str(hold_ms),
                           "sip:mresources@127.0.0.1:%d" % port])

    def client(self, kind, port, calls, rate, limit, hold_ms=0, **kw):
        if kind == "sipspec-load":
            return self.load(port, calls, rate, limit, hold_ms, quiet=kw.get("quiet", True))
        return self.sipp_uac(port, calls, rate, limit, hold_ms, counts=kw.get("counts", False),
                             rtt=kw.get("rtt", False))

    def load_json(self, rc):
        try:
            return json.loads(read(self.f("load.out")))
        except ValueError:
            raise Failed("sipspec load printed no JSON (exit %s): %s" % (rc, read(self.f("load.err"), 500)))

    def sipp_rtts(self):
        rtts = []
        for path in glob.glob(os.path.join(self.dir, "*_rtt.csv")):
            with open(path, errors="replace") as f:
                for row in csv.reader(f, delimiter=";"):
                    if len(row) >= 2:
                        try:
                            rtts.append(float(row[1]))
                        except ValueError:
                            pass
        return rtts

    def held(self, kind, p):
        """(sessions started, sessions held) by the client now: sipspec load's last progress
        line ('started N ... held N'), sipp's last counts row (INVITEs sent, sessions in the
        pause before BYE; written each second)."""
        if kind == "sipspec-load":
            m = re.findall(r"started (\d+) .* held (\d+) ", read(self.f("load.err"), 4000))
            return (int(m[-1][0]), int(m[-1][1])) if m else (0, 0)
        started = held = 0
        for path in glob.glob(os.path.join(self.dir, "*_%d_counts.csv" % p.pid)):
            for k, v in last_row(path).items():
                if k.endswith("_INVITE_Sent") and v.isdigit():
                    started = int(v)
                elif k.endswith("_Pause_Sessions") and v.isdigit():
                    held = int(v)
        return started, held

    def stop_server(self, kind, p, grace=5.0):
        """Ends the server (SIGTERM; a second one after `grace` s cuts serve's wait for its
        dialogs short, then SIGKILL) and returns its own counts, None when it printed none:
        {"ok": calls it completed (serve: dialogs ended; sipp: SuccessfulCall), "failed": calls it
        did not complete (serve: INVITEs received - dialogs ended; sipp: FailedCall), "retrans":
        retransmissions it sent (serve: sipRetransmissions; sipp: Retransmissions)}."""
        terminate(p, grace)
        if kind == "sipspec-serve":
            out = read(self.f("serve.out"))
            tel = {}
            m = re.search(r"^telemetry (\{.*\})$", out, re.M)
            if m:
                try:
                    tel = json.loads(m.group(1))
                except ValueError:
                    tel = {}
            st = re.search(r"^stopped invites (\d+), established (\d+), ended (\d+), refused (\d+)", out, re.M)
            if not st or not tel:
                return None
            invites, _, ended, _ = (int(x) for x in st.groups())
            return {"ok": ended, "failed": invites - ended,
                    "retrans": int(tel.get("sipRetransmissions", 0))}
        row = last_row(self.f("uas_stat.csv"))
        if not row:
            return None
        return {"ok": count(row, "SuccessfulCall(C)"), "failed": count(row, "FailedCall(C)"),
                "retrans": count(row, "Retransmissions(C)")}
