/* cmd_call.c: `sipspec call [OPTIONS] sip:USER@HOST:PORT`: starts one MRCPv2 session (an
 * INVITE with an MRCP offer), holds it, ends it with BYE and says what happened, as text or as
 * one JSON object (--json). Each session result has its own exit status (see usage()), so a
 * script can tell a rejection from a timeout without parsing anything. docs/cli.md. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "call_run.h"
#include "cli_util.h"
#include "commands.h"
#include "sipspec/coverage.h"
#include "sipspec/ua.h"

#define PROG "sipspec call"

/* Exit status per sipspec_result (index), beside 0 ok, 1 local error and 2 usage. */
static const int result_exit[] = {
  [SIPSPEC_RESULT_OK] = 0,
  [SIPSPEC_RESULT_REJECTED] = 3,
  [SIPSPEC_RESULT_TIMEOUT] = 4,
  [SIPSPEC_RESULT_TRANSPORT_ERROR] = 5,
  [SIPSPEC_RESULT_AUTH_FAILED] = 6,
  [SIPSPEC_RESULT_CANCELLED] = 7,
  [SIPSPEC_RESULT_BAD_ANSWER] = 8,
  [SIPSPEC_RESULT_TLS_FAILED] = 9,
  [SIPSPEC_RESULT_DNS_FAILED] = 10,
};

static void usage(FILE *out) {
  fprintf(out,
          "usage: sipspec call [OPTIONS] sip:USER@HOST[:PORT] | sips:USER@HOST[:PORT]\n"
          "Starts an MRCPv2 session (INVITE with an SDP offer, RFC 6787 section 4), holds it, ends it\n"
          "with BYE and prints what happened.\n"
          "  --transport udp|tcp|tls  SIP transport (default: MRCP_SIP_TRANSPORT, else udp; a sips:\n"
          "                        target means tls, docs/tls.md for MRCP_SIP_TLS_*)\n"
          "  --resource NAME       an MRCP resource to open, repeatable: speechrecog, speechsynth,\n"
          "                        dtmfrecog, basicsynth, speakverify, recorder (default speechsynth)\n"
          "  --hold MS             keep the established session this long before BYE (default 1000)\n"
          "  --rtp-port N          the RTP port offered for audio (default 5004)\n"
          "  --keepalive MS        send OPTIONS in the dialog every MS while held (default: none)\n"
          "  --user U --password P Digest credentials (default: SIPSPEC_USER, SIPSPEC_PASSWORD)\n"
          "  --play FILE|tone:HZ   send audio: WAV (PCM 16-bit 8 kHz mono), raw mu-law/A-law, or a tone\n"
          "  --record FILE         write the audio received: raw G.711 octets, or a RIFF/WAVE file\n"
          "                        of G.711 (format 7 mu-law / 6 A-law) when FILE ends in .wav\n"
          "  --dtmf DIGITS         send DIGITS (0-9 * # A-D, at most 32) as RFC 4733 telephone-events,\n"
          "                        100 ms each and 60 ms apart; --hold must leave them time\n"
          "  --no-rtcp-mux         do not offer a=rtcp-mux (RTCP on its own port, RFC 3550)\n"
          "  --json                print exactly one JSON object (docs/cli.md lists its fields)\n"
          "  --hosts FILE          look host names up in FILE (hosts(5) format; default /etc/hosts)\n"
          "  --coverage-out FILE   merge this run's state-chart coverage into FILE at exit\n"
          "SIP timers come from MRCP_SIP_RETRANS_T1_MS, MRCP_SIP_RETRANS_T2_MS, MRCP_SIP_RETRANS_T4_MS,\n"
          "MRCP_SIP_INVITE_MAX_RETRANS and MRCP_SIP_UDP_MAX_SIZE; MRCP_SIP_DNS_SRV=1 locates the\n"
          "server with NAPTR and SRV records (RFC 3263), MRCP_SIP_DNS_SERVERS picks the DNS servers.\n"
          "Exit status: 0 ok, 1 the call could not start (local bind, ...), 2 usage or a bad\n"
          "MRCP_SIP_* value, 3 rejected (final 3xx-6xx), 4 timeout, 5 transport-error (refused,\n"
          "reset, unreachable), 6 auth-failed, 7 cancelled, 8 bad-answer, 9 tls-failed (handshake\n"
          "or certificate check, the reason says which), 10 dns-failed (no such name, no address,\n"
          "the DNS failed or did not answer).\n");
}

struct call_cmd {
  cli_call call;
  ev_signal sigint;
  ev_timer watchdog;
  int watchdog_fired;
};

static void call_done(cli_call *c) { ev_break(c->loop, EVBREAK_ALL); }

static void sigint_cb(struct ev_loop *loop, ev_signal *w, int revents) {
  struct call_cmd *cc = w->data;
  (void)loop;
  (void)revents;
  if (cc->call.ending) { /* second interrupt: stop waiting for the end */
    ev_break(loop, EVBREAK_ALL);
    return;
  }
  if (cc->call.log) fprintf(cc->call.log, "interrupted: ending the session\n");
  cli_call_hangup(&cc->call);
}

static void watchdog_cb(struct ev_loop *loop, ev_timer *w, int revents) {
  struct call_cmd *cc = w->data;
  (void)revents;
  cc->watchdog_fired = 1;
  ev_break(loop, EVBREAK_ALL);
}

/* --json over TLS: "tls_verified", true when a handshake completed with verification on. */
struct tls_json { int tls, verified; };
static void tls_json(FILE *out, void *arg) {
  const struct tls_json *t = arg;
  if (t->tls) fprintf(out, ",\"tls_verified\":%s", t->verified ? "true" : "false");
}

static int usage_error(const char *fmt, const char *a, const char *b) {
  fprintf(stderr, PROG ": ");
  fprintf(stderr, fmt, a, b);
  fprintf(stderr, " (try '" PROG " --help')\n");
  return CLI_EXIT_USAGE;
}

int sipspec_cmd_call(int argc, char **argv) {
  const char *target = NULL, *user = NULL, *password = NULL, *cov_out = NULL, *hosts = NULL, *v;
  int json = 0, transport_set = 0;
  unsigned hold_ms = 1000, rtp_port = 5004, keepalive_ms = 0;
  sipspec_tp_kind transport = SIPSPEC_TP_UDP;
  sipspec_mrcp_resource res[SIPSPEC_MRCP_MAX_CHANNELS];
  size_t nres = 0;
  char why[256];
  const char *play = NULL, *record = NULL, *dtmf = NULL;
  int no_mux = 0;

  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    int m;
    if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
      usage(stdout);
      return CLI_EXIT_OK;
    } else if (!strcmp(a, "--json")) {
      json = 1;
    } else if (!strcmp(a, "--no-rtcp-mux")) {
      no_mux = 1;
    } else if ((m = cli_opt(argc, argv, &i, "--dtmf", &v, why, sizeof why))) {
      if (m < 0 || !*v || strlen(v) > 32 || strspn(v, "0123456789*#ABCDabcd") != strlen(v))
        return usage_error("--dtmf needs 1 to 32 digits of 0-9 * # A-D%s%s", "", "");
      dtmf = v;
    } else if ((m = cli_opt(argc, argv, &i, "--transport", &v, why, sizeof why))) {
      if (m < 0 || cli_parse_transport(v, &transport, why, sizeof why)) return usage_error("--transport: %s%s", why, "");
      transport_set = 1;
    } else if ((m = cli_opt(argc, argv, &i, "--hold", &v, why, sizeof why))) {
      if (m < 0 || cli_parse_uint(v, 0, SIPSPEC_CONFIG_MAX_MS, &hold_ms, why, sizeof why))
        return usage_error("--hold: %s%s", why, "");
    } else if ((m = cli_opt(argc, argv, &i, "--rtp-port", &v, why, sizeof why))) {
      if (m < 0 || cli_parse_uint(v, 1, 65535, &rtp_port, why, sizeof why))
        return usage_error("--rtp-port: %s%s", why, "");
    } else if ((m = cli_opt(argc, argv, &i, "--play", &v, why, sizeof why))) {
      if (m < 0 || !*v) return usage_error("--play needs FILE or tone:HZ%s%s", "", "");
      play = v;
    } else if ((m = cli_opt(argc, argv, &i, "--record", &v, why, sizeof why))) {
      if (m < 0 || !*v) return usage_error("--record needs a file name%s%s", "", "");
      record = v;
    } else if ((m = cli_opt(argc, argv, &i, "--keepalive", &v, why, sizeof why))) {
      if (m < 0 || cli_parse_uint(v, 0, SIPSPEC_CONFIG_MAX_MS, &keepalive_ms, why, sizeof why))
        return usage_error("--keepalive: %s%s", why, "");
    } else if ((m = cli_opt(argc, argv, &i, "--resource", &v, why, sizeof why))) {
      sipspec_mrcp_resource r;
      if (m < 0 || cli_parse_resource(v, &r, why, sizeof why)) return usage_error("--resource: %s%s", why, "");
      for (size_t k = 0; k < nres; k++)
        if (res[k] == r) return usage_error("--resource %s given twice%s", v, "");
      if (nres == SIPSPEC_MRCP_MAX_CHANNELS) return usage_error("too many --resource options%s%s", "", "");
      res[nres++] = r;
    } else if ((m = cli_opt(argc, argv, &i, "--user", &v, why, sizeof why))) {
      if (m < 0) return usage_error("%s%s", why, "");
      user = v;
    } else if ((m = cli_opt(argc, argv, &i, "--password", &v, why, sizeof why))) {
      if (m < 0) return usage_error("%s%s", why, "");
      password = v;
    } else if ((m = cli_opt(argc, argv, &i, "--hosts", &v, why, sizeof why))) {
      if (m < 0 || !*v) return usage_error("--hosts needs a file name%s%s", "", "");
      hosts = v;
    } else if ((m = cli_opt(argc, argv, &i, "--coverage-out", &v, why, sizeof why))) {
      if (m < 0 || !*v) return usage_error("--coverage-out needs a file name%s%s", "", "");
      cov_out = v;
    } else if (a[0] == '-' && a[1]) {
      return usage_error("unknown option '%s'%s", a, "");
    } else if (target) {
      return usage_error("one target only ('%s' and '%s')", target, a);
    } else {
      target = a;
    }
  }
  if (!target) return usage_error("no target URI (sip:USER@HOST:PORT)%s%s", "", "");
  int ipv6 = 0;
  if (cli_check_target(target, &ipv6, why, sizeof why)) return usage_error("%s%s", why, "");
  if (!user) user = getenv("SIPSPEC_USER");
  if (!password) password = getenv("SIPSPEC_PASSWORD");
  if (user && !*user) user = NULL;
  if (password && !*password) password = NULL;
  if (user && !password) return usage_error("--user needs --password (or SIPSPEC_PASSWORD)%s%s", "", "");
  if (password && !user) return usage_error("--password needs --user (or SIPSPEC_USER)%s%s", "", "");
  if (!nres) res[nres++] = SIPSPEC_MRCP_SPEECHSYNTH;

  sipspec_ua_opts uo;
  sipspec_ua_opts_init(&uo);
  char err[SIPSPEC_ERR_LEN];
  int rc = cli_config_from_env(&uo.cfg, err, sizeof err);
  if (rc != SIPSPEC_OK) {
    fprintf(stderr, PROG ": %s\n", err);
    return CLI_EXIT_USAGE;
  }
  if (transport_set) {
    uo.cfg.transport = transport;
    uo.cfg.transport_explicit = 1;
  }
  sipspec_tp_kind asked;
  if (cli_target_transport(target, &asked)) { /* RFC 5630 §3.1.1: sips: is TLS on every hop */
    if (transport_set && transport != SIPSPEC_TP_TLS)
      return usage_error("'%s' asks for TLS, which --transport %s cannot give", target, sipspec_tp_kind_name(transport));
    uo.cfg.transport = SIPSPEC_TP_TLS;
  }
  if (uo.cfg.transport == SIPSPEC_TP_TLS && (rc = sipspec_tls_config_from_env(&uo.tls, NULL, NULL, err, sizeof err))) {
    fprintf(stderr, PROG ": %s\n", err);
    return CLI_EXIT_USAGE;
  }
  if (cov_out && sipspec_coverage_write_at_exit(cov_out) != SIPSPEC_OK) {
    fprintf(stderr, PROG ": --coverage-out %s: cannot arrange to write it at exit\n", cov_out);
    return CLI_EXIT_FAIL;
  }
  if (ipv6) uo.bind_host = "::";
  uo.hosts_path = hosts;
  sipspec_digest_cred_entry cred = {NULL, user, password};
  if (user) {
    uo.auth.table = &cred;
    uo.auth.table_len = 1;
  }

  struct ev_loop *loop = ev_default_loop(0);
  if (!loop) {
    fprintf(stderr, PROG ": cannot create the event loop\n");
    return CLI_EXIT_FAIL;
  }
  struct call_cmd cc;
  memset(&cc, 0, sizeof cc);
  cli_call_init(&cc.call);
  cc.call.log = json ? NULL : stdout;
  cc.call.hold_ms = hold_ms;
  cc.call.media.play = play;
  cc.call.media.record = record;
  cc.call.media.dtmf = dtmf;
  int media = play || record || dtmf;
  cc.call.media.local_port = media ? rtp_port : 0; /* audio only when asked for */
  cc.call.media.mux = media && !no_mux;
  if (cli_media_open(&cc.call.media, why, sizeof why) != SIPSPEC_OK) return usage_error("--play: %s%s", why, "");
  cc.call.on_done = call_done;

  sipspec_ua *ua = NULL;
  rc = sipspec_ua_create(loop, &uo, &ua, err, sizeof err);
  if (rc != SIPSPEC_OK) {
    snprintf(cc.call.rep.error, sizeof cc.call.rep.error, "%s", err[0] ? err : sipspec_strerror(rc));
    fprintf(stderr, PROG ": %s\n", cc.call.rep.error);
    if (json) {
      cli_call_report_json(stdout, &cc.call.rep, NULL, NULL);
      fputc('\n', stdout);
    }
    return CLI_EXIT_FAIL;
  }

  sipspec_mrcp_offer_desc offer;
  sipspec_mrcp_offer_desc_init(&offer);
  memcpy(offer.resources, res, nres * sizeof res[0]);
  offer.nresources = nres;
  offer.rtp_port = rtp_port;
  offer.rtcp_mux = cc.call.media.mux; /* RFC 5761: only when we run the RTP ourselves */
  sipspec_session_opts so;
  sipspec_session_opts_init(&so);
  so.target = target;
  so.offer = &offer;
  so.keepalive_ms = keepalive_ms;

  if (!json) {
    printf("calling %s over %s with", target, sipspec_tp_kind_name(uo.cfg.transport));
    for (size_t k = 0; k < nres; k++) printf(" %s", sipspec_mrcp_resource_name(res[k]));
    printf("%s\n", user ? " (digest credentials set)" : "");
    fflush(stdout);
  }
  int status = CLI_EXIT_FAIL;
  rc = cli_call_start(&cc.call, ua, &so);
  if (rc == SIPSPEC_OK) {
    /* A safety net only: the session's own timers (Timer B, the answer timer, Timer F) end it
     * well before this. */
    double bound = (hold_ms + 3.0 * 64 * uo.cfg.t1_ms + 180000.0 + 10000.0) / 1000.0;
    ev_signal_init(&cc.sigint, sigint_cb, SIGINT);
    cc.sigint.data = &cc;
    ev_signal_start(loop, &cc.sigint);
    ev_timer_init(&cc.watchdog, watchdog_cb, bound, 0.);
    cc.watchdog.data = &cc;
    ev_timer_start(loop, &cc.watchdog);
    ev_run(loop, 0);
    ev_timer_stop(loop, &cc.watchdog);
    ev_signal_stop(loop, &cc.sigint);
    if (!cc.call.done) {
      snprintf(cc.call.rep.error, sizeof cc.call.rep.error, "%s",
               cc.watchdog_fired ? "the session did not end in time" : "interrupted before the session ended");
      cc.call.rep.result = "error";
    }
  } else {
    fprintf(stderr, PROG ": %s\n", cc.call.rep.error);
  }
  cli_call_finish(&cc.call, ua);
  if (cc.call.done && cc.call.result >= 0 &&
      (size_t)cc.call.result < sizeof result_exit / sizeof result_exit[0])
    status = result_exit[cc.call.result];
  else if (cc.call.done)
    status = CLI_EXIT_FAIL;

  if (json) {
    struct tls_json tj = {uo.cfg.transport == SIPSPEC_TP_TLS, uo.tls.verify && cc.call.rep.tel.sipTlsHandshakes > 0};
    cli_call_report_json(stdout, &cc.call.rep, tls_json, &tj);
    fputc('\n', stdout);
  } else {
    if (cc.call.rep.error[0] && rc == SIPSPEC_OK) printf("error: %s\n", cc.call.rep.error);
    printf("result %s", cc.call.rep.result);
    if (cc.call.rep.status) printf(" (status %d)", cc.call.rep.status);
    printf(", ended by %s\ntelemetry ", cc.call.rep.ended_by);
    sipspec_telemetry_write_json(&cc.call.rep.tel, stdout);
    putchar('\n');
  }
  sipspec_ua_destroy(ua);
  if (fflush(stdout)) {
    fprintf(stderr, PROG ": cannot write to standard output\n");
    if (!status) status = CLI_EXIT_FAIL;
  }
  return status;
}
