"""cli_common.py: what the command-line scenarios (cli_scenarios.py) share: the sipspec binary,
transport and work folder from the command line, the check counter, the environment without
MRCP_SIP_* or credentials, running `sipspec call --json`, and `sipspec serve` in the
background (its port read from its listening line, stopped by PID). Loopback only; every wait
is bounded."""
import json
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time

SIPSPEC, TP, WORK = sys.argv[1], sys.argv[2], sys.argv[3]
os.makedirs(WORK, exist_ok=True)
FAILS = []
CHECKS = [0]
STARTED = []  # every Popen, stopped by PID at the end whatever happens


def check(cond, what):
    CHECKS[0] += 1
    if not cond:
        FAILS.append(what)
        print("  FAIL:", what, flush=True)
    return cond


def base_env(**extra):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("MRCP_SIP_") and k not in ("SIPSPEC_USER", "SIPSPEC_PASSWORD")}
    env.update(extra)
    return env


def run(args, env=None, timeout=60):
    """Runs sipspec with args to the end; returns (status, stdout, stderr)."""
    p = subprocess.run([SIPSPEC] + args, env=env or base_env(), capture_output=True, text=True,
                       timeout=timeout)
    return p.returncode, p.stdout, p.stderr


def call_json(args, env=None, timeout=60):
    st, out, err = run(["call", "--json", "--transport", TP] + args, env, timeout)
    lines = [l for l in out.splitlines() if l.strip()]
    obj = None
    if check(len(lines) == 1, f"call {args}: exactly one line on stdout, got {out!r} (stderr {err!r})"):
        try:
            obj = json.loads(lines[0])
        except ValueError as e:
            check(False, f"call {args}: stdout is not JSON ({e}): {lines[0]!r}")
    return st, obj or {}, out, err


class Server:
    """`sipspec serve` in the background; its stdout lines are read by a thread."""

    def __init__(self, *extra, env=None, listen="127.0.0.1:0"):
        args = [SIPSPEC, "serve", "--listen", listen, "--transport", TP] + list(extra)
        self.p = subprocess.Popen(args, env=env or base_env(), stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True, bufsize=1)
        STARTED.append(self.p)
        self.lines = []
        self.q = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        host = re.escape(listen.rsplit(":", 1)[0])
        # text: "listening on 127.0.0.1:PORT/udp"; --json-log: {"event":"listening",..,"text":"127.0.0.1:PORT/udp"}
        m = self.wait_for(r'(?:listening on |"event":"listening".*"text":")' + host + r':(\d+)/' + TP)
        if not m:
            self.stop()
            raise RuntimeError("serve did not print its listening line: " + self.p.stderr.read())
        self.port = int(m.group(1))
        self.uri = f"sip:mresources@{listen.rsplit(':', 1)[0]}:{self.port}"

    def _read(self):
        for line in self.p.stdout:
            self.q.put(line.rstrip("\n"))
        self.q.put(None)

    def wait_for(self, pattern, max_s=10.0):
        """The first line (old or new) matching pattern, waiting at most max_s."""
        rx = re.compile(pattern)
        for l in self.lines:
            if rx.search(l):
                return rx.search(l)
        deadline = time.monotonic() + max_s
        while time.monotonic() < deadline:
            try:
                line = self.q.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                break
            if line is None:
                break
            self.lines.append(line)
            if rx.search(line):
                return rx.search(line)
        return None

    def stop(self, sig=signal.SIGTERM, max_s=40.0):
        """Signals the server by PID, waits for its exit; returns its status."""
        if self.p.poll() is None:
            os.kill(self.p.pid, sig)
        try:
            st = self.p.wait(timeout=max_s)
        except subprocess.TimeoutExpired:
            os.kill(self.p.pid, signal.SIGKILL)
            st = self.p.wait(timeout=10)
            check(False, "serve did not stop within %.0f s of the signal" % max_s)
        self.wait_for(r"^stopped", 2.0)
        return st


def chan_resources(obj):
    return [c.get("resource") for c in (obj.get("session") or {}).get("channels", [])]
