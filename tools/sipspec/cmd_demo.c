/* cmd_demo.c: `sipspec demo [--transport udp|tcp] [--json] [--quiet] [--verbose]`: the whole
 * stack in one process with no configuration: an embedded MRCPv2 server and a client user
 * agent on one loop on 127.0.0.1 (ephemeral ports), one session with speechrecog and
 * speechsynth. It prints the exchange (each message's first line, or whole messages with
 * --verbose), the negotiated session and the telemetry, and exits 0 when the call was set up
 * and ended cleanly. It is the last step of the README's first command. docs/cli.md. */
#include <stdio.h>
#include <string.h>

#include "call_run.h"
#include "cli_util.h"
#include "commands.h"
#include "sipspec/coverage.h"
#include "sipspec/server.h"
#include "sipspec/ua.h"

#define PROG "sipspec demo"
#define DEMO_HOLD_MS 200u

static void usage(FILE *out) {
  fprintf(out,
          "usage: sipspec demo [--transport udp|tcp] [--json] [--quiet] [--verbose] [--coverage-out FILE]\n"
          "Runs an MRCPv2 server and a client in this process on 127.0.0.1 and makes one call with\n"
          "speechrecog and speechsynth: INVITE with the MRCP offer, the answer, ACK, a short hold, BYE.\n"
          "  --transport udp|tcp   SIP transport (default: MRCP_SIP_TRANSPORT, else udp)\n"
          "  --json                print one JSON object: the call as 'sipspec call --json' reports it,\n"
          "                        plus \"server\" (the server's counters); the exchange goes to stderr\n"
          "  --quiet               do not print the exchange\n"
          "  --verbose             print whole messages instead of their first lines\n"
          "  --coverage-out FILE   merge this run's state-chart coverage into FILE at exit\n"
          "Exit status: 0 the call was established and ended by our BYE, 1 it was not, 2 usage or a\n"
          "bad MRCP_SIP_* value.\n");
}

struct demo {
  struct ev_loop *loop;
  FILE *log;                 /* where the exchange goes (NULL: nowhere) */
  int verbose;
  cli_call call;
  sipspec_server *srv;
  sipspec_server_stats stats;
  ev_timer watchdog;
  ev_check done_check;
  int timed_out;
};

/* Prints one traced message: the first line, or all of it with --verbose. */
static void trace(void *user, const char *dir, sipspec_tp_kind kind, const sipspec_sockaddr *peer, const char *data,
                  size_t len) {
  struct demo *d = user;
  char pb[SIPSPEC_SOCKADDR_STRLEN];
  if (!d->log) return;
  int send = !strcmp(dir, "send");
  fprintf(d->log, "client %s %s/%s  ", send ? "->" : "<-", peer ? sipspec_sockaddr_format(peer, pb, sizeof pb) : "?",
          sipspec_tp_kind_name(kind));
  size_t n = 0;
  while (n < len && data[n] != '\r' && data[n] != '\n') n++;
  fprintf(d->log, "%.*s\n", (int)n, data);
  if (d->verbose) {
    /* The rest, indented, CRLF shown as line ends. */
    size_t i = n;
    while (i < len) {
      if (data[i] == '\r') i++;
      if (i < len && data[i] == '\n') i++;
      size_t start = i;
      while (i < len && data[i] != '\r' && data[i] != '\n') i++;
      if (i > start || i < len) fprintf(d->log, "    %.*s\n", (int)(i - start), data + start);
    }
  }
  fflush(d->log);
}

static void on_server_event(sipspec_server *srv, sipspec_server_event ev, const char *call_id, int status, void *user) {
  struct demo *d = user;
  (void)srv;
  (void)call_id;
  if (!d->log) return;
  if (status) fprintf(d->log, "  server: %s (%d)\n", sipspec_server_event_name(ev), status);
  else fprintf(d->log, "  server: %s\n", sipspec_server_event_name(ev));
  fflush(d->log);
}

/* The demo is over when the client's session has terminated and the server has no dialog
 * left. (Not sipspec_server_idle(): over UDP a completed server transaction lingers for
 * Timer J, 64*T1, to absorb retransmissions; nothing is left to show by then.) */
static int server_dialogs(const sipspec_server *srv) {
  sipspec_server_stats st;
  sipspec_server_stats_get(srv, &st);
  return st.live_dialogs != 0;
}

static void done_check_cb(struct ev_loop *loop, ev_check *w, int revents) {
  struct demo *d = w->data;
  (void)revents;
  if (d->call.done && !server_dialogs(d->srv)) ev_break(loop, EVBREAK_ALL);
}

static void watchdog_cb(struct ev_loop *loop, ev_timer *w, int revents) {
  struct demo *d = w->data;
  (void)revents;
  d->timed_out = 1;
  ev_break(loop, EVBREAK_ALL);
}

static void server_json(FILE *out, void *arg) {
  const sipspec_server_stats *st = arg;
  fprintf(out,
          ",\"server\":{\"invites\":%llu,\"established\":%llu,\"ended\":%llu,\"refused\":%llu,"
          "\"byesReceived\":%llu,\"byesSent\":%llu}",
          (unsigned long long)st->invites, (unsigned long long)st->established, (unsigned long long)st->ended,
          (unsigned long long)st->refused, (unsigned long long)st->byes_received, (unsigned long long)st->byes_sent);
}

static int usage_error(const char *what, const char *why) {
  fprintf(stderr, PROG ": %s%s%s (try '" PROG " --help')\n", what, why ? ": " : "", why ? why : "");
  return CLI_EXIT_USAGE;
}

int sipspec_cmd_demo(int argc, char **argv) {
  int json = 0, quiet = 0, verbose = 0, transport_set = 0;
  sipspec_tp_kind transport = SIPSPEC_TP_UDP;
  const char *cov_out = NULL, *v;
  char why[256], err[SIPSPEC_ERR_LEN];

  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    int m;
    if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
      usage(stdout);
      return CLI_EXIT_OK;
    } else if (!strcmp(a, "--json")) {
      json = 1;
    } else if (!strcmp(a, "--quiet") || !strcmp(a, "-q")) {
      quiet = 1;
    } else if (!strcmp(a, "--verbose") || !strcmp(a, "-v")) {
      verbose = 1;
    } else if ((m = cli_opt(argc, argv, &i, "--transport", &v, why, sizeof why))) {
      if (m < 0 || cli_parse_transport(v, &transport, why, sizeof why)) return usage_error("--transport", why);
      if (transport == SIPSPEC_TP_TLS) return usage_error("--transport", "the demo runs over udp or tcp (TLS needs certificates: docs/tls.md)");
      transport_set = 1;
    } else if ((m = cli_opt(argc, argv, &i, "--coverage-out", &v, why, sizeof why))) {
      if (m < 0 || !*v) return usage_error("--coverage-out", "needs a file name");
      cov_out = v;
    } else {
      fprintf(stderr, PROG ": %s '%s' (try '" PROG " --help')\n", a[0] == '-' ? "unknown option" : "unexpected argument", a);
      return CLI_EXIT_USAGE;
    }
  }

  sipspec_config cfg;
  if (cli_config_from_env(&cfg, err, sizeof err) != SIPSPEC_OK) {
    fprintf(stderr, PROG ": %s\n", err);
    return CLI_EXIT_USAGE;
  }
  if (transport_set) cfg.transport = transport;
  if (cov_out && sipspec_coverage_write_at_exit(cov_out) != SIPSPEC_OK) {
    fprintf(stderr, PROG ": --coverage-out %s: cannot arrange to write it at exit\n", cov_out);
    return CLI_EXIT_FAIL;
  }

  struct demo d;
  memset(&d, 0, sizeof d);
  d.loop = ev_default_loop(0);
  d.log = quiet ? NULL : json ? stderr : stdout;
  d.verbose = verbose;
  if (!d.loop) {
    fprintf(stderr, PROG ": cannot create the event loop\n");
    return CLI_EXIT_FAIL;
  }

  sipspec_server_opts so;
  sipspec_server_opts_init(&so);
  so.cfg = cfg;
  so.both_transports = 0;
  so.listen_host = "127.0.0.1";
  so.listen_port = 0;
  so.on_event = on_server_event;
  so.user = &d;
  err[0] = '\0';
  int rc = sipspec_server_create(d.loop, &so, &d.srv, err, sizeof err);
  if (rc != SIPSPEC_OK) {
    fprintf(stderr, PROG ": server: %s\n", err[0] ? err : sipspec_strerror(rc));
    return CLI_EXIT_FAIL;
  }
  sipspec_sockaddr srv_addr;
  char host[SIPSPEC_SOCKADDR_STRLEN], target[128];
  if (sipspec_server_bound_addr(d.srv, cfg.transport, &srv_addr) != SIPSPEC_OK) {
    fprintf(stderr, PROG ": server: no %s address\n", sipspec_tp_kind_name(cfg.transport));
    sipspec_server_destroy(d.srv);
    return CLI_EXIT_FAIL;
  }
  snprintf(target, sizeof target, "sip:mresources@%s", sipspec_sockaddr_format(&srv_addr, host, sizeof host));

  sipspec_ua_opts uo;
  sipspec_ua_opts_init(&uo);
  uo.cfg = cfg;
  uo.bind_host = "127.0.0.1";
  uo.trace = trace;
  uo.trace_user = &d;
  sipspec_ua *ua = NULL;
  err[0] = '\0';
  rc = sipspec_ua_create(d.loop, &uo, &ua, err, sizeof err);
  if (rc != SIPSPEC_OK) {
    fprintf(stderr, PROG ": client: %s\n", err[0] ? err : sipspec_strerror(rc));
    sipspec_server_destroy(d.srv);
    return CLI_EXIT_FAIL;
  }
  if (d.log)
    fprintf(d.log, "server listening on %s/%s; client calling %s with speechrecog and speechsynth\n", host,
            sipspec_tp_kind_name(cfg.transport), target);

  sipspec_mrcp_offer_desc offer;
  sipspec_mrcp_offer_desc_init(&offer);
  offer.resources[0] = SIPSPEC_MRCP_SPEECHRECOG;
  offer.resources[1] = SIPSPEC_MRCP_SPEECHSYNTH;
  offer.nresources = 2;
  offer.rtp_port = 5004;
  sipspec_session_opts sess;
  sipspec_session_opts_init(&sess);
  sess.target = target;
  sess.offer = &offer;
  cli_call_init(&d.call);
  d.call.log = d.log;
  d.call.who = "  client"; /* events indented under the messages of the trace */
  d.call.hold_ms = DEMO_HOLD_MS;

  int status = CLI_EXIT_FAIL;
  rc = cli_call_start(&d.call, ua, &sess);
  if (rc == SIPSPEC_OK) {
    /* Bound: Timer B for the INVITE, Timer F for the BYE, the hold, and slack. */
    ev_timer_init(&d.watchdog, watchdog_cb, (DEMO_HOLD_MS + 2.0 * 64 * cfg.t1_ms + 5000.0) / 1000.0, 0.);
    d.watchdog.data = &d;
    ev_timer_start(d.loop, &d.watchdog);
    ev_check_init(&d.done_check, done_check_cb);
    d.done_check.data = &d;
    ev_check_start(d.loop, &d.done_check);
    ev_run(d.loop, 0);
    ev_check_stop(d.loop, &d.done_check);
    ev_timer_stop(d.loop, &d.watchdog);
    if (!d.call.done) {
      snprintf(d.call.rep.error, sizeof d.call.rep.error, "the call did not end in time");
      d.call.rep.result = "error";
    }
  } else {
    fprintf(stderr, PROG ": %s\n", d.call.rep.error);
  }
  cli_call_finish(&d.call, ua);
  sipspec_server_stats_get(d.srv, &d.stats);
  if (d.call.done && d.call.result == SIPSPEC_RESULT_OK && !strcmp(d.call.rep.ended_by, "local") &&
      !d.stats.live_dialogs && d.stats.ended == 1)
    status = CLI_EXIT_OK;

  if (json) {
    cli_call_report_json(stdout, &d.call.rep, server_json, &d.stats);
    fputc('\n', stdout);
  } else {
    if (d.call.rep.established && !d.log) { /* else it was printed when the answer came */
      printf("negotiated session:\n");
      cli_call_report_session_text(stdout, &d.call.rep);
    }
    if (d.call.rep.error[0] && rc == SIPSPEC_OK) printf("error: %s\n", d.call.rep.error);
    printf("result %s", d.call.rep.result);
    if (d.call.rep.status) printf(" (status %d)", d.call.rep.status);
    printf(", ended by %s\nclient telemetry ", d.call.rep.ended_by);
    sipspec_telemetry_write_json(&d.call.rep.tel, stdout);
    printf("\nserver: %llu INVITE, %llu established, %llu ended\n", (unsigned long long)d.stats.invites,
           (unsigned long long)d.stats.established, (unsigned long long)d.stats.ended);
  }
  sipspec_ua_destroy(ua);
  sipspec_server_destroy(d.srv);
  if (fflush(stdout)) {
    fprintf(stderr, PROG ": cannot write to standard output\n");
    status = CLI_EXIT_FAIL;
  }
  return status;
}
