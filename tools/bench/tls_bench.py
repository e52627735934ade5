#!/usr/bin/env python3
"""tools/bench/tls_bench.py SIPSPEC [WORKDIR]: TLS figures of `sipspec serve`, on loopback.

Starts `sipspec serve --tls-cert` (certificates from tests/tls/make_certs.sh in WORKDIR, a
temporary folder by default) and prints
  - full TLS handshakes per second against its TLS port: N sequential connections from a
    verifying client (Python's ssl: CA, name sip.test), each closed after its handshake;
  - the same by `openssl s_time -new` in the same run, against the same server;
  - memory per open TLS connection: serve's VmRSS before and after M handshaked connections
    are held open, divided by M.
Every process started here is stopped by its PID."""
import os
import re
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time

SIPSPEC = sys.argv[1]
WORK = sys.argv[2] if len(sys.argv) > 2 else tempfile.mkdtemp(prefix="sipspec-tls-bench-")
HERE = os.path.dirname(os.path.abspath(__file__))
N, M, SECONDS = 1000, 500, 3


def p(name):
    return os.path.join(WORK, name)


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


subprocess.run(["sh", os.path.join(HERE, "..", "..", "tests", "tls", "make_certs.sh"), WORK], check=True,
               timeout=120)
env = {k: v for k, v in os.environ.items() if not k.startswith("MRCP_SIP_")}
serve = subprocess.Popen([SIPSPEC, "serve", "--listen", "127.0.0.1:0", "--tls-cert", p("good.pem"), "--tls-key",
                          p("leaf.key")], env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
try:
    port, deadline = None, time.time() + 10
    while time.time() < deadline and port is None:
        line = serve.stdout.readline()
        if not line:
            break
        if line.strip().endswith("/tls"):
            port = int(line.strip().rsplit(":", 1)[1].split("/")[0])
    if port is None:
        raise SystemExit("serve did not start")
    ctx = ssl.create_default_context(cafile=p("ca.pem"))
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    t0 = time.monotonic()
    for _ in range(N):
        with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
            with ctx.wrap_socket(s, server_hostname="sip.test") as t:
                version = t.version()
    dt = time.monotonic() - t0
    print("sipspec serve: %d sequential %s handshakes (verified client) in %.2f s: %.0f handshakes/s"
          % (N, version, dt, N / dt))
    st = subprocess.run(["openssl", "s_time", "-connect", "127.0.0.1:%d" % port, "-new", "-time", str(SECONDS),
                         "-CAfile", p("ca.pem")], capture_output=True, text=True, timeout=SECONDS + 30)
    m = re.search(r"(\d+) connections in (\d+) real seconds", st.stdout)
    if m:
        print("openssl s_time -new against the same server: %s connections in %s s: %.0f handshakes/s"
              % (m.group(1), m.group(2), int(m.group(1)) / max(1, int(m.group(2)))))
    else:
        print("openssl s_time: no figure (%s)" % (st.stdout + st.stderr)[-200:].strip())
    time.sleep(0.5)
    before = rss_kb(serve.pid)
    held = []
    for _ in range(M):
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        held.append(ctx.wrap_socket(s, server_hostname="sip.test"))
    time.sleep(0.5)
    after = rss_kb(serve.pid)
    print("memory per open TLS connection in serve: (%d - %d) kB / %d = %.1f kB"
          % (after, before, M, (after - before) / M))
    for t in held:
        t.close()
finally:
    if serve.poll() is None:
        serve.send_signal(signal.SIGTERM)
    try:
        serve.wait(timeout=10)
    except subprocess.TimeoutExpired:
        serve.kill()
        serve.wait(timeout=10)
