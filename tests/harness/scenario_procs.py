"""scenario_procs.py: what the Python scenario scripts share (tests/scenarios, tests/hostile):
counted checks, every process started registered and stopped by its PID at the end, a
background process whose stdout lines a thread reads (for `sipspec serve`: its port from its
"listening on" line), and the loop that runs the cases of a script. Loopback only; every wait
is bounded."""
import os
import queue
import re
import signal
import subprocess
import threading
import time

FAILS = []
CHECKS = [0]
STARTED = []  # every Popen, stopped by PID at the end whatever happens


def check(cond, what):
    """Counts a check; a false one is printed and kept in FAILS."""
    CHECKS[0] += 1
    if not cond:
        FAILS.append(what)
        print("  FAIL:", what, flush=True)
    return cond


def clean_env(drop_credentials=True, **extra):
    """The environment without MRCP_SIP_* (and without SIPSPEC_USER / SIPSPEC_PASSWORD), plus
    extra."""
    drop = ("SIPSPEC_USER", "SIPSPEC_PASSWORD") if drop_credentials else ()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MRCP_SIP_") and k not in drop}
    env.update(extra)
    return env


class LineProcess:
    """A process in the background (registered in STARTED) whose stdout lines a thread reads."""

    def __init__(self, argv, env):
        self.p = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                  bufsize=1)
        STARTED.append(self.p)
        self.lines, self.q = [], queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.p.stdout:
            self.q.put(line.rstrip("\n"))
        self.q.put(None)

    def wait_for(self, pattern, max_s=10.0, start=0):
        """The first line from index start on (old or new) matching pattern, waiting at most
        max_s; None when none came."""
        rx = re.compile(pattern)
        for line in self.lines[start:]:
            m = rx.search(line)
            if m:
                return m
        deadline = time.monotonic() + max_s
        while time.monotonic() < deadline:
            try:
                line = self.q.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                break
            if line is None:
                break
            self.lines.append(line)
            m = rx.search(line)
            if m:
                return m
        return None

    def signal_and_wait(self, sig=signal.SIGTERM, max_s=40.0, what="the process"):
        """Sends sig by PID (when still running) and waits at most max_s for the exit; past
        that, SIGKILL and a failed check. Returns the exit status."""
        if self.p.poll() is None:
            os.kill(self.p.pid, sig)
        try:
            return self.p.wait(timeout=max_s)
        except subprocess.TimeoutExpired:
            os.kill(self.p.pid, signal.SIGKILL)
            st = self.p.wait(timeout=10)
            check(False, "%s did not stop within %.0f s of the signal" % (what, max_s))
            return st


class Serve(LineProcess):
    """`sipspec serve --listen HOST:0 ARGS` in the background; port and uri read from its
    listening line for transport tp."""

    def __init__(self, sipspec, args, env, tp="udp", listen="127.0.0.1:0"):
        super().__init__([sipspec, "serve", "--listen", listen] + list(args), env)
        host = listen.rsplit(":", 1)[0]
        # text: "listening on 127.0.0.1:PORT/udp"; --json-log: {"event":"listening",..,"text":"127.0.0.1:PORT/udp"}
        m = self.wait_for(r'(?:listening on |"event":"listening".*"text":")' + re.escape(host) + r':(\d+)/' + tp)
        if not m:
            self.signal_and_wait(signal.SIGKILL, 10.0, "serve")
            raise RuntimeError("serve did not print its listening line: %r" % self.p.stderr.read())
        self.port = int(m.group(1))
        self.uri = f"sip:mresources@{host}:{self.port}"


def run_cases(cases, label=""):
    """Runs each case (a crash in one is a failed check, the others still run), then kills by
    PID whatever is still running. Returns the exit status: 1 when a check failed."""
    tag = f"[{label}] " if label else ""
    try:
        for c in cases:
            print(f"{tag}{c.__name__}", flush=True)
            before = len(FAILS)
            try:
                c()
            except Exception as e:
                check(False, f"{c.__name__}: {type(e).__name__}: {e}")
            print(f"{tag}{c.__name__}: {'ok' if len(FAILS) == before else 'FAILED'}", flush=True)
    finally:
        for p in STARTED:
            if p.poll() is None:
                os.kill(p.pid, signal.SIGKILL)
                p.wait(timeout=10)
    print(f"{CHECKS[0]} checks, {len(FAILS)} failed")
    return 1 if FAILS else 0


def start_call(sipspec, uri, env, tp="udp", hold=1000):
    """`sipspec call --json --transport tp --hold hold uri` in the background (registered)."""
    p = subprocess.Popen([sipspec, "call", "--json", "--transport", tp, "--hold", str(hold), uri],
                         env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    STARTED.append(p)
    return p


def wait_output(p, what, max_s):
    """Waits at most max_s for p to end (then SIGKILL and a failed check); returns (exit
    status, stdout, stderr, seconds waited)."""
    t0 = time.monotonic()
    try:
        out, err = p.communicate(timeout=max_s)
    except subprocess.TimeoutExpired:
        os.kill(p.pid, signal.SIGKILL)
        out, err = p.communicate(timeout=10)
        check(False, f"{what}: the call did not end within {max_s} s")
    return p.returncode, out, err, time.monotonic() - t0
