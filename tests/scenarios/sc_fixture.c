/* sc_fixture.c: the fixture of the client-against-server scenarios (sc_fixture.h). */
#include "sc_fixture.h"

sipspec_tp_kind g_kind;

/* ---- what the client and the server saw -------------------------------------------------- */

sc *g; /* the scenario running now: the callbacks assert they belong to it */


void hold_cb(sipspec_clock_timer *w, void *arg) {
  sc *c = arg;
  (void)w;
  CU_ASSERT_PTR_NOT_NULL(c->s);
  if (c->s) CU_ASSERT_EQUAL(sipspec_session_end(c->s), SIPSPEC_OK);
}

void on_provisional(sipspec_session *s, int status, const char *reason, void *user) {
  sc *c = user;
  (void)reason;
  CU_ASSERT_PTR_EQUAL(c, g);
  CU_ASSERT_PTR_EQUAL(s, c->s);
  if (c->n_prov < EV_MAX) c->prov_status[c->n_prov] = status;
  c->n_prov++;
  if (c->end_on_first_provisional && c->n_prov == 1) CU_ASSERT_EQUAL(sipspec_session_end(s), SIPSPEC_OK);
}

void on_answered(sipspec_session *s, const sipspec_mrcp_answer *answer, const char *sdp, size_t sdp_len,
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

void on_failed(sipspec_session *s, sipspec_result result, const sipspec_response_info *info, void *user) {
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
void take_srv_view(sc *c, int k) {
  if (k < 0 || k >= 5) return;
  sipspec_sdp_error e;
  memset(&e, 0, sizeof e);
  c->srv_view_ok[k] = sipspec_mrcp_answer_parse(c->srv_last_offer, strlen(c->srv_last_offer), c->srv_last_answer,
                                                strlen(c->srv_last_answer), &c->srv_view[k], &e) == SIPSPEC_OK;
}

void step_cb(sipspec_clock_timer *w, void *arg) {
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

void schedule_step(sc *c) {
  if (c->next_step >= c->nsteps) return;
  CU_ASSERT_EQUAL(sipspec_clock_timer_after(c->clock, &c->step, c->next_step ? 0 : c->first_step_delay_ms),
                  SIPSPEC_OK);
}

void on_updated(sipspec_session *s, const sipspec_response_info *info, const sipspec_mrcp_answer *answer,
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

void on_terminated(sipspec_session *s, sipspec_end_reason by, void *user) {
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

void on_server_event(sipspec_server *srv, sipspec_server_event ev, const char *call_id, int status,
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
int msg_header(const char *data, size_t len, const char *name, char *out, size_t cap) {
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

void msg_body(const char *data, size_t len, char *out, size_t cap) {
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

int starts(const char *data, size_t len, const char *prefix) {
  size_t n = strlen(prefix);
  return len >= n && !memcmp(data, prefix, n);
}

/* The client's INVITEs: each CSeq number once (a retransmission repeats one), and the
 * credentials the last one carried. */
void ua_trace(void *user, const char *dir, sipspec_tp_kind kind, const sipspec_sockaddr *peer,
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
void srv_trace(void *user, const char *dir, sipspec_tp_kind kind, const sipspec_sockaddr *peer,
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

int srv_saw(const sc *c, sipspec_server_event ev) {
  int n = 0;
  for (int i = 0; i < c->n_srv_ev && i < EV_MAX; i++) n += c->srv_ev[i] == ev;
  return n;
}

/* ---- setup ------------------------------------------------------------------------------- */

void cfg_init(sipspec_config *cfg, sipspec_tp_kind kind) {
  sipspec_config_init(cfg);
  cfg->transport = kind; /* and RFC 3261's timer values */
}

void sc_open(sc *c) {
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
void sc_server(sc *c, sipspec_server_opts *o) {
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
void sc_ua_auth(sc *c, const sipspec_digest_cred_entry *cred, unsigned max_challenges) {
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

void sc_ua(sc *c) { sc_ua_auth(c, NULL, 0); }

/* Starts a session with the resources res[0..n-1] toward addr. */
void sc_call_res(sc *c, const sipspec_sockaddr *addr, const sipspec_mrcp_resource *res, size_t n) {
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
void sc_call(sc *c, const sipspec_sockaddr *addr) {
  static const sipspec_mrcp_resource both[] = {SIPSPEC_MRCP_SPEECHRECOG, SIPSPEC_MRCP_SPEECHSYNTH};
  sc_call_res(c, addr, both, 2);
}

void sc_call_server_res(sc *c, const sipspec_mrcp_resource *res, size_t n) {
  sipspec_sockaddr a;
  CU_ASSERT_EQUAL_FATAL(sipspec_server_bound_addr(c->srv, g_kind, &a), SIPSPEC_OK);
  sc_call_res(c, &a, res, n);
}

void sc_call_server(sc *c) {
  static const sipspec_mrcp_resource both[] = {SIPSPEC_MRCP_SPEECHRECOG, SIPSPEC_MRCP_SPEECHSYNTH};
  sc_call_server_res(c, both, 2);
}

int cond_terminated(void *arg) { return ((sc *)arg)->terminated > 0; }

int cond_done(void *arg) {
  sc *c = arg;
  sipspec_server_stats st;
  if (!c->terminated) return 0;
  sipspec_server_stats_get(c->srv, &st);
  return st.live_dialogs == 0;
}

void sc_close(sc *c) {
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

const sipspec_telemetry *tel(const sc *c) { return sipspec_ua_telemetry(c->ua); }

