/* test_server.c: the embedded MRCP server (sipspec/server.h) against a scripted client on
 * 127.0.0.1, over the transport named by argv[1] ("udp" or "tcp"). The client is a raw
 * socket in this process (server_peer.c); it writes its own requests and asserts the
 * server's exact responses: ringing, the SDP answer (a=channel per resource), 488 with a
 * Warning, 415, 481, 405, OPTIONS, CANCEL/487, re-INVITE adding and removing a resource,
 * the 2xx sent again until the ACK and the BYE after 64*T1 without one, bye_after_ms,
 * bye_status, drop_bye, reject_status, Digest (challenge, success with credentials computed
 * here with the digest module, wrong password, stale nonce, 407), shutdown and the trace.
 * The dialogs are the dialog layer's (session/dialog.h): every BYE the server sends is
 * compared whole (Request-URI, Via, From/To tags, CSeq, Route lines), and where it goes is
 * checked: the Contact, the first Record-Route, a name from a hosts file, the INVITE's
 * flow for a client behind a NAT; a BYE in the early dialog gets 200 and the INVITE 487.
 * Timers are small (T1 20 or 40 ms); every wait is bounded by the loop watchdog.
 */
#include <CUnit/Basic.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "netutil.h"
#include "server_peer.h"
#include "sipspec/coverage.h"
#include "sipspec/digest.h"
#include "sipspec/server.h"

static sipspec_tp_kind g_kind = SIPSPEC_TP_UDP;

/* ---- environment ------------------------------------------------------------------------ */

typedef struct env {
  struct ev_loop *loop;
  sipspec_server *srv;
  peer p;
  int events[8];          /* by sipspec_server_event */
  int last_status[8];
  int trace_send, trace_recv;
  char first_recv[16];
} env;

static void on_event(sipspec_server *srv, sipspec_server_event ev, const char *call_id, int status, void *user) {
  env *e = user;
  (void)srv, (void)call_id;
  if ((unsigned)ev < 8) {
    e->events[ev]++;
    e->last_status[ev] = status;
  }
}

static void on_trace(void *user, const char *dir, sipspec_tp_kind kind, const sipspec_sockaddr *peer_addr,
                     const char *data, size_t len) {
  env *e = user;
  (void)kind, (void)peer_addr;
  if (!strcmp(dir, "send")) e->trace_send++;
  else if (e->trace_recv++ == 0) snprintf(e->first_recv, sizeof e->first_recv, "%.*s", (int)(len < 15 ? len : 15), data);
}

static void opts_default(sipspec_server_opts *o) {
  sipspec_server_opts_init(o);
  o->listen_host = "127.0.0.1";
  o->cfg.transport = g_kind;
  o->cfg.t1_ms = 20; /* transactions linger 64*T1 = 1.28 s over UDP (Timers J, L, H) */
  o->cfg.t2_ms = 80;
  o->cfg.t4_ms = 100; /* Timers I and K */
  o->user_agent = "test-server/1";
}

static int env_open(env *e, sipspec_server_opts *o) {
  memset(e, 0, sizeof *e);
  e->loop = ev_loop_new(EVFLAG_AUTO);
  o->on_event = on_event;
  o->user = e;
  o->trace = on_trace;
  o->trace_user = e;
  char err[SIPSPEC_ERR_LEN];
  int rc = sipspec_server_create(e->loop, o, &e->srv, err, sizeof err);
  /* An ephemeral UDP port whose TCP twin another process holds: draw another (bounded). */
  for (int i = 0; i < 8 && rc == SIPSPEC_E_BIND && o->listen_port == 0 && o->both_transports; i++)
    rc = sipspec_server_create(e->loop, o, &e->srv, err, sizeof err);
  if (rc) {
    fprintf(stderr, "server: %s (%s)\n", err, sipspec_errname(rc));
    return rc;
  }
  sipspec_sockaddr a;
  rc = sipspec_server_bound_addr(e->srv, g_kind, &a);
  if (!rc) rc = peer_open(&e->p, e->loop, g_kind, &a);
  return rc;
}

static void env_close(env *e) {
  peer_close(&e->p);
  sipspec_server_destroy(e->srv);
  tst_run_for(e->loop, 0.01);
  ev_loop_destroy(e->loop);
}

static sipspec_server_stats stats(env *e) {
  sipspec_server_stats s;
  sipspec_server_stats_get(e->srv, &s);
  return s;
}

/* ---- the scripted client ---------------------------------------------------------------- */

typedef struct call {
  char call_id[64];
  char from_tag[16];
  char to_tag[64];
  char branch[64];     /* of the last INVITE */
  unsigned cseq;
  const char *contact; /* NULL: the peer's own address (see req_spec) */
  const char *via_sent_by;
} call;

static void call_init(call *c, const char *name) {
  static int seq;
  snprintf(c->call_id, sizeof c->call_id, "%s-%d@test", name, ++seq);
  snprintf(c->from_tag, sizeof c->from_tag, "ft%d", seq);
  c->to_tag[0] = '\0';
  c->cseq = 0;
  c->contact = c->via_sent_by = NULL;
}

static size_t make_offer(char *buf, size_t cap, const sipspec_mrcp_resource *res, size_t n) {
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
static void send_req(env *e, call *c, const char *method, const char *body, size_t body_len, const char *extra,
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

static void send_invite(env *e, call *c, const char *body, size_t len, const char *extra) {
  send_req(e, c, "INVITE", body, len, extra, NULL, ++c->cseq);
}

/* The ACK of a 2xx: its own transaction (new branch), the To tag of the dialog. */
static void send_ack_2xx(env *e, call *c) { send_req(e, c, "ACK", NULL, 0, NULL, NULL, c->cseq); }

/* The ACK of a non-2xx final response: the INVITE's branch (17.1.1.3). */
static void send_ack_failure(env *e, call *c, const char *resp) {
  char saved[64];
  snprintf(saved, sizeof saved, "%s", c->to_tag);
  msg_to_tag(resp, c->to_tag, sizeof c->to_tag);
  send_req(e, c, "ACK", NULL, 0, NULL, c->branch, c->cseq);
  snprintf(c->to_tag, sizeof c->to_tag, "%s", saved);
}

/* INVITE -> 100 -> 180 -> 200 -> ACK with the given offer; returns the 200's text. */
static const char *establish(env *e, call *c, const sipspec_mrcp_resource *res, size_t n) {
  char offer[4096];
  size_t len = make_offer(offer, sizeof offer, res, n);
  send_invite(e, c, offer, len, NULL);
  const char *ok = peer_find(&e->p, "SIP/2.0 200", 3.0);
  CU_ASSERT_PTR_NOT_NULL_FATAL(ok);
  CU_ASSERT_PTR_NOT_NULL_FATAL(msg_to_tag(ok, c->to_tag, sizeof c->to_tag));
  send_ack_2xx(e, c);
  int established = e->events[SIPSPEC_SERVER_ESTABLISHED];
  for (int i = 0; i < 100 && e->events[SIPSPEC_SERVER_ESTABLISHED] == established; i++) tst_run_for(e->loop, 0.01);
  CU_ASSERT_EQUAL(e->events[SIPSPEC_SERVER_ESTABLISHED], established + 1);
  return ok;
}

static int idle_cond(void *arg) { return sipspec_server_idle(arg); }

/* The Contact URI peer p writes by default. */
static const char *peer_contact(const peer *p, char *out, size_t cap) {
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
static void expect_bye(const env *e, const call *c, const char *bye, const char *ruri, const char *proto,
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
           "From: <sip:mresources@%s>;tag=%s\r\n"
           "To: <sip:client@127.0.0.1>;tag=%s\r\n"
           "Call-ID: %s\r\n"
           "CSeq: %u BYE\r\n"
           "%s"
           "User-Agent: test-server/1\r\n"
           "Content-Length: 0\r\n\r\n",
           ruri, proto, srv, branch, srv, c->to_tag, c->from_tag, c->call_id, cseq, routes);
  CU_ASSERT_STRING_EQUAL(bye, want);
}

/* ---- tests ------------------------------------------------------------------------------- */

static const sipspec_mrcp_resource synth_recog[] = {SIPSPEC_MRCP_SPEECHSYNTH, SIPSPEC_MRCP_SPEECHRECOG};

/* 100, one 180, 200 with Contact, application/sdp and a=channel per resource; ACK; BYE. */
static void invite_answer_ack_bye(void) {
  env e;
  sipspec_server_opts o;
  opts_default(&o);
  CU_ASSERT_EQUAL_FATAL(env_open(&e, &o), 0);
  call c;
  call_init(&c, "basic");
  const char *ok = establish(&e, &c, synth_recog, 2);
  char h[512];
  CU_ASSERT_EQUAL(peer_index(&e.p, "SIP/2.0 100") >= 0, 1);
  CU_ASSERT_EQUAL(peer_count(&e.p, "SIP/2.0 180"), 1);
  CU_ASSERT_TRUE(peer_index(&e.p, "SIP/2.0 180") < peer_index(&e.p, "SIP/2.0 200"));
  CU_ASSERT_STRING_EQUAL(msg_header(ok, "Content-Type", h, sizeof h), "application/sdp");
  CU_ASSERT_PTR_NOT_NULL(msg_header(ok, "Contact", h, sizeof h));
  CU_ASSERT_PTR_NOT_NULL(strstr(h, g_kind == SIPSPEC_TP_TCP ? "transport=tcp" : "transport=udp"));
  CU_ASSERT_EQUAL(msg_count(ok, "a=channel:"), 2);
  CU_ASSERT_EQUAL(msg_count(ok, "@speechsynth"), 1);
  CU_ASSERT_EQUAL(msg_count(ok, "@speechrecog"), 1);
  CU_ASSERT_PTR_NOT_NULL(strstr(ok, "a=setup:passive"));
  CU_ASSERT_PTR_NOT_NULL(strstr(ok, "m=application 1544 "));
  sipspec_server_stats s = stats(&e);
  CU_ASSERT_EQUAL(s.invites, 1);
  CU_ASSERT_EQUAL(s.established, 1);
  CU_ASSERT_EQUAL(s.live_dialogs, 1);
  CU_ASSERT_EQUAL(sipspec_server_idle(e.srv), 0);
  send_req(&e, &c, "BYE", NULL, 0, NULL, NULL, ++c.cseq);
  CU_ASSERT_PTR_NOT_NULL(peer_find_with(&e.p, "SIP/2.0 200", " BYE\r\n", 2.0));
  s = stats(&e);
  CU_ASSERT_EQUAL(s.byes_received, 1);
  CU_ASSERT_EQUAL(s.ended, 1);
  CU_ASSERT_EQUAL(s.live_dialogs, 0);
  CU_ASSERT_EQUAL(e.events[SIPSPEC_SERVER_INVITED], 1);
  CU_ASSERT_EQUAL(e.events[SIPSPEC_SERVER_ENDED], 1);
  CU_ASSERT_EQUAL(e.last_status[SIPSPEC_SERVER_ENDED], 200);
  CU_ASSERT_TRUE(tst_run_until(e.loop, idle_cond, e.srv, 4.0));
  const sipspec_telemetry *t = sipspec_server_telemetry(e.srv);
  CU_ASSERT_EQUAL(t->sessionsStarted, 1);
  CU_ASSERT_EQUAL(t->sessionsEstablished, 1);
  /* the trace saw both directions, the INVITE first */
  CU_ASSERT_TRUE(e.trace_send >= 4);
  CU_ASSERT_TRUE(e.trace_recv >= 3);
  CU_ASSERT_STRING_EQUAL(e.first_recv, "INVITE sip:mres");
  env_close(&e);
}

/* ring_count 180s, ring_interval_ms apart, all before the final response. */
static void ring_count_180s(void) {
  env e;
  sipspec_server_opts o;
  opts_default(&o);
  o.ring_count = 3;
  o.ring_interval_ms = 30;
  CU_ASSERT_EQUAL_FATAL(env_open(&e, &o), 0);
  call c;
  call_init(&c, "ring");
  establish(&e, &c, synth_recog, 1);
  CU_ASSERT_EQUAL(peer_count(&e.p, "SIP/2.0 180"), 3);
  int last180 = -1;
  for (int i = 0; i < e.p.n; i++)
    if (!strncmp(e.p.msgs[i], "SIP/2.0 180", 11)) last180 = i;
  CU_ASSERT_TRUE(last180 < peer_index(&e.p, "SIP/2.0 200"));
  env_close(&e);
}

/* reject_status: the 180 and then the rejection; the ACK of it is absorbed. */
static void reject_status_after_ringing(void) {
  env e;
  sipspec_server_opts o;
  opts_default(&o);
  o.reject_status = 486;
  CU_ASSERT_EQUAL_FATAL(env_open(&e, &o), 0);
  call c;
  call_init(&c, "reject");
  char offer[4096];
  size_t len = make_offer(offer, sizeof offer, synth_recog, 2);
  send_invite(&e, &c, offer, len, NULL);
  const char *busy = peer_find(&e.p, "SIP/2.0 486", 2.0);
  CU_ASSERT_PTR_NOT_NULL_FATAL(busy);
  send_ack_failure(&e, &c, busy);
  CU_ASSERT_EQUAL(peer_count(&e.p, "SIP/2.0 180"), 1);
  CU_ASSERT_EQUAL(stats(&e).refused, 1);
  CU_ASSERT_EQUAL(e.events[SIPSPEC_SERVER_REFUSED], 1);
  CU_ASSERT_EQUAL(e.last_status[SIPSPEC_SERVER_REFUSED], 486);
  CU_ASSERT_TRUE(tst_run_until(e.loop, idle_cond, e.srv, 4.0));
  CU_ASSERT_EQUAL(stats(&e).live_dialogs, 0);
  env_close(&e);
}

/* An offer it cannot serve: 488 with a Warning 399 naming why; no body: 488; text/plain: 415. */
static void refusals_488_415(void) {
  env e;
  sipspec_server_opts o;
  opts_default(&o);
  o.mrcp.supported = 1u << SIPSPEC_MRCP_SPEECHSYNTH;
  CU_ASSERT_EQUAL_FATAL(env_open(&e, &o), 0);
  call c;
  call_init(&c, "refuse");
  char offer[4096], h[512];
  const sipspec_mrcp_resource recog[] = {SIPSPEC_MRCP_SPEECHRECOG};
  size_t len = make_offer(offer, sizeof offer, recog, 1);
  send_invite(&e, &c, offer, len, NULL);
  const char *r = peer_find(&e.p, "SIP/2.0 488", 2.0);
  CU_ASSERT_PTR_NOT_NULL_FATAL(r);
  CU_ASSERT_PTR_NOT_NULL_FATAL(msg_header(r, "Warning", h, sizeof h));
  CU_ASSERT_EQUAL(strncmp(h, "399 127.0.0.1 \"", 15), 0);
  CU_ASSERT_TRUE(strlen(h) > 20 && h[strlen(h) - 1] == '"');
  send_ack_failure(&e, &c, r);

  call_init(&c, "nobody");
  send_invite(&e, &c, NULL, 0, NULL);
  r = peer_find(&e.p, "SIP/2.0 488", 2.0);
  CU_ASSERT_PTR_NOT_NULL_FATAL(r);
  CU_ASSERT_PTR_NOT_NULL(strstr(msg_header(r, "Warning", h, sizeof h), "no SDP offer"));
  send_ack_failure(&e, &c, r);

  call_init(&c, "text");
  send_invite(&e, &c, "hello", 5, "Content-Type: text/plain\r\n");
  r = peer_find(&e.p, "SIP/2.0 415", 2.0);
  CU_ASSERT_PTR_NOT_NULL_FATAL(r);
  CU_ASSERT_STRING_EQUAL(msg_header(r, "Accept", h, sizeof h), "application/sdp");
  send_ack_failure(&e, &c, r);

  sipspec_server_stats s = stats(&e);
  CU_ASSERT_EQUAL(s.invites, 3);
  CU_ASSERT_EQUAL(s.refused, 3);
  CU_ASSERT_EQUAL(s.live_dialogs, 0);
  CU_ASSERT_EQUAL(e.events[SIPSPEC_SERVER_INVITED], 0);
  CU_ASSERT_TRUE(tst_run_until(e.loop, idle_cond, e.srv, 4.0));
  env_close(&e);
}

/* 481 for in-dialog requests of unknown dialogs; OPTIONS 200; 405 with Allow; 420. */
static void no_dialog_options_405(void) {
  env e;
  sipspec_server_opts o;
  opts_default(&o);
  CU_ASSERT_EQUAL_FATAL(env_open(&e, &o), 0);
  call c;
  call_init(&c, "ghost");
  snprintf(c.to_tag, sizeof c.to_tag, "nosuchtag");
  send_req(&e, &c, "BYE", NULL, 0, NULL, NULL, 5);
  CU_ASSERT_PTR_NOT_NULL(peer_find(&e.p, "SIP/2.0 481", 2.0));
  send_req(&e, &c, "OPTIONS", NULL, 0, NULL, NULL, 6);
  CU_ASSERT_PTR_NOT_NULL(peer_find(&e.p, "SIP/2.0 481", 2.0));
  send_req(&e, &c, "INVITE", NULL, 0, NULL, NULL, 7);
  const char *r = peer_find(&e.p, "SIP/2.0 481", 2.0);
  CU_ASSERT_PTR_NOT_NULL_FATAL(r);
  send_ack_failure(&e, &c, r);
  CU_ASSERT_EQUAL(stats(&e).no_dialog, 3);

  char h[512];
  call_init(&c, "opt");
  send_req(&e, &c, "OPTIONS", NULL, 0, NULL, NULL, 1);
  r = peer_find(&e.p, "SIP/2.0 200", 2.0);
  CU_ASSERT_PTR_NOT_NULL_FATAL(r);
  CU_ASSERT_STRING_EQUAL(msg_header(r, "Allow", h, sizeof h), "INVITE, ACK, BYE, CANCEL, OPTIONS");
  CU_ASSERT_STRING_EQUAL(msg_header(r, "Accept", h, sizeof h), "application/sdp");
  CU_ASSERT_PTR_NOT_NULL(msg_header(r, "Supported", h, sizeof h));
  CU_ASSERT_EQUAL(stats(&e).options, 1);

  send_req(&e, &c, "PUBLISH", NULL, 0, NULL, NULL, 2);
  r = peer_find(&e.p, "SIP/2.0 405", 2.0);
  CU_ASSERT_PTR_NOT_NULL_FATAL(r);
  CU_ASSERT_STRING_EQUAL(msg_header(r, "Allow", h, sizeof h), "INVITE, ACK, BYE, CANCEL, OPTIONS");
  send_req(&e, &c, "FOO", NULL, 0, NULL, NULL, 3);
  CU_ASSERT_PTR_NOT_NULL(peer_find(&e.p, "SIP/2.0 405", 2.0));

  send_req(&e, &c, "OPTIONS", NULL, 0, "Require: 100rel, timer\r\n", NULL, 4);
  r = peer_find(&e.p, "SIP/2.0 420", 2.0);
  CU_ASSERT_PTR_NOT_NULL_FATAL(r);
  CU_ASSERT_STRING_EQUAL(msg_header(r, "Unsupported", h, sizeof h), "100rel, timer");
  env_close(&e);
}

/* CANCEL while ringing: 200 for the CANCEL, 487 for the INVITE; a CANCEL for nothing: 481. */
static void cancel_487(void) {
  env e;
  sipspec_server_opts o;
  opts_default(&o);
  o.ring_count = 1;
  o.ring_interval_ms = 5000;
  CU_ASSERT_EQUAL_FATAL(env_open(&e, &o), 0);
  call c;
  call_init(&c, "cancel");
  char offer[4096];
  size_t len = make_offer(offer, sizeof offer, synth_recog, 2);
  send_invite(&e, &c, offer, len, NULL);
  CU_ASSERT_PTR_NOT_NULL_FATAL(peer_find(&e.p, "SIP/2.0 180", 2.0));
  CU_ASSERT_EQUAL(stats(&e).live_dialogs, 1);
  send_req(&e, &c, "CANCEL", NULL, 0, NULL, c.branch, c.cseq);
  const char *r = peer_find(&e.p, "SIP/2.0 200", 2.0);
  CU_ASSERT_PTR_NOT_NULL_FATAL(r);
  CU_ASSERT_PTR_NOT_NULL(strstr(r, " CANCEL\r\n"));
  r = peer_find(&e.p, "SIP/2.0 487", 2.0);
  CU_ASSERT_PTR_NOT_NULL_FATAL(r);
  CU_ASSERT_PTR_NOT_NULL(strstr(r, " INVITE\r\n"));
  send_ack_failure(&e, &c, r);
  CU_ASSERT_EQUAL(e.events[SIPSPEC_SERVER_ENDED], 1);
  CU_ASSERT_EQUAL(e.last_status[SIPSPEC_SERVER_ENDED], 487);
  CU_ASSERT_EQUAL(stats(&e).live_dialogs, 0);
  CU_ASSERT_EQUAL(peer_count(&e.p, "SIP/2.0 200"), 1); /* no 200 for the INVITE */
  CU_ASSERT_TRUE(tst_run_until(e.loop, idle_cond, e.srv, 4.0));

  call_init(&c, "cancel-none");
  send_req(&e, &c, "CANCEL", NULL, 0, NULL, NULL, 1);
  CU_ASSERT_PTR_NOT_NULL(peer_find(&e.p, "SIP/2.0 481", 2.0));
  env_close(&e);
}

/* re-INVITE adds a resource (channel ids kept) and then removes one (port 0). */
static void reinvite_add_remove(void) {
  env e;
  sipspec_server_opts o;
  opts_default(&o);
  CU_ASSERT_EQUAL_FATAL(env_open(&e, &o), 0);
  sipspec_mrcp_offer_desc d;
  sipspec_mrcp_offer_desc_init(&d);
  d.addr = "127.0.0.1";
  d.rtp_port = 5004;
  d.resources[0] = SIPSPEC_MRCP_SPEECHSYNTH;
  d.nresources = 1;
  sipspec_mrcp_session_t *ms = sipspec_mrcp_session_create(&d);
  CU_ASSERT_PTR_NOT_NULL_FATAL(ms);
  char offer[4096];
  size_t len;
  call c;
  call_init(&c, "reinvite");
  CU_ASSERT_EQUAL_FATAL(sipspec_mrcp_session_offer(ms, offer, sizeof offer, &len, NULL), SIPSPEC_OK);
  send_invite(&e, &c, offer, len, NULL);
  const char *ok = peer_find(&e.p, "SIP/2.0 200", 2.0);
  CU_ASSERT_PTR_NOT_NULL_FATAL(ok);
  msg_to_tag(ok, c.to_tag, sizeof c.to_tag);
  const char *body = strstr(ok, "\r\n\r\n") + 4;
  CU_ASSERT_EQUAL_FATAL(sipspec_mrcp_session_apply_answer(ms, body, strlen(body), NULL), SIPSPEC_OK);
  send_ack_2xx(&e, &c);
  char synth_id[SIPSPEC_MRCP_ID_MAX];
  snprintf(synth_id, sizeof synth_id, "%s", sipspec_mrcp_session_channel(ms, SIPSPEC_MRCP_SPEECHSYNTH)->channel_id);

  CU_ASSERT_EQUAL(sipspec_mrcp_session_add(ms, SIPSPEC_MRCP_SPEECHRECOG), SIPSPEC_OK);
  CU_ASSERT_EQUAL_FATAL(sipspec_mrcp_session_offer(ms, offer, sizeof offer, &len, NULL), SIPSPEC_OK);
  send_invite(&e, &c, offer, len, NULL);
  ok = peer_find_with(&e.p, "SIP/2.0 200", "CSeq: 2 INVITE", 2.0);
  CU_ASSERT_PTR_NOT_NULL_FATAL(ok);
  body = strstr(ok, "\r\n\r\n") + 4;
  sipspec_sdp_error err;
  CU_ASSERT_EQUAL_FATAL(sipspec_mrcp_session_apply_answer(ms, body, strlen(body), &err), SIPSPEC_OK);
  send_ack_2xx(&e, &c);
  CU_ASSERT_EQUAL(msg_count(ok, "a=channel:"), 2);
  CU_ASSERT_PTR_NOT_NULL(sipspec_mrcp_session_channel(ms, SIPSPEC_MRCP_SPEECHRECOG));
  CU_ASSERT_STRING_EQUAL(sipspec_mrcp_session_channel(ms, SIPSPEC_MRCP_SPEECHSYNTH)->channel_id, synth_id);
  CU_ASSERT_EQUAL(e.events[SIPSPEC_SERVER_UPDATED], 1);

  CU_ASSERT_EQUAL(sipspec_mrcp_session_remove(ms, SIPSPEC_MRCP_SPEECHSYNTH), SIPSPEC_OK);
  CU_ASSERT_EQUAL_FATAL(sipspec_mrcp_session_offer(ms, offer, sizeof offer, &len, NULL), SIPSPEC_OK);
  send_invite(&e, &c, offer, len, NULL);
  ok = peer_find_with(&e.p, "SIP/2.0 200", "CSeq: 3 INVITE", 2.0);
  CU_ASSERT_PTR_NOT_NULL_FATAL(ok);
  body = strstr(ok, "\r\n\r\n") + 4;
  CU_ASSERT_EQUAL_FATAL(sipspec_mrcp_session_apply_answer(ms, body, strlen(body), &err), SIPSPEC_OK);
  send_ack_2xx(&e, &c);
  CU_ASSERT_PTR_NULL(sipspec_mrcp_session_channel(ms, SIPSPEC_MRCP_SPEECHSYNTH));
  CU_ASSERT_PTR_NOT_NULL(sipspec_mrcp_session_channel(ms, SIPSPEC_MRCP_SPEECHRECOG));
  CU_ASSERT_EQUAL(e.events[SIPSPEC_SERVER_UPDATED], 2);

  /* an older CSeq in the dialog: 500 (12.2.2) */
  send_req(&e, &c, "OPTIONS", NULL, 0, NULL, NULL, 2);
  const char *r = peer_find_with(&e.p, "SIP/2.0 500", "CSeq: 2 OPTIONS", 2.0);
  CU_ASSERT_PTR_NOT_NULL_FATAL(r);
  char h[512];
  CU_ASSERT_EQUAL(strncmp(r, "SIP/2.0 500 CSeq Out of Order\r\n", 31), 0);
  CU_ASSERT_STRING_EQUAL(msg_header(r, "Warning", h, sizeof h),
                         "399 127.0.0.1 \"CSeq 2 is lower than 3, the last one in this dialog\"");
  /* in-dialog OPTIONS: 200 */
  send_req(&e, &c, "OPTIONS", NULL, 0, NULL, NULL, 4);
  CU_ASSERT_PTR_NOT_NULL(peer_find_with(&e.p, "SIP/2.0 200", "CSeq: 4 OPTIONS", 2.0));
  CU_ASSERT_EQUAL(stats(&e).established, 1);
  sipspec_mrcp_session_destroy(ms);
  env_close(&e);
}

/* 13.3.1.4: the 2xx again (T1, 2T1, ... T2) until the ACK; nothing after it. */
static void retransmit_2xx_until_ack(void) {
  env e;
  sipspec_server_opts o;
  opts_default(&o);
  o.cfg.t1_ms = 40;
  o.cfg.t2_ms = 160;
  CU_ASSERT_EQUAL_FATAL(env_open(&e, &o), 0);
  call c;
  call_init(&c, "retx");
  char offer[4096];
  size_t len = make_offer(offer, sizeof offer, synth_recog, 2);
  send_invite(&e, &c, offer, len, NULL);
  const char *ok = peer_find(&e.p, "SIP/2.0 200", 2.0);
  CU_ASSERT_PTR_NOT_NULL_FATAL(ok);
  msg_to_tag(ok, c.to_tag, sizeof c.to_tag);
  CU_ASSERT_PTR_NOT_NULL(peer_find(&e.p, "SIP/2.0 200", 2.0));
  CU_ASSERT_PTR_NOT_NULL(peer_find(&e.p, "SIP/2.0 200", 2.0));
  CU_ASSERT_PTR_NOT_NULL(peer_find(&e.p, "SIP/2.0 200", 2.0));
  /* the copies are the same response */
  int first = peer_index(&e.p, "SIP/2.0 200");
  CU_ASSERT_STRING_EQUAL(e.p.msgs[first], e.p.msgs[e.p.cursor - 1]);
  CU_ASSERT_TRUE(sipspec_server_telemetry(e.srv)->sipRetransmissions >= 3);
  CU_ASSERT_EQUAL(e.events[SIPSPEC_SERVER_ESTABLISHED], 0);
  send_ack_2xx(&e, &c);
  for (int i = 0; i < 100 && !e.events[SIPSPEC_SERVER_ESTABLISHED]; i++) tst_run_for(e.loop, 0.01);
  CU_ASSERT_EQUAL(e.events[SIPSPEC_SERVER_ESTABLISHED], 1);
  int n200 = peer_count(&e.p, "SIP/2.0 200");
  tst_run_for(e.loop, 0.5); /* more than 3 * T2: a running retransmission would show */
  CU_ASSERT_EQUAL(peer_count(&e.p, "SIP/2.0 200"), n200);
  CU_ASSERT_EQUAL(stats(&e).live_dialogs, 1);
  env_close(&e);
}

/* No ACK within 64*T1: the server ends the dialog with a BYE. */
static void no_ack_bye(void) {
  env e;
  sipspec_server_opts o;
  opts_default(&o);
  o.cfg.t1_ms = 20;
  o.cfg.t2_ms = 80;
  CU_ASSERT_EQUAL_FATAL(env_open(&e, &o), 0);
  call c;
  call_init(&c, "noack");
  char offer[4096];
  size_t len = make_offer(offer, sizeof offer, synth_recog, 1);
  send_invite(&e, &c, offer, len, NULL);
  const char *bye = peer_find(&e.p, "BYE ", 5.0);
  CU_ASSERT_PTR_NOT_NULL_FATAL(bye);
  const char *ok = peer_find(&e.p, "SIP/2.0 200", 0.1);
  CU_ASSERT_PTR_NULL(ok); /* the 2xx stopped with the BYE */
  ok = e.p.msgs[peer_index(&e.p, "SIP/2.0 200")];
  CU_ASSERT_PTR_NOT_NULL_FATAL(msg_to_tag(ok, c.to_tag, sizeof c.to_tag));
  char ct[256];
  expect_bye(&e, &c, bye, peer_contact(&e.p, ct, sizeof ct), g_kind == SIPSPEC_TP_TCP ? "TCP" : "UDP", 1, "");
  CU_ASSERT_TRUE(peer_count(&e.p, "SIP/2.0 200") >= 5);
  sipspec_server_stats s = stats(&e);
  CU_ASSERT_EQUAL(s.byes_sent, 1);
  CU_ASSERT_EQUAL(s.established, 0);
  CU_ASSERT_EQUAL(s.live_dialogs, 0);
  CU_ASSERT_EQUAL(sipspec_server_telemetry(e.srv)->sessionsFailed, 1);
  env_close(&e);
}

/* Answers a BYE the server sent with status. */
static void answer_server_bye(env *e, const char *bye, int status) {
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

/* bye_after_ms: the server sends BYE after the ACK (From: our To tag, CSeq BYE). */
static void bye_after(void) {
  env e;
  sipspec_server_opts o;
  opts_default(&o);
  o.bye_after_ms = 60;
  CU_ASSERT_EQUAL_FATAL(env_open(&e, &o), 0);
  call c;
  call_init(&c, "byeafter");
  establish(&e, &c, synth_recog, 2);
  const char *bye = peer_find(&e.p, "BYE sip:client@", 3.0);
  CU_ASSERT_PTR_NOT_NULL_FATAL(bye);
  char ct[256];
  expect_bye(&e, &c, bye, peer_contact(&e.p, ct, sizeof ct), g_kind == SIPSPEC_TP_TCP ? "TCP" : "UDP", 1, "");
  answer_server_bye(&e, bye, 200);
  CU_ASSERT_TRUE(tst_run_until(e.loop, idle_cond, e.srv, 4.0));
  sipspec_server_stats s = stats(&e);
  CU_ASSERT_EQUAL(s.byes_sent, 1);
  CU_ASSERT_EQUAL(s.ended, 1);
  CU_ASSERT_EQUAL(sipspec_server_telemetry(e.srv)->sipByeSent, 1);
  CU_ASSERT_EQUAL(sipspec_server_telemetry(e.srv)->sipByeAcksMissing, 0);
  env_close(&e);
}

/* RFC 3261 15.1.1 / 15.2: a BYE in the early dialog (after the 180, before the final
 * response) gets 200, the INVITE 487, and the dialog ends; no 200 for the INVITE follows. */
static void early_bye_487(void) {
  env e;
  sipspec_server_opts o;
  opts_default(&o);
  o.ring_count = 1;
  o.ring_interval_ms = 5000;
  CU_ASSERT_EQUAL_FATAL(env_open(&e, &o), 0);
  call c;
  call_init(&c, "earlybye");
  char offer[4096];
  size_t len = make_offer(offer, sizeof offer, synth_recog, 1);
  send_invite(&e, &c, offer, len, NULL);
  const char *ring = peer_find(&e.p, "SIP/2.0 180", 2.0);
  CU_ASSERT_PTR_NOT_NULL_FATAL(ring);
  CU_ASSERT_PTR_NOT_NULL_FATAL(msg_to_tag(ring, c.to_tag, sizeof c.to_tag));
  CU_ASSERT_EQUAL(stats(&e).live_dialogs, 1);
  unsigned invite_cseq = c.cseq;
  send_req(&e, &c, "BYE", NULL, 0, NULL, NULL, ++c.cseq);
  /* two transactions: either response may come first */
  int from = e.p.cursor;
  const char *r = peer_find(&e.p, "SIP/2.0 200", 2.0);
  CU_ASSERT_PTR_NOT_NULL_FATAL(r);
  CU_ASSERT_PTR_NOT_NULL(strstr(r, "\r\nCSeq: 2 BYE\r\n"));
  e.p.cursor = from;
  r = peer_find(&e.p, "SIP/2.0 487", 2.0);
  CU_ASSERT_PTR_NOT_NULL_FATAL(r);
  char want[64];
  snprintf(want, sizeof want, "\r\nCSeq: %u INVITE\r\n", invite_cseq);
  CU_ASSERT_PTR_NOT_NULL(strstr(r, want));
  c.cseq = invite_cseq;
  send_ack_failure(&e, &c, r);
  tst_run_for(e.loop, 0.1);
  CU_ASSERT_EQUAL(peer_count(&e.p, "SIP/2.0 200"), 1); /* the BYE's only */
  CU_ASSERT_EQUAL(peer_count(&e.p, "SIP/2.0 487"), 1);
  sipspec_server_stats s = stats(&e);
  CU_ASSERT_EQUAL(s.byes_received, 1);
  CU_ASSERT_EQUAL(s.ended, 1);
  CU_ASSERT_EQUAL(s.live_dialogs, 0);
  CU_ASSERT_EQUAL(s.established, 0);
  CU_ASSERT_EQUAL(e.events[SIPSPEC_SERVER_ENDED], 1);
  CU_ASSERT_EQUAL(e.last_status[SIPSPEC_SERVER_ENDED], 200);
  CU_ASSERT_EQUAL(sipspec_server_telemetry(e.srv)->sessionsFailed, 1);
  CU_ASSERT_TRUE(tst_run_until(e.loop, idle_cond, e.srv, 4.0));
  /* the dialog is gone: another BYE names none */
  send_req(&e, &c, "BYE", NULL, 0, NULL, NULL, 3);
  CU_ASSERT_PTR_NOT_NULL(peer_find(&e.p, "SIP/2.0 481", 2.0));
  env_close(&e);
}

/* An INVITE without Contact cannot form a dialog (RFC 3261 8.1.1.8, 12.1.1): 400 naming why. */
static void invite_without_contact_400(void) {
  env e;
  sipspec_server_opts o;
  opts_default(&o);
  CU_ASSERT_EQUAL_FATAL(env_open(&e, &o), 0);
  call c;
  call_init(&c, "nocontact");
  c.contact = "";
  char offer[4096], h[512];
  size_t len = make_offer(offer, sizeof offer, synth_recog, 1);
  send_invite(&e, &c, offer, len, NULL);
  const char *r = peer_find(&e.p, "SIP/2.0 400", 2.0);
  CU_ASSERT_PTR_NOT_NULL_FATAL(r);
  CU_ASSERT_PTR_NOT_NULL(strstr(msg_header(r, "Warning", h, sizeof h), "no dialog can be formed from this INVITE"));
  CU_ASSERT_PTR_NOT_NULL(strstr(h, "Contact"));
  send_ack_failure(&e, &c, r);
  CU_ASSERT_EQUAL(stats(&e).refused, 1);
  CU_ASSERT_EQUAL(stats(&e).live_dialogs, 0);
  CU_ASSERT_EQUAL(peer_count(&e.p, "SIP/2.0 180"), 0);
  env_close(&e);
}

/* A second UDP socket of the client, standing for its listening address or a proxy. */
static void open_udp_peer(env *e, peer *q) {
  sipspec_sockaddr a;
  CU_ASSERT_EQUAL_FATAL(sipspec_server_bound_addr(e->srv, SIPSPEC_TP_UDP, &a), SIPSPEC_OK);
  CU_ASSERT_EQUAL_FATAL(peer_open(q, e->loop, SIPSPEC_TP_UDP, &a), 0);
}

/* The server's BYE with bye_after_ms, once call c is established. */
static const char *bye_of(env *e, call *c, peer *where) {
  establish(e, c, synth_recog, 1);
  return peer_find(where, "BYE ", 3.0);
}

/* 12.2.1.1 / 8.1.2: without a route set the BYE goes to the remote target, the Contact of
 * the INVITE (here another socket, over UDP as its transport parameter says, whatever the
 * INVITE came over), not to where the INVITE came from. */
static void bye_to_contact(void) {
  env e;
  sipspec_server_opts o;
  opts_default(&o);
  o.bye_after_ms = 30;
  CU_ASSERT_EQUAL_FATAL(env_open(&e, &o), 0);
  peer q;
  open_udp_peer(&e, &q);
  char ct[256];
  call c;
  call_init(&c, "tocontact");
  c.contact = peer_contact(&q, ct, sizeof ct);
  const char *bye = bye_of(&e, &c, &q);
  CU_ASSERT_PTR_NOT_NULL_FATAL(bye);
  expect_bye(&e, &c, bye, ct, "UDP", 1, "");
  CU_ASSERT_EQUAL(peer_count(&e.p, "BYE "), 0);
  /* the answer comes from the socket the BYE reached */
  peer saved = e.p;
  e.p = q;
  answer_server_bye(&e, bye, 200);
  q = e.p;
  e.p = saved;
  CU_ASSERT_TRUE(tst_run_until(e.loop, idle_cond, e.srv, 4.0));
  CU_ASSERT_EQUAL(sipspec_server_telemetry(e.srv)->sipByeAcksMissing, 0);
  CU_ASSERT_EQUAL(stats(&e).byes_sent, 1);
  peer_close(&q);
  env_close(&e);
}

/* 12.1.1 / 12.2.1.1: the route set is the INVITE's Record-Route as received; the BYE carries
 * it as Route headers, keeps the remote target as Request-URI (loose routing) and goes to
 * the first route (the proxy socket, UDP: no transport parameter). With a strict first
 * route (no lr) the Request-URI is that route and the remote target the last Route. */
static void bye_route_set(void) {
  for (int strict = 0; strict < 2; strict++) {
    env e;
    sipspec_server_opts o;
    opts_default(&o);
    o.bye_after_ms = 30;
    CU_ASSERT_EQUAL_FATAL(env_open(&e, &o), 0);
    peer proxy;
    open_udp_peer(&e, &proxy);
    char first[128], rr[512], routes[512], ct[256];
    snprintf(first, sizeof first, "sip:127.0.0.1:%u%s", sipspec_sockaddr_port(&proxy.local), strict ? "" : ";lr");
    snprintf(rr, sizeof rr, "Record-Route: <%s>, <sip:edge.example.net;lr>\r\n", first);
    call c;
    call_init(&c, strict ? "strict" : "loose");
    char offer[4096];
    size_t len = make_offer(offer, sizeof offer, synth_recog, 1);
    send_invite(&e, &c, offer, len, rr);
    const char *ok = peer_find(&e.p, "SIP/2.0 200", 2.0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ok);
    CU_ASSERT_PTR_NOT_NULL_FATAL(msg_to_tag(ok, c.to_tag, sizeof c.to_tag));
    send_ack_2xx(&e, &c);
    const char *bye = peer_find(&proxy, "BYE ", 3.0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(bye);
    peer_contact(&e.p, ct, sizeof ct);
    if (strict)
      snprintf(routes, sizeof routes, "Route: <sip:edge.example.net;lr>\r\nRoute: <%s>\r\n", ct);
    else
      snprintf(routes, sizeof routes, "Route: <%s>\r\nRoute: <sip:edge.example.net;lr>\r\n", first);
    expect_bye(&e, &c, bye, strict ? first : ct, "UDP", 1, routes);
    CU_ASSERT_EQUAL(peer_count(&e.p, "BYE "), 0);
    peer_close(&proxy);
    env_close(&e);
  }
}

/* A client behind a NAT: its Via and Contact name 192.0.2.7:5070 (TEST-NET, unreachable)
 * while the INVITE came from the test's socket. The BYE keeps the Contact as Request-URI
 * but goes back over the INVITE's flow (RFC 3581, RFC 5626-style; see sipspec/server.h). */
static void bye_nat_flow(void) {
  env e;
  sipspec_server_opts o;
  opts_default(&o);
  o.bye_after_ms = 30;
  CU_ASSERT_EQUAL_FATAL(env_open(&e, &o), 0);
  call c;
  call_init(&c, "nat");
  const char *target = g_kind == SIPSPEC_TP_TCP ? "sip:client@192.0.2.7:5070;transport=tcp" : "sip:client@192.0.2.7:5070";
  c.contact = target;
  c.via_sent_by = "192.0.2.7:5070";
  const char *bye = bye_of(&e, &c, &e.p);
  CU_ASSERT_PTR_NOT_NULL_FATAL(bye);
  expect_bye(&e, &c, bye, target, g_kind == SIPSPEC_TP_TCP ? "TCP" : "UDP", 1, "");
  answer_server_bye(&e, bye, 200);
  CU_ASSERT_TRUE(tst_run_until(e.loop, idle_cond, e.srv, 4.0));
  CU_ASSERT_EQUAL(sipspec_server_telemetry(e.srv)->sipByeAcksMissing, 0);
  env_close(&e);
}

/* A name in the Contact goes through the resolver (hosts_path); a name it does not know
 * leaves the flow of the INVITE as the fallback. */
static void bye_contact_name(void) {
  char path[] = "/tmp/sipspec-server-hosts-XXXXXX";
  int fd = mkstemp(path);
  CU_ASSERT_FATAL(fd >= 0);
  const char *line = "127.0.0.1 client.example.test\n";
  CU_ASSERT_EQUAL_FATAL(write(fd, line, strlen(line)), (ssize_t)strlen(line));
  close(fd);
  env e;
  sipspec_server_opts o;
  opts_default(&o);
  o.bye_after_ms = 30;
  o.hosts_path = path;
  int rc = env_open(&e, &o);
  unlink(path);
  CU_ASSERT_EQUAL_FATAL(rc, 0);
  peer q;
  open_udp_peer(&e, &q);
  char ct[256];
  snprintf(ct, sizeof ct, "sip:client@client.example.test:%u;transport=udp", sipspec_sockaddr_port(&q.local));
  call c;
  call_init(&c, "named");
  c.contact = ct;
  const char *bye = bye_of(&e, &c, &q);
  CU_ASSERT_PTR_NOT_NULL_FATAL(bye);
  expect_bye(&e, &c, bye, ct, "UDP", 1, "");
  CU_ASSERT_EQUAL(peer_count(&e.p, "BYE "), 0);

  call d;
  call_init(&d, "unknown-name");
  d.contact = "sip:client@nowhere.example.test;transport=udp";
  bye = bye_of(&e, &d, &e.p);
  CU_ASSERT_PTR_NOT_NULL_FATAL(bye);
  expect_bye(&e, &d, bye, d.contact, g_kind == SIPSPEC_TP_TCP ? "TCP" : "UDP", 1, "");
  peer_close(&q);
  env_close(&e);
}

/* bye_status 481 and drop_bye. */
static void bye_knobs(void) {
  env e;
  sipspec_server_opts o;
  opts_default(&o);
  o.bye_status = 481;
  CU_ASSERT_EQUAL_FATAL(env_open(&e, &o), 0);
  call c;
  call_init(&c, "bye481");
  establish(&e, &c, synth_recog, 1);
  send_req(&e, &c, "BYE", NULL, 0, NULL, NULL, ++c.cseq);
  CU_ASSERT_PTR_NOT_NULL(peer_find(&e.p, "SIP/2.0 481", 2.0));
  CU_ASSERT_EQUAL(stats(&e).live_dialogs, 0);
  env_close(&e);

  opts_default(&o);
  o.drop_bye = 1;
  CU_ASSERT_EQUAL_FATAL(env_open(&e, &o), 0);
  call_init(&c, "dropbye");
  establish(&e, &c, synth_recog, 1);
  int before = e.p.n;
  send_req(&e, &c, "BYE", NULL, 0, NULL, NULL, ++c.cseq);
  tst_run_for(e.loop, 0.3);
  CU_ASSERT_EQUAL(e.p.n, before); /* no answer at all */
  CU_ASSERT_EQUAL(stats(&e).byes_received, 1);
  CU_ASSERT_EQUAL(stats(&e).live_dialogs, 0);
  CU_ASSERT_TRUE(tst_run_until(e.loop, idle_cond, e.srv, 4.0));
  env_close(&e);
}

/* ---- Digest ------------------------------------------------------------------------------ */

/* RFC 2617 section 3.5's example, through the module the tests compute credentials with. */
static void digest_vector(void) {
  sipspec_digest_input in = {0};
  in.alg = SIPSPEC_DIGEST_MD5;
  in.qop = SIPSPEC_DIGEST_QOP_AUTH;
  in.username = "Mufasa";
  in.realm = "testrealm@host.com";
  in.password = "Circle Of Life";
  in.nonce = "dcd98b7102dd2f0e8b11d0f600bfb0c093";
  in.cnonce = "0a4f113b";
  in.nc = 1;
  in.req.method = "GET";
  in.req.uri = "/dir/index.html";
  char out[SIPSPEC_DIGEST_HEX_MAX];
  CU_ASSERT_EQUAL_FATAL(sipspec_digest_response(&in, out), SIPSPEC_OK);
  CU_ASSERT_STRING_EQUAL(out, "6629fae49393a05397450978507c4ef1");
}

/* The value of param name in a challenge header value, unquoted, into out. */
static const char *challenge_param(const char *hv, const char *name, char *out, size_t cap) {
  char key[32];
  snprintf(key, sizeof key, "%s=", name);
  const char *p = strstr(hv, key);
  if (!p) return NULL;
  p += strlen(key);
  int quoted = *p == '"';
  if (quoted) p++;
  size_t n = quoted ? strcspn(p, "\"") : strcspn(p, ", ");
  if (n >= cap) return NULL;
  memcpy(out, p, n);
  out[n] = '\0';
  return out;
}

/* "Authorization: Digest ..." computed from challenge hv for an INVITE of peer p. */
static void credentials(const env *e, const char *hdr, const char *hv, const char *password, const char *method,
                        const char *body, char *out, size_t cap) {
  char realm[128], nonce[128], alg[32], uri[128], srv_addr[SIPSPEC_SOCKADDR_STRLEN], line[2048], why[256];
  CU_ASSERT_PTR_NOT_NULL_FATAL(challenge_param(hv, "realm", realm, sizeof realm));
  CU_ASSERT_PTR_NOT_NULL_FATAL(challenge_param(hv, "nonce", nonce, sizeof nonce));
  CU_ASSERT_PTR_NOT_NULL_FATAL(challenge_param(hv, "algorithm", alg, sizeof alg));
  sipspec_sockaddr_format(&e->p.server, srv_addr, sizeof srv_addr);
  snprintf(uri, sizeof uri, "sip:mresources@%s", srv_addr);
  sipspec_digest_input in = {0};
  CU_ASSERT_EQUAL_FATAL(sipspec_digest_alg_parse(alg, strlen(alg), &in.alg), SIPSPEC_OK);
  in.qop = SIPSPEC_DIGEST_QOP_AUTH;
  in.username = "alice";
  in.realm = realm;
  in.password = password;
  in.nonce = nonce;
  in.cnonce = "c0ffee";
  in.nc = 1;
  in.req.method = method;
  in.req.uri = uri;
  in.req.body = body;
  in.req.body_len = body ? strlen(body) : 0;
  CU_ASSERT_EQUAL_FATAL(sipspec_digest_authorization(&in, line, sizeof line, why, sizeof why), SIPSPEC_OK);
  snprintf(out, cap, "%s: %s\r\n", hdr, line);
}

static void auth_env(env *e, int proxy, unsigned lifetime_ms) {
  sipspec_server_opts o;
  opts_default(&o);
  o.auth_user = "alice";
  o.auth_password = "secret";
  o.auth_realm = "mrcp.test";
  o.auth_proxy = proxy;
  o.auth_algs[0] = SIPSPEC_DIGEST_SHA256;
  o.auth_algs[1] = SIPSPEC_DIGEST_MD5;
  o.auth_nalgs = 2;
  o.auth_nonce_lifetime_ms = lifetime_ms;
  CU_ASSERT_EQUAL_FATAL(env_open(e, &o), 0);
}

/* 401 with one challenge per algorithm; the right answer gets 100/180/200; BYE needs it too. */
static void auth_challenge_success(void) {
  env e;
  auth_env(&e, 0, 0);
  call c;
  call_init(&c, "auth");
  char offer[4096], hv[1024], auth[4096];
  size_t len = make_offer(offer, sizeof offer, synth_recog, 2);
  offer[len] = '\0';
  send_invite(&e, &c, offer, len, NULL);
  const char *r = peer_find(&e.p, "SIP/2.0 401", 2.0);
  CU_ASSERT_PTR_NOT_NULL_FATAL(r);
  CU_ASSERT_EQUAL(msg_count(r, "WWW-Authenticate: Digest"), 2);
  CU_ASSERT_PTR_NOT_NULL_FATAL(msg_header(r, "WWW-Authenticate", hv, sizeof hv));
  CU_ASSERT_PTR_NOT_NULL(strstr(hv, "realm=\"mrcp.test\""));
  CU_ASSERT_PTR_NOT_NULL(strstr(hv, "algorithm=SHA-256"));
  send_ack_failure(&e, &c, r);
  CU_ASSERT_EQUAL(stats(&e).challenges, 1);
  credentials(&e, "Authorization", hv, "secret", "INVITE", offer, auth, sizeof auth);
  send_invite(&e, &c, offer, len, auth);
  const char *ok = peer_find(&e.p, "SIP/2.0 200", 2.0);
  CU_ASSERT_PTR_NOT_NULL_FATAL(ok);
  msg_to_tag(ok, c.to_tag, sizeof c.to_tag);
  send_ack_2xx(&e, &c);
  for (int i = 0; i < 100 && !e.events[SIPSPEC_SERVER_ESTABLISHED]; i++) tst_run_for(e.loop, 0.01);
  CU_ASSERT_EQUAL(e.events[SIPSPEC_SERVER_ESTABLISHED], 1);
  /* BYE without credentials: challenged; with them: 200 */
  send_req(&e, &c, "BYE", NULL, 0, NULL, NULL, ++c.cseq);
  r = peer_find(&e.p, "SIP/2.0 401", 2.0);
  CU_ASSERT_PTR_NOT_NULL_FATAL(r);
  msg_header(r, "WWW-Authenticate", hv, sizeof hv);
  credentials(&e, "Authorization", hv, "secret", "BYE", NULL, auth, sizeof auth);
  send_req(&e, &c, "BYE", NULL, 0, auth, NULL, ++c.cseq);
  r = peer_find(&e.p, "SIP/2.0 200", 2.0);
  CU_ASSERT_PTR_NOT_NULL_FATAL(r);
  CU_ASSERT_PTR_NOT_NULL(strstr(r, " BYE\r\n"));
  CU_ASSERT_EQUAL(stats(&e).challenges, 2);
  CU_ASSERT_EQUAL(stats(&e).ended, 1);
  env_close(&e);
}

/* A wrong password: a fresh 401 whose Warning says the credentials were refused. */
static void auth_wrong_password(void) {
  env e;
  auth_env(&e, 0, 0);
  call c;
  call_init(&c, "authbad");
  char offer[4096], hv[1024], auth[4096], h[512];
  size_t len = make_offer(offer, sizeof offer, synth_recog, 1);
  offer[len] = '\0';
  send_invite(&e, &c, offer, len, NULL);
  const char *r = peer_find(&e.p, "SIP/2.0 401", 2.0);
  CU_ASSERT_PTR_NOT_NULL_FATAL(r);
  CU_ASSERT_PTR_NULL(msg_header(r, "Warning", h, sizeof h));
  send_ack_failure(&e, &c, r);
  msg_header(r, "WWW-Authenticate", hv, sizeof hv);
  credentials(&e, "Authorization", hv, "not-the-password", "INVITE", offer, auth, sizeof auth);
  send_invite(&e, &c, offer, len, auth);
  r = peer_find(&e.p, "SIP/2.0 401", 2.0);
  CU_ASSERT_PTR_NOT_NULL_FATAL(r);
  CU_ASSERT_PTR_NOT_NULL_FATAL(msg_header(r, "Warning", h, sizeof h));
  CU_ASSERT_PTR_NOT_NULL(strstr(h, "credentials refused"));
  CU_ASSERT_PTR_NULL(strstr(r, "not-the-password"));
  CU_ASSERT_PTR_NULL(strstr(r, "stale=true"));
  send_ack_failure(&e, &c, r);
  /* credentials that cannot be read: 400 naming the problem */
  send_invite(&e, &c, offer, len, "Authorization: Digest realm=\"mrcp.test\", nonce=\"x\", username\r\n");
  r = peer_find(&e.p, "SIP/2.0 400", 2.0);
  CU_ASSERT_PTR_NOT_NULL_FATAL(r);
  CU_ASSERT_PTR_NOT_NULL(msg_header(r, "Warning", h, sizeof h));
  send_ack_failure(&e, &c, r);
  sipspec_server_stats s = stats(&e);
  CU_ASSERT_EQUAL(s.challenges, 2);
  CU_ASSERT_EQUAL(s.refused, 3);
  CU_ASSERT_EQUAL(s.live_dialogs, 0);
  CU_ASSERT_EQUAL(peer_count(&e.p, "SIP/2.0 200"), 0);
  env_close(&e);
}

/* A right answer after the nonce expired: 401 with stale=true. */
static void auth_stale_nonce(void) {
  env e;
  auth_env(&e, 0, 100);
  call c;
  call_init(&c, "stale");
  char offer[4096], hv[1024], auth[4096];
  size_t len = make_offer(offer, sizeof offer, synth_recog, 1);
  offer[len] = '\0';
  send_invite(&e, &c, offer, len, NULL);
  const char *r = peer_find(&e.p, "SIP/2.0 401", 2.0);
  CU_ASSERT_PTR_NOT_NULL_FATAL(r);
  send_ack_failure(&e, &c, r);
  msg_header(r, "WWW-Authenticate", hv, sizeof hv);
  tst_run_for(e.loop, 0.25); /* the nonce lives 100 ms */
  credentials(&e, "Authorization", hv, "secret", "INVITE", offer, auth, sizeof auth);
  send_invite(&e, &c, offer, len, auth);
  r = peer_find(&e.p, "SIP/2.0 401", 2.0);
  CU_ASSERT_PTR_NOT_NULL_FATAL(r);
  CU_ASSERT_PTR_NOT_NULL(strstr(r, "stale=true"));
  env_close(&e);
}

/* auth_proxy: 407 with Proxy-Authenticate, answered with Proxy-Authorization. */
static void auth_proxy_407(void) {
  env e;
  auth_env(&e, 1, 0);
  call c;
  call_init(&c, "proxy");
  char offer[4096], hv[1024], auth[4096];
  size_t len = make_offer(offer, sizeof offer, synth_recog, 1);
  offer[len] = '\0';
  send_invite(&e, &c, offer, len, NULL);
  const char *r = peer_find(&e.p, "SIP/2.0 407", 2.0);
  CU_ASSERT_PTR_NOT_NULL_FATAL(r);
  CU_ASSERT_PTR_NOT_NULL_FATAL(msg_header(r, "Proxy-Authenticate", hv, sizeof hv));
  send_ack_failure(&e, &c, r);
  credentials(&e, "Proxy-Authorization", hv, "secret", "INVITE", offer, auth, sizeof auth);
  send_invite(&e, &c, offer, len, auth);
  CU_ASSERT_PTR_NOT_NULL(peer_find(&e.p, "SIP/2.0 200", 2.0));
  env_close(&e);
}

/* ---- shutdown and options ----------------------------------------------------------------- */

static void shutdown_byes_and_503(void) {
  env e;
  sipspec_server_opts o;
  opts_default(&o);
  CU_ASSERT_EQUAL_FATAL(env_open(&e, &o), 0);
  call c, d;
  call_init(&c, "shut");
  establish(&e, &c, synth_recog, 1);
  sipspec_server_shutdown(e.srv);
  const char *bye = peer_find(&e.p, "BYE ", 2.0);
  CU_ASSERT_PTR_NOT_NULL_FATAL(bye);
  char ct[256];
  expect_bye(&e, &c, bye, peer_contact(&e.p, ct, sizeof ct), g_kind == SIPSPEC_TP_TCP ? "TCP" : "UDP", 1, "");
  answer_server_bye(&e, bye, 200);
  CU_ASSERT_TRUE(tst_run_until(e.loop, idle_cond, e.srv, 4.0));
  call_init(&d, "late");
  char offer[4096];
  size_t len = make_offer(offer, sizeof offer, synth_recog, 1);
  send_invite(&e, &d, offer, len, NULL);
  const char *r = peer_find(&e.p, "SIP/2.0 503", 2.0);
  CU_ASSERT_PTR_NOT_NULL_FATAL(r);
  send_ack_failure(&e, &d, r);
  CU_ASSERT_EQUAL(stats(&e).byes_sent, 1);
  CU_ASSERT_EQUAL(stats(&e).ended, 1);
  env_close(&e);
}

static void bad_options(void) {
  struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
  sipspec_server_opts o;
  sipspec_server *srv = NULL;
  char err[SIPSPEC_ERR_LEN];
  opts_default(&o);
  o.listen_host = "localhost";
  CU_ASSERT_EQUAL(sipspec_server_create(loop, &o, &srv, err, sizeof err), SIPSPEC_E_INVAL);
  CU_ASSERT_PTR_NOT_NULL(strstr(err, "listen_host"));
  opts_default(&o);
  o.reject_status = 200;
  CU_ASSERT_EQUAL(sipspec_server_create(loop, &o, &srv, err, sizeof err), SIPSPEC_E_INVAL);
  CU_ASSERT_PTR_NOT_NULL(strstr(err, "reject_status"));
  opts_default(&o);
  o.auth_user = "alice";
  CU_ASSERT_EQUAL(sipspec_server_create(loop, &o, &srv, err, sizeof err), SIPSPEC_E_INVAL);
  CU_ASSERT_PTR_NOT_NULL(strstr(err, "auth_password"));
  opts_default(&o);
  o.cfg.transport = SIPSPEC_TP_TLS;
  CU_ASSERT_EQUAL(sipspec_server_create(loop, &o, &srv, err, sizeof err), SIPSPEC_E_TLS_UNAVAILABLE);
  CU_ASSERT_PTR_NULL(srv);
  /* the port is taken: a bind error naming the address */
  opts_default(&o);
  CU_ASSERT_EQUAL_FATAL(sipspec_server_create(loop, &o, &srv, err, sizeof err), SIPSPEC_OK);
  sipspec_sockaddr a;
  sipspec_server_bound_addr(srv, g_kind, &a);
  sipspec_server *second = NULL;
  o.listen_port = sipspec_sockaddr_port(&a);
  CU_ASSERT_EQUAL(sipspec_server_create(loop, &o, &second, err, sizeof err), SIPSPEC_E_BIND);
  CU_ASSERT_PTR_NOT_NULL(strstr(err, "127.0.0.1"));
  CU_ASSERT_PTR_NULL(second);
  sipspec_server_destroy(srv);
  ev_loop_destroy(loop);
}

int main(int argc, char **argv) {
  signal(SIGPIPE, SIG_IGN);
  if (argc > 1 && !strcmp(argv[1], "tcp")) g_kind = SIPSPEC_TP_TCP;
  if (sipspec_coverage_install_atexit() != SIPSPEC_OK) return 2;
  if (CU_initialize_registry() != CUE_SUCCESS) return 2;
  CU_pSuite s = CU_add_suite(g_kind == SIPSPEC_TP_TCP ? "server_tcp" : "server_udp", NULL, NULL);
  CU_add_test(s, "invite_answer_ack_bye", invite_answer_ack_bye);
  CU_add_test(s, "ring_count_180s", ring_count_180s);
  CU_add_test(s, "reject_status_after_ringing", reject_status_after_ringing);
  CU_add_test(s, "refusals_488_415", refusals_488_415);
  CU_add_test(s, "no_dialog_options_405", no_dialog_options_405);
  CU_add_test(s, "cancel_487", cancel_487);
  CU_add_test(s, "reinvite_add_remove", reinvite_add_remove);
  CU_add_test(s, "retransmit_2xx_until_ack", retransmit_2xx_until_ack);
  CU_add_test(s, "no_ack_bye", no_ack_bye);
  CU_add_test(s, "bye_after", bye_after);
  CU_add_test(s, "bye_knobs", bye_knobs);
  CU_add_test(s, "early_bye_487", early_bye_487);
  CU_add_test(s, "invite_without_contact_400", invite_without_contact_400);
  CU_add_test(s, "bye_to_contact", bye_to_contact);
  CU_add_test(s, "bye_route_set", bye_route_set);
  CU_add_test(s, "bye_nat_flow", bye_nat_flow);
  CU_add_test(s, "bye_contact_name", bye_contact_name);
  CU_add_test(s, "digest_vector", digest_vector);
  CU_add_test(s, "auth_challenge_success", auth_challenge_success);
  CU_add_test(s, "auth_wrong_password", auth_wrong_password);
  CU_add_test(s, "auth_stale_nonce", auth_stale_nonce);
  CU_add_test(s, "auth_proxy_407", auth_proxy_407);
  CU_add_test(s, "shutdown_byes_and_503", shutdown_byes_and_503);
  CU_add_test(s, "bad_options", bad_options);
  CU_basic_set_mode(CU_BRM_VERBOSE);
  CU_basic_run_tests();
  unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
  unsigned run = CU_get_number_of_tests_run();
  CU_cleanup_registry();
  return failed || run == 0 ? 1 : 0;
}
