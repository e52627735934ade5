#!/usr/bin/env python3
"""tls_leak.py SIPSPEC VALGRIND SRCDIR WORKDIR CALLS: `sipspec serve --tls-cert` under valgrind
while CALLS sequential `sipspec call sips:...` run against it (each a new TLS connection and
handshake): every call ok, then SIGTERM; valgrind must report no leak, no error and no socket
left open at exit. Certificates come from make_certs.sh. Loopback only; every process started
here is stopped by its PID; every wait is bounded."""
import json
import os
import re
import signal
import subprocess
import sys
import time

SIPSPEC, VALGRIND, SRC, WORK, CALLS = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
os.makedirs(WORK, exist_ok=True)
FAILS = []


def check(cond, what):
    if not cond:
        FAILS.append(what)
        print("  FAIL:", what, flush=True)
    return cond


def p(name):
    return os.path.join(WORK, name)


env = {k: v for k, v in os.environ.items() if not k.startswith("MRCP_SIP_")}
subprocess.run(["sh", os.path.join(SRC, "make_certs.sh"), WORK], check=True, timeout=120)
with open(p("hosts"), "w") as f:
    f.write("127.0.0.1 sip.test\n")
vlog = p("valgrind.log")
serve = subprocess.Popen([VALGRIND, "--leak-check=full", "--show-leak-kinds=definite,indirect",
                          "--errors-for-leak-kinds=definite,indirect", "--error-exitcode=99", "--track-fds=yes",
                          "--log-file=" + vlog, SIPSPEC, "serve", "--listen", "127.0.0.1:0", "--tls-cert",
                          p("good.pem"), "--tls-key", p("leaf.key")],
                         env=env, stdout=open(p("serve.out"), "w"), stderr=subprocess.DEVNULL, text=True)
try:
    # serve's lines go to a file (a pipe nobody reads would fill and stop serve)
    port, deadline = None, time.time() + 60
    while time.time() < deadline and port is None and serve.poll() is None:
        time.sleep(0.1)
        with open(p("serve.out")) as f:
            for line in f:
                if line.startswith("listening on") and line.strip().endswith("/tls"):
                    port = int(line.strip().rsplit(":", 1)[1].split("/")[0])
    if not check(port is not None, "serve under valgrind listens on TLS"):
        raise SystemExit(1)
    t0 = time.monotonic()
    ok = 0
    cenv = dict(env, MRCP_SIP_TLS_CA_FILE=p("ca.pem"))
    for i in range(CALLS):
        r = subprocess.run([SIPSPEC, "call", "--json", "--hold", "0", "--hosts", p("hosts"),
                            "sips:synth@sip.test:%d" % port], env=cenv, capture_output=True, text=True, timeout=60)
        try:
            js = json.loads(r.stdout.strip().splitlines()[-1])
        except (ValueError, IndexError):
            js = {}
        if r.returncode == 0 and js.get("result") == "ok" and js.get("bye_status") == 200:
            ok += 1
        elif len(FAILS) < 5:
            check(False, "call %d: exit %d %r %r" % (i, r.returncode, r.stdout[-300:], r.stderr[-300:]))
    took = time.monotonic() - t0
    print("%d sequential TLS calls through serve under valgrind: %d ok, %.1f s (%.1f calls/s)"
          % (CALLS, ok, took, CALLS / took), flush=True)
    check(ok == CALLS, "every call ok (%d of %d)" % (ok, CALLS))
finally:
    if serve.poll() is None:
        serve.send_signal(signal.SIGTERM)
    try:
        src = serve.wait(timeout=60)
    except subprocess.TimeoutExpired:
        serve.kill()
        src = serve.wait(timeout=10)
text = open(vlog).read() if os.path.exists(vlog) else ""
for l in text.splitlines():
    if re.search(r"(definitely|indirectly) lost:|ERROR SUMMARY|All heap blocks|in use at exit|FILE DESCRIPTORS", l):
        print(l)
check(src == 0, "serve under valgrind ended cleanly on SIGTERM (exit status %s)" % src)
counts = open(p("serve.out")).read() if os.path.exists(p("serve.out")) else ""
m = re.search(r"invites (\d+), established (\d+), ended (\d+)", counts)
check(m is not None and m.group(1) == m.group(2) == m.group(3) == str(CALLS),
      "serve counted %d invites, established and ended dialogs (%s)" % (CALLS, m and m.group(0)))
check("All heap blocks were freed" in text or (re.search(r"definitely lost: 0 bytes", text)
                                               and re.search(r"indirectly lost: 0 bytes", text)),
      "valgrind: definitely and indirectly lost 0 bytes")
check(re.search(r"ERROR SUMMARY: 0 errors", text) is not None, "valgrind: ERROR SUMMARY: 0 errors")
sockets = re.findall(r"Open (AF_\w+ socket[^\n]*)", text)
check(not sockets, "valgrind: no socket left open at exit (%s)" % ("; ".join(sockets) or "none"))
print("%d failed" % len(FAILS))
sys.exit(1 if FAILS else 0)
