"""cli_common.py: what the command-line scenarios (cli_scenarios.py) share: the sipspec binary,
transport and work folder from the command line, the check counter, the environment without
MRCP_SIP_* or credentials, running `sipspec call --json`, and `sipspec serve` in the
background (its port read from its listening line, stopped by PID). Loopback only; every wait
is bounded."""
import json
import os
import signal
import subprocess
import sys

SIPSPEC, TP, WORK = sys.argv[1], sys.argv[2], sys.argv[3]
os.makedirs(WORK, exist_ok=True)
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "harness"))
from scenario_procs import STARTED, check, clean_env, Serve, run_cases  # noqa: E402,F401 (STARTED, run_cases: for cli_scenarios.py)


def base_env(**extra):
    return clean_env(**extra)


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


class Server(Serve):
    """`sipspec serve` in the background; its stdout lines are read by a thread."""

    def __init__(self, *extra, env=None, listen="127.0.0.1:0"):
        super().__init__(SIPSPEC, ["--transport", TP] + list(extra), env or base_env(), TP, listen)

    def stop(self, sig=signal.SIGTERM, max_s=40.0):
        """Signals the server by PID, waits for its exit; returns its status."""
        st = self.signal_and_wait(sig, max_s, "serve")
        self.wait_for(r"^stopped", 2.0)
        return st


def chan_resources(obj):
    return [c.get("resource") for c in (obj.get("session") or {}).get("channels", [])]
