/* server_env.c: see server_env.h. */
#include "server_env.h"

#include <CUnit/Basic.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netutil.h"
#include "sipspec/coverage.h"

sipspec_tp_kind g_kind = SIPSPEC_TP_UDP;
const sipspec_mrcp_resource synth_recog[2] = {SIPSPEC_MRCP_SPEECHSYNTH, SIPSPEC_MRCP_SPEECHRECOG};

/* ---- environment ------------------------------------------------------------------------ */


static void on_event(sipspec_server *srv, sipspec_server_event ev, const char *call_id, int status, void *user) {
  env *e = user;
  (void)srv, (void)call_id;
  if ((unsigned)ev < 8) {
    e->events[ev]++;
    e->last_status[ev] = status;
    e->event_ms[ev] = env_ms(e);
  }
}

static void on_trace(void *user, const char *dir, sipspec_tp_kind kind, const sipspec_sockaddr *peer_addr,
                     const char *data, size_t len) {
  env *e = user;
  (void)kind, (void)peer_addr;
  if (!strcmp(dir, "send")) e->trace_send++;
  else if (e->trace_recv++ == 0) snprintf(e->first_recv, sizeof e->first_recv, "%.*s", (int)(len < 15 ? len : 15), data);
}

void opts_default(sipspec_server_opts *o) {
  sipspec_server_opts_init(o);
  o->listen_host = "127.0.0.1";
  o->cfg.transport = g_kind; /* the timers stay sipspec_config_init()'s: T1_MS, T2_MS, T4_MS */
  o->user_agent = "test-server/1";
}

int env_open(env *e, sipspec_server_opts *o) {
  memset(e, 0, sizeof *e);
  e->loop = ev_loop_new(EVFLAG_AUTO);
  e->clock = e->loop ? sipspec_clock_virtual_new(e->loop, ENV_T0_MS) : NULL;
  if (!e->clock) {
    fprintf(stderr, "no loop or no clock\n");
    return SIPSPEC_E_NOMEM;
  }
  tst_use_clock(e->clock);
  o->clock = e->clock;
  e->bye_after_ms = o->bye_after_ms;
  o->on_event = on_event;
  o->user = e;
  o->trace = on_trace;
  o->trace_user = e;
  char err[SIPSPEC_ERR_LEN];
  int rc = sipspec_server_create(e->loop, o, &e->srv, err, sizeof err);
  if (rc) {
    fprintf(stderr, "server: %s (%s)\n", err, sipspec_errname(rc));
    return rc;
  }
  sipspec_sockaddr a;
  rc = sipspec_server_bound_addr(e->srv, g_kind, &a);
  if (!rc) rc = peer_open(&e->p, e->loop, g_kind, &a);
  return rc;
}

void env_close(env *e) {
  peer_close(&e->p);
  sipspec_server_destroy(e->srv);
  tst_run_for(e->loop, 0.01); /* the deferred frees */
  CU_ASSERT_EQUAL(sipspec_clock_timers_armed(e->clock), 0); /* the server left no timer */
  tst_use_clock(NULL);
  sipspec_clock_free(e->clock);
  ev_loop_destroy(e->loop);
}

uint64_t env_ms(const env *e) { return sipspec_clock_now_ms(e->clock) - ENV_T0_MS; }

uint64_t env_at(const env *e, const peer *p, const char *m) {
  (void)e;
  return peer_at(p, m) - ENV_T0_MS;
}

sipspec_server_stats env_stats(env *e) {
  sipspec_server_stats s;
  sipspec_server_stats_get(e->srv, &s);
  return s;
}

/* ---- the scripted client ---------------------------------------------------------------- */


void call_init(call *c, const char *name) {
  static int seq;
  snprintf(c->call_id, sizeof c->call_id, "%s-%d@test", name, ++seq);
  snprintf(c->from_tag, sizeof c->from_tag, "ft%d", seq);
  c->to_tag[0] = '\0';
  c->cseq = 0;
  c->contact = c->via_sent_by = NULL;
}

size_t make_offer(char *buf, size_t cap, const sipspec_mrcp_resource *res, size_t n) {
  sipspec_mrcp_offer_desc d;
  sipspec_mrcp_offer_desc_init(&d);
  d.addr = "127.0.0.1";
  d.rtp_port = 5004;
  for (size_t i = 0; i < n; i++) d.resources[i] = res[i];
  d.nresources = n;
  size_t len = 0;
  CU_ASSERT_EQUAL_FATAL(sipspec_mrcp_offer_build(&d, buf, cap, &len, NULL), SIPSPEC_OK);
  return len;
}

/* Sends a request of call c (method, body, extra headers); in-dialog when c->to_tag is set. */
void send_req(env *e, call *c, const char *method, const char *body, size_t body_len, const char *extra,
                     const char *branch, unsigned cseq) {
  char buf[16384];
  req_spec r = {0};
  r.method = method;
  r.call_id = c->call_id;
  r.from_tag = c->from_tag;
  r.to_tag = c->to_tag[0] ? c->to_tag : NULL;
  r.cseq = cseq;
  r.branch = branch;
  r.extra = extra;
  r.body = body;
  r.body_len = body_len;
  r.contact = c->contact;
  r.via_sent_by = c->via_sent_by;
  char used[64];
  size_t n = peer_request(&e->p, &r, buf, sizeof buf, used);
  CU_ASSERT_FATAL(n > 0);
  if (!strcmp(method, "INVITE")) snprintf(c->branch, sizeof c->branch, "%s", used);
  CU_ASSERT_EQUAL(peer_send(&e->p, buf, n), 0);
}

void send_invite(env *e, call *c, const char *body, size_t len, const char *extra) {
  send_req(e, c, "INVITE", body, len, extra, NULL, ++c->cseq);
}

/* The ACK of a 2xx: its own transaction (new branch), the To tag of the dialog. */
void send_ack_2xx(env *e, call *c) { send_req(e, c, "ACK", NULL, 0, NULL, NULL, c->cseq); }

/* The ACK of a non-2xx final response: the INVITE's branch (17.1.1.3). */
void send_ack_failure(env *e, call *c, const char *resp) {
  char saved[64];
  snprintf(saved, sizeof saved, "%s", c->to_tag);
  msg_to_tag(resp, c->to_tag, sizeof c->to_tag);
  send_req(e, c, "ACK", NULL, 0, NULL, c->branch, c->cseq);
  snprintf(c->to_tag, sizeof c->to_tag, "%s", saved);
}

/* INVITE -> 100 -> 180 -> 200 -> ACK with the given offer; returns the 200's text. */
const char *establish(env *e, call *c, const sipspec_mrcp_resource *res, size_t n) {
  char offer[4096];
  size_t len = make_offer(offer, sizeof offer, res, n);
  send_invite(e, c, offer, len, NULL);
  const char *ok = peer_find(&e->p, "SIP/2.0 200", 30.0); /* after any ringing */
  CU_ASSERT_PTR_NOT_NULL_FATAL(ok);
  CU_ASSERT_PTR_NOT_NULL_FATAL(msg_to_tag(ok, c->to_tag, sizeof c->to_tag));
  send_ack_2xx(e, c);
  int established = e->events[SIPSPEC_SERVER_ESTABLISHED];
  for (int i = 0; i < 100 && e->events[SIPSPEC_SERVER_ESTABLISHED] == established; i++) tst_run_for(e->loop, 0.01);
  CU_ASSERT_EQUAL(e->events[SIPSPEC_SERVER_ESTABLISHED], established + 1);
  return ok;
}

int idle_cond(void *arg) { return sipspec_server_idle(arg); }

/* The Contact URI peer p writes by default. */
const char *peer_contact(const peer *p, char *out, size_t cap) {
  char host[SIPSPEC_SOCKADDR_STRLEN];
  sipspec_sockaddr_host(&p->local, host, sizeof host);
  snprintf(out, cap, "sip:client@%s:%u;transport=%s", host, sipspec_sockaddr_port(&p->local),
           p->kind == SIPSPEC_TP_TCP ? "tcp" : "udp");
  return out;
}

/* Asserts the whole BYE the server sent in call c, byte for byte but for its branch
 * (RFC 3261 12.2.1.1, 15.1.1): Request-URI ruri (the remote target, or the first route
 * with strict routing), a Via over proto from the server's address with rport, From our
 * To URI with our tag, To the client's URI with its tag, the Call-ID, CSeq cseq BYE, the
 * Route lines given (or ""), our User-Agent, no body. */
void expect_bye(const env *e, const call *c, const char *bye, const char *ruri, const char *proto,
                       unsigned cseq, const char *routes) {
  char srv[SIPSPEC_SOCKADDR_STRLEN], branch[128], want[4096];
  sipspec_sockaddr_format(&e->p.server, srv, sizeof srv);
  const char *b = strstr(bye, ";branch=");
  CU_ASSERT_PTR_NOT_NULL_FATAL(b);
  b += 8;
  size_t n = strcspn(b, ";\r\n");
  CU_ASSERT_FATAL(n > 7 && n < sizeof branch);
  memcpy(branch, b, n);
  branch[n] = '\0';
  CU_ASSERT_EQUAL(strncmp(branch, "z9hG4bK", 7), 0);
  snprintf(want, sizeof want,
           "BYE %s SIP/2.0\r\n"
           "Via: SIP/2.0/%s %s;rport;branch=%s\r\n"
           "Max-Forwards: 70\r\n"
           "%s" /* RFC 3261 7.3.1: what proxies read (Route) near the top */
           "From: <sip:mresources@%s>;tag=%s\r\n"
           "To: <sip:client@127.0.0.1>;tag=%s\r\n"
           "Call-ID: %s\r\n"
           "CSeq: %u BYE\r\n"
           "User-Agent: test-server/1\r\n"
           "Content-Length: 0\r\n\r\n",
           ruri, proto, srv, branch, routes, srv, c->to_tag, c->from_tag, c->call_id, cseq);
  CU_ASSERT_STRING_EQUAL(bye, want);
}

/* Answers a BYE the server sent with status. */
void answer_server_bye(env *e, const char *bye, int status) {
  char resp[2048], via[512], from[512], to[512], cid[256], cseq[64];
  msg_header(bye, "Via", via, sizeof via);
  msg_header(bye, "From", from, sizeof from);
  msg_header(bye, "To", to, sizeof to);
  msg_header(bye, "Call-ID", cid, sizeof cid);
  msg_header(bye, "CSeq", cseq, sizeof cseq);
  int n = snprintf(resp, sizeof resp,
                   "SIP/2.0 %d Answer\r\nVia: %s\r\nFrom: %s\r\nTo: %s\r\nCall-ID: %s\r\nCSeq: %s\r\n"
                   "Content-Length: 0\r\n\r\n",
                   status, via, from, to, cid, cseq);
  CU_ASSERT_EQUAL(peer_send(&e->p, resp, (size_t)n), 0);
}

/* A second UDP socket of the client, standing for its listening address or a proxy. */
void open_udp_peer(env *e, peer *q) {
  sipspec_sockaddr a;
  CU_ASSERT_EQUAL_FATAL(sipspec_server_bound_addr(e->srv, SIPSPEC_TP_UDP, &a), SIPSPEC_OK);
  CU_ASSERT_EQUAL_FATAL(peer_open(q, e->loop, SIPSPEC_TP_UDP, &a), 0);
}

/* The server's BYE with bye_after_ms, once call c is established. */
const char *bye_of(env *e, call *c, peer *where) {
  establish(e, c, synth_recog, 1);
  const char *bye = peer_find(where, "BYE ", 40.0);
  if (bye) CU_ASSERT_EQUAL(env_at(e, where, bye), e->event_ms[SIPSPEC_SERVER_ESTABLISHED] + e->bye_after_ms);
  return bye;
}


void env_open_ringing(env *e, unsigned ring_interval_ms) {
  sipspec_server_opts o;
  opts_default(&o);
  o.ring_count = 1;
  o.ring_interval_ms = ring_interval_ms;
  CU_ASSERT_EQUAL_FATAL(env_open(e, &o), 0);
}

const char *expect_msg(peer *p, const char *prefix, double max_s) {
  const char *m = peer_find(p, prefix, max_s);
  CU_ASSERT_PTR_NOT_NULL_FATAL(m);
  return m;
}

int env_run_suite(int argc, char **argv, const char *suite, const env_test *tests, size_t n) {
  signal(SIGPIPE, SIG_IGN);
  if (argc > 1 && !strcmp(argv[1], "tcp")) g_kind = SIPSPEC_TP_TCP;
  if (sipspec_coverage_install_atexit() != SIPSPEC_OK) return 2;
  if (CU_initialize_registry() != CUE_SUCCESS) return 2;
  char name[64];
  snprintf(name, sizeof name, "%s_%s", suite, g_kind == SIPSPEC_TP_TCP ? "tcp" : "udp");
  CU_pSuite s = CU_add_suite(name, NULL, NULL);
  for (size_t i = 0; i < n; i++) CU_add_test(s, tests[i].name, tests[i].fn);
  CU_basic_set_mode(CU_BRM_VERBOSE);
  CU_basic_run_tests();
  unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
  unsigned run = CU_get_number_of_tests_run();
  CU_cleanup_registry();
  return failed || run == 0 ? 1 : 0;
}
