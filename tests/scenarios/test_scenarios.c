/* test_scenarios.c: the full-stack regression scenarios of the roadmap, each over UDP and over
 * TCP: a client user agent (sipspec/ua.h) and the embedded MRCP server (sipspec/server.h) on
 * one libev loop on 127.0.0.1, so every callback and every counter can be asserted exactly.
 * Both run on one virtual clock (sipspec/clock.h) with RFC 3261's timer values (T1 = 500 ms,
 * T2 = 4 s, T4 = 5 s): every timer fires at its exact due time whatever the machine's load,
 * so times are asserted exactly too, and the waits take no real time.
 *
 *   normal call          INVITE/180/200/ACK, hold, BYE/200: two channels, audio, ended by us
 *   ring many times      20 x 180 Ringing then 200 (server ring_count 20)
 *   immediate 4xx        486 Busy Here: result rejected, status 486, sipError4xx 1
 *   INVITE timeout       UDP: a silent port, Timer B at exactly 64*T1: result timeout,
 *                        sipInviteTimeouts 1; TCP: a closed port: transport-error at once
 *   server BYE           the server hangs up (bye_after_ms): ended by the peer
 *   CANCEL while ringing the client ends at the first 180: result cancelled, server sees the end
 *   481 to BYE           the server answers our BYE with 481: the session still ends
 *   30% loss             the normal call through the fault-injecting relay (UDP, several
 *                        seeds): established and ended every time, with retransmissions
 *   re-INVITE add/remove speechrecog, + speechsynth (re-INVITE), - speechsynth, BYE: the
 *                        channels, ports and audio direction of each answer, as the client
 *                        parsed them and as the server sent them
 *   488 with a Warning   a server that serves only speechrecog and speechsynth refuses a
 *                        recorder: rejected, 488, the Warning text
 *   Digest (suite auth)  every algorithm x qop, 401 and 407: one challenge, the INVITE sent
 *                        twice with credentials of that algorithm and qop; a wrong password
 *                        with max_challenges 0..3; a nonce gone stale before a re-INVITE
 *
 * Requirements not tested here: TLS (not available), real MRCP or RTP traffic (sipspec only
 * negotiates them), DNS names. Every loop run is bounded by tst_run_until()'s watchdog. */
#include <CUnit/Basic.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "netutil.h"
#include "relay.h"
#include "sipspec/server.h"
#include "sipspec/ua.h"

#define T1 SIPSPEC_DEFAULT_T1_MS
/* The watchdog of every run, in virtual seconds (free): past every timer of a scenario. */
#define RUN_MAX_S 600.0
#define HOLD_MS 2000u /* the client ends an answered session this long after the answer */

static sipspec_tp_kind g_kind;

/* ---- what the client and the server saw -------------------------------------------------- */

#define EV_MAX 64

typedef struct sc {
  struct ev_loop *loop;
  sipspec_clock *clock;         /* virtual; the UA's, the server's and the tst_run_* calls' */
  sipspec_server *srv;
  sipspec_ua *ua;
  sipspec_session *s;
  relay *rel;
  /* client callbacks */
  int n_prov, prov_status[EV_MAX];
  int answered, failed, terminated;
  sipspec_result fail_result, result;
  int fail_status, status;
  sipspec_end_reason ended_by;
  sipspec_mrcp_answer answer;
  int end_on_first_provisional; /* CANCEL while ringing */
  unsigned hold_ms;             /* end this long after the answer; 0: never (peer ends) */
  sipspec_clock_timer hold;
  uint64_t answered_at, failed_at, terminated_at; /* virtual ms */
  /* server events */
  int n_srv_ev;
  sipspec_server_event srv_ev[EV_MAX];
  int srv_ev_status[EV_MAX];
  /* failure details */
  char fail_warning[256], fail_reason[256];
  /* re-INVITE script: the steps run one by one from a zero-delay timer, after on_answered
   * and after each on_updated (the session refuses them from inside its callbacks) */
  const struct sc_step *steps;
  int nsteps, next_step;
  unsigned first_step_delay_ms;
  sipspec_clock_timer step;
  int n_updated, upd_status[EV_MAX];
  sipspec_mrcp_answer upd_answer[4];
  int upd_has_answer[4];
  /* the server's last answer as it sent it, parsed against the offer it received: [0] when
   * the session was answered, [k + 1] when re-INVITE k was */
  sipspec_mrcp_answer srv_view[5];
  int srv_view_ok[5];
  /* what went over the wire (traces) */
  uint32_t invite_cseq[EV_MAX]; /* distinct CSeq numbers of the INVITEs the client sent */
  int n_invite_cseq;
  char last_invite_auth[2048];  /* the credentials line of the last INVITE the client sent */
  int last_invite_auth_proxy;   /* ... was Proxy-Authorization */
  int n_bye_sent, n_bye_with_auth; /* BYEs the client sent (retransmissions too), with credentials */
  char srv_last_offer[4096];    /* the last INVITE body the server received ... */
  char srv_last_answer[4096];   /* ... and the last 2xx-to-INVITE body it sent */
  int n_srv_answers;
} sc;

/* One scripted change of an established session: add or remove a resource, or end. */
typedef struct sc_step {
  enum { STEP_ADD, STEP_REMOVE, STEP_END } op;
  sipspec_mrcp_resource res;
} sc_step;

static sc *g; /* the scenario running now: the callbacks assert they belong to it */

static void take_srv_view(sc *c, int k);
static void schedule_step(sc *c);

static void hold_cb(sipspec_clock_timer *w, void *arg) {
  sc *c = arg;
  (void)w;
  CU_ASSERT_PTR_NOT_NULL(c->s);
  if (c->s) CU_ASSERT_EQUAL(sipspec_session_end(c->s), SIPSPEC_OK);
}

static void on_provisional(sipspec_session *s, int status, const char *reason, void *user) {
  sc *c = user;
  (void)reason;
  CU_ASSERT_PTR_EQUAL(c, g);
  CU_ASSERT_PTR_EQUAL(s, c->s);
  if (c->n_prov < EV_MAX) c->prov_status[c->n_prov] = status;
  c->n_prov++;
  if (c->end_on_first_provisional && c->n_prov == 1) CU_ASSERT_EQUAL(sipspec_session_end(s), SIPSPEC_OK);
}

static void on_answered(sipspec_session *s, const sipspec_mrcp_answer *answer, const char *sdp, size_t sdp_len,
                        void *user) {
  sc *c = user;
  CU_ASSERT_PTR_EQUAL(s, c->s);
  CU_ASSERT_PTR_NOT_NULL(sdp);
  CU_ASSERT(sdp_len > 0);
  CU_ASSERT_PTR_NOT_NULL(answer);
  if (answer) c->answer = *answer;
  c->answered++;
  c->answered_at = sipspec_clock_now_ms(c->clock);
  take_srv_view(c, 0);
  schedule_step(c);
  if (c->hold_ms) CU_ASSERT_EQUAL(sipspec_clock_timer_after(c->clock, &c->hold, c->hold_ms), SIPSPEC_OK);
}

static void on_failed(sipspec_session *s, sipspec_result result, const sipspec_response_info *info, void *user) {
  sc *c = user;
  CU_ASSERT_PTR_EQUAL(s, c->s);
  CU_ASSERT_PTR_NOT_NULL(info);
  c->failed++;
  c->failed_at = sipspec_clock_now_ms(c->clock);
  c->fail_result = result;
  c->fail_status = info ? info->status : -1;
  snprintf(c->fail_warning, sizeof c->fail_warning, "%s", info && info->warning ? info->warning : "");
  snprintf(c->fail_reason, sizeof c->fail_reason, "%s", info && info->reason ? info->reason : "");
}

/* What the server sent last, read as the client reads an answer (into c->srv_view[k]). */
static void take_srv_view(sc *c, int k) {
  if (k < 0 || k >= 5) return;
  sipspec_sdp_error e;
  memset(&e, 0, sizeof e);
  c->srv_view_ok[k] = sipspec_mrcp_answer_parse(c->srv_last_offer, strlen(c->srv_last_offer), c->srv_last_answer,
                                                strlen(c->srv_last_answer), &c->srv_view[k], &e) == SIPSPEC_OK;
}

static void step_cb(sipspec_clock_timer *w, void *arg) {
  sc *c = arg;
  (void)w;
  CU_ASSERT_PTR_NOT_NULL_FATAL(c->s);
  CU_ASSERT_FATAL(c->next_step < c->nsteps);
  const sc_step *st = &c->steps[c->next_step++];
  int rc = st->op == STEP_ADD      ? sipspec_session_add_resource(c->s, st->res)
           : st->op == STEP_REMOVE ? sipspec_session_remove_resource(c->s, st->res)
                                   : sipspec_session_end(c->s);
  CU_ASSERT_EQUAL(rc, SIPSPEC_OK);
}

static void schedule_step(sc *c) {
  if (c->next_step >= c->nsteps) return;
  CU_ASSERT_EQUAL(sipspec_clock_timer_after(c->clock, &c->step, c->next_step ? 0 : c->first_step_delay_ms),
                  SIPSPEC_OK);
}

static void on_updated(sipspec_session *s, const sipspec_response_info *info, const sipspec_mrcp_answer *answer,
                       void *user) {
  sc *c = user;
  CU_ASSERT_PTR_EQUAL(s, c->s);
  CU_ASSERT_PTR_NOT_NULL_FATAL(info);
  int k = c->n_updated++;
  if (k < EV_MAX) c->upd_status[k] = info->status;
  if (k < 4 && answer) {
    c->upd_answer[k] = *answer;
    c->upd_has_answer[k] = 1;
  }
  take_srv_view(c, k + 1);
  schedule_step(c);
}

static void on_terminated(sipspec_session *s, sipspec_end_reason by, void *user) {
  sc *c = user;
  CU_ASSERT_PTR_EQUAL(s, c->s);
  c->terminated++;
  c->terminated_at = sipspec_clock_now_ms(c->clock);
  c->ended_by = by;
  c->result = sipspec_session_result(s);
  c->status = sipspec_session_status(s);
  sipspec_clock_timer_stop(c->clock, &c->hold);
  sipspec_clock_timer_stop(c->clock, &c->step);
  c->s = NULL;
}

static void on_server_event(sipspec_server *srv, sipspec_server_event ev, const char *call_id, int status,
                            void *user) {
  sc *c = user;
  CU_ASSERT_PTR_EQUAL(srv, c->srv);
  CU_ASSERT_PTR_NOT_NULL(call_id);
  if (c->n_srv_ev < EV_MAX) {
    c->srv_ev[c->n_srv_ev] = ev;
    c->srv_ev_status[c->n_srv_ev] = status;
  }
  c->n_srv_ev++;
}

/* ---- what went over the wire: the traces of both sides ------------------------------- */

/* The value of header `name` (full form, case-insensitive) in the message's head, copied
 * NUL-terminated into out; 0 when absent. */
static int msg_header(const char *data, size_t len, const char *name, char *out, size_t cap) {
  size_t nl = strlen(name);
  const char *end = data + len, *p = data;
  while (p < end) {
    const char *eol = memchr(p, '\n', (size_t)(end - p));
    if (!eol) eol = end;
    size_t ll = (size_t)(eol - p);
    if (ll <= 1) break; /* the blank line: end of the head */
    if (ll > nl && p[nl] == ':' && !strncasecmp(p, name, nl)) {
      const char *v = p + nl + 1;
      while (v < eol && *v == ' ') v++;
      size_t vl = (size_t)(eol - v);
      if (vl && v[vl - 1] == '\r') vl--;
      if (vl >= cap) vl = cap - 1;
      memcpy(out, v, vl);
      out[vl] = '\0';
      return 1;
    }
    p = eol + 1;
  }
  return 0;
}

static void msg_body(const char *data, size_t len, char *out, size_t cap) {
  const char *end = data + len, *b = NULL;
  for (const char *p = data; p + 4 <= end; p++)
    if (!memcmp(p, "\r\n\r\n", 4)) {
      b = p + 4;
      break;
    }
  size_t bl = b ? (size_t)(end - b) : 0;
  if (bl >= cap) bl = cap - 1;
  if (bl) memcpy(out, b, bl);
  out[bl] = '\0';
}

static int starts(const char *data, size_t len, const char *prefix) {
  size_t n = strlen(prefix);
  return len >= n && !memcmp(data, prefix, n);
}

/* The client's INVITEs: each CSeq number once (a retransmission repeats one), and the
 * credentials the last one carried. */
static void ua_trace(void *user, const char *dir, sipspec_tp_kind kind, const sipspec_sockaddr *peer,
                     const char *data, size_t len) {
  sc *c = user;
  char v[2048];
  (void)kind;
  (void)peer;
  if (!strcmp(dir, "send") && starts(data, len, "BYE ")) {
    c->n_bye_sent++;
    c->n_bye_with_auth += msg_header(data, len, "Authorization", v, sizeof v) ||
                          msg_header(data, len, "Proxy-Authorization", v, sizeof v);
  }
  if (strcmp(dir, "send") || !starts(data, len, "INVITE ")) return;
  if (msg_header(data, len, "CSeq", v, sizeof v)) {
    uint32_t n = (uint32_t)strtoul(v, NULL, 10);
    int seen = 0;
    for (int i = 0; i < c->n_invite_cseq && i < EV_MAX; i++) seen |= c->invite_cseq[i] == n;
    if (!seen && c->n_invite_cseq < EV_MAX) c->invite_cseq[c->n_invite_cseq++] = n;
  }
  c->last_invite_auth[0] = '\0';
  c->last_invite_auth_proxy = 0;
  if (msg_header(data, len, "Authorization", v, sizeof v) ||
      (c->last_invite_auth_proxy = msg_header(data, len, "Proxy-Authorization", v, sizeof v)))
    snprintf(c->last_invite_auth, sizeof c->last_invite_auth, "%s", v);
}

/* The server's side: the last offer it received and the last answer it sent. */
static void srv_trace(void *user, const char *dir, sipspec_tp_kind kind, const sipspec_sockaddr *peer,
                      const char *data, size_t len) {
  sc *c = user;
  char v[256];
  (void)kind;
  (void)peer;
  if (!strcmp(dir, "recv") && starts(data, len, "INVITE ")) {
    msg_body(data, len, c->srv_last_offer, sizeof c->srv_last_offer);
  } else if (!strcmp(dir, "send") && starts(data, len, "SIP/2.0 2") && msg_header(data, len, "CSeq", v, sizeof v) &&
             strstr(v, "INVITE")) {
    msg_body(data, len, c->srv_last_answer, sizeof c->srv_last_answer);
    c->n_srv_answers++;
  }
}

static int srv_saw(const sc *c, sipspec_server_event ev) {
  int n = 0;
  for (int i = 0; i < c->n_srv_ev && i < EV_MAX; i++) n += c->srv_ev[i] == ev;
  return n;
}

/* ---- setup ------------------------------------------------------------------------------- */

static void cfg_init(sipspec_config *cfg, sipspec_tp_kind kind) {
  sipspec_config_init(cfg);
  cfg->transport = kind; /* and RFC 3261's timer values */
}

static void sc_open(sc *c) {
  memset(c, 0, sizeof *c);
  g = c;
  c->loop = ev_loop_new(EVFLAG_AUTO);
  CU_ASSERT_PTR_NOT_NULL_FATAL(c->loop);
  c->clock = sipspec_clock_virtual_new(c->loop, 0);
  CU_ASSERT_PTR_NOT_NULL_FATAL(c->clock);
  tst_use_clock(c->clock);
  sipspec_clock_timer_init(&c->hold, hold_cb, c);
  c->hold_ms = HOLD_MS;
  sipspec_clock_timer_init(&c->step, step_cb, c);
}

/* Starts the server with the knobs already in *o (transport, timers, callbacks filled here). */
static void sc_server(sc *c, sipspec_server_opts *o) {
  char err[SIPSPEC_ERR_LEN] = "";
  cfg_init(&o->cfg, g_kind);
  o->listen_host = "127.0.0.1";
  o->listen_port = 0;
  o->both_transports = 0;
  o->on_event = on_server_event;
  o->user = c;
  o->trace = srv_trace;
  o->trace_user = c;
  o->clock = c->clock;
  int rc = sipspec_server_create(c->loop, o, &c->srv, err, sizeof err);
  if (rc) fprintf(stderr, "server: %s\n", err);
  CU_ASSERT_EQUAL_FATAL(rc, SIPSPEC_OK);
}

/* A user agent; with cred (not NULL) it answers challenges with it, at most max_challenges
 * per request. */
static void sc_ua_auth(sc *c, const sipspec_digest_cred_entry *cred, unsigned max_challenges) {
  sipspec_ua_opts o;
  sipspec_ua_opts_init(&o);
  cfg_init(&o.cfg, g_kind);
  o.bind_host = "127.0.0.1";
  o.trace = ua_trace;
  o.trace_user = c;
  o.clock = c->clock;
  if (cred) {
    o.auth.table = cred;
    o.auth.table_len = 1;
    o.auth.max_challenges = max_challenges;
  }
  char err[SIPSPEC_ERR_LEN] = "";
  int rc = sipspec_ua_create(c->loop, &o, &c->ua, err, sizeof err);
  if (rc) fprintf(stderr, "ua: %s\n", err);
  CU_ASSERT_EQUAL_FATAL(rc, SIPSPEC_OK);
}

static void sc_ua(sc *c) { sc_ua_auth(c, NULL, 0); }

/* Starts a session with the resources res[0..n-1] toward addr. */
static void sc_call_res(sc *c, const sipspec_sockaddr *addr, const sipspec_mrcp_resource *res, size_t n) {
  char hp[SIPSPEC_SOCKADDR_STRLEN], target[128];
  snprintf(target, sizeof target, "sip:mresources@%s", sipspec_sockaddr_format(addr, hp, sizeof hp));
  sipspec_mrcp_offer_desc d;
  sipspec_mrcp_offer_desc_init(&d);
  memcpy(d.resources, res, n * sizeof res[0]);
  d.nresources = n;
  d.rtp_port = 5004;
  sipspec_session_opts so;
  sipspec_session_opts_init(&so);
  so.target = target;
  so.offer = &d;
  so.cb.on_provisional = on_provisional;
  so.cb.on_answered = on_answered;
  so.cb.on_failed = on_failed;
  so.cb.on_updated = on_updated;
  so.cb.on_terminated = on_terminated;
  so.cb.user = c;
  CU_ASSERT_EQUAL_FATAL(sipspec_session_start(c->ua, &so, &c->s), SIPSPEC_OK);
  CU_ASSERT_PTR_NOT_NULL_FATAL(c->s);
}

/* ... with speechrecog + speechsynth. */
static void sc_call(sc *c, const sipspec_sockaddr *addr) {
  static const sipspec_mrcp_resource both[] = {SIPSPEC_MRCP_SPEECHRECOG, SIPSPEC_MRCP_SPEECHSYNTH};
  sc_call_res(c, addr, both, 2);
}

static void sc_call_server_res(sc *c, const sipspec_mrcp_resource *res, size_t n) {
  sipspec_sockaddr a;
  CU_ASSERT_EQUAL_FATAL(sipspec_server_bound_addr(c->srv, g_kind, &a), SIPSPEC_OK);
  sc_call_res(c, &a, res, n);
}

static void sc_call_server(sc *c) {
  static const sipspec_mrcp_resource both[] = {SIPSPEC_MRCP_SPEECHRECOG, SIPSPEC_MRCP_SPEECHSYNTH};
  sc_call_server_res(c, both, 2);
}

static int cond_terminated(void *arg) { return ((sc *)arg)->terminated > 0; }

static int cond_done(void *arg) {
  sc *c = arg;
  sipspec_server_stats st;
  if (!c->terminated) return 0;
  sipspec_server_stats_get(c->srv, &st);
  return st.live_dialogs == 0;
}

static void sc_close(sc *c) {
  sipspec_clock_timer_stop(c->clock, &c->hold);
  sipspec_clock_timer_stop(c->clock, &c->step);
  if (c->ua) sipspec_ua_destroy(c->ua);
  if (c->srv) sipspec_server_destroy(c->srv);
  if (c->rel) relay_destroy(c->rel);
  tst_run_for(c->loop, 0.01); /* deferred frees */
  tst_use_clock(NULL);
  sipspec_clock_free(c->clock);
  ev_loop_destroy(c->loop);
  g = NULL;
}

static const sipspec_telemetry *tel(const sc *c) { return sipspec_ua_telemetry(c->ua); }

/* ---- the scenarios ------------------------------------------------------------------------ */

static void check_normal_answer(const sc *c) {
  CU_ASSERT_EQUAL(c->answer.nchannels, 2);
  CU_ASSERT_EQUAL(c->answer.channels[0].resource, SIPSPEC_MRCP_SPEECHRECOG);
  CU_ASSERT_EQUAL(c->answer.channels[1].resource, SIPSPEC_MRCP_SPEECHSYNTH);
  for (size_t i = 0; i < 2; i++) {
    CU_ASSERT_EQUAL(c->answer.channels[i].rejected, 0);
    CU_ASSERT_EQUAL(c->answer.channels[i].port, 1544);
    CU_ASSERT_STRING_EQUAL(c->answer.channels[i].host, "127.0.0.1");
    CU_ASSERT_PTR_NOT_NULL(strchr(c->answer.channels[i].channel_id, '@'));
  }
  CU_ASSERT_PTR_NOT_NULL(strstr(c->answer.channels[0].channel_id, "@speechrecog"));
  CU_ASSERT_PTR_NOT_NULL(strstr(c->answer.channels[1].channel_id, "@speechsynth"));
  CU_ASSERT_EQUAL(c->answer.audio.present, 1);
  CU_ASSERT_EQUAL(c->answer.audio.port, 4000);
  CU_ASSERT_EQUAL(c->answer.audio.offered, SIPSPEC_SDP_SENDRECV);
  CU_ASSERT_EQUAL(c->answer.audio.answered, SIPSPEC_SDP_SENDRECV);
  CU_ASSERT(c->answer.audio.ncodecs >= 1);
  CU_ASSERT_STRING_EQUAL(c->answer.audio.codecs[0].encoding, "PCMU");
}

static void test_normal_call(void) {
  sc c;
  sc_open(&c);
  sipspec_server_opts so;
  sipspec_server_opts_init(&so);
  sc_server(&c, &so);
  sc_ua(&c);
  sc_call_server(&c);
  CU_ASSERT_FATAL(tst_run_until(c.loop, cond_done, &c, RUN_MAX_S));
  CU_ASSERT_EQUAL(c.n_prov, 1);
  CU_ASSERT_EQUAL(c.prov_status[0], 180);
  CU_ASSERT_EQUAL(c.answered, 1);
  CU_ASSERT_EQUAL(c.failed, 0);
  CU_ASSERT_EQUAL(c.terminated, 1);
  CU_ASSERT_EQUAL(c.result, SIPSPEC_RESULT_OK);
  CU_ASSERT_EQUAL(c.status, 200);
  CU_ASSERT_EQUAL(c.ended_by, SIPSPEC_END_LOCAL);
  CU_ASSERT_EQUAL(c.answered_at, 0);                    /* no timer between INVITE and 200 */
  CU_ASSERT_EQUAL(c.terminated_at, c.answered_at + HOLD_MS); /* our BYE, answered at once */
  check_normal_answer(&c);
  CU_ASSERT_EQUAL(tel(&c)->sessionsStarted, 1);
  CU_ASSERT_EQUAL(tel(&c)->sessionsEstablished, 1);
  CU_ASSERT_EQUAL(tel(&c)->sessionsFailed, 0);
  CU_ASSERT_EQUAL(tel(&c)->sipByeSent, 1);
  CU_ASSERT_EQUAL(tel(&c)->sipError4xx, 0);
  CU_ASSERT_EQUAL(tel(&c)->sipInviteTimeouts, 0);
  CU_ASSERT_EQUAL(sipspec_ua_live_sessions(c.ua), 0);
  sipspec_server_stats st;
  sipspec_server_stats_get(c.srv, &st);
  CU_ASSERT_EQUAL(st.invites, 1);
  CU_ASSERT_EQUAL(st.established, 1);
  CU_ASSERT_EQUAL(st.ended, 1);
  CU_ASSERT_EQUAL(st.byes_received, 1);
  CU_ASSERT_EQUAL(st.byes_sent, 0);
  CU_ASSERT_EQUAL(srv_saw(&c, SIPSPEC_SERVER_INVITED), 1);
  CU_ASSERT_EQUAL(srv_saw(&c, SIPSPEC_SERVER_ESTABLISHED), 1);
  CU_ASSERT_EQUAL(srv_saw(&c, SIPSPEC_SERVER_ENDED), 1);
  sc_close(&c);
}

static void test_ring_many(void) {
  sc c;
  sc_open(&c);
  sipspec_server_opts so;
  sipspec_server_opts_init(&so);
  so.ring_count = 20;
  so.ring_interval_ms = 1000;
  sc_server(&c, &so);
  sc_ua(&c);
  sc_call_server(&c);
  CU_ASSERT_FATAL(tst_run_until(c.loop, cond_done, &c, RUN_MAX_S));
  CU_ASSERT_EQUAL(c.n_prov, 20);
  for (int i = 0; i < 20 && i < c.n_prov; i++) CU_ASSERT_EQUAL(c.prov_status[i], 180);
  CU_ASSERT_EQUAL(c.answered, 1);
  CU_ASSERT_EQUAL(c.answered_at, 20 * 1000); /* an interval after each 180 */
  CU_ASSERT_EQUAL(c.result, SIPSPEC_RESULT_OK);
  CU_ASSERT_EQUAL(c.ended_by, SIPSPEC_END_LOCAL);
  CU_ASSERT(tel(&c)->sipProvisional >= 20); /* a 100 Trying may come on top */
  CU_ASSERT_EQUAL(tel(&c)->sessionsEstablished, 1);
  check_normal_answer(&c);
  sc_close(&c);
}

static void test_reject_486(void) {
  sc c;
  sc_open(&c);
  sipspec_server_opts so;
  sipspec_server_opts_init(&so);
  so.reject_status = 486;
  sc_server(&c, &so);
  sc_ua(&c);
  sc_call_server(&c);
  CU_ASSERT_FATAL(tst_run_until(c.loop, cond_terminated, &c, RUN_MAX_S));
  CU_ASSERT_EQUAL(c.answered, 0);
  CU_ASSERT_EQUAL(c.failed, 1);
  CU_ASSERT_EQUAL(c.fail_result, SIPSPEC_RESULT_REJECTED);
  CU_ASSERT_EQUAL(c.fail_status, 486);
  CU_ASSERT_EQUAL(c.result, SIPSPEC_RESULT_REJECTED);
  CU_ASSERT_EQUAL(c.status, 486);
  CU_ASSERT_EQUAL(c.ended_by, SIPSPEC_END_NONE);
  CU_ASSERT_EQUAL(tel(&c)->sipError4xx, 1);
  CU_ASSERT_EQUAL(tel(&c)->sessionsFailed, 1);
  CU_ASSERT_EQUAL(tel(&c)->sessionsEstablished, 0);
  CU_ASSERT_EQUAL(tel(&c)->sipByeSent, 0);
  sipspec_server_stats st;
  sipspec_server_stats_get(c.srv, &st);
  CU_ASSERT_EQUAL(st.invites, 1);
  CU_ASSERT_EQUAL(st.refused, 1);
  CU_ASSERT_EQUAL(st.established, 0);
  CU_ASSERT_EQUAL(srv_saw(&c, SIPSPEC_SERVER_REFUSED), 1);
  sc_close(&c);
}

/* UDP: a bound socket nobody reads (the datagrams just queue); TCP: a port that was free a
 * moment ago (bound and closed again), so the connection is refused. */
static void test_invite_timeout(void) {
  sc c;
  sc_open(&c);
  sc_ua(&c);
  int fd = socket(AF_INET, g_kind == SIPSPEC_TP_UDP ? SOCK_DGRAM : SOCK_STREAM, 0);
  CU_ASSERT_FATAL(fd >= 0);
  struct sockaddr_in sin;
  memset(&sin, 0, sizeof sin);
  sin.sin_family = AF_INET;
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t sl = sizeof sin;
  CU_ASSERT_FATAL(bind(fd, (struct sockaddr *)&sin, sizeof sin) == 0);
  CU_ASSERT_FATAL(getsockname(fd, (struct sockaddr *)&sin, &sl) == 0);
  sipspec_sockaddr a;
  CU_ASSERT_EQUAL_FATAL(sipspec_sockaddr_from_sockaddr(&a, (struct sockaddr *)&sin, sl), SIPSPEC_OK);
  if (g_kind == SIPSPEC_TP_TCP) {
    close(fd);
    fd = -1;
  }
  c.hold_ms = 0;
  sc_call(&c, &a);
  CU_ASSERT_FATAL(tst_run_until(c.loop, cond_terminated, &c, RUN_MAX_S));
  CU_ASSERT_EQUAL(c.answered, 0);
  CU_ASSERT_EQUAL(c.failed, 1);
  CU_ASSERT_EQUAL(c.status, 0);
  CU_ASSERT_EQUAL(c.ended_by, SIPSPEC_END_NONE);
  CU_ASSERT_EQUAL(tel(&c)->sessionsFailed, 1);
  if (g_kind == SIPSPEC_TP_UDP) {
    CU_ASSERT_EQUAL(c.result, SIPSPEC_RESULT_TIMEOUT);
    CU_ASSERT_EQUAL(c.failed_at, 64 * T1); /* Timer B */
    CU_ASSERT_EQUAL(tel(&c)->sipInviteTimeouts, 1);
    CU_ASSERT_EQUAL(tel(&c)->sipRetransmissions, 6); /* Timer A: T1, 3T1, ... 63T1 */
  } else {
    CU_ASSERT_EQUAL(c.result, SIPSPEC_RESULT_TRANSPORT_ERROR);
    CU_ASSERT_EQUAL(c.failed_at, 0); /* the refusal, at once: no timer ran */
    CU_ASSERT_EQUAL(tel(&c)->sipInviteTimeouts, 0);
    CU_ASSERT(tel(&c)->sipTransportErrors >= 1);
  }
  if (fd >= 0) close(fd);
  sc_close(&c);
}

static void test_server_bye(void) {
  sc c;
  sc_open(&c);
  sipspec_server_opts so;
  sipspec_server_opts_init(&so);
  so.bye_after_ms = 5000;
  sc_server(&c, &so);
  sc_ua(&c);
  c.hold_ms = 0; /* the client never hangs up */
  sc_call_server(&c);
  CU_ASSERT_FATAL(tst_run_until(c.loop, cond_done, &c, RUN_MAX_S));
  CU_ASSERT_EQUAL(c.answered, 1);
  CU_ASSERT_EQUAL(c.result, SIPSPEC_RESULT_OK);
  CU_ASSERT_EQUAL(c.ended_by, SIPSPEC_END_PEER);
  CU_ASSERT_EQUAL(c.terminated_at, c.answered_at + 5000); /* bye_after_ms after the ACK */
  CU_ASSERT_EQUAL(tel(&c)->sipByeSent, 0);
  CU_ASSERT_EQUAL(tel(&c)->sessionsEstablished, 1);
  sipspec_server_stats st;
  sipspec_server_stats_get(c.srv, &st);
  CU_ASSERT_EQUAL(st.byes_sent, 1);
  CU_ASSERT_EQUAL(st.byes_received, 0);
  CU_ASSERT_EQUAL(st.ended, 1);
  sc_close(&c);
}

static void test_cancel_ringing(void) {
  sc c;
  sc_open(&c);
  sipspec_server_opts so;
  sipspec_server_opts_init(&so);
  so.ring_count = 20;
  so.ring_interval_ms = 1000; /* 20 s of ringing: the CANCEL comes long before a 200 */
  sc_server(&c, &so);
  sc_ua(&c);
  c.end_on_first_provisional = 1;
  sc_call_server(&c);
  CU_ASSERT_FATAL(tst_run_until(c.loop, cond_done, &c, RUN_MAX_S));
  CU_ASSERT_EQUAL(c.answered, 0);
  CU_ASSERT_EQUAL(c.n_prov, 1);
  CU_ASSERT_EQUAL(c.result, SIPSPEC_RESULT_CANCELLED);
  CU_ASSERT_EQUAL(c.status, 487);
  CU_ASSERT_EQUAL(c.terminated_at, 0); /* the 487 came at once, before a second 180 */
  CU_ASSERT_EQUAL(c.ended_by, SIPSPEC_END_NONE);
  CU_ASSERT_EQUAL(tel(&c)->sessionsFailed, 1);
  CU_ASSERT_EQUAL(tel(&c)->sessionsEstablished, 0);
  CU_ASSERT_EQUAL(tel(&c)->sipByeSent, 0);
  sipspec_server_stats st;
  sipspec_server_stats_get(c.srv, &st);
  CU_ASSERT_EQUAL(st.invites, 1);
  CU_ASSERT_EQUAL(st.established, 0);
  CU_ASSERT_EQUAL(st.live_dialogs, 0);
  CU_ASSERT_EQUAL(srv_saw(&c, SIPSPEC_SERVER_ENDED), 1);
  sc_close(&c);
}

static void test_bye_481(void) {
  sc c;
  sc_open(&c);
  sipspec_server_opts so;
  sipspec_server_opts_init(&so);
  so.bye_status = 481;
  sc_server(&c, &so);
  sc_ua(&c);
  sc_call_server(&c);
  CU_ASSERT_FATAL(tst_run_until(c.loop, cond_terminated, &c, RUN_MAX_S));
  CU_ASSERT_EQUAL(c.answered, 1);
  CU_ASSERT_EQUAL(c.terminated, 1);
  CU_ASSERT_EQUAL(c.result, SIPSPEC_RESULT_OK); /* it was established; the BYE's 481 ends it */
  CU_ASSERT_EQUAL(c.terminated_at, c.answered_at + HOLD_MS); /* at the 481 to our BYE */
  /* RFC 3261 12.2.1.2: a 481 to an in-dialog request ends the dialog; our BYE was the cause. */
  CU_ASSERT(c.ended_by == SIPSPEC_END_LOCAL || c.ended_by == SIPSPEC_END_ERROR);
  CU_ASSERT_EQUAL(tel(&c)->sipByeSent, 1);
  CU_ASSERT_EQUAL(tel(&c)->sipError4xx, 1);
  CU_ASSERT_EQUAL(sipspec_ua_live_sessions(c.ua), 0);
  sipspec_server_stats st;
  sipspec_server_stats_get(c.srv, &st);
  CU_ASSERT_EQUAL(st.byes_received, 1);
  sc_close(&c);
}

/* The normal call with the INVITE through a relay that drops 30% of the datagrams each way. */
static void test_loss(void) {
  static const uint64_t seeds[] = {1, 7, 42, 20240611, 99991};
  uint64_t retrans = 0, dropped = 0;
  for (size_t k = 0; k < sizeof seeds / sizeof seeds[0]; k++) {
    sc c;
    sc_open(&c);
    sipspec_server_opts so;
    sipspec_server_opts_init(&so);
    sc_server(&c, &so);
    sc_ua(&c);
    relay_opts ro;
    relay_opts_init(&ro);
    ro.seed = seeds[k];
    CU_ASSERT_EQUAL_FATAL(sipspec_server_bound_addr(c.srv, SIPSPEC_TP_UDP, &ro.upstream), SIPSPEC_OK);
    ro.dir[RELAY_A_TO_B].drop_permille = 300;
    ro.dir[RELAY_B_TO_A].drop_permille = 300;
    char err[256];
    int rc = relay_create(c.loop, &ro, &c.rel, err, sizeof err);
    if (rc) fprintf(stderr, "relay: %s\n", err);
    CU_ASSERT_EQUAL_FATAL(rc, SIPSPEC_OK);
    sipspec_sockaddr front = relay_front_addr(c.rel);
    sc_call(&c, &front);
    int ok = tst_run_until(c.loop, cond_done, &c, RUN_MAX_S);
    CU_ASSERT(ok);
    if (!ok || c.result != SIPSPEC_RESULT_OK)
      fprintf(stderr, "\nseed %llu: result %s, A->B %s, B->A %s\n", (unsigned long long)seeds[k],
              sipspec_result_name(c.result), relay_schedule(c.rel, RELAY_A_TO_B), relay_schedule(c.rel, RELAY_B_TO_A));
    CU_ASSERT_EQUAL(c.answered, 1);
    CU_ASSERT_EQUAL(c.result, SIPSPEC_RESULT_OK);
    CU_ASSERT_EQUAL(c.ended_by, SIPSPEC_END_LOCAL);
    CU_ASSERT_EQUAL(tel(&c)->sessionsEstablished, 1);
    retrans += tel(&c)->sipRetransmissions;
    dropped += relay_get_stats(c.rel, RELAY_A_TO_B).dropped + relay_get_stats(c.rel, RELAY_B_TO_A).dropped;
    sc_close(&c);
  }
  /* The relay did drop, and the stack did make up for it. */
  CU_ASSERT(dropped > 0);
  CU_ASSERT(retrans > 0);
}

/* ---- re-INVITE: add a synthesizer to a recognizer session and remove it again ------------ */

static size_t active_channels(const sipspec_mrcp_answer *a) {
  size_t n = 0;
  for (size_t i = 0; i < a->nchannels; i++) n += !a->channels[i].rejected;
  return n;
}

/* The client's parsed answer and the server's answer as sent say the same thing. */
static void check_same_view(const sipspec_mrcp_answer *cl, const sipspec_mrcp_answer *sv) {
  CU_ASSERT_EQUAL_FATAL(cl->nchannels, sv->nchannels);
  for (size_t i = 0; i < cl->nchannels; i++) {
    CU_ASSERT_EQUAL(cl->channels[i].resource, sv->channels[i].resource);
    CU_ASSERT_EQUAL(cl->channels[i].rejected, sv->channels[i].rejected);
    CU_ASSERT_EQUAL(cl->channels[i].port, sv->channels[i].port);
    CU_ASSERT_STRING_EQUAL(cl->channels[i].channel_id, sv->channels[i].channel_id);
    CU_ASSERT_STRING_EQUAL(cl->channels[i].host, sv->channels[i].host);
  }
  CU_ASSERT_EQUAL(cl->audio.offered, sv->audio.offered);
  CU_ASSERT_EQUAL(cl->audio.answered, sv->audio.answered);
  CU_ASSERT_EQUAL(cl->audio.port, sv->audio.port);
}

static void test_reinvite_add_remove(void) {
  static const sipspec_mrcp_resource recog[] = {SIPSPEC_MRCP_SPEECHRECOG};
  static const sc_step script[] = {
    {STEP_ADD, SIPSPEC_MRCP_SPEECHSYNTH}, {STEP_REMOVE, SIPSPEC_MRCP_SPEECHSYNTH}, {STEP_END, SIPSPEC_MRCP_RES_NONE}};
  sc c;
  sc_open(&c);
  sipspec_server_opts so;
  sipspec_server_opts_init(&so);
  sc_server(&c, &so);
  sc_ua(&c);
  c.hold_ms = 0; /* the script ends it */
  c.steps = script;
  c.nsteps = 3;
  sc_call_server_res(&c, recog, 1);
  CU_ASSERT_FATAL(tst_run_until(c.loop, cond_done, &c, RUN_MAX_S));
  CU_ASSERT_EQUAL(c.next_step, 3);
  CU_ASSERT_EQUAL(c.answered, 1);
  CU_ASSERT_EQUAL(c.result, SIPSPEC_RESULT_OK);
  CU_ASSERT_EQUAL(c.ended_by, SIPSPEC_END_LOCAL);
  CU_ASSERT_EQUAL_FATAL(c.n_updated, 2);

  /* speechrecog alone: the client sends audio only */
  const sipspec_mrcp_answer *a0 = &c.answer;
  CU_ASSERT_EQUAL_FATAL(a0->nchannels, 1);
  CU_ASSERT_EQUAL(a0->channels[0].resource, SIPSPEC_MRCP_SPEECHRECOG);
  CU_ASSERT_PTR_NOT_NULL(strstr(a0->channels[0].channel_id, "@speechrecog"));
  CU_ASSERT_EQUAL(a0->audio.offered, SIPSPEC_SDP_SENDONLY);
  CU_ASSERT_EQUAL(a0->audio.answered, SIPSPEC_SDP_RECVONLY);
  char session_id[SIPSPEC_MRCP_ID_MAX];
  snprintf(session_id, sizeof session_id, "%.*s", (int)strcspn(a0->channels[0].channel_id, "@"),
           a0->channels[0].channel_id);
  CU_ASSERT(strlen(session_id) > 0);

  /* + speechsynth: 200, two channels of the same server session, audio both ways */
  CU_ASSERT_EQUAL(c.upd_status[0], 200);
  CU_ASSERT_FATAL(c.upd_has_answer[0]);
  const sipspec_mrcp_answer *a1 = &c.upd_answer[0];
  CU_ASSERT_EQUAL_FATAL(a1->nchannels, 2);
  CU_ASSERT_EQUAL(active_channels(a1), 2);
  CU_ASSERT_STRING_EQUAL(a1->channels[0].channel_id, a0->channels[0].channel_id); /* kept */
  CU_ASSERT_EQUAL(a1->channels[1].resource, SIPSPEC_MRCP_SPEECHSYNTH);
  CU_ASSERT_EQUAL(a1->channels[1].port, 1544);
  CU_ASSERT_EQUAL(a1->channels[1].connection, SIPSPEC_SDP_CONN_EXISTING);
  char want[2 * SIPSPEC_MRCP_ID_MAX];
  snprintf(want, sizeof want, "%s@speechsynth", session_id);
  CU_ASSERT_STRING_EQUAL(a1->channels[1].channel_id, want);
  CU_ASSERT_EQUAL(a1->audio.offered, SIPSPEC_SDP_SENDRECV);
  CU_ASSERT_EQUAL(a1->audio.answered, SIPSPEC_SDP_SENDRECV);

  /* - speechsynth: 200, its m-line stays with port 0, one channel left, audio back to sendonly */
  CU_ASSERT_EQUAL(c.upd_status[1], 200);
  CU_ASSERT_FATAL(c.upd_has_answer[1]);
  const sipspec_mrcp_answer *a2 = &c.upd_answer[1];
  CU_ASSERT_EQUAL_FATAL(a2->nchannels, 2);
  CU_ASSERT_EQUAL(active_channels(a2), 1);
  CU_ASSERT_STRING_EQUAL(a2->channels[0].channel_id, a0->channels[0].channel_id);
  CU_ASSERT_EQUAL(a2->channels[1].resource, SIPSPEC_MRCP_SPEECHSYNTH);
  CU_ASSERT_EQUAL(a2->channels[1].rejected, 1);
  CU_ASSERT_EQUAL(a2->channels[1].port, 0);
  CU_ASSERT_EQUAL(a2->audio.offered, SIPSPEC_SDP_SENDONLY);
  CU_ASSERT_EQUAL(a2->audio.answered, SIPSPEC_SDP_RECVONLY);

  /* the server's side: what it sent each time is what the client read */
  const sipspec_mrcp_answer *cl[3] = {a0, a1, a2};
  for (int k = 0; k < 3; k++) {
    CU_ASSERT_FATAL(c.srv_view_ok[k]);
    check_same_view(cl[k], &c.srv_view[k]);
  }
  CU_ASSERT_PTR_NOT_NULL(strstr(c.srv_last_answer, "m=application 0 "));
  CU_ASSERT_EQUAL(srv_saw(&c, SIPSPEC_SERVER_UPDATED), 2);
  for (int i = 0; i < c.n_srv_ev && i < EV_MAX; i++)
    if (c.srv_ev[i] == SIPSPEC_SERVER_UPDATED) CU_ASSERT_EQUAL(c.srv_ev_status[i], 200);
  CU_ASSERT_EQUAL(srv_saw(&c, SIPSPEC_SERVER_ESTABLISHED), 1);
  CU_ASSERT_EQUAL(srv_saw(&c, SIPSPEC_SERVER_ENDED), 1);
  sipspec_server_stats st;
  sipspec_server_stats_get(c.srv, &st);
  CU_ASSERT_EQUAL(st.established, 1);
  CU_ASSERT_EQUAL(st.ended, 1);
  CU_ASSERT_EQUAL(st.refused, 0);
  CU_ASSERT_EQUAL(st.byes_received, 1);
  CU_ASSERT_EQUAL(st.live_dialogs, 0);
  CU_ASSERT_EQUAL(tel(&c)->sipByeSent, 1);
  CU_ASSERT_EQUAL(c.n_invite_cseq, 3); /* the INVITE and two re-INVITEs */
  sc_close(&c);
}

/* ---- 488 with a Warning ------------------------------------------------------------------- */

static void test_488_warning(void) {
  static const sipspec_mrcp_resource rec[] = {SIPSPEC_MRCP_RECORDER};
  sc c;
  sc_open(&c);
  sipspec_server_opts so;
  sipspec_server_opts_init(&so);
  so.mrcp.supported = (1u << SIPSPEC_MRCP_SPEECHRECOG) | (1u << SIPSPEC_MRCP_SPEECHSYNTH);
  sc_server(&c, &so);
  sc_ua(&c);
  sc_call_server_res(&c, rec, 1);
  CU_ASSERT_FATAL(tst_run_until(c.loop, cond_terminated, &c, RUN_MAX_S));
  CU_ASSERT_EQUAL(c.answered, 0);
  CU_ASSERT_EQUAL(c.failed, 1);
  CU_ASSERT_EQUAL(c.fail_result, SIPSPEC_RESULT_REJECTED);
  CU_ASSERT_EQUAL(c.fail_status, 488);
  CU_ASSERT_EQUAL(c.status, 488);
  CU_ASSERT_PTR_NOT_NULL(strstr(c.fail_warning, "recorder"));
  CU_ASSERT_EQUAL(tel(&c)->sipError4xx, 1);
  sipspec_server_stats st;
  sipspec_server_stats_get(c.srv, &st);
  CU_ASSERT_EQUAL(st.invites, 1);
  CU_ASSERT_EQUAL(st.refused, 1);
  CU_ASSERT_EQUAL(st.established, 0);
  CU_ASSERT_EQUAL(srv_saw(&c, SIPSPEC_SERVER_REFUSED), 1);
  sc_close(&c);
}

/* ---- Digest through the whole stack ------------------------------------------------------- */

#define AUTH_USER "alice"
#define AUTH_PASS "s3cret-pw"
#define AUTH_REALM "mrcp.example"

/* The value of param name in a credentials line ("Digest username=\"a\", qop=auth, ..."). */
static int auth_param(const char *line, const char *name, char *out, size_t cap) {
  size_t nl = strlen(name);
  for (const char *p = line; (p = strstr(p, name)) != NULL; p += nl) {
    if (p != line && p[-1] != ' ' && p[-1] != ',') continue;
    if (p[nl] != '=') continue;
    const char *v = p + nl + 1;
    size_t vl = *v == '"' ? strcspn(++v, "\"") : strcspn(v, ", ");
    if (vl >= cap) vl = cap - 1;
    memcpy(out, v, vl);
    out[vl] = '\0';
    return 1;
  }
  return 0;
}

static void sc_auth_server(sc *c, int proxy, sipspec_digest_alg alg, unsigned qop, unsigned lifetime_ms) {
  sipspec_server_opts so;
  sipspec_server_opts_init(&so);
  so.auth_user = AUTH_USER;
  so.auth_password = AUTH_PASS;
  so.auth_realm = AUTH_REALM;
  so.auth_proxy = proxy;
  if (alg) {
    so.auth_algs[0] = alg;
    so.auth_nalgs = 1;
  }
  so.auth_qop_mask = qop;
  so.auth_nonce_lifetime_ms = lifetime_ms;
  sc_server(c, &so);
}

/* Says which combination failed: CUnit only names the line. */
#define CHECK_FOR(label, cond)                                                 \
  do {                                                                         \
    int ok_ = (cond);                                                          \
    if (!ok_) fprintf(stderr, "\n    [%s] failed: %s\n", (label), #cond);      \
    CU_ASSERT(ok_);                                                            \
  } while (0)

static void digest_call(sipspec_digest_alg alg, sipspec_digest_qop qop, int proxy) {
  static const sipspec_digest_cred_entry cred = {NULL, AUTH_USER, AUTH_PASS};
  const char *qop_name = qop == SIPSPEC_DIGEST_QOP_AUTH ? "auth" : "auth-int";
  char label[96], v[128];
  snprintf(label, sizeof label, "%s qop=%s %d", sipspec_digest_alg_name(alg), qop_name, proxy ? 407 : 401);
  sc c;
  sc_open(&c);
  sc_auth_server(&c, proxy, alg, (unsigned)qop, 0);
  sc_ua_auth(&c, &cred, 2);
  sc_call_server(&c);
  CU_ASSERT_FATAL(tst_run_until(c.loop, cond_done, &c, RUN_MAX_S));
  CHECK_FOR(label, c.result == SIPSPEC_RESULT_OK);
  CHECK_FOR(label, c.status == 200);
  CHECK_FOR(label, c.ended_by == SIPSPEC_END_LOCAL);
  CHECK_FOR(label, tel(&c)->sipAuthChallenges == 1);
  CHECK_FOR(label, tel(&c)->sessionsEstablished == 1);
  /* the INVITE went out exactly twice (two CSeq numbers, one apart), the second with
   * credentials of the offered algorithm and qop in the header the challenge asked for */
  CHECK_FOR(label, c.n_invite_cseq == 2);
  CHECK_FOR(label, c.n_invite_cseq == 2 && c.invite_cseq[1] == c.invite_cseq[0] + 1);
  CHECK_FOR(label, c.last_invite_auth_proxy == proxy);
  CHECK_FOR(label, auth_param(c.last_invite_auth, "algorithm", v, sizeof v) && !strcmp(v, sipspec_digest_alg_name(alg)));
  CHECK_FOR(label, auth_param(c.last_invite_auth, "qop", v, sizeof v) && !strcmp(v, qop_name));
  CHECK_FOR(label, auth_param(c.last_invite_auth, "realm", v, sizeof v) && !strcmp(v, AUTH_REALM));
  CHECK_FOR(label, strstr(c.last_invite_auth, AUTH_PASS) == NULL);
  /* the BYE carried the cached credentials and was accepted without a challenge */
  CHECK_FOR(label, c.n_bye_sent >= 1 && c.n_bye_with_auth == c.n_bye_sent);
  sipspec_server_stats st;
  sipspec_server_stats_get(c.srv, &st);
  CHECK_FOR(label, st.challenges == 1);
  CHECK_FOR(label, st.established == 1);
  CHECK_FOR(label, st.ended == 1);
  CHECK_FOR(label, st.byes_received == 1);
  CHECK_FOR(label, srv_saw(&c, SIPSPEC_SERVER_REFUSED) == 1);
  for (int i = 0; i < c.n_srv_ev && i < EV_MAX; i++)
    if (c.srv_ev[i] == SIPSPEC_SERVER_REFUSED) CHECK_FOR(label, c.srv_ev_status[i] == (proxy ? 407 : 401));
  sc_close(&c);
}

static void test_digest_matrix(void) {
  static const sipspec_digest_alg algs[] = {SIPSPEC_DIGEST_MD5,        SIPSPEC_DIGEST_MD5_SESS,
                                            SIPSPEC_DIGEST_SHA256,     SIPSPEC_DIGEST_SHA256_SESS,
                                            SIPSPEC_DIGEST_SHA512_256, SIPSPEC_DIGEST_SHA512_256_SESS};
  for (size_t a = 0; a < sizeof algs / sizeof algs[0]; a++)
    for (int q = 0; q < 2; q++)
      for (int proxy = 0; proxy < 2; proxy++)
        digest_call(algs[a], q ? SIPSPEC_DIGEST_QOP_AUTH_INT : SIPSPEC_DIGEST_QOP_AUTH, proxy);
}

/* A wrong password: the second challenge (RFC 3261 22.2: do not re-try credentials just
 * refused) or max_challenges ends it, whichever comes first. */
static void test_digest_wrong_password(void) {
  static const sipspec_digest_cred_entry bad = {NULL, AUTH_USER, "not-the-password"};
  for (unsigned maxc = 0; maxc <= 3; maxc++) {
    char label[64];
    snprintf(label, sizeof label, "wrong password, max_challenges %u", maxc);
    int want = maxc == 0 ? 1 : 2; /* INVITEs sent, and challenges received */
    sc c;
    sc_open(&c);
    sc_auth_server(&c, 0, 0, 0, 0);
    sc_ua_auth(&c, &bad, maxc);
    c.hold_ms = 0;
    sc_call_server(&c);
    CU_ASSERT_FATAL(tst_run_until(c.loop, cond_done, &c, RUN_MAX_S));
    CHECK_FOR(label, c.answered == 0);
    CHECK_FOR(label, c.failed == 1);
    CHECK_FOR(label, c.result == SIPSPEC_RESULT_AUTH_FAILED);
    CHECK_FOR(label, c.fail_status == 401);
    CHECK_FOR(label, c.n_invite_cseq == want);
    CHECK_FOR(label, tel(&c)->sipAuthChallenges == (uint64_t)want);
    CHECK_FOR(label, tel(&c)->sessionsFailed == 1);
    /* why: the limit, or the realm refusing fresh credentials */
    if (maxc < 2) CHECK_FOR(label, strstr(c.fail_reason, "at most") != NULL);
    else CHECK_FOR(label, strstr(c.fail_reason, "rejected the credentials") != NULL);
    CHECK_FOR(label, strstr(c.fail_reason, "not-the-password") == NULL);
    sipspec_server_stats st;
    sipspec_server_stats_get(c.srv, &st);
    CHECK_FOR(label, st.challenges == (uint64_t)want);
    CHECK_FOR(label, st.invites == (uint64_t)want);
    CHECK_FOR(label, st.established == 0);
    CHECK_FOR(label, st.live_dialogs == 0);
    sc_close(&c);
  }
}

/* The nonce expires while the session is held: the re-INVITE's cached credentials get a
 * stale=true challenge (RFC 7616 3.3), answered at once with the new nonce and the same
 * credentials; the re-INVITE succeeds and the BYE right after it is accepted. */
static void test_digest_stale_reinvite(void) {
  static const sipspec_digest_cred_entry cred = {NULL, AUTH_USER, AUTH_PASS};
  static const sc_step script[] = {{STEP_ADD, SIPSPEC_MRCP_SPEECHSYNTH}, {STEP_END, SIPSPEC_MRCP_RES_NONE}};
  static const sipspec_mrcp_resource recog[] = {SIPSPEC_MRCP_SPEECHRECOG};
  sc c;
  sc_open(&c);
  /* the nonce's lifetime: the digest module's default, 300 s (of the server's clock) */
  sc_auth_server(&c, 0, SIPSPEC_DIGEST_SHA256, SIPSPEC_DIGEST_QOP_AUTH, 0);
  sc_ua_auth(&c, &cred, 2);
  c.hold_ms = 0;
  c.steps = script;
  c.nsteps = 2;
  c.first_step_delay_ms = 310000; /* past the nonce's 300 s */
  sc_call_server_res(&c, recog, 1);
  CU_ASSERT_FATAL(tst_run_until(c.loop, cond_done, &c, RUN_MAX_S));
  CU_ASSERT_EQUAL(c.answered, 1);
  CU_ASSERT_EQUAL(c.failed, 0);
  CU_ASSERT_EQUAL(c.result, SIPSPEC_RESULT_OK);
  CU_ASSERT_EQUAL(c.ended_by, SIPSPEC_END_LOCAL);
  CU_ASSERT_EQUAL_FATAL(c.n_updated, 1);
  CU_ASSERT_EQUAL(c.upd_status[0], 200);
  CU_ASSERT(c.upd_has_answer[0] && active_channels(&c.upd_answer[0]) == 2);
  CU_ASSERT_EQUAL(c.terminated_at, c.answered_at + 310000); /* re-INVITE, BYE: no timer between */
  /* INVITE, INVITE with credentials, re-INVITE (stale), re-INVITE with the new nonce */
  CU_ASSERT_EQUAL(c.n_invite_cseq, 4);
  CU_ASSERT_EQUAL(tel(&c)->sipAuthChallenges, 2);
  CU_ASSERT_EQUAL(c.n_bye_with_auth, c.n_bye_sent);
  sipspec_server_stats st;
  sipspec_server_stats_get(c.srv, &st);
  CU_ASSERT_EQUAL(st.challenges, 2);
  CU_ASSERT_EQUAL(st.established, 1);
  CU_ASSERT_EQUAL(st.byes_received, 1);
  CU_ASSERT_EQUAL(st.ended, 1);
  CU_ASSERT_EQUAL(srv_saw(&c, SIPSPEC_SERVER_UPDATED), 1);
  sc_close(&c);
}

/* ---- main ---------------------------------------------------------------------------------- */

static int use_udp(void) {
  g_kind = SIPSPEC_TP_UDP;
  return 0;
}
static int use_tcp(void) {
  g_kind = SIPSPEC_TP_TCP;
  return 0;
}

/* No argument: the scenarios; "auth": the Digest suites (a CTest entry of their own). */
int main(int argc, char **argv) {
  int auth = argc > 1 && !strcmp(argv[1], "auth");
  if (CU_initialize_registry() != CUE_SUCCESS) return 2;
  static const struct {
    const char *name;
    void (*fn)(void);
  } cases[] = {
    {"normal call: INVITE, 180, 200, ACK, hold, BYE", test_normal_call},
    {"20 x 180 Ringing then 200", test_ring_many},
    {"immediate 486: rejected, sipError4xx 1", test_reject_486},
    {"no answer: timeout (UDP) / refused (TCP)", test_invite_timeout},
    {"server-initiated BYE", test_server_bye},
    {"CANCEL while ringing", test_cancel_ringing},
    {"481 to our BYE", test_bye_481},
    {"re-INVITE: + speechsynth, - speechsynth, as the server answered", test_reinvite_add_remove},
    {"488 with a Warning for a resource not served", test_488_warning},
  }, auth_cases[] = {
    {"6 algorithms x auth/auth-int x 401/407: one challenge, INVITE twice", test_digest_matrix},
    {"wrong password, max_challenges 0..3: exact INVITE counts", test_digest_wrong_password},
    {"nonce stale before a re-INVITE: answered, not a failure", test_digest_stale_reinvite},
  };
  CU_pSuite su = CU_add_suite(auth ? "auth_udp" : "scenarios_udp", use_udp, NULL);
  CU_pSuite st = CU_add_suite(auth ? "auth_tcp" : "scenarios_tcp", use_tcp, NULL);
  size_t n = auth ? sizeof auth_cases / sizeof auth_cases[0] : sizeof cases / sizeof cases[0];
  for (size_t i = 0; i < n; i++) {
    CU_add_test(su, auth ? auth_cases[i].name : cases[i].name, auth ? auth_cases[i].fn : cases[i].fn);
    CU_add_test(st, auth ? auth_cases[i].name : cases[i].name, auth ? auth_cases[i].fn : cases[i].fn);
  }
  if (!auth) {
    CU_pSuite sl = CU_add_suite("scenarios_loss_udp", use_udp, NULL);
    CU_add_test(sl, "normal call through 30% loss each way, 5 seeds", test_loss);
  }
  CU_basic_set_mode(CU_BRM_VERBOSE);
  CU_basic_run_tests();
  unsigned fails = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
  CU_cleanup_registry();
  return fails ? 1 : 0;
}
