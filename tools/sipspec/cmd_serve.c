/* cmd_serve.c: `sipspec serve --listen HOST:PORT [OPTIONS]`: runs the embedded MRCPv2 server
 * (sipspec/server.h) until SIGINT or SIGTERM, printing one line per dialog event (or one JSON
 * object per line with --json-log). Its knobs make it play the peers a client meets: reject,
 * ring many times, send BYE itself, answer BYE with an error, demand Digest credentials.
 * On a signal it sends BYE on every established dialog, waits (bounded) until no dialog is
 * left and exits 0; a second signal cuts the wait short, and the exit status says whether a
 * dialog was cut off that way (3) or not (0). docs/cli.md. */
#include <signal.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "call_media.h"
#include "cli_util.h"
#include "commands.h"
#include "serve_media.h"
#include "sipspec/coverage.h"
#include "sipspec/server.h"

#define PROG "sipspec serve"

static void usage(FILE *out) {
  fprintf(out,
          "usage: sipspec serve --listen HOST:PORT [OPTIONS]\n"
          "Runs an MRCPv2 server (SIP side) until SIGINT or SIGTERM and prints one line per event.\n"
          "Once ready it prints 'listening on HOST:PORT/udp' (and /tcp) with the bound port, so\n"
          "--listen 127.0.0.1:0 picks a free one.\n"
          "  --listen HOST:PORT     IPv4 or [IPv6] literal and port (0: ephemeral), required\n"
          "  --transport udp|tcp    listen on this transport only (default: both)\n"
          "  --tls-cert FILE --tls-key FILE  listen on TLS too (PEM; docs/tls.md)\n"
          "  --tls-port N           the TLS port (default: the --listen port + 1, or ephemeral\n"
          "                         with port 0)\n"
          "  --tls-ca FILE          CA file for client certificates\n"
          "  --tls-require-client-cert  refuse TLS clients without a certificate --tls-ca verifies\n"
          "  --auth USER:PASSWORD   demand Digest credentials on INVITE and BYE (401)\n"
          "  --realm R              the Digest realm (default sipspec)\n"
          "  --proxy                challenge with 407 as a proxy would\n"
          "  --mrcp-port N          the MRCP port put into answers (default 1544)\n"
          "  --rtp-port N           the RTP port put into answers (default 4000; with --media each\n"
          "                         call gets the lowest free one of N, N+2, ... N+198)\n"
          "  --media echo|tone:HZ   run each answered call's audio: an RTP endpoint on its answer's\n"
          "                         port that echoes what it receives (or sends a tone), sends RTCP\n"
          "                         (RFC 3550, RFC 3611 VoIP metrics), takes RFC 4733 digits, and\n"
          "                         prints a 'media' line with the call's figures when it ends\n"
          "  --no-rtcp-mux          with --media: do not answer a=rtcp-mux (RFC 5761)\n"
          "  --resources LIST       serve only these MRCP resources (comma-separated, e.g.\n"
          "                         speechrecog,speechsynth); others get port 0, an offer with\n"
          "                         none of them 488 with a Warning (default: all)\n"
          "  --reject CODE          answer every INVITE with CODE (300..699)\n"
          "  --reject-every N       with --reject: only the Nth, 2Nth ... INVITE (N=10: 10%%)\n"
          "  --ring N               send N 180 Ringing before the final response (default 1)\n"
          "  --ring-interval MS     wait MS between the 180s and before the final response (0)\n"
          "  --bye-after MS         send BYE MS after the ACK (default: never)\n"
          "  --bye-status CODE      answer BYE with CODE (default 200; e.g. 481)\n"
          "  --session-expires N    grant session timers of at most N s (RFC 4028; values below\n"
          "                         90 are for tests); BYE when the client does not refresh\n"
          "  --refresher uac|uas    who refreshes when the client leaves it open (default uac);\n"
          "                         uas: serve refreshes at half the interval (UPDATE or re-INVITE)\n"
          "  --min-se N             answer 422 with Min-SE N to a client asking for less (default 90;\n"
          "                         --session-expires must not be below it)\n"
          "  --json-log             one JSON object per line instead of text\n"
          "  --trace                also a line per SIP message sent or received (the whole\n"
          "                         message in the text of --json-log, its first line otherwise)\n"
          "  --coverage-out FILE    merge the state-chart coverage into FILE at exit (also on SIGTERM)\n"
          "Timers come from the MRCP_SIP_* variables as for 'sipspec call'.\n"
          "Exit status: 0 stopped by a signal with no dialog cut off, 1 cannot listen, 2 usage or a\n"
          "bad MRCP_SIP_* value, 3 stopped with dialogs still open (a second signal, or the bound\n"
          "on the wait ran out).\n");
}

struct serve {
  struct ev_loop *loop;
  sipspec_server *srv;
  int json;
  ev_signal sigint, sigterm;
  ev_timer idle_poll;
  ev_timer trim;             /* gives the heap's free pages back every TRIM_EVERY_S */
  ev_prepare flush;          /* writes the lines of a loop iteration before the loop waits */
  ev_timer flush_later;      /* ... or FLUSH_GAP_S after the last write, under load */
  ev_tstamp flushed_at;      /* loop time of the last write */
  int stopping;
  double stop_bound;         /* seconds to wait for the dialogs to end after the signal */
  double stop_deadline;
  unsigned long long cut_off; /* dialogs still open when serve stopped */
  int media_on;              /* --media */
  serve_media media;
};

/* The exit status of a server stopped with dialogs still open. */
#define SERVE_EXIT_CUT_OFF 3

static void log_line(struct serve *sv, const char *event, const char *call_id, int status, const char *text) {
  if (sv->json) {
    fputs("{\"event\":", stdout);
    cli_json_string(stdout, event);
    if (call_id) {
      fputs(",\"call_id\":", stdout);
      cli_json_string(stdout, call_id);
    }
    if (status) printf(",\"status\":%d", status);
    if (text) {
      fputs(",\"text\":", stdout);
      cli_json_string(stdout, text);
    }
    fputs("}\n", stdout);
  } else {
    fputs(event, stdout);
    if (call_id) {
      putchar(' ');
      fputs(call_id, stdout);
    }
    if (status) printf(" %d", status);
    if (text) {
      putchar(' ');
      fputs(text, stdout);
    }
    putchar('\n');
  }
  /* no fflush here: flush_cb writes the lines at once, before the loop waits again */
}

/* The lines written since the last write() go out before the loop waits; but under load
 * (each message its own loop iteration) at most one write() every FLUSH_GAP_S, the lines of
 * the iterations in between waiting for flush_later: a line is never late by more. */
#define FLUSH_GAP_S 0.02

static void flush_now(struct serve *sv) {
  fflush(stdout);
  sv->flushed_at = ev_now(sv->loop);
}

static void flush_later_cb(struct ev_loop *loop, ev_timer *w, int revents) {
  (void)loop;
  (void)revents;
  flush_now(w->data);
}

static void flush_cb(struct ev_loop *loop, ev_prepare *w, int revents) {
  (void)revents;
  struct serve *sv = w->data;
  double since = ev_now(loop) - sv->flushed_at;
  if (since >= FLUSH_GAP_S || since < 0) {
    ev_timer_stop(loop, &sv->flush_later);
    flush_now(sv);
  } else if (!ev_is_active(&sv->flush_later)) {
    ev_timer_set(&sv->flush_later, FLUSH_GAP_S - since, 0.);
    ev_timer_start(loop, &sv->flush_later);
  }
}

/* The "media" line of a call whose endpoint stopped: its figures (docs/media.md). */
static void media_report(void *user, const char *call_id, const sipspec_rtp_stats *m) {
  struct serve *sv = user;
  if (sv->json) {
    fputs("{\"event\":\"media\",\"call_id\":", stdout);
    cli_json_string(stdout, call_id);
    fputs(",\"media\":", stdout);
    cli_media_json(stdout, m);
    fputs("}\n", stdout);
    return;
  }
  char text[256], rtt[48];
  if (m->rtt_known) snprintf(rtt, sizeof rtt, "rtt %.3f ms", m->rtt_ms);
  else snprintf(rtt, sizeof rtt, "rtt unknown");
  snprintf(text, sizeof text, "sent %llu received %llu lost %lld jitter %.3f ms %s rtcp-mux %s dtmf %s",
           (unsigned long long)m->packets_sent, (unsigned long long)m->packets_received, (long long)m->lost,
           m->jitter_ms, rtt, m->rtcp_mux ? "yes" : "no", m->dtmf_digits[0] ? m->dtmf_digits : "-");
  log_line(sv, "media", call_id, 0, text);
}

static void on_event(sipspec_server *srv, sipspec_server_event ev, const char *call_id, int status, void *user) {
  struct serve *sv = user;
  log_line(sv, sipspec_server_event_name(ev), call_id, status, NULL);
  if (!sv->media_on) return;
  if (ev == SIPSPEC_SERVER_INVITED && status >= 200 && status < 300) { /* the answer is made: bind now */
    char err[256] = "";
    if (serve_media_start(&sv->media, srv, call_id, err, sizeof err) != SIPSPEC_OK)
      log_line(sv, "media-error", call_id, 0, err);
  } else if (ev == SIPSPEC_SERVER_ENDED || ev == SIPSPEC_SERVER_REFUSED) {
    serve_media_stop(&sv->media, call_id, media_report, sv);
  }
}

/* --trace: "sent"/"received", the transport and peer, and the message (whole with
 * --json-log, else its first line). */
static void trace_cb(void *user, const char *dir, sipspec_tp_kind kind, const sipspec_sockaddr *peer, const char *data,
                     size_t len) {
  struct serve *sv = user;
  char addr[SIPSPEC_SOCKADDR_STRLEN], text[SIPSPEC_SOCKADDR_STRLEN + 16 + 4096];
  const char *event = strcmp(dir, "send") ? "received" : "sent";
  int n = snprintf(text, sizeof text, "%s %s ", sipspec_tp_kind_name(kind),
                   peer ? sipspec_sockaddr_format(peer, addr, sizeof addr) : "-");
  if (n < 0 || (size_t)n >= sizeof text) return;
  size_t room = sizeof text - (size_t)n - 1, take = len;
  if (!sv->json) {
    const char *eol = memchr(data, '\r', len);
    if (eol) take = (size_t)(eol - data);
  }
  if (take > room) take = room; /* a bigger message is cut (the tool's limit, said in the docs) */
  for (size_t i = 0; i < take; i++) /* NUL or other control bytes would cut or garble a line */
    text[(size_t)n + i] = (data[i] == '\0' || (!sv->json && (data[i] == '\n' || data[i] == '\r'))) ? '?' : data[i];
  text[(size_t)n + take] = '\0';
  log_line(sv, event, NULL, 0, text);
}

/* Dialogs, not sipspec_server_idle(): completed UDP transactions linger for Timer J. */
static unsigned long long live_dialogs(struct serve *sv) {
  sipspec_server_stats st;
  sipspec_server_stats_get(sv->srv, &st);
  return (unsigned long long)st.live_dialogs;
}

static void idle_cb(struct ev_loop *loop, ev_timer *w, int revents) {
  struct serve *sv = w->data;
  (void)revents;
  unsigned long long live = live_dialogs(sv);
  if (!live) {
    ev_break(loop, EVBREAK_ALL);
  } else if (ev_now(loop) >= sv->stop_deadline) {
    sv->cut_off = live;
    log_line(sv, "stop-timeout", NULL, 0, "dialogs still open when the shutdown bound ran out");
    ev_break(loop, EVBREAK_ALL);
  }
}

static void signal_cb(struct ev_loop *loop, ev_signal *w, int revents) {
  struct serve *sv = w->data;
  (void)revents;
  if (sv->stopping) { /* a second signal: stop at once; a dialog left now is cut off */
    char text[96];
    sv->cut_off = live_dialogs(sv);
    snprintf(text, sizeof text, "%s, %llu dialog%s cut off", w->signum == SIGINT ? "SIGINT" : "SIGTERM",
             sv->cut_off, sv->cut_off == 1 ? "" : "s");
    log_line(sv, "stop-now", NULL, 0, text);
    flush_now(sv);
    ev_break(loop, EVBREAK_ALL);
    return;
  }
  sv->stopping = 1;
  log_line(sv, "stopping", NULL, 0, w->signum == SIGINT ? "SIGINT" : "SIGTERM");
  flush_now(sv); /* at once: a script may wait for this line to send its second signal */
  sv->stop_deadline = ev_now(loop) + sv->stop_bound;
  sipspec_server_shutdown(sv->srv);
  ev_timer_again(loop, &sv->idle_poll);
}

/* A burst (a flood of requests each kept for Timer J, thousands of calls at once) leaves the
 * heap as large as its peak: glibc returns only the top of the heap by itself, so the pages
 * freed below a chunk still in use stay resident. Every TRIM_EVERY_S serve gives back the
 * free pages (malloc_trim walks the free lists: well under a millisecond on an idle heap),
 * so its resident set follows what it holds; tools/flood checks that after a flood. */
#define TRIM_EVERY_S 2.0

static void trim_cb(struct ev_loop *loop, ev_timer *w, int revents) {
  (void)loop;
  (void)w;
  (void)revents;
#ifdef __GLIBC__
  (void)malloc_trim(0);
#endif
}

static int usage_error(const char *what, const char *why) {
  fprintf(stderr, PROG ": %s%s%s (try '" PROG " --help')\n", what, why ? ": " : "", why ? why : "");
  return CLI_EXIT_USAGE;
}

int sipspec_cmd_serve(int argc, char **argv) {
  sipspec_server_opts so;
  sipspec_server_opts_init(&so);
  char host[CLI_HOST_MAX], why[256], err[SIPSPEC_ERR_LEN];
  char auth_user[CLI_CRED_MAX], auth_pass[CLI_CRED_MAX];
  const char *cov_out = NULL, *realm = NULL, *v;
  int listen_set = 0, transport_set = 0, json = 0, auth = 0, proxy = 0, trace = 0, tls_port_set = 0;
  int media_on = 0, no_mux = 0;
  serve_media media;
  memset(&media, 0, sizeof media);
  unsigned port = 0, n;
  sipspec_tp_kind transport = SIPSPEC_TP_UDP;

  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    int m;
    if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
      usage(stdout);
      return CLI_EXIT_OK;
    } else if (!strcmp(a, "--json-log")) {
      json = 1;
    } else if (!strcmp(a, "--proxy")) {
      proxy = 1;
    } else if (!strcmp(a, "--no-rtcp-mux")) {
      no_mux = 1;
    } else if ((m = cli_opt(argc, argv, &i, "--media", &v, why, sizeof why))) {
      if (m < 0 || serve_media_parse(&media, v, why, sizeof why)) return usage_error("--media", why);
      media_on = 1;
    } else if (!strcmp(a, "--trace")) {
      trace = 1;
    } else if (!strcmp(a, "--tls-require-client-cert")) {
      so.tls.require_client_cert = 1;
    } else if ((m = cli_opt(argc, argv, &i, "--tls-cert", &v, why, sizeof why)) ||
               (m = cli_opt(argc, argv, &i, "--tls-key", &v, why, sizeof why)) ||
               (m = cli_opt(argc, argv, &i, "--tls-ca", &v, why, sizeof why))) {
      char *dst = !strcmp(a, "--tls-cert") ? so.tls.cert_file : !strcmp(a, "--tls-key") ? so.tls.key_file : so.tls.ca_file;
      if (m < 0 || !*v || strlen(v) >= SIPSPEC_TLS_PATH_MAX) return usage_error(a, m < 0 ? why : "needs a file name");
      snprintf(dst, SIPSPEC_TLS_PATH_MAX, "%s", v);
    } else if ((m = cli_opt(argc, argv, &i, "--tls-port", &v, why, sizeof why))) {
      if (m < 0 || cli_parse_uint(v, 0, 65535, &so.tls_port, why, sizeof why)) return usage_error("--tls-port", why);
      tls_port_set = 1;
    } else if ((m = cli_opt(argc, argv, &i, "--resources", &v, why, sizeof why))) {
      if (m < 0 || cli_parse_resource_list(v, &so.mrcp.supported, why, sizeof why)) return usage_error("--resources", why);
    } else if ((m = cli_opt(argc, argv, &i, "--listen", &v, why, sizeof why))) {
      if (m < 0 || cli_parse_hostport(v, host, sizeof host, &port, why, sizeof why)) return usage_error("--listen", why);
      listen_set = 1;
    } else if ((m = cli_opt(argc, argv, &i, "--transport", &v, why, sizeof why))) {
      if (m < 0 || cli_parse_transport(v, &transport, why, sizeof why)) return usage_error("--transport", why);
      transport_set = 1;
    } else if ((m = cli_opt(argc, argv, &i, "--auth", &v, why, sizeof why))) {
      if (m < 0 || cli_parse_userpass(v, auth_user, sizeof auth_user, auth_pass, sizeof auth_pass, why, sizeof why))
        return usage_error("--auth", why);
      auth = 1;
    } else if ((m = cli_opt(argc, argv, &i, "--realm", &v, why, sizeof why))) {
      if (m < 0) return usage_error("--realm", why);
      if (!*v || strpbrk(v, "\"\\\r\n")) return usage_error("--realm", "must be non-empty, without quotes or backslashes");
      realm = v;
    } else if ((m = cli_opt(argc, argv, &i, "--mrcp-port", &v, why, sizeof why))) {
      if (m < 0 || cli_parse_uint(v, 1, 65535, &so.mrcp.mrcp_port, why, sizeof why)) return usage_error("--mrcp-port", why);
    } else if ((m = cli_opt(argc, argv, &i, "--rtp-port", &v, why, sizeof why))) {
      if (m < 0 || cli_parse_uint(v, 1, 65535, &so.mrcp.rtp_port, why, sizeof why)) return usage_error("--rtp-port", why);
    } else if ((m = cli_opt(argc, argv, &i, "--reject", &v, why, sizeof why))) {
      if (m < 0 || cli_parse_uint(v, 300, 699, &n, why, sizeof why)) return usage_error("--reject", why);
      so.reject_status = (int)n;
    } else if ((m = cli_opt(argc, argv, &i, "--reject-every", &v, why, sizeof why))) {
      if (m < 0 || cli_parse_uint(v, 1, 1000000, &so.reject_every, why, sizeof why))
        return usage_error("--reject-every", why);
    } else if ((m = cli_opt(argc, argv, &i, "--ring", &v, why, sizeof why))) {
      if (m < 0 || cli_parse_uint(v, 0, 1000, &so.ring_count, why, sizeof why)) return usage_error("--ring", why);
    } else if ((m = cli_opt(argc, argv, &i, "--ring-interval", &v, why, sizeof why))) {
      if (m < 0 || cli_parse_uint(v, 0, SIPSPEC_CONFIG_MAX_MS, &so.ring_interval_ms, why, sizeof why))
        return usage_error("--ring-interval", why);
    } else if ((m = cli_opt(argc, argv, &i, "--bye-after", &v, why, sizeof why))) {
      if (m < 0 || cli_parse_uint(v, 1, SIPSPEC_CONFIG_MAX_MS, &so.bye_after_ms, why, sizeof why))
        return usage_error("--bye-after", why);
    } else if ((m = cli_opt(argc, argv, &i, "--session-expires", &v, why, sizeof why))) {
      if (m < 0 || cli_parse_uint(v, 1, 86400, &so.session_expires_s, why, sizeof why))
        return usage_error("--session-expires", why);
    } else if ((m = cli_opt(argc, argv, &i, "--min-se", &v, why, sizeof why))) {
      if (m < 0 || cli_parse_uint(v, 1, 86400, &so.min_se_s, why, sizeof why)) return usage_error("--min-se", why);
    } else if ((m = cli_opt(argc, argv, &i, "--refresher", &v, why, sizeof why))) {
      if (m < 0 || (strcmp(v, "uac") && strcmp(v, "uas")))
        return usage_error("--refresher", m < 0 ? why : "must be uac or uas");
      so.refresher_uas = !strcmp(v, "uas");
    } else if ((m = cli_opt(argc, argv, &i, "--bye-status", &v, why, sizeof why))) {
      if (m < 0 || cli_parse_uint(v, 200, 699, &n, why, sizeof why)) return usage_error("--bye-status", why);
      so.bye_status = (int)n;
    } else if ((m = cli_opt(argc, argv, &i, "--coverage-out", &v, why, sizeof why))) {
      if (m < 0 || !*v) return usage_error("--coverage-out", "needs a file name");
      cov_out = v;
    } else if (a[0] == '-') {
      fprintf(stderr, PROG ": unknown option '%s' (try '" PROG " --help')\n", a);
      return CLI_EXIT_USAGE;
    } else {
      fprintf(stderr, PROG ": unexpected argument '%s' (try '" PROG " --help')\n", a);
      return CLI_EXIT_USAGE;
    }
  }
  if (!listen_set) return usage_error("--listen HOST:PORT is required", NULL);
  if ((realm || proxy) && !auth) return usage_error("--realm and --proxy need --auth USER:PASSWORD", NULL);
  if (!so.tls.cert_file[0] != !so.tls.key_file[0]) return usage_error("--tls-cert and --tls-key go together", NULL);
  if (!so.tls.cert_file[0] && (so.tls.ca_file[0] || so.tls.require_client_cert || tls_port_set))
    return usage_error("--tls-ca, --tls-port and --tls-require-client-cert need --tls-cert and --tls-key", NULL);
  if (so.tls.require_client_cert && !so.tls.ca_file[0])
    return usage_error("--tls-require-client-cert needs --tls-ca FILE (the CA of the client certificates)", NULL);
  if (transport_set && transport == SIPSPEC_TP_TLS)
    return usage_error("--transport", "serve listens on TLS with --tls-cert and --tls-key, beside udp or tcp");
  if (so.tls.cert_file[0] && !tls_port_set && port) so.tls_port = port == 65535 ? 0 : port + 1;
  if (so.reject_every && !so.reject_status) return usage_error("--reject-every needs --reject CODE", NULL);
  if (no_mux && !media_on) return usage_error("--no-rtcp-mux needs --media", NULL);
  if (media_on) {
    so.rtp_ports = 100;            /* an RTP port pair per call */
    so.mrcp.rtcp_mux = !no_mux;    /* RFC 5761: answered when offered */
  }

  int rc = cli_config_from_env(&so.cfg, err, sizeof err);
  if (rc != SIPSPEC_OK) {
    fprintf(stderr, PROG ": %s\n", err);
    return CLI_EXIT_USAGE;
  }
  if (transport_set) {
    so.cfg.transport = transport;
    so.both_transports = 0;
  }
  if (cov_out && sipspec_coverage_write_at_exit(cov_out) != SIPSPEC_OK) {
    fprintf(stderr, PROG ": --coverage-out %s: cannot arrange to write it at exit\n", cov_out);
    return CLI_EXIT_FAIL;
  }
  so.listen_host = host;
  so.listen_port = port;
  if (auth) {
    so.auth_user = auth_user;
    so.auth_password = auth_pass;
    so.auth_realm = realm;
    so.auth_proxy = proxy;
  }

  struct serve sv;
  memset(&sv, 0, sizeof sv);
  sv.json = json;
  sv.media_on = media_on;
  sv.media = media;
  sv.media.bind_host = host;
  so.on_event = on_event;
  so.user = &sv;
  if (trace) {
    so.trace = trace_cb;
    so.trace_user = &sv;
  }
  sv.loop = ev_default_loop(0);
  if (!sv.loop) {
    fprintf(stderr, PROG ": cannot create the event loop\n");
    return CLI_EXIT_FAIL;
  }
  if (media_on && serve_media_init(&sv.media, sv.loop, err, sizeof err) != SIPSPEC_OK) {
    fprintf(stderr, PROG ": %s\n", err);
    return CLI_EXIT_USAGE;
  }
  err[0] = '\0';
  rc = sipspec_server_create(sv.loop, &so, &sv.srv, err, sizeof err);
  explicit_bzero(auth_pass, sizeof auth_pass); /* the server keeps its own copy */
  if (rc != SIPSPEC_OK) {
    fprintf(stderr, PROG ": %s\n", err[0] ? err : sipspec_strerror(rc));
    serve_media_free(&sv.media);
    return CLI_EXIT_FAIL;
  }

  /* After the signal: wait for the BYEs (each bounded by Timer F = 64*T1) plus a second.
   * The handlers are in place before the "listening" line, so a script that signals serve
   * as soon as it has read its port stops it cleanly. */
  sv.stop_bound = (64.0 * so.cfg.t1_ms + 1000.0) / 1000.0;
  ev_signal_init(&sv.sigint, signal_cb, SIGINT);
  ev_signal_init(&sv.sigterm, signal_cb, SIGTERM);
  sv.sigint.data = sv.sigterm.data = &sv;
  ev_signal_start(sv.loop, &sv.sigint);
  ev_signal_start(sv.loop, &sv.sigterm);
  ev_prepare_init(&sv.flush, flush_cb);
  sv.flush.data = &sv;
  ev_prepare_start(sv.loop, &sv.flush);
  ev_init(&sv.flush_later, flush_later_cb);
  sv.flush_later.data = &sv;
  ev_init(&sv.idle_poll, idle_cb);
  sv.idle_poll.repeat = 0.02;
  sv.idle_poll.data = &sv;
  ev_timer_init(&sv.trim, trim_cb, TRIM_EVERY_S, TRIM_EVERY_S);
  ev_timer_start(sv.loop, &sv.trim);

  static const sipspec_tp_kind kinds[] = {SIPSPEC_TP_UDP, SIPSPEC_TP_TCP, SIPSPEC_TP_TLS};
  for (size_t k = 0; k < 3; k++) {
    sipspec_sockaddr a;
    char buf[SIPSPEC_SOCKADDR_STRLEN], line[SIPSPEC_SOCKADDR_STRLEN + 8];
    if (!so.both_transports && kinds[k] != so.cfg.transport && kinds[k] != SIPSPEC_TP_TLS) continue;
    if (sipspec_server_bound_addr(sv.srv, kinds[k], &a) != SIPSPEC_OK) continue;
    snprintf(line, sizeof line, "%s/%s", sipspec_sockaddr_format(&a, buf, sizeof buf), sipspec_tp_kind_name(kinds[k]));
    if (json) log_line(&sv, "listening", NULL, 0, line);
    else printf("listening on %s\n", line);
  }
  fflush(stdout);

  ev_run(sv.loop, 0);
  ev_timer_stop(sv.loop, &sv.idle_poll);
  ev_timer_stop(sv.loop, &sv.trim);
  ev_prepare_stop(sv.loop, &sv.flush);
  ev_timer_stop(sv.loop, &sv.flush_later);
  fflush(stdout);
  ev_signal_stop(sv.loop, &sv.sigint);
  ev_signal_stop(sv.loop, &sv.sigterm);

  sipspec_server_stats st;
  sipspec_server_stats_get(sv.srv, &st);
  char text[256];
  snprintf(text, sizeof text,
           "invites %llu, established %llu, ended %llu, refused %llu, challenges %llu, byes received %llu, "
           "byes sent %llu, options %llu",
           (unsigned long long)st.invites, (unsigned long long)st.established, (unsigned long long)st.ended,
           (unsigned long long)st.refused, (unsigned long long)st.challenges, (unsigned long long)st.byes_received,
           (unsigned long long)st.byes_sent, (unsigned long long)st.options);
  char tel[2048]; /* the server's counters (docs/limits.md reads the limits' ones here) */
  if (sipspec_telemetry_to_json(sipspec_server_telemetry(sv.srv), tel, sizeof tel) < sizeof tel)
    log_line(&sv, "telemetry", NULL, 0, tel);
  log_line(&sv, "stopped", NULL, 0, text);
  sipspec_server_destroy(sv.srv);
  serve_media_free(&sv.media);
  if (sv.cut_off) return SERVE_EXIT_CUT_OFF;
  return sv.stopping ? CLI_EXIT_OK : CLI_EXIT_FAIL; /* the loop ended without a signal */
}
