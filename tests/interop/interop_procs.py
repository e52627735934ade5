"""interop_procs.py: what the interop cases (interop.py) share to run peers: the check and
note helpers, the process table that starts and stops every process by PID, free ports,
log reading, and waiting for a line or a bound port. Loopback only."""
import os
import re
import signal
import socket
import subprocess
import sys
import time


class CheckFailed(Exception):
    pass


class SetupError(Exception):
    pass


def note(msg):
    print(msg, flush=True)


def check(cond, what):
    if not cond:
        raise CheckFailed(what)
    note("ok: " + what)


# ---- processes --------------------------------------------------------------------------

class Procs:
    """Every process a case starts, so that all of them are stopped by PID at the end."""

    def __init__(self, workdir):
        self.workdir = workdir
        self.live = []  # (name, Popen, extra pid files)

    def start(self, name, argv, pidfile=None, cwd=None, env=None):
        out = open(os.path.join(self.workdir, name + ".out"), "wb")
        err = open(os.path.join(self.workdir, name + ".err"), "wb")
        note("start %s: %s" % (name, " ".join(argv)))
        try:
            p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                                 cwd=cwd or self.workdir,
                                 env=dict(os.environ, **env) if env else None)
        except OSError as e:
            raise SetupError("cannot start %s: %s" % (argv[0], e))
        finally:
            out.close()
            err.close()
        self.live.append((name, p, pidfile))
        return p

    def path(self, name, ext):
        return os.path.join(self.workdir, name + "." + ext)

    def wait(self, p, seconds):
        """Waits for p to exit by itself; None when it is still running after seconds."""
        try:
            return p.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            return None

    def stop(self, p, sig=signal.SIGTERM, grace=10.0):
        """Sends sig to p by PID and waits; SIGKILL after grace seconds. Returns the exit
        status (negative: killed by that signal)."""
        if p.poll() is None:
            try:
                os.kill(p.pid, sig)
            except ProcessLookupError:
                pass
            rc = self.wait(p, grace)
            if rc is None:
                note("%d did not end within %.0f s of signal %d: SIGKILL" % (p.pid, grace, sig))
                os.kill(p.pid, signal.SIGKILL)
                p.wait()
        for name, q, pidfile in self.live:
            if q is p and pidfile:
                self._kill_pidfile(name, pidfile, p.pid)
        return p.returncode

    def _kill_pidfile(self, name, pidfile, own):
        # kamailio writes the PID of its main process; when that is not the process we
        # started, stop it too (its children follow it).
        try:
            with open(pidfile) as f:
                pid = int(f.read().strip() or "0")
        except (OSError, ValueError):
            return
        if pid > 0 and pid != own:
            try:
                os.kill(pid, signal.SIGTERM)
                note("stopped %s main process %d from its pid file" % (name, pid))
            except ProcessLookupError:
                pass

    def stop_all(self):
        for name, p, _ in reversed(self.live):
            if p.poll() is None:
                note("stopping %s (pid %d)" % (name, p.pid))
            self.stop(p, grace=5.0)


def on_signal(signum, frame):
    raise SystemExit(128 + signum)


# ---- helpers ----------------------------------------------------------------------------

def free_port():
    """A port free on 127.0.0.1 for both UDP and TCP (the peers listen on both)."""
    for _ in range(50):
        t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        t.bind(("127.0.0.1", 0))
        port = t.getsockname()[1]
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            u.bind(("127.0.0.1", port))
        except OSError:
            continue
        finally:
            u.close()
            t.close()
        return port
    raise SetupError("no port free for both UDP and TCP on 127.0.0.1")


def read(path):
    try:
        with open(path, "r", errors="replace") as f:
            return f.read()
    except OSError:
        return ""


def tail(path, lines=40):
    text = read(path).splitlines()
    return "\n".join(text[-lines:])


def wait_for_line(procs, p, path, pattern, seconds):
    """Polls the file path until a line matches pattern; returns the match."""
    rx = re.compile(pattern)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for line in read(path).splitlines():
            m = rx.search(line)
            if m:
                return m
        if p.poll() is not None:
            raise CheckFailed("%s ended (status %s) before printing /%s/:\n%s\n%s" % (
                p.args[0], p.returncode, pattern, tail(path), tail(path[:-4] + ".err")))
        time.sleep(0.05)
    raise CheckFailed("no line /%s/ in %s within %.0f s" % (pattern, path, seconds))


def port_bound(port, transport):
    """1 when something on this host listens on (TCP) or is bound to (UDP) port."""
    names = ("/proc/net/tcp", "/proc/net/tcp6") if transport == "tcp" else ("/proc/net/udp", "/proc/net/udp6")
    for n in names:
        for line in read(n).splitlines()[1:]:
            f = line.split()
            if len(f) > 3 and int(f[1].rsplit(":", 1)[1], 16) == port and (
                    transport != "tcp" or f[3] == "0A"):  # 0A: LISTEN
                return True
    return False


def wait_bound(p, port, transport, seconds=10.0):
    """Waits until the process p (a peer just started) has bound port."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if port_bound(port, transport):
            return
        if p.poll() is not None:
            raise CheckFailed("%s ended (status %s) before binding port %d" % (p.args[0], p.returncode, port))
        time.sleep(0.02)
    raise CheckFailed("%s bound no %s port %d within %.0f s" % (p.args[0], transport, port, seconds))
