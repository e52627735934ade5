#!/usr/bin/env python3
"""tls_scenarios.py SIPSPEC SRCDIR WORKDIR: SIP over TLS through the real command line.

Certificates are made at test time by make_certs.sh (the openssl command) in WORKDIR. For each
server certificate, `sipspec serve --tls-cert` runs in the background (its TLS port read from
its "listening on ...:PORT/tls" line) and `sipspec call --json sips:...` runs against it; the
result, the reason sentence, tls_verified and the telemetry are checked, with the exit status.
Then: pins (right, wrong, the CA's key), MRCP_SIP_TLS_VERIFY=0, mutual TLS, a key that does not
match its certificate, a handshake that never comes (a silent TCP listener), a sips: target with
--transport udp, and the regression scenarios over TLS: 486, CANCEL while ringing, BYE from the
server, Digest.

Loopback only. Every process started here is stopped by its PID, every wait is bounded."""
import base64
import hashlib
import json
import os
import signal
import socket
import subprocess
import sys
import time

SIPSPEC, SRC, WORK = sys.argv[1], sys.argv[2], sys.argv[3]
os.makedirs(WORK, exist_ok=True)
FAILS, CHECKS, STARTED = [], [0], []


def check(cond, what):
    CHECKS[0] += 1
    if not cond:
        FAILS.append(what)
        print("  FAIL:", what, flush=True)
    return cond


def env(**extra):
    e = {k: v for k, v in os.environ.items() if not k.startswith("MRCP_SIP_")}
    e.update(extra)
    return e


def p(name):
    return os.path.join(WORK, name)


def stop(proc):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def serve(*args):
    """Starts serve with TLS; returns (proc, tls_port). Retries when the ephemeral UDP port
    happens to be taken for TCP (serve then exits before listening)."""
    for _attempt in range(5):
        proc = subprocess.Popen([SIPSPEC, "serve", "--listen", "127.0.0.1:0"] + list(args), env=env(),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        STARTED.append(proc)
        port, deadline = None, time.time() + 10
        while time.time() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            if line.startswith("listening on") and line.strip().endswith("/tls"):
                port = int(line.strip().rsplit(":", 1)[1].split("/")[0])
                break
        if port:
            return proc, port
        stop(proc)
    raise SystemExit("serve did not start: " + proc.stderr.read())


def call(target, extra_env=None, args=(), timeout=60):
    e = env(MRCP_SIP_TLS_CA_FILE=p("ca.pem"), **(extra_env or {}))
    r = subprocess.run([SIPSPEC, "call", "--json", "--hold", "50", "--hosts", p("hosts")] + list(args) + [target],
                       env=e, capture_output=True, text=True, timeout=timeout)
    lines = [l for l in r.stdout.splitlines() if l.strip()]
    try:
        js = json.loads(lines[-1]) if lines else None
    except ValueError:
        js = None
    return r.returncode, js, r.stderr


def spki_pin(pem_or_key, is_key=False):
    cmd = ["openssl", "pkey", "-in", pem_or_key, "-pubout", "-outform", "DER"] if is_key else None
    if not is_key:
        pub = subprocess.run(["openssl", "x509", "-in", pem_or_key, "-pubkey", "-noout"], capture_output=True,
                             check=True, timeout=30).stdout
        der = subprocess.run(["openssl", "pkey", "-pubin", "-outform", "DER"], input=pub, capture_output=True,
                             check=True, timeout=30).stdout
    else:
        der = subprocess.run(cmd, capture_output=True, check=True, timeout=30).stdout
    return base64.b64encode(hashlib.sha256(der).digest()).decode()


subprocess.run(["sh", os.path.join(SRC, "make_certs.sh"), WORK], check=True, timeout=120)
with open(p("hosts"), "w") as f:
    f.write("127.0.0.1 sip.test\n")

try:
    # ---- certificate cases: (server cert, host asked, result, reason words) ----------------
    cases = [
        ("good", "sip.test", "ok", None),
        ("wrongsan", "sip.test", "tls-failed", ["name mismatch", "'sip.test'", "DNS:other.test"]),
        ("wildcard", "sip.test", "tls-failed", ["name mismatch", "DNS:*.test"]),
        ("cnonly", "sip.test", "ok", None),
        ("expired", "sip.test", "tls-failed", ["certificate expired", "2001"]),
        ("selfsigned", "sip.test", "tls-failed", ["unknown CA"]),
        ("urisan", "sip.test", "ok", None),
        ("urisanuser", "sip.test", "tls-failed", ["name mismatch", "URI:sip:alice@sip.test"]),
        ("ipsan", "127.0.0.1", "ok", None),
        ("good", "127.0.0.1", "tls-failed", ["name mismatch", "'127.0.0.1'"]),  # the IP is not the name
    ]
    for cert, host, want, words in cases:
        srv, port = serve("--tls-cert", p(cert + ".pem"), "--tls-key", p("leaf.key"))
        st, js, err = call("sips:synth@%s:%d" % (host, port))
        print("%s for %s: exit %d %s" % (cert, host, st, js and (js["result"], js["reason"])), flush=True)
        if check(js is not None, "%s/%s: one JSON object (stderr %r)" % (cert, host, err)):
            check(js["result"] == want, "%s/%s: result %s, want %s" % (cert, host, js["result"], want))
            check(st == (0 if want == "ok" else 9), "%s/%s: exit %d" % (cert, host, st))
            tel = js["telemetry"]
            if want == "ok":
                check(js["tls_verified"] is True, "%s: tls_verified true" % cert)
                check(tel["sipTlsHandshakes"] == 1 and tel["sipTlsFailures"] == 0, "%s: telemetry %r" % (cert, tel))
                check(js["bye_status"] == 200, "%s: BYE 200 over TLS" % cert)
            else:
                check(js["tls_verified"] is False, "%s: tls_verified false" % cert)
                check(tel["sipTlsFailures"] == 1 and tel["sipTlsHandshakes"] == 0, "%s: telemetry %r" % (cert, tel))
                for w in words:
                    check(w in (js["reason"] or ""), "%s/%s: reason %r names %r" % (cert, host, js["reason"], w))
        stop(srv)

    # ---- pins and verification off ------------------------------------------------------------
    srv, port = serve("--tls-cert", p("good.pem"), "--tls-key", p("leaf.key"))
    target = "sips:synth@sip.test:%d" % port
    leaf_pin, ca_pin, other_pin = spki_pin(p("good.pem")), spki_pin(p("ca.pem")), spki_pin(p("other.key"), True)
    st, js, _ = call(target, {"MRCP_SIP_TLS_PIN_SHA256": leaf_pin})
    check(st == 0 and js and js["result"] == "ok", "right pin passes: %r" % (js,))
    st, js, _ = call(target, {"MRCP_SIP_TLS_PIN_SHA256": other_pin})
    check(st == 9 and js and "pin mismatch" in js["reason"] and leaf_pin in js["reason"],
          "wrong pin fails with a valid chain, naming the server's key: %r" % (js,))
    st, js, _ = call(target, {"MRCP_SIP_TLS_PIN_SHA256": other_pin + "," + ca_pin})
    check(st == 0 and js and js["result"] == "ok", "a pin of the CA key passes: %r" % (js,))
    st, js, err = call(target, {"MRCP_SIP_TLS_PIN_SHA256": "nope"})
    check(st == 2 and "MRCP_SIP_TLS_PIN_SHA256" in err, "a malformed pin is a usage error: %d %r" % (st, err))
    stop(srv)
    srv, port = serve("--tls-cert", p("selfsigned.pem"), "--tls-key", p("leaf.key"))
    st, js, err = call("sips:synth@sip.test:%d" % port, {"MRCP_SIP_TLS_VERIFY": "0"})
    check(st == 0 and js and js["result"] == "ok" and js["tls_verified"] is False,
          "MRCP_SIP_TLS_VERIFY=0 connects to a self-signed server, tls_verified false: %r" % (js,))
    check("not verified" in err and "MRCP_SIP_TLS_VERIFY=0" in err, "VERIFY=0 warns on stderr: %r" % err)
    stop(srv)

    # ---- mutual TLS and client certificates -----------------------------------------------------
    srv, port = serve("--tls-cert", p("good.pem"), "--tls-key", p("leaf.key"), "--tls-ca", p("ca.pem"),
                      "--tls-require-client-cert")
    target = "sips:synth@sip.test:%d" % port
    st, js, _ = call(target)
    check(st == 9 and js and js["result"] == "tls-failed" and "client certificate" in js["reason"],
          "mutual TLS refuses a client without a certificate: %r" % (js,))
    st, js, _ = call(target, {"MRCP_SIP_TLS_CERT": p("client.pem"), "MRCP_SIP_TLS_KEY": p("client.key")})
    check(st == 0 and js and js["result"] == "ok", "mutual TLS with a client certificate: %r" % (js,))
    st, js, err = call(target, {"MRCP_SIP_TLS_CERT": p("client.pem"), "MRCP_SIP_TLS_KEY": p("other.key")})
    check(st == 1 and p("client.pem") in err and p("other.key") in err and "does not match" in err,
          "a key that does not match its certificate fails at start naming both: %d %r" % (st, err))
    stop(srv)

    # ---- handshake timeout: a TCP listener that never answers ------------------------------------
    ls = socket.socket()
    ls.bind(("127.0.0.1", 0))
    ls.listen(4)
    t0 = time.time()
    st, js, _ = call("sips:synth@sip.test:%d" % ls.getsockname()[1], {"MRCP_SIP_TLS_HANDSHAKE_MS": "400"})
    took = time.time() - t0
    ls.close()
    check(st == 9 and js and "handshake timeout" in js["reason"] and "400 ms" in js["reason"],
          "a silent peer ends in a handshake timeout: %r" % (js,))
    check(took < 5, "the handshake timeout is bounded (%.2f s)" % took)

    # ---- usage ------------------------------------------------------------------------------------
    r = subprocess.run([SIPSPEC, "call", "--transport", "udp", "sips:synth@127.0.0.1:5061"], env=env(),
                       capture_output=True, text=True, timeout=30)
    check(r.returncode == 2 and "TLS" in r.stderr, "sips: with --transport udp is a usage error: %r" % r.stderr)

    # ---- regression scenarios over TLS -----------------------------------------------------------
    tls_args = ["--tls-cert", p("good.pem"), "--tls-key", p("leaf.key")]
    srv, port = serve("--reject", "486", *tls_args)
    st, js, _ = call("sips:synth@sip.test:%d" % port)
    check(st == 3 and js and js["result"] == "rejected" and js["status"] == 486, "486 over TLS: %r" % (js,))
    stop(srv)
    srv, port = serve("--bye-after", "100", *tls_args)
    st, js, _ = call("sips:synth@sip.test:%d" % port, args=["--hold", "5000"])
    check(st == 0 and js and js["ended_by"] == "peer", "BYE from the server over TLS: %r" % (js,))
    stop(srv)
    srv, port = serve("--auth", "alice:secret", *tls_args)
    st, js, _ = call("sips:synth@sip.test:%d" % port, args=["--user", "alice", "--password", "secret"])
    check(st == 0 and js and js["result"] == "ok" and js["telemetry"]["sipAuthChallenges"] == 1,
          "Digest over TLS: %r" % (js,))
    stop(srv)
    srv, port = serve("--ring", "5", "--ring-interval", "1000", *tls_args)
    proc = subprocess.Popen([SIPSPEC, "call", "--json", "--hosts", p("hosts"), "sips:synth@sip.test:%d" % port],
                            env=env(MRCP_SIP_TLS_CA_FILE=p("ca.pem")), stdout=subprocess.PIPE, text=True)
    STARTED.append(proc)
    time.sleep(1.5)
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=60)
    js = json.loads(out.strip().splitlines()[-1]) if out.strip() else None
    check(proc.returncode == 7 and js and js["result"] == "cancelled", "CANCEL while ringing over TLS: %r" % (js,))
    stop(srv)

    # ---- clients that leave right after the handshake: serve's writes (TLS 1.3 session tickets)
    # meet closed sockets and must not raise SIGPIPE in serve
    srv, port = serve(*tls_args)
    import ssl as _ssl
    cctx = _ssl.create_default_context(cafile=p("ca.pem"))
    for _ in range(100):
        with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
            try:
                cctx.wrap_socket(raw, server_hostname="sip.test").close()
            except (OSError, _ssl.SSLError):
                pass
    time.sleep(0.2)
    check(srv.poll() is None, "serve survives 100 clients gone after their handshake (exit %s)" % srv.poll())
    st, js, _ = call("sips:synth@sip.test:%d" % port)
    check(st == 0 and js and js["result"] == "ok", "and still takes a call: %r" % (js,))
    stop(srv)

    # ---- RFC 5626 keep-alive over TLS: serve answers our pings, the call is unaffected -------
    srv, port = serve("--trace", *tls_args)
    cov = p("keepalive_coverage.json")
    if os.path.exists(cov):
        os.remove(cov)
    st, js, _ = call("sips:synth@sip.test:%d" % port, {"MRCP_SIP_KEEPALIVE_MS": "200"},
                     args=["--hold", "1500", "--coverage-out", cov])
    pongs = 0
    try:
        with open(cov) as f:
            for chart in json.load(f)["charts"]:
                for tr in chart["transitions"]:
                    if chart["chart"] == "stream_conn" and tr["name"] == "Pinging__CONN_PONG":
                        pongs = tr["count"]
    except (OSError, ValueError, KeyError):
        pass
    check(pongs >= 3, "the client got serve's pongs over TLS (%d, want >= 3 in 1.5 s at 200 ms)" % pongs)
    check(st == 0 and js and js["result"] == "ok" and js["bye_status"] == 200
          and js["telemetry"]["sipKeepaliveTimeouts"] == 0 and js["telemetry"]["sipTlsHandshakes"] == 1,
          "CRLF pings answered by serve over TLS keep the one connection: %r" % (js,))
    stop(srv)
    out = srv.stdout.read()
    check(out.count("received tls") >= 3 and "tls" in out, "serve traced the call over TLS")

    # ---- a connection silently dropped mid-dialog: a loopback relay that stops forwarding ----
    # RFC 5626 4.4.1: the client's pings through the relay get no pong, and that connection is
    # closed and counted within keep-alive + 10 s, before the hold ends.
    import threading as _thr
    import select as _sel
    srv, port = serve(*tls_args)
    forwarding = [True]
    rl = socket.socket()
    rl.bind(("127.0.0.1", 0))
    rl.listen(8)
    rl.settimeout(0.2)
    relay_done = [False]
    pumps = []

    def pump(a, b):
        try:
            while not relay_done[0]:
                r, _, _ = _sel.select([a], [], [], 0.2)
                if not r:
                    continue
                data = a.recv(65536)
                if not data:
                    break
                if forwarding[0]:
                    b.sendall(data)
        except OSError:
            pass

    def relay():
        while not relay_done[0]:
            try:
                c, _ = rl.accept()
            except OSError:
                continue
            u = socket.create_connection(("127.0.0.1", port), timeout=5)
            for a, b in ((c, u), (u, c)):
                t = _thr.Thread(target=pump, args=(a, b), daemon=True)
                t.start()
                pumps.append((t, a))

    rt = _thr.Thread(target=relay, daemon=True)
    rt.start()
    proc = subprocess.Popen([SIPSPEC, "call", "--json", "--hold", "12500", "--hosts", p("hosts"),
                             "sips:synth@sip.test:%d" % rl.getsockname()[1]],
                            env=env(MRCP_SIP_TLS_CA_FILE=p("ca.pem"), MRCP_SIP_KEEPALIVE_MS="300",
                                    MRCP_SIP_TLS_HANDSHAKE_MS="1000"),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    STARTED.append(proc)
    time.sleep(1.5)
    forwarding[0] = False
    out, _ = proc.communicate(timeout=60)
    relay_done[0] = True
    rt.join(timeout=5)
    for t, a in pumps:
        t.join(timeout=5)
        a.close()
    rl.close()
    stop(srv)
    js = json.loads(out.strip().splitlines()[-1]) if out.strip() else None
    check(js is not None and js["result"] == "ok" and js["telemetry"]["sipKeepaliveTimeouts"] == 1,
          "the dead connection is found by keep-alive within the hold: %r" % (js,))
    # ACK and BYE go to serve's Contact (another address than the relay's): a second connection,
    # checked for the name the session asked for (sip.test), alive to the end
    check(js is not None and js["bye_status"] == 200 and js["telemetry"]["sipTlsHandshakes"] == 2,
          "the remote target's connection is verified for sip.test and carries the BYE: %r" % (js,))

    # ---- SNI: the name for a name, nothing for an IP literal (RFC 6066 3) ---------------------
    import ssl as _ssl2
    import threading as _th
    sni = []
    sctx = _ssl2.SSLContext(_ssl2.PROTOCOL_TLS_SERVER)
    sctx.load_cert_chain(p("good.pem"), p("leaf.key"))
    sctx.sni_callback = lambda sock, name, c: sni.append(name)
    sl = socket.socket()
    sl.bind(("127.0.0.1", 0))
    sl.listen(4)
    sl.settimeout(20)

    def one_handshake():
        try:
            conn, _ = sl.accept()
            conn.settimeout(10)
            sctx.wrap_socket(conn, server_side=True).close()
        except (OSError, _ssl2.SSLError):
            pass

    for host, want in (("sip.test", "sip.test"), ("127.0.0.1", None)):
        th = _th.Thread(target=one_handshake, daemon=True)
        th.start()
        call("sips:synth@%s:%d" % (host, sl.getsockname()[1]), {"MRCP_SIP_TLS_VERIFY": "0"}, timeout=30)
        th.join(timeout=20)
        check(len(sni) >= 1 and sni[-1] == want, "SNI for %s: %r (want %r)" % (host, sni[-1:] , want))
        sni.clear()
    sl.close()

    # ---- INVITE timeout: a TLS peer that completes the handshake and never answers ------------
    import ssl
    import threading
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(p("good.pem"), p("leaf.key"))
    ls = socket.socket()
    ls.bind(("127.0.0.1", 0))
    ls.listen(4)
    ls.settimeout(20)
    held = []

    def silent():
        try:
            conn, _ = ls.accept()
            conn.settimeout(20)
            tls = ctx.wrap_socket(conn, server_side=True)
            held.append(tls)
            tls.recv(65536)  # the INVITE, never answered
        except (OSError, ssl.SSLError):
            pass

    th = threading.Thread(target=silent, daemon=True)
    th.start()
    t0 = time.time()
    st, js, _ = call("sips:synth@sip.test:%d" % ls.getsockname()[1], {"MRCP_SIP_RETRANS_T1_MS": "50"})
    took = time.time() - t0
    check(st == 4 and js and js["result"] == "timeout" and js["telemetry"]["sipInviteTimeouts"] == 1
          and js["telemetry"]["sipTlsHandshakes"] == 1, "INVITE timeout over TLS (Timer B): %r" % (js,))
    check(2.5 < took < 15, "Timer B is 64*T1 = 3.2 s over TLS too (took %.2f s)" % took)
    th.join(timeout=20)
    for h in held:
        h.close()
    ls.close()
finally:
    for proc in STARTED:
        stop(proc)

print("%d checks, %d failed" % (CHECKS[0], len(FAILS)))
sys.exit(1 if FAILS else 0)
