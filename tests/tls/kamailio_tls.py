#!/usr/bin/env python3
"""kamailio_tls.py SIPSPEC KAMAILIO SRCDIR WORKDIR: `sipspec call sips:` through Kamailio's TLS
module (kamailio_tls.cfg: a record-routing proxy) to `sipspec serve --tls-cert`, TLS on both
legs. The client verifies Kamailio's certificate for sip.test; INVITE, ACK and BYE go through
Kamailio (its log says so) on the one client connection. Then Kamailio presents a certificate
for another name, and the call fails as tls-failed with a name mismatch.

Loopback only. Every process started here (serve, kamailio in the foreground) is stopped by its
PID; every wait is bounded."""
import json
import os
import signal
import socket
import subprocess
import sys
import time

SIPSPEC, KAMAILIO, SRC, WORK = sys.argv[1:5]
os.makedirs(WORK, exist_ok=True)
FAILS, STARTED = [], []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    if not cond:
        FAILS.append(what)


def p(name):
    return os.path.join(WORK, name)


def stop(proc):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def bound(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


env = {k: v for k, v in os.environ.items() if not k.startswith("MRCP_SIP_")}
subprocess.run(["sh", os.path.join(SRC, "make_certs.sh"), WORK], check=True, timeout=120)
with open(p("hosts"), "w") as f:
    f.write("127.0.0.1 sip.test\n")


def run_case(kcert):
    """serve and kamailio (presenting kcert); returns (exit status, JSON, kamailio log lines)."""
    serve = subprocess.Popen([SIPSPEC, "serve", "--listen", "127.0.0.1:0", "--tls-cert", p("good.pem"),
                              "--tls-key", p("leaf.key")], env=env, stdout=open(p("serve.out"), "w"),
                             stderr=subprocess.STDOUT)
    STARTED.append(serve)
    sport, deadline = None, time.time() + 10
    while sport is None and time.time() < deadline and serve.poll() is None:
        time.sleep(0.05)
        for line in open(p("serve.out")):
            if line.startswith("listening on") and line.strip().endswith("/tls"):
                sport = int(line.strip().rsplit(":", 1)[1].split("/")[0])
    if sport is None:
        raise SystemExit("serve did not start")
    kdir = p("kamailio")
    os.makedirs(kdir, exist_ok=True)
    kport = free_port()
    klog = p("kamailio.err")
    kam = subprocess.Popen([KAMAILIO, "-DD", "-E", "-f", os.path.join(SRC, "kamailio_tls.cfg"), "-w", kdir, "-Y", kdir,
                            "-P", os.path.join(kdir, "k.pid"), "-m", "32", "-M", "4",
                            "-A", "LISTEN_PORT=%d" % kport, "-A", 'SERVE_PORT="%d"' % sport,
                            "-A", 'CERT="%s"' % p(kcert), "-A", 'KEY="%s"' % p("leaf.key"),
                            "-A", 'CA="%s"' % p("ca.pem")],
                           stdout=subprocess.DEVNULL, stderr=open(klog, "w"))
    STARTED.append(kam)
    deadline = time.time() + 15
    while time.time() < deadline and kam.poll() is None and not bound(kport):
        time.sleep(0.1)
    if kam.poll() is not None or not bound(kport):
        raise SystemExit("kamailio did not start:\n" + open(klog).read()[-2000:])
    try:
        r = subprocess.run([SIPSPEC, "call", "--json", "--hold", "100", "--hosts", p("hosts"),
                            "sips:synth@sip.test:%d" % kport], env=dict(env, MRCP_SIP_TLS_CA_FILE=p("ca.pem")),
                           capture_output=True, text=True, timeout=60)
        js = json.loads(r.stdout.strip().splitlines()[-1]) if r.stdout.strip() else None
    finally:
        stop(kam)
        stop(serve)
    lines = [l for l in open(klog).read().splitlines() if "interop-tls:" in l]
    return r.returncode, js, lines


try:
    st, js, lines = run_case("good.pem")
    check(st == 0 and js and js["result"] == "ok" and js["bye_status"] == 200,
          "sipspec call through kamailio over TLS: ok, BYE 200 (%r)" % (js,))
    check(any("INVITE from" in l and "(proto tls)" in l and "transport=tls" in l for l in lines),
          "kamailio took the INVITE over TLS and relayed it to serve over TLS")
    check(any("in-dialog ACK routed" in l and "(proto tls)" in l for l in lines), "the ACK went through kamailio (Record-Route)")
    check(any("in-dialog BYE routed" in l and "(proto tls)" in l for l in lines), "the BYE went through kamailio (Record-Route)")
    check(js is not None and js["telemetry"]["sipTlsHandshakes"] == 1 and js["tls_verified"] is True,
          "one verified connection to kamailio carried INVITE, ACK and BYE")
    st, js, lines = run_case("wrongsan.pem")
    check(st == 9 and js and js["result"] == "tls-failed" and "name mismatch" in js["reason"]
          and "DNS:other.test" in js["reason"], "kamailio with a certificate for another name: tls-failed (%r)" % (js,))
    check(not any("INVITE from" in l for l in lines), "and kamailio never saw the INVITE")
finally:
    for proc in STARTED:
        stop(proc)
print("%d failed" % len(FAILS))
sys.exit(1 if FAILS else 0)
