/* cmd_load.c: `sipspec load [OPTIONS] sip:USER@HOST:PORT`: many MRCPv2 sessions from one
 * process, one user agent and one loop, through the public session API (sipspec/ua.h). New
 * sessions start at --rate per second, at most --concurrency at once, until --calls have
 * started; each established one is held --hold ms and ended with BYE. A progress line per
 * second goes to standard error; at the end one summary (text, or one JSON object with
 * --json): the results by kind, latency percentiles from fixed-memory histograms, the CPU
 * time per call, the peak RSS and the bytes per live session. With --probe-options each
 * session sends one OPTIONS in its dialog when its hold runs out and is ended once that is
 * answered, so the summary says how many held sessions the server still knew (the flood
 * test of tools/flood). docs/cli.md. */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "cli_util.h"
#include "commands.h"
#include "sipspec/ua.h"

#define PROG "sipspec load"

static void usage(FILE *out) {
  fprintf(out,
          "usage: sipspec load [OPTIONS] sip:USER@HOST[:PORT]\n"
          "Runs many MRCPv2 sessions from one process: starts --rate sessions per second, at most\n"
          "--concurrency at once, until --calls have started; holds each established one --hold ms,\n"
          "ends it with BYE. A progress line per second on standard error, a summary at the end.\n"
          "  --calls N             sessions to start (default 100)\n"
          "  --rate R              new sessions per second (default 10)\n"
          "  --concurrency C       at most C sessions at once (default: --calls, at most 200000)\n"
          "  --hold MS             keep each established session this long before BYE (default 0)\n"
          "  --probe-options       at the end of the hold, send an OPTIONS in the dialog and end the\n"
          "                        session once it is answered; the summary counts the answers\n"
          "  --transport udp|tcp   SIP transport (default: MRCP_SIP_TRANSPORT, else udp)\n"
          "  --resource NAME       an MRCP resource to open, repeatable (default speechsynth)\n"
          "  --user U --password P Digest credentials (default: SIPSPEC_USER, SIPSPEC_PASSWORD)\n"
          "  --json                the summary as one JSON object on standard output\n"
          "  --allow-failures      exit 0 even when sessions failed\n"
          "  --quiet               no progress lines\n"
          "SIGUSR1 ends every hold at once (the OPTIONS probe or BYE goes out now).\n"
          "Timers come from the MRCP_SIP_* variables as for 'sipspec call'.\n"
          "Exit status: 0 every session ok (or --allow-failures), 1 a session failed, a probe got\n"
          "no 2xx, or the run could not start or was interrupted, 2 usage or a bad MRCP_SIP_* value.\n");
}

/* ---- a fixed-memory latency histogram (microseconds) ------------------------------------
 * Values below 64 us have a bucket each; above, each power of two is cut into 32 buckets
 * (about 3% wide). Values past 2^40 us count in the last bucket; the exact maximum is kept. */
#define HIST_SUB 32
#define HIST_MAXEXP 40
#define HIST_N (64 + (HIST_MAXEXP - 6 + 1) * HIST_SUB)

typedef struct hist {
  uint64_t n, max;
  uint32_t b[HIST_N];
} hist;

static unsigned hist_bucket(uint64_t v) {
  if (v < 64) return (unsigned)v;
  unsigned e = 63u - (unsigned)__builtin_clzll(v);
  if (e > HIST_MAXEXP) return HIST_N - 1;
  return 64u + (e - 6u) * HIST_SUB + (unsigned)((v >> (e - 5u)) & (HIST_SUB - 1));
}

/* The largest value that falls into bucket i. */
static uint64_t hist_bucket_high(unsigned i) {
  if (i < 64) return i;
  unsigned k = i - 64, e = 6 + k / HIST_SUB, sub = k % HIST_SUB;
  return (((uint64_t)HIST_SUB + sub) << (e - 5)) + ((uint64_t)1 << (e - 5)) - 1;
}

static void hist_add(hist *h, uint64_t v) {
  h->b[hist_bucket(v)]++;
  h->n++;
  if (v > h->max) h->max = v;
}

/* The value at or below which q (0..1) of the samples lie, to the bucket's width (never
 * above the maximum); 0 with no sample. */
static uint64_t hist_quantile(const hist *h, double q) {
  if (!h->n) return 0;
  uint64_t rank = (uint64_t)(q * (double)h->n + 0.999999);
  if (rank < 1) rank = 1;
  uint64_t seen = 0;
  for (unsigned i = 0; i < HIST_N; i++) {
    seen += h->b[i];
    if (seen >= rank) {
      uint64_t v = hist_bucket_high(i);
      return v < h->max ? v : h->max;
    }
  }
  return h->max;
}

/* ---- the run ------------------------------------------------------------------------------ */

enum kind {
  K_OK,
  K_REJ3, K_REJ4, K_REJ5, K_REJ6,
  K_TIMEOUT,
  K_TRANSPORT,
  K_AUTH,
  K_DNS,
  K_CANCELLED,
  K_BAD_ANSWER,
  K_BYE_FAILED, /* established, but our BYE got no 2xx */
  K_START_ERROR, /* sipspec_session_start() refused */
  K_COUNT
};

static const char *const kind_names[K_COUNT] = {
  [K_OK] = "ok", [K_REJ3] = "rejected-3xx", [K_REJ4] = "rejected-4xx", [K_REJ5] = "rejected-5xx",
  [K_REJ6] = "rejected-6xx", [K_TIMEOUT] = "timeout", [K_TRANSPORT] = "transport-error",
  [K_AUTH] = "auth-failed", [K_DNS] = "dns-failed", [K_CANCELLED] = "cancelled",
  [K_BAD_ANSWER] = "bad-answer", [K_BYE_FAILED] = "bye-failed", [K_START_ERROR] = "start-error",
};

struct load;

/* One session of the run. Slots are reused through a free list; gen tells a slot's
 * sessions apart in the hold queue. */
typedef struct slot {
  struct load *L;
  sipspec_session *s;
  uint64_t t_invite, t_bye; /* us on the monotonic clock */
  uint32_t gen;
  uint32_t next_free;
  unsigned char got_1xx, rejected_class, bye_sent;
  unsigned char probing; /* --probe-options: our OPTIONS waits for its final response */
} slot;

/* Established sessions waiting out --hold, in the order they were answered (the hold is the
 * same for all, so this order is also the order their BYEs are due). */
typedef struct held {
  uint32_t idx, gen;
  uint64_t due;
} held;

typedef struct load {
  struct ev_loop *loop;
  sipspec_ua *ua;
  sipspec_session_opts so;
  unsigned calls, rate, concurrency, hold_ms;
  int quiet, probe;
  slot *slots;
  uint32_t nslots, next_unused, free_head;
  held *hq;
  uint32_t hq_head, hq_len;
  ev_timer tick, hold_timer, progress, watchdog;
  ev_signal sigint, sigusr1;
  uint64_t t0, t_end;
  unsigned started, finished, active, peak_active, held_now, peak_held;
  int stopping, interrupted, watchdog_fired;
  int released; /* SIGUSR1: every hold ends now */
  uint64_t kinds[K_COUNT];
  hist h_1xx, h_200, h_bye, h_sec; /* h_sec: INVITE->200 of the current second */
  unsigned last_ok, last_failed, last_started;
  long rss0_kib;
  /* --probe-options: OPTIONS sent at the end of a hold, answered with a 2xx, and not (another
   * final status, no response, refused by the session, or the session ended first) */
  unsigned probes_sent, probes_ok, probes_failed;
  unsigned peer_ended; /* established sessions the server (or an error) ended before we did */
} load;

#define NO_SLOT UINT32_MAX

static uint64_t now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* The peak resident set of this program: VmHWM where /proc has it (getrusage's ru_maxrss
 * also counts the process image before the exec, e.g. a big parent that forked us), else
 * ru_maxrss. */
static long maxrss_kib(void) {
  FILE *f = fopen("/proc/self/status", "r");
  if (f) {
    char line[128];
    long kib = -1;
    while (fgets(line, sizeof line, f))
      if (!strncmp(line, "VmHWM:", 6)) {
        kib = strtol(line + 6, NULL, 10);
        break;
      }
    fclose(f);
    if (kib >= 0) return kib;
  }
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss;
}

static double cpu_seconds(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
         ru.ru_stime.tv_usec / 1e6;
}

static unsigned failed_count(const load *L) {
  unsigned n = 0;
  for (int k = 0; k < K_COUNT; k++)
    if (k != K_OK) n += (unsigned)L->kinds[k];
  return n;
}

static void finish_one(load *L) {
  L->finished++;
  L->active--;
  if (L->finished == L->calls || (L->stopping && !L->active)) ev_break(L->loop, EVBREAK_ALL);
}

static void free_slot(load *L, slot *sl) {
  sl->s = NULL;
  sl->gen++;
  sl->next_free = L->free_head;
  L->free_head = (uint32_t)(sl - L->slots);
}

static slot *alloc_slot(load *L) {
  slot *sl;
  if (L->free_head != NO_SLOT) {
    sl = &L->slots[L->free_head];
    L->free_head = sl->next_free;
  } else if (L->next_unused < L->nslots) {
    sl = &L->slots[L->next_unused++];
  } else {
    return NULL;
  }
  uint32_t gen = sl->gen;
  memset(sl, 0, sizeof *sl);
  sl->gen = gen;
  sl->L = L;
  return sl;
}

static void end_session(slot *sl) {
  if (!sl->s || sl->bye_sent) return;
  sl->bye_sent = 1;
  sl->t_bye = now_us();
  (void)sipspec_session_end(sl->s); /* SIPSPEC_E_STATE: already ending, on_terminated comes */
}

static void on_provisional(sipspec_session *s, int status, const char *reason, void *user) {
  slot *sl = user;
  (void)s;
  (void)status;
  (void)reason;
  if (sl->got_1xx) return;
  sl->got_1xx = 1;
  hist_add(&sl->L->h_1xx, now_us() - sl->t_invite);
}

static void arm_hold(load *L);
static void probe_session(slot *sl);

static void on_answered(sipspec_session *s, const sipspec_mrcp_answer *answer, const char *sdp, size_t sdp_len,
                        void *user) {
  slot *sl = user;
  load *L = sl->L;
  (void)s;
  (void)answer;
  (void)sdp;
  (void)sdp_len;
  uint64_t now = now_us(), d = now - sl->t_invite;
  hist_add(&L->h_200, d);
  hist_add(&L->h_sec, d);
  if (++L->held_now > L->peak_held) L->peak_held = L->held_now;
  if (L->stopping || !L->hold_ms || L->released) {
    L->held_now--;
    if (L->probe && !L->stopping) probe_session(sl); /* queued until the callbacks return */
    else end_session(sl); /* from inside a callback: the end waits in the chart's queue */
    return;
  }
  /* the queue holds at most one entry per slot */
  uint32_t at = (L->hq_head + L->hq_len) % L->nslots;
  L->hq[at] = (held){(uint32_t)(sl - L->slots), sl->gen, now + (uint64_t)L->hold_ms * 1000u};
  if (!L->hq_len++) arm_hold(L);
}

static void on_failed(sipspec_session *s, sipspec_result result, const sipspec_response_info *info, void *user) {
  slot *sl = user;
  (void)s;
  (void)result;
  int st = info ? info->status : 0;
  if (st >= 300 && st <= 699) sl->rejected_class = (unsigned char)(st / 100);
}

static void on_terminated(sipspec_session *s, sipspec_end_reason by, void *user) {
  slot *sl = user;
  load *L = sl->L;
  enum kind k;
  switch (sipspec_session_result(s)) {
  case SIPSPEC_RESULT_OK: k = K_OK; break;
  case SIPSPEC_RESULT_REJECTED:
    k = sl->rejected_class == 3 ? K_REJ3 : sl->rejected_class == 5 ? K_REJ5 : sl->rejected_class == 6 ? K_REJ6 : K_REJ4;
    break;
  case SIPSPEC_RESULT_TIMEOUT: k = K_TIMEOUT; break;
  case SIPSPEC_RESULT_TRANSPORT_ERROR: k = K_TRANSPORT; break;
  case SIPSPEC_RESULT_AUTH_FAILED: k = K_AUTH; break;
  case SIPSPEC_RESULT_DNS_FAILED: k = K_DNS; break;
  case SIPSPEC_RESULT_CANCELLED: k = K_CANCELLED; break;
  default: k = K_BAD_ANSWER; break;
  }
  if (sl->probing) {
    sl->probing = 0;
    L->probes_failed++;
  }
  if ((by == SIPSPEC_END_PEER || by == SIPSPEC_END_ERROR) && !sl->bye_sent) L->peer_ended++;
  int bye = sipspec_session_bye_status(s, NULL);
  if (k == K_OK && bye >= 0) { /* we sent BYE: it must have got a 2xx */
    if (bye >= 200 && bye < 300) hist_add(&L->h_bye, now_us() - sl->t_bye);
    else k = K_BYE_FAILED;
  }
  L->kinds[k]++;
  free_slot(L, sl);
  finish_one(L);
}

static void start_one(load *L) {
  slot *sl = alloc_slot(L);
  if (!sl) return; /* cannot happen: active < concurrency <= nslots */
  L->started++;
  if (++L->active > L->peak_active) L->peak_active = L->active;
  L->so.cb.user = sl;
  sl->t_invite = now_us();
  int rc = sipspec_session_start(L->ua, &L->so, &sl->s);
  if (rc != SIPSPEC_OK) {
    if (L->kinds[K_START_ERROR]++ == 0)
      fprintf(stderr, PROG ": cannot start a session: %s (%s)\n", sipspec_strerror(rc), sipspec_errname(rc));
    free_slot(L, sl);
    finish_one(L);
  }
}

/* Starts the sessions due by now (rate * elapsed), within --concurrency and --calls. */
static void tick_cb(struct ev_loop *loop, ev_timer *w, int revents) {
  load *L = w->data;
  (void)revents;
  if (L->stopping) return;
  double elapsed = (double)(now_us() - L->t0) / 1e6;
  double due_d = (double)L->rate * elapsed + 1.0;
  unsigned due = due_d >= (double)L->calls ? L->calls : (unsigned)due_d;
  while (L->started < due && L->active < L->concurrency && !L->stopping) start_one(L);
  if (L->started == L->calls) ev_timer_stop(loop, w);
}

/* --probe-options: one OPTIONS in the dialog (RFC 3261 11, 12.2.1.1) through the public
 * keep-alive call; on_keepalive ends the session once it has a final response. */
static void probe_session(slot *sl) {
  load *L = sl->L;
  if (sl->bye_sent) return;
  L->probes_sent++;
  sl->probing = 1;
  int rc = sipspec_session_keepalive(sl->s);
  if (rc != SIPSPEC_OK) {
    if (L->probes_failed == 0)
      fprintf(stderr, PROG ": cannot send an OPTIONS in a held session: %s (%s)\n", sipspec_strerror(rc),
              sipspec_errname(rc));
    sl->probing = 0;
    L->probes_failed++;
    end_session(sl);
  }
}

static void on_keepalive(sipspec_session *s, const sipspec_response_info *info, void *user) {
  slot *sl = user;
  load *L = sl->L;
  (void)s;
  if (!sl->probing) return;
  sl->probing = 0;
  if (info && info->status >= 200 && info->status < 300) L->probes_ok++;
  else L->probes_failed++;
  end_session(sl); /* from inside a callback: the end waits in the chart's queue */
}

static void arm_hold(load *L) {
  if (!L->hq_len) return;
  uint64_t now = now_us(), due = L->hq[L->hq_head].due;
  double after = due > now ? (double)(due - now) / 1e6 : 0.;
  ev_timer_stop(L->loop, &L->hold_timer);
  ev_timer_set(&L->hold_timer, after, 0.);
  ev_timer_start(L->loop, &L->hold_timer);
}

/* Ends the held sessions whose --hold ran out, oldest first. */
static void hold_cb(struct ev_loop *loop, ev_timer *w, int revents) {
  load *L = w->data;
  (void)loop;
  (void)revents;
  uint64_t now = now_us();
  while (L->hq_len && (L->hq[L->hq_head].due <= now || L->stopping || L->released)) {
    held h = L->hq[L->hq_head];
    L->hq_head = (L->hq_head + 1) % L->nslots;
    L->hq_len--;
    slot *sl = &L->slots[h.idx];
    if (sl->gen != h.gen || !sl->s) continue; /* the peer ended it meanwhile */
    L->held_now--;
    if (L->probe && !L->stopping) probe_session(sl);
    else end_session(sl);
  }
  arm_hold(L);
}

static void progress_cb(struct ev_loop *loop, ev_timer *w, int revents) {
  load *L = w->data;
  (void)loop;
  (void)revents;
  unsigned ok = (unsigned)L->kinds[K_OK], failed = failed_count(L);
  const sipspec_telemetry *t = sipspec_ua_telemetry(L->ua);
  fprintf(stderr,
          "%5.0fs started %u (%u/s) active %u held %u ok %u failed %u retransmissions %llu setup p50 %.1f ms p99 "
          "%.1f ms\n",
          (double)(now_us() - L->t0) / 1e6, L->started, L->started - L->last_started, L->active, L->held_now, ok,
          failed, (unsigned long long)t->sipRetransmissions, hist_quantile(&L->h_sec, 0.5) / 1000.0,
          hist_quantile(&L->h_sec, 0.99) / 1000.0);
  L->last_started = L->started;
  L->last_ok = ok;
  L->last_failed = failed;
  memset(&L->h_sec, 0, sizeof L->h_sec);
}

static void stop_all(load *L) {
  L->stopping = 1;
  ev_timer_stop(L->loop, &L->tick);
  if (!L->active) {
    ev_break(L->loop, EVBREAK_ALL);
    return;
  }
  /* every live session: CANCEL while early, BYE once established */
  ev_timer_stop(L->loop, &L->hold_timer);
  L->hq_len = 0;
  L->held_now = 0;
  for (uint32_t i = 0; i < L->next_unused; i++)
    if (L->slots[i].s && !L->slots[i].bye_sent) end_session(&L->slots[i]);
}

static void sigint_cb(struct ev_loop *loop, ev_signal *w, int revents) {
  load *L = w->data;
  (void)revents;
  if (L->interrupted++) {
    ev_break(loop, EVBREAK_ALL);
    return;
  }
  fprintf(stderr, PROG ": interrupted: ending the %u live sessions\n", L->active);
  stop_all(L);
}

/* SIGUSR1: the holds of the sessions held now, and of those answered later, end at once (a
 * test that held them through some event ends them when it is over, not at a guessed time). */
static void sigusr1_cb(struct ev_loop *loop, ev_signal *w, int revents) {
  load *L = w->data;
  (void)loop;
  (void)revents;
  L->released = 1;
  hold_cb(L->loop, &L->hold_timer, 0);
}

static void watchdog_cb(struct ev_loop *loop, ev_timer *w, int revents) {
  load *L = w->data;
  (void)revents;
  L->watchdog_fired = 1;
  ev_break(loop, EVBREAK_ALL);
}

static void quantiles_text(FILE *out, const char *name, const hist *h) {
  fprintf(out, "  %-12s n %-8llu p50 %8.2f ms  p90 %8.2f ms  p99 %8.2f ms  max %8.2f ms\n", name,
          (unsigned long long)h->n, hist_quantile(h, 0.5) / 1000.0, hist_quantile(h, 0.9) / 1000.0,
          hist_quantile(h, 0.99) / 1000.0, h->max / 1000.0);
}

static void quantiles_json(FILE *out, const char *name, const hist *h) {
  fprintf(out, "\"%s\":{\"n\":%llu,\"p50\":%llu,\"p90\":%llu,\"p99\":%llu,\"max\":%llu}", name,
          (unsigned long long)h->n, (unsigned long long)hist_quantile(h, 0.5),
          (unsigned long long)hist_quantile(h, 0.9), (unsigned long long)hist_quantile(h, 0.99),
          (unsigned long long)h->max);
}

static int usage_error(const char *fmt, const char *a) {
  fprintf(stderr, PROG ": ");
  fprintf(stderr, fmt, a);
  fprintf(stderr, " (try '" PROG " --help')\n");
  return CLI_EXIT_USAGE;
}

int sipspec_cmd_load(int argc, char **argv) {
  const char *target = NULL, *user = NULL, *password = NULL, *v;
  int json = 0, transport_set = 0, allow_failures = 0, quiet = 0, probe = 0;
  unsigned calls = 100, rate = 10, concurrency = 0, hold_ms = 0;
  sipspec_tp_kind transport = SIPSPEC_TP_UDP;
  sipspec_mrcp_resource res[SIPSPEC_MRCP_MAX_CHANNELS];
  size_t nres = 0;
  char why[256];

  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    int m;
    if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
      usage(stdout);
      return CLI_EXIT_OK;
    } else if (!strcmp(a, "--json")) {
      json = 1;
    } else if (!strcmp(a, "--allow-failures")) {
      allow_failures = 1;
    } else if (!strcmp(a, "--quiet")) {
      quiet = 1;
    } else if (!strcmp(a, "--probe-options")) {
      probe = 1;
    } else if ((m = cli_opt(argc, argv, &i, "--calls", &v, why, sizeof why))) {
      if (m < 0 || cli_parse_uint(v, 1, 100000000, &calls, why, sizeof why)) return usage_error("--calls: %s", why);
    } else if ((m = cli_opt(argc, argv, &i, "--rate", &v, why, sizeof why))) {
      if (m < 0 || cli_parse_uint(v, 1, 1000000, &rate, why, sizeof why)) return usage_error("--rate: %s", why);
    } else if ((m = cli_opt(argc, argv, &i, "--concurrency", &v, why, sizeof why))) {
      if (m < 0 || cli_parse_uint(v, 1, 10000000, &concurrency, why, sizeof why))
        return usage_error("--concurrency: %s", why);
    } else if ((m = cli_opt(argc, argv, &i, "--hold", &v, why, sizeof why))) {
      if (m < 0 || cli_parse_uint(v, 0, SIPSPEC_CONFIG_MAX_MS, &hold_ms, why, sizeof why))
        return usage_error("--hold: %s", why);
    } else if ((m = cli_opt(argc, argv, &i, "--transport", &v, why, sizeof why))) {
      if (m < 0 || cli_parse_transport(v, &transport, why, sizeof why)) return usage_error("--transport: %s", why);
      transport_set = 1;
    } else if ((m = cli_opt(argc, argv, &i, "--resource", &v, why, sizeof why))) {
      sipspec_mrcp_resource r;
      if (m < 0 || cli_parse_resource(v, &r, why, sizeof why)) return usage_error("--resource: %s", why);
      for (size_t k = 0; k < nres; k++)
        if (res[k] == r) return usage_error("--resource %s given twice", v);
      if (nres == SIPSPEC_MRCP_MAX_CHANNELS) return usage_error("too many --resource options%s", "");
      res[nres++] = r;
    } else if ((m = cli_opt(argc, argv, &i, "--user", &v, why, sizeof why))) {
      if (m < 0) return usage_error("%s", why);
      user = v;
    } else if ((m = cli_opt(argc, argv, &i, "--password", &v, why, sizeof why))) {
      if (m < 0) return usage_error("%s", why);
      password = v;
    } else if (a[0] == '-' && a[1]) {
      return usage_error("unknown option '%s'", a);
    } else if (target) {
      return usage_error("one target only ('%s' given twice)", a);
    } else {
      target = a;
    }
  }
  if (!target) return usage_error("no target URI (sip:USER@HOST:PORT)%s", "");
  int ipv6 = 0;
  if (cli_check_target(target, &ipv6, why, sizeof why)) return usage_error("%s", why);
  if (!user) user = getenv("SIPSPEC_USER");
  if (!password) password = getenv("SIPSPEC_PASSWORD");
  if (user && !*user) user = NULL;
  if (password && !*password) password = NULL;
  if (user && !password) return usage_error("--user needs --password (or SIPSPEC_PASSWORD)%s", "");
  if (password && !user) return usage_error("--password needs --user (or SIPSPEC_USER)%s", "");
  if (!nres) res[nres++] = SIPSPEC_MRCP_SPEECHSYNTH;
  if (!concurrency) concurrency = calls < 200000 ? calls : 200000;
  if (concurrency > calls) concurrency = calls;

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
  if (ipv6) uo.bind_host = "::";
  sipspec_digest_cred_entry cred = {NULL, user, password};
  if (user) {
    uo.auth.table = &cred;
    uo.auth.table_len = 1;
  }

  static load L; /* the histograms are about 20 KB each: not on the stack */
  memset(&L, 0, sizeof L);
  L.calls = calls;
  L.rate = rate;
  L.concurrency = concurrency;
  L.hold_ms = hold_ms;
  L.quiet = quiet;
  L.probe = probe;
  L.nslots = concurrency;
  L.free_head = NO_SLOT;
  /* calloc: pages of slots never used are never touched */
  L.slots = calloc(L.nslots, sizeof *L.slots);
  L.hq = calloc(L.nslots, sizeof *L.hq);
  L.loop = ev_default_loop(0);
  if (!L.slots || !L.hq || !L.loop) {
    fprintf(stderr, PROG ": out of memory\n");
    free(L.slots);
    free(L.hq);
    return CLI_EXIT_FAIL;
  }
  rc = sipspec_ua_create(L.loop, &uo, &L.ua, err, sizeof err);
  if (rc != SIPSPEC_OK) {
    fprintf(stderr, PROG ": %s\n", err[0] ? err : sipspec_strerror(rc));
    free(L.slots);
    free(L.hq);
    return CLI_EXIT_FAIL;
  }

  sipspec_mrcp_offer_desc offer;
  sipspec_mrcp_offer_desc_init(&offer);
  memcpy(offer.resources, res, nres * sizeof res[0]);
  offer.nresources = nres;
  offer.rtp_port = 5004; /* as `sipspec call` offers by default */
  sipspec_session_opts_init(&L.so);
  L.so.target = target;
  L.so.offer = &offer;
  L.so.cb.on_provisional = on_provisional;
  L.so.cb.on_answered = on_answered;
  L.so.cb.on_failed = on_failed;
  L.so.cb.on_terminated = on_terminated;
  L.so.cb.on_keepalive = on_keepalive;

  if (!json) {
    printf("load %s over %s: %u sessions at %u/s, at most %u at once, held %u ms\n", target,
           sipspec_tp_kind_name(uo.cfg.transport), calls, rate, concurrency, hold_ms);
    fflush(stdout);
  }

  /* A safety net only: every session ends by its own timers (Timer B, the answer timer,
   * Timer F) well before this. */
  double bound = (double)calls / rate + (hold_ms + 3.0 * 64 * uo.cfg.t1_ms + 180000.0 + 30000.0) / 1000.0;
  /* tick_cb starts what is due by the clock, so the rate holds at any tick; a tick of a few
   * milliseconds at high rates starts a few sessions per loop wake-up instead of one (each
   * wake-up is a system call and a context switch) */
  double tick = 1.0 / rate;
  if (tick < 0.004) tick = 0.004;
  ev_timer_init(&L.tick, tick_cb, 0., tick);
  ev_init(&L.hold_timer, hold_cb);
  ev_timer_init(&L.progress, progress_cb, 1., 1.);
  ev_timer_init(&L.watchdog, watchdog_cb, bound, 0.);
  ev_signal_init(&L.sigint, sigint_cb, SIGINT);
  ev_signal_init(&L.sigusr1, sigusr1_cb, SIGUSR1);
  L.tick.data = L.hold_timer.data = L.progress.data = L.watchdog.data = L.sigint.data = L.sigusr1.data = &L;
  ev_timer_start(L.loop, &L.tick);
  if (!quiet) ev_timer_start(L.loop, &L.progress);
  ev_timer_start(L.loop, &L.watchdog);
  ev_signal_start(L.loop, &L.sigint);
  ev_signal_start(L.loop, &L.sigusr1);

  L.rss0_kib = maxrss_kib();
  double cpu0 = cpu_seconds();
  ev_now_update(L.loop);
  L.t0 = now_us();
  ev_run(L.loop, 0);
  L.t_end = now_us();
  double cpu = cpu_seconds() - cpu0;
  long rss_kib = maxrss_kib();

  ev_timer_stop(L.loop, &L.tick);
  ev_timer_stop(L.loop, &L.hold_timer);
  ev_timer_stop(L.loop, &L.progress);
  ev_timer_stop(L.loop, &L.watchdog);
  ev_signal_stop(L.loop, &L.sigint);
  ev_signal_stop(L.loop, &L.sigusr1);
  sipspec_telemetry tel = *sipspec_ua_telemetry(L.ua);

  double secs = (double)(L.t_end - L.t0) / 1e6;
  unsigned failed = failed_count(&L);
  unsigned unfinished = L.calls - L.finished;
  double cpu_us_call = L.finished ? cpu * 1e6 / L.finished : 0.;
  long delta_kib = rss_kib - L.rss0_kib;
  unsigned long long per_session = L.peak_active && delta_kib > 0 ? (unsigned long long)delta_kib * 1024u / L.peak_active : 0;
  const char *why_stopped = L.watchdog_fired ? "the run did not end in time"
                            : L.interrupted  ? "interrupted"
                                             : NULL;

  if (json) {
    printf("{\"target\":");
    cli_json_string(stdout, target);
    printf(",\"transport\":\"%s\",\"calls\":%u,\"rate\":%u,\"concurrency\":%u,\"hold_ms\":%u,", sipspec_tp_kind_name(uo.cfg.transport),
           calls, rate, concurrency, hold_ms);
    printf("\"started\":%u,\"finished\":%u,\"ok\":%llu,\"failed\":%u,\"unfinished\":%u,\"results\":{", L.started,
           L.finished, (unsigned long long)L.kinds[K_OK], failed, unfinished);
    for (int k = 0; k < K_COUNT; k++) printf("%s\"%s\":%llu", k ? "," : "", kind_names[k], (unsigned long long)L.kinds[k]);
    printf("},\"latency_us\":{");
    quantiles_json(stdout, "invite_1xx", &L.h_1xx);
    putchar(',');
    quantiles_json(stdout, "invite_200", &L.h_200);
    putchar(',');
    quantiles_json(stdout, "bye_200", &L.h_bye);
    printf("},\"seconds\":%.3f,\"calls_per_s\":%.1f,\"cpu_us_per_call\":%.1f,\"peak_rss_kib\":%ld,"
           "\"peak_sessions\":%u,\"peak_held\":%u,\"bytes_per_session\":%llu,\"retransmissions\":%llu,\"error\":",
           secs, secs > 0 ? L.finished / secs : 0., cpu_us_call, rss_kib, L.peak_active, L.peak_held, per_session,
           (unsigned long long)tel.sipRetransmissions);
    cli_json_string(stdout, why_stopped);
    printf(",\"peer_ended\":%u", L.peer_ended);
    if (probe)
      printf(",\"probes\":{\"sent\":%u,\"answered\":%u,\"failed\":%u}", L.probes_sent, L.probes_ok,
             L.probes_failed);
    printf(",\"telemetry\":");
    sipspec_telemetry_write_json(&tel, stdout);
    printf("}\n");
  } else {
    if (why_stopped) printf("stopped: %s, %u sessions unfinished\n", why_stopped, unfinished);
    printf("%u sessions in %.2f s (%.1f/s): %llu ok, %u failed\n", L.finished, secs, secs > 0 ? L.finished / secs : 0.,
           (unsigned long long)L.kinds[K_OK], failed);
    printf("results:");
    for (int k = 0; k < K_COUNT; k++)
      if (L.kinds[k]) printf(" %s %llu", kind_names[k], (unsigned long long)L.kinds[k]);
    printf("\nlatency:\n");
    quantiles_text(stdout, "INVITE->1xx", &L.h_1xx);
    quantiles_text(stdout, "INVITE->200", &L.h_200);
    quantiles_text(stdout, "BYE->200", &L.h_bye);
    printf("retransmissions %llu\n", (unsigned long long)tel.sipRetransmissions);
    if (L.peer_ended) printf("ended by the server or an error while established: %u\n", L.peer_ended);
    if (probe)
      printf("OPTIONS probes: %u sent, %u answered (2xx), %u failed\n", L.probes_sent, L.probes_ok, L.probes_failed);
    printf("cpu %.1f us per call (%.2f s user+system), peak RSS %ld KiB, %u sessions at once at most, %llu bytes "
           "per session\n",
           cpu_us_call, cpu, rss_kib, L.peak_active, per_session);
  }
  sipspec_ua_destroy(L.ua);
  free(L.slots);
  free(L.hq);
  int status = CLI_EXIT_OK;
  if (why_stopped || unfinished || (failed && !allow_failures)) status = CLI_EXIT_FAIL;
  if (probe && (L.probes_failed || L.probes_ok < L.kinds[K_OK]) && !allow_failures) status = CLI_EXIT_FAIL;
  if (fflush(stdout)) {
    fprintf(stderr, PROG ": cannot write to standard output\n");
    status = CLI_EXIT_FAIL;
  }
  return status;
}
