/* test_tsx_udp.c: a client transaction layer and a server transaction layer in one process
 * on 127.0.0.1 over UDP, with the RFC's timer values (T1 = 500 ms, T2 = 4 s, T4 = 5 s, so
 * Timer B = F = H = 32 s) on a virtual clock (exact times, no real waiting), some through the
 * fault-injecting relay of tests/harness.
 *
 * Covered: INVITE -> 100 -> 180 -> 486 with the ACK built inside the client transaction,
 * the server's IST Completed -> Confirmed, a lost ACK (Timer G resends the 486, the client
 * ACKs again); INVITE -> 200 (the ICT in Accepted passes the 2xx and the TU's
 * retransmitted 2xx); INVITE timeout against a silent peer (exactly 7 transmissions,
 * Timer B, sipInviteTimeouts); OPTIONS and BYE through 30% loss both ways (seeded); a
 * retransmitted request answered with the last response; Timer H when no ACK ever comes;
 * stray responses; malformed and semantically wrong requests (dropped / 400 with Warning);
 * client_start argument errors; a send error inside an action (TRANSPORT_ERR queued after
 * it); CANCEL as its own transaction on both sides, finding the INVITE it targets.
 * Not covered here: TCP (test_tsx_tcp.c), matching rules without sockets (test_tsx_match.c).
 */
#include <stdio.h>
#include <string.h>

#include "relay.h"
#include "sipspec/chart_ict.h"
#include "sipspec/chart_ist.h"
#include "sipspec/chart_nict.h"
#include "sipspec/chart_nist.h"
#include "tsx_test_util.h"

#define T1 500u
#define T2 4000u
#define T4 5000u

typedef struct env {
  struct ev_loop *loop;
  sipspec_clock *clock;     /* virtual, in use by the tst_run_* calls */
  tt_side cli, srv;
  relay *r;
} env;

static void env_open(env *e, unsigned t2) {
  memset(e, 0, sizeof *e);
  e->loop = ev_loop_new(EVFLAG_AUTO);
  e->clock = tt_clock_begin(e->loop);
  tt_side_open(&e->cli, e->loop, SIPSPEC_TP_UDP, T1, t2, T4);
  tt_side_open(&e->srv, e->loop, SIPSPEC_TP_UDP, T1, t2, T4);
}

static void env_relay(env *e, const relay_opts *o_in) {
  relay_opts o = *o_in;
  o.upstream = e->srv.addr;
  char err[SIPSPEC_ERR_LEN] = "";
  int rc = relay_create(e->loop, &o, &e->r, err, sizeof err);
  if (rc) fprintf(stderr, "relay: %s\n", err);
  CU_ASSERT_EQUAL_FATAL(rc, SIPSPEC_OK);
}

static void env_close(env *e) {
  tt_side_close(&e->cli);
  tt_side_close(&e->srv);
  if (e->r) relay_destroy(e->r);
  tst_run_for(e->loop, 0.01);
  tt_clock_end(e->clock);
  ev_loop_destroy(e->loop);
}

static sipspec_tsx *start(env *e, const char *method, const sipspec_sockaddr *dest, tt_rec *rec, unsigned cseq) {
  char req[2048];
  size_t n = tt_request(req, sizeof req, method, "UDP", &e->cli.addr, NULL, cseq, 1);
  sipspec_tsx_callbacks cb = tt_rec_callbacks;
  cb.user = rec;
  memset(rec, 0, sizeof *rec);
  int rc = tt_start_text(e->cli.layer, SIPSPEC_TP_UDP, dest, req, n, &cb, &rec->t);
  CU_ASSERT_EQUAL(rc, SIPSPEC_OK);
  return rec->t;
}

typedef struct state_want { sipspec_tsx **t; int state; } state_want;
static int in_state(void *arg) {
  state_want *w = arg;
  return *w->t && sipspec_tsx_state(*w->t) == w->state;
}

/* 17.1.1.2 / 17.2.1: INVITE -> 100 -> 180 -> 486; the ACK to the 486 is lost once (relay
 * rule), Timer G resends the 486, the client transaction ACKs it again, the IST confirms. */
static void invite_486_acked_and_reacked(void) {
  env e;
  env_open(&e, T2);
  relay_opts o;
  relay_opts_init(&o);
  o.dir[RELAY_A_TO_B].rules[0] = (relay_rule){"ACK sip:", 1};
  o.dir[RELAY_A_TO_B].nrules = 1;
  env_relay(&e, &o);
  e.srv.answer[0] = 180, e.srv.answer[1] = 486, e.srv.n_answer = 2;
  tt_rec c;
  sipspec_sockaddr front = relay_front_addr(e.r);
  CU_ASSERT_PTR_NOT_NULL_FATAL(start(&e, "INVITE", &front, &c, 1));
  CU_ASSERT_STRING_EQUAL(sipspec_tsx_kind_name(c.t), "ict");
  CU_ASSERT_EQUAL(sipspec_tsx_state(c.t), SIPSPEC_ICT_CALLING);
  CU_ASSERT_TRUE(tt_run_until_count(e.loop, &e.srv.n_requests, 1, 2.0));
  sipspec_tsx *srv_t = e.srv.srv[0].t;
  CU_ASSERT_PTR_NOT_NULL_FATAL(srv_t);
  CU_ASSERT_STRING_EQUAL(sipspec_tsx_kind_name(srv_t), "ist");
  state_want w = {&e.srv.srv[0].t, SIPSPEC_IST_CONFIRMED};
  CU_ASSERT_TRUE(tst_run_until(e.loop, in_state, &w, 10.0));
  CU_ASSERT_EQUAL(tst_now_ms(e.loop), T1); /* the first Timer G, at T1 */
  /* the client saw 100, 180, 486, each once (the retransmitted 486 is absorbed) */
  CU_ASSERT_EQUAL(c.n_resp, 3);
  CU_ASSERT_EQUAL(c.status[0], 100);
  CU_ASSERT_EQUAL(c.status[1], 180);
  CU_ASSERT_EQUAL(c.status[2], 486);
  CU_ASSERT_EQUAL(sipspec_tsx_state(c.t), SIPSPEC_ICT_COMPLETED);
  CU_ASSERT_EQUAL(sipspec_tsx_last_status(c.t), 486);
  /* relay, client to server: INVITE, the first ACK (dropped by the rule), the second ACK */
  CU_ASSERT_STRING_EQUAL(relay_schedule(e.r, RELAY_A_TO_B), "fsf");
  relay_stats rs = relay_get_stats(e.r, RELAY_B_TO_A);
  CU_ASSERT_EQUAL(rs.forwarded, 4); /* 100, 180, 486, the 486 again */
  CU_ASSERT_EQUAL(e.cli.tel.sipProvisional, 2);
  CU_ASSERT_EQUAL(e.cli.tel.sipError4xx, 1);
  CU_ASSERT_EQUAL(e.cli.tel.sipRetransmissions, 1);   /* the second ACK */
  CU_ASSERT_EQUAL(e.srv.tel.sipRetransmissions, 1);   /* the 486 once by Timer G */
  CU_ASSERT_EQUAL(e.srv.n_acks, 0);                   /* the ACK stayed in the transaction */
  CU_ASSERT_EQUAL(e.cli.n_stray, 0);
  CU_ASSERT_EQUAL(c.timeouts + c.transport_errors + e.srv.srv[0].timeouts, 0);
  env_close(&e);
}

/* RFC 6026 8.4: a 2xx moves the ICT to Accepted; the TU's retransmitted 2xx is passed too. */
static void invite_200_accepted_passes_retransmission(void) {
  env e;
  env_open(&e, T2);
  e.srv.answer[0] = 200, e.srv.n_answer = 1;
  tt_rec c;
  CU_ASSERT_PTR_NOT_NULL_FATAL(start(&e, "INVITE", &e.srv.addr, &c, 1));
  CU_ASSERT_TRUE(tt_run_until_count(e.loop, &c.n_resp, 2, 2.0)); /* 100, 200 */
  CU_ASSERT_EQUAL(c.status[1], 200);
  CU_ASSERT_EQUAL(sipspec_tsx_state(c.t), SIPSPEC_ICT_ACCEPTED);
  sipspec_tsx *st = e.srv.srv[0].t;
  CU_ASSERT_PTR_NOT_NULL_FATAL(st);
  CU_ASSERT_EQUAL(sipspec_tsx_state(st), SIPSPEC_IST_ACCEPTED);
  /* the server TU retransmits its 2xx (RFC 6026 8.7: TU_2XX in Accepted) */
  CU_ASSERT_EQUAL(sipspec_tsx_respond(st, 200, NULL, "Contact: <sip:mrcp@127.0.0.1>\r\n", NULL, 0), SIPSPEC_OK);
  CU_ASSERT_TRUE(tt_run_until_count(e.loop, &c.n_resp, 3, 2.0));
  CU_ASSERT_EQUAL(c.status[2], 200);
  CU_ASSERT_EQUAL(sipspec_tsx_state(c.t), SIPSPEC_ICT_ACCEPTED);
  CU_ASSERT_EQUAL(e.srv.tel.sipRetransmissions, 1);
  CU_ASSERT_EQUAL(e.cli.n_stray, 0);
  /* a final response after the 2xx is refused in Accepted */
  CU_ASSERT_EQUAL(sipspec_tsx_respond(st, 486, NULL, NULL, NULL, 0), SIPSPEC_E_FSM_REFUSED);
  env_close(&e);
}

/* 17.1.1.2: a silent peer: INVITE sent at 0, T1, 3T1, ... 31T1 (Timer A doubles without
 * the T2 cap), then Timer B at exactly 64*T1. */
static void invite_timeout_seven_transmissions(void) {
  env e;
  env_open(&e, T2);
  tt_sink k;
  tt_sink_open(&k, e.loop, SIPSPEC_TP_UDP);
  k.match = "INVITE ";
  tt_rec c;
  CU_ASSERT_PTR_NOT_NULL_FATAL(start(&e, "INVITE", &k.addr, &c, 1));
  CU_ASSERT_TRUE(tt_run_until_count(e.loop, &c.terminated, 1, 64 * T1 / 1000.0 + 30.0));
  CU_ASSERT_EQUAL(tst_now_ms(e.loop), 64 * T1);
  CU_ASSERT_EQUAL(k.n_match, 7);
  CU_ASSERT_EQUAL(k.n, 7);
  static const unsigned sent_at[7] = {0, 1, 3, 7, 15, 31, 63}; /* in T1 */
  for (int i = 0; i < 7; i++) CU_ASSERT_EQUAL(k.at[i], sent_at[i] * T1);
  CU_ASSERT_EQUAL(c.timeouts, 1);
  CU_ASSERT_EQUAL(c.state_at_timeout, SIPSPEC_ICT_TERMINATED);
  CU_ASSERT_EQUAL(c.n_resp, 0);
  CU_ASSERT_EQUAL(e.cli.tel.sipInviteTimeouts, 1);
  CU_ASSERT_EQUAL(e.cli.tel.sipRetransmissions, 6);
  sipspec_tsx_stats st;
  sipspec_tsx_layer_stats(e.cli.layer, &st);
  CU_ASSERT_EQUAL(st.live, 0);
  CU_ASSERT_EQUAL(st.client_started, 1);
  sipspec_transport_close(k.tp);
  env_close(&e);
}

/* MRCP_SIP_INVITE_MAX_RETRANS = 2: the INVITE goes out 3 times (0, T1, 3T1) and the third
 * Timer A (exactly 7T1) gives up as Timer B would, long before 64*T1; nothing more is sent
 * up to and past 64*T1. */
static void invite_max_retrans_gives_up_early(void) {
  env e;
  env_open(&e, T2);
  tt_side_close(&e.cli);
  sipspec_config cfg;
  sipspec_config_init(&cfg);
  cfg.t1_ms = T1, cfg.t2_ms = T2, cfg.t4_ms = T4, cfg.invite_max_retrans = 2;
  tt_side_open_cfg(&e.cli, e.loop, SIPSPEC_TP_UDP, &cfg);
  tt_sink k;
  tt_sink_open(&k, e.loop, SIPSPEC_TP_UDP);
  k.match = "INVITE ";
  tt_rec c;
  CU_ASSERT_PTR_NOT_NULL_FATAL(start(&e, "INVITE", &k.addr, &c, 1));
  /* 7*T1 = 3.5 s; Timer B would need 64*T1 = 32 s */
  CU_ASSERT_TRUE(tt_run_until_count(e.loop, &c.terminated, 1, 64 * T1 / 1000.0 - 1.0));
  CU_ASSERT_EQUAL(tst_now_ms(e.loop), 7 * T1);
  tst_run_for(e.loop, 64 * T1 / 1000.0); /* nothing more arrives */
  CU_ASSERT_EQUAL(k.n_match, 3);
  CU_ASSERT_EQUAL(k.at[0], 0);
  CU_ASSERT_EQUAL(k.at[1], T1);
  CU_ASSERT_EQUAL(k.at[2], 3 * T1);
  CU_ASSERT_EQUAL(c.timeouts, 1);
  CU_ASSERT_EQUAL(e.cli.tel.sipInviteTimeouts, 1);
  CU_ASSERT_EQUAL(e.cli.tel.sipRetransmissions, 2);
  /* zero is refused like the environment variable refuses it */
  cfg.invite_max_retrans = 0;
  sipspec_tsx_layer *bad = NULL;
  CU_ASSERT_EQUAL(sipspec_tsx_layer_create(e.loop, &cfg, NULL, NULL, &bad), SIPSPEC_E_INVAL);
  CU_ASSERT_PTR_NULL(bad);
  sipspec_transport_close(k.tp);
  env_close(&e);
}

typedef struct all_done_want { const tt_rec *c; int n; } all_done_want;
static int all_done(void *arg) {
  all_done_want *w = arg;
  for (int i = 0; i < w->n; i++)
    if (!(w->c[i].n_resp > 0 || w->c[i].terminated)) return 0;
  return 1;
}

/* 17.1.2.2 / 17.2.2: OPTIONS and BYE through 30% loss in both directions (seeded): every
 * transaction completes with its 200 before Timer F; lost requests and responses are
 * retransmitted (Timer E: T1, 2T1, 4T1, then T2 = 4 s: 10 tries within 64*T1). */
static void nict_completes_through_loss(void) {
  env e;
  env_open(&e, T2);
  relay_opts o;
  relay_opts_init(&o);
  o.seed = 20240611;
  o.dir[RELAY_A_TO_B].drop_permille = 300;
  o.dir[RELAY_B_TO_A].drop_permille = 300;
  env_relay(&e, &o);
  e.srv.answer[0] = 200, e.srv.n_answer = 1;
  enum { N = 10 };
  tt_rec c[N];
  sipspec_sockaddr front = relay_front_addr(e.r);
  for (int i = 0; i < N; i++) CU_ASSERT_PTR_NOT_NULL(start(&e, i % 2 ? "BYE" : "OPTIONS", &front, &c[i], (unsigned)i + 1));
  all_done_want w = {c, N};
  CU_ASSERT_TRUE(tst_run_until(e.loop, all_done, &w, 64 * T1 / 1000.0 + 30.0));
  for (int i = 0; i < N; i++) {
    CU_ASSERT_EQUAL(c[i].n_resp, 1);
    CU_ASSERT_EQUAL(c[i].status[0], 200);
    CU_ASSERT_EQUAL(c[i].timeouts, 0);
  }
  relay_stats ab = relay_get_stats(e.r, RELAY_A_TO_B), ba = relay_get_stats(e.r, RELAY_B_TO_A);
  CU_ASSERT_TRUE(ab.dropped + ba.dropped > 0);
  CU_ASSERT_TRUE(e.cli.tel.sipRetransmissions > 0);
  /* every request that reached the server after the first one got the last response again */
  CU_ASSERT_EQUAL(e.srv.n_requests, N);
  CU_ASSERT_EQUAL((uint64_t)ab.forwarded - N, e.srv.tel.sipRetransmissions);
  CU_ASSERT_EQUAL(e.cli.tel.sipError4xx + e.cli.tel.sipInviteTimeouts, 0);
  env_close(&e);
}

/* 17.2.1 / 17.2.2: a retransmitted request is answered with the last response, and the TU
 * hears of the request once. A raw peer sends the same bytes twice. */
static void retransmitted_request_gets_last_response(void) {
  env e;
  env_open(&e, T2);
  tt_sink k;
  tt_sink_open(&k, e.loop, SIPSPEC_TP_UDP);
  char req[2048], first[4096];
  /* INVITE, TU silent: the IST sent 100; the retransmission gets the same 100 */
  size_t n = tt_request(req, sizeof req, "INVITE", "UDP", &k.addr, NULL, 1, 1);
  CU_ASSERT_EQUAL(sipspec_transport_send(k.tp, &e.srv.addr, req, n), SIPSPEC_OK);
  CU_ASSERT_TRUE(tt_run_until_count(e.loop, &k.n, 1, 2.0));
  CU_ASSERT_EQUAL(strncmp(k.last, "SIP/2.0 100 Trying\r\n", 20), 0);
  CU_ASSERT_PTR_NOT_NULL(strstr(k.last, ";received=127.0.0.1;rport="));
  memcpy(first, k.last, k.last_len + 1);
  CU_ASSERT_EQUAL(sipspec_transport_send(k.tp, &e.srv.addr, req, n), SIPSPEC_OK);
  CU_ASSERT_TRUE(tt_run_until_count(e.loop, &k.n, 2, 2.0));
  CU_ASSERT_STRING_EQUAL(k.last, first);
  CU_ASSERT_EQUAL(e.srv.n_requests, 1);
  /* OPTIONS answered 200 by the TU; the retransmission gets the identical 200 */
  e.srv.answer[0] = 200, e.srv.n_answer = 1;
  n = tt_request(req, sizeof req, "OPTIONS", "UDP", &k.addr, NULL, 2, 1);
  CU_ASSERT_EQUAL(sipspec_transport_send(k.tp, &e.srv.addr, req, n), SIPSPEC_OK);
  CU_ASSERT_TRUE(tt_run_until_count(e.loop, &k.n, 3, 2.0));
  CU_ASSERT_EQUAL(strncmp(k.last, "SIP/2.0 200 OK\r\n", 16), 0);
  CU_ASSERT_PTR_NOT_NULL(strstr(k.last, "\r\nTo: <sip:mrcp@127.0.0.1>;tag="));
  memcpy(first, k.last, k.last_len + 1);
  CU_ASSERT_EQUAL(sipspec_tsx_state(e.srv.srv[1].t), SIPSPEC_NIST_COMPLETED);
  CU_ASSERT_EQUAL(sipspec_transport_send(k.tp, &e.srv.addr, req, n), SIPSPEC_OK);
  CU_ASSERT_TRUE(tt_run_until_count(e.loop, &k.n, 4, 2.0));
  CU_ASSERT_STRING_EQUAL(k.last, first);
  CU_ASSERT_EQUAL(e.srv.n_requests, 2);
  CU_ASSERT_EQUAL(e.srv.tel.sipRetransmissions, 2);
  sipspec_transport_close(k.tp);
  env_close(&e);
}

/* 17.2.1: no ACK ever comes: Timer G resends the 486 at T1, 3T1, 7T1 (its interval doubles
 * up to T2 = 4 s), then every T2: 15T1, 23T1, ... 63T1; Timer H (exactly 64*T1) ends the IST
 * with a timeout. */
static void ist_timer_h_without_ack(void) {
  env e;
  env_open(&e, T2);
  tt_sink k;
  tt_sink_open(&k, e.loop, SIPSPEC_TP_UDP);
  k.match = "SIP/2.0 486 ";
  e.srv.answer[0] = 486, e.srv.n_answer = 1;
  char req[2048];
  size_t n = tt_request(req, sizeof req, "INVITE", "UDP", &k.addr, NULL, 1, 1);
  CU_ASSERT_EQUAL(sipspec_transport_send(k.tp, &e.srv.addr, req, n), SIPSPEC_OK);
  CU_ASSERT_TRUE(tt_run_until_count(e.loop, &e.srv.n_requests, 1, 2.0));
  CU_ASSERT_EQUAL(sipspec_tsx_state(e.srv.srv[0].t), SIPSPEC_IST_COMPLETED);
  CU_ASSERT_TRUE(tt_run_until_count(e.loop, &e.srv.srv[0].terminated, 1, 64 * T1 / 1000.0 + 30.0));
  CU_ASSERT_EQUAL(tst_now_ms(e.loop), 64 * T1);
  CU_ASSERT_EQUAL(e.srv.srv[0].timeouts, 1);
  CU_ASSERT_EQUAL(k.n_match, 11);
  CU_ASSERT_EQUAL(k.n, 12); /* and the 100 Trying */
  static const unsigned sent_at[11] = {0, 1, 3, 7, 15, 23, 31, 39, 47, 55, 63}; /* in T1 */
  for (int i = 0; i < 11; i++) CU_ASSERT_EQUAL(k.at[i + 1], sent_at[i] * T1);
  CU_ASSERT_EQUAL(e.srv.tel.sipRetransmissions, 10);
  CU_ASSERT_EQUAL(e.srv.tel.sipInviteTimeouts, 0); /* Timer B only */
  sipspec_transport_close(k.tp);
  env_close(&e);
}

/* 17.1.3: a response matching no client transaction goes to the stray callback; an ACK
 * matching no IST goes to on_ack. */
static void stray_response_and_ack_for_2xx(void) {
  env e;
  env_open(&e, T2);
  char req[2048], resp[2048];
  size_t n = tt_request(req, sizeof req, "INVITE", "UDP", &e.cli.addr, NULL, 1, 0);
  sipspec_msg *m;
  CU_ASSERT_EQUAL_FATAL(sipspec_msg_create(&m, NULL), SIPSPEC_OK);
  CU_ASSERT_EQUAL_FATAL(sipspec_msg_parse(m, req, n), SIPSPEC_OK);
  sipspec_build b;
  sipspec_build_init(&b, resp, sizeof resp);
  sipspec_build_response(&b, m, 200, "OK", "s1");
  CU_ASSERT_EQUAL(sipspec_build_finish(&b, (sipspec_span){"", 0}), SIPSPEC_OK);
  CU_ASSERT_EQUAL(sipspec_tsx_layer_send(e.srv.layer, SIPSPEC_TP_UDP, &e.cli.addr, resp, b.len), SIPSPEC_OK);
  CU_ASSERT_TRUE(tt_run_until_count(e.loop, &e.cli.n_stray, 1, 2.0));
  CU_ASSERT_EQUAL(e.cli.stray_status, 200);
  n = tt_request(req, sizeof req, "ACK", "UDP", &e.cli.addr, NULL, 1, 0);
  CU_ASSERT_EQUAL(sipspec_tsx_layer_send(e.cli.layer, SIPSPEC_TP_UDP, &e.srv.addr, req, n), SIPSPEC_OK);
  CU_ASSERT_TRUE(tt_run_until_count(e.loop, &e.srv.n_acks, 1, 2.0));
  CU_ASSERT_EQUAL(e.srv.n_requests, 0);
  sipspec_tsx_stats st;
  sipspec_tsx_layer_stats(e.cli.layer, &st);
  CU_ASSERT_EQUAL(st.rx_stray, 1);
  sipspec_msg_destroy(m);
  env_close(&e);
}

/* RFC 3261 8.2: garbage is dropped and counted; a request that parses but lacks Call-ID
 * gets a 400 whose Warning names the problem, as does a CSeq method mismatch; a bad ACK
 * gets nothing; none of them creates a transaction. Max-Forwards: 0 is answered as usual. */
static void malformed_and_semantically_wrong_requests(void) {
  env e;
  env_open(&e, T2);
  tt_sink k;
  tt_sink_open(&k, e.loop, SIPSPEC_TP_UDP);
  const char *garbage = "INVITE sip:x SIP/2.0\r\nVia: \x01\r\n\r\n";
  CU_ASSERT_EQUAL(sipspec_transport_send(k.tp, &e.srv.addr, garbage, strlen(garbage)), SIPSPEC_OK);
  char req[2048], bad[2048];
  size_t n = tt_request(req, sizeof req, "OPTIONS", "UDP", &k.addr, NULL, 1, 1);
  /* drop the Call-ID line */
  char *cid = strstr(req, "Call-ID:"), *eol = cid ? strstr(cid, "\r\n") : NULL;
  CU_ASSERT_PTR_NOT_NULL_FATAL(eol);
  size_t head = (size_t)(cid - req), tail = n - (size_t)(eol + 2 - req);
  memcpy(bad, req, head);
  memcpy(bad + head, eol + 2, tail);
  CU_ASSERT_EQUAL(sipspec_transport_send(k.tp, &e.srv.addr, bad, head + tail), SIPSPEC_OK);
  CU_ASSERT_TRUE(tt_run_until_count(e.loop, &k.n, 1, 2.0));
  CU_ASSERT_EQUAL(strncmp(k.last, "SIP/2.0 400 Bad Request\r\n", 25), 0);
  CU_ASSERT_PTR_NOT_NULL(strstr(k.last, "\r\nWarning: 399 sipspec \"MISSING_CALL_ID: no Call-ID header\"\r\n"));
  /* CSeq method other than the request's */
  n = tt_request(req, sizeof req, "OPTIONS", "UDP", &k.addr, NULL, 2, 1);
  char *cs = strstr(req, "CSeq: 2 OPTIONS");
  CU_ASSERT_PTR_NOT_NULL_FATAL(cs);
  memcpy(cs, "CSeq: 2 OPTIONZ", 15);
  CU_ASSERT_EQUAL(sipspec_transport_send(k.tp, &e.srv.addr, req, n), SIPSPEC_OK);
  CU_ASSERT_TRUE(tt_run_until_count(e.loop, &k.n, 2, 2.0));
  CU_ASSERT_EQUAL(strncmp(k.last, "SIP/2.0 400 Bad Request\r\n", 25), 0);
  CU_ASSERT_PTR_NOT_NULL(strstr(k.last, "CSEQ_METHOD_MISMATCH"));
  CU_ASSERT_PTR_NOT_NULL(strstr(k.last, "\r\nTo: <sip:mrcp@127.0.0.1>;tag="));
  /* an ACK without Call-ID: silently dropped */
  n = tt_request(req, sizeof req, "ACK", "UDP", &k.addr, NULL, 1, 1);
  cid = strstr(req, "Call-ID:"), eol = strstr(cid, "\r\n");
  head = (size_t)(cid - req), tail = n - (size_t)(eol + 2 - req);
  memcpy(bad, req, head);
  memcpy(bad + head, eol + 2, tail);
  CU_ASSERT_EQUAL(sipspec_transport_send(k.tp, &e.srv.addr, bad, head + tail), SIPSPEC_OK);
  sipspec_tsx_stats st;
  for (int guard = 0; guard < 100; guard++) {
    sipspec_tsx_layer_stats(e.srv.layer, &st);
    if (st.rx_dropped) break;
    tst_run_for(e.loop, 0.02);
  }
  CU_ASSERT_EQUAL(st.rx_malformed, 1);
  CU_ASSERT_EQUAL(st.rx_rejected, 2);
  CU_ASSERT_EQUAL(st.rx_dropped, 1);
  CU_ASSERT_EQUAL(st.server_started, 0);
  CU_ASSERT_EQUAL(e.srv.n_requests + e.srv.n_acks, 0);
  CU_ASSERT_EQUAL(k.n, 2);
  /* Max-Forwards 0: a user agent is the destination and answers as usual (16.3 is for
   * proxies) */
  e.srv.answer[0] = 200, e.srv.n_answer = 1;
  n = tt_request(req, sizeof req, "OPTIONS", "UDP", &k.addr, NULL, 3, 1);
  char *mf = strstr(req, "Max-Forwards: 70");
  CU_ASSERT_PTR_NOT_NULL_FATAL(mf);
  memcpy(mf, "Max-Forwards:  0", 16);
  CU_ASSERT_EQUAL(sipspec_transport_send(k.tp, &e.srv.addr, req, n), SIPSPEC_OK);
  CU_ASSERT_TRUE(tt_run_until_count(e.loop, &k.n, 3, 2.0));
  CU_ASSERT_EQUAL(strncmp(k.last, "SIP/2.0 200 OK\r\n", 16), 0);
  CU_ASSERT_EQUAL(e.srv.n_requests, 1);
  sipspec_transport_close(k.tp);
  env_close(&e);
}

/* 17.1.4 / 17.2.4 as RFC 6026 8.8 updates them: a send that fails inside an action (a 486 too
 * big for a datagram) becomes TRANSPORT_ERR after the action; the IST informs the TU and stays
 * in Completed, so that a retransmitted INVITE is absorbed, not taken for a new request (the
 * flaw the model check found, docs/modelcheck.md). Each Timer G copy fails the same way and
 * Timer H ends the transaction. */
static void send_error_in_action_keeps_ist(void) {
  env e;
  env_open(&e, T2);
  tt_sink k;
  tt_sink_open(&k, e.loop, SIPSPEC_TP_UDP);
  char req[2048];
  size_t n = tt_request(req, sizeof req, "INVITE", "UDP", &k.addr, NULL, 1, 1);
  CU_ASSERT_EQUAL(sipspec_transport_send(k.tp, &e.srv.addr, req, n), SIPSPEC_OK);
  CU_ASSERT_TRUE(tt_run_until_count(e.loop, &e.srv.n_requests, 1, 2.0));
  sipspec_tsx *t = e.srv.srv[0].t;
  CU_ASSERT_PTR_NOT_NULL_FATAL(t);
  static char body[2000];
  memset(body, 'x', sizeof body);
  CU_ASSERT_EQUAL(sipspec_tsx_respond(t, 486, NULL, "Content-Type: text/plain\r\n", body, sizeof body), SIPSPEC_OK);
  CU_ASSERT_EQUAL(e.srv.srv[0].transport_errors, 1);
  CU_ASSERT_EQUAL(e.srv.srv[0].last_error, SIPSPEC_E_MSG_TOO_BIG);
  CU_ASSERT_EQUAL(e.srv.srv[0].state_at_error, SIPSPEC_IST_COMPLETED);
  CU_ASSERT_EQUAL(e.srv.srv[0].terminated, 0);
  CU_ASSERT_EQUAL(e.srv.tel.sipTransportErrors, 1);
  /* the INVITE again: absorbed by the transaction (its 486 fails again), no second request */
  CU_ASSERT_EQUAL(sipspec_transport_send(k.tp, &e.srv.addr, req, n), SIPSPEC_OK);
  CU_ASSERT_TRUE(tt_run_until_count(e.loop, &e.srv.srv[0].transport_errors, 2, 2.0));
  CU_ASSERT_EQUAL(e.srv.n_requests, 1);
  CU_ASSERT_TRUE(tt_run_until_count(e.loop, &e.srv.srv[0].terminated, 1, 64 * T1 / 1000.0 + 30.0));
  CU_ASSERT_EQUAL(tst_now_ms(e.loop), 64 * T1); /* Timer H */
  CU_ASSERT_EQUAL(e.srv.srv[0].timeouts, 1);
  CU_ASSERT_EQUAL(e.srv.srv[0].transport_errors, 12); /* the 486, its copy for the INVITE, 10 Timer G copies */
  CU_ASSERT_EQUAL(e.srv.n_requests, 1);
  CU_ASSERT_EQUAL(k.n, 1); /* the 100 Trying only: no copy of the 486 could go out */
  sipspec_transport_close(k.tp);
  env_close(&e);
}

/* RFC 3261 9.1 / 9.2: the CANCEL carries the INVITE's branch but is a transaction of its
 * own on both sides; the server TU finds the INVITE transaction it targets, answers the
 * CANCEL 200 and the INVITE 487, which the client's ICT ACKs. */
static void cancel_own_transaction_finds_invite(void) {
  env e;
  env_open(&e, T2);
  tt_rec inv, can;
  char branch[SIPSPEC_TSX_BRANCH_SIZE], req[2048];
  CU_ASSERT_EQUAL_FATAL(sipspec_tsx_new_branch(branch, sizeof branch), SIPSPEC_OK);
  sipspec_tsx_callbacks cb = tt_rec_callbacks;
  memset(&inv, 0, sizeof inv);
  memset(&can, 0, sizeof can);
  cb.user = &inv;
  size_t n = tt_request(req, sizeof req, "INVITE", "UDP", &e.cli.addr, branch, 1, 1);
  CU_ASSERT_EQUAL_FATAL(tt_start_text(e.cli.layer, SIPSPEC_TP_UDP, &e.srv.addr, req, n, &cb, &inv.t), SIPSPEC_OK);
  CU_ASSERT_TRUE(tt_run_until_count(e.loop, &inv.n_resp, 1, 2.0)); /* 100 Trying */
  cb.user = &can;
  n = tt_request(req, sizeof req, "CANCEL", "UDP", &e.cli.addr, branch, 1, 1);
  CU_ASSERT_EQUAL_FATAL(tt_start_text(e.cli.layer, SIPSPEC_TP_UDP, &e.srv.addr, req, n, &cb, &can.t), SIPSPEC_OK);
  CU_ASSERT_TRUE(tt_run_until_count(e.loop, &e.srv.n_requests, 2, 2.0));
  CU_ASSERT_STRING_EQUAL(e.srv.last_method, "CANCEL");
  sipspec_tsx *cancel_t = e.srv.srv[1].t;
  CU_ASSERT_PTR_NOT_NULL_FATAL(cancel_t);
  CU_ASSERT_STRING_EQUAL(sipspec_tsx_kind_name(cancel_t), "nist");
  /* the TU looks up the INVITE transaction with the CANCEL request (here a parsed copy) */
  sipspec_msg *m;
  CU_ASSERT_EQUAL_FATAL(sipspec_msg_create(&m, NULL), SIPSPEC_OK);
  CU_ASSERT_EQUAL_FATAL(sipspec_msg_parse(m, req, n), SIPSPEC_OK);
  sipspec_tsx *found = sipspec_tsx_layer_find_cancelled(e.srv.layer, m);
  CU_ASSERT_PTR_EQUAL(found, e.srv.srv[0].t);
  CU_ASSERT_EQUAL(sipspec_tsx_respond(cancel_t, 200, NULL, NULL, NULL, 0), SIPSPEC_OK);
  CU_ASSERT_EQUAL(sipspec_tsx_respond(found, 487, NULL, NULL, NULL, 0), SIPSPEC_OK);
  state_want w = {&e.srv.srv[0].t, SIPSPEC_IST_CONFIRMED};
  CU_ASSERT_TRUE(tst_run_until(e.loop, in_state, &w, 2.0));
  CU_ASSERT_TRUE(tt_run_until_count(e.loop, &can.n_resp, 1, 2.0));
  CU_ASSERT_EQUAL(can.status[0], 200);
  CU_ASSERT_EQUAL(inv.n_resp, 2);
  CU_ASSERT_EQUAL(inv.status[1], 487);
  CU_ASSERT_EQUAL(e.cli.n_stray, 0);
  sipspec_msg_destroy(m);
  env_close(&e);
}

/* The start contract: nothing starts (and no callback comes) when the request is unusable. */
static void client_start_refuses_bad_requests(void) {
  env e;
  env_open(&e, T2);
  char req[2048];
  tt_rec c;
  sipspec_tsx *t = NULL;
  memset(&c, 0, sizeof c);
  sipspec_tsx_callbacks cb = tt_rec_callbacks;
  cb.user = &c;
  size_t n = tt_request(req, sizeof req, "ACK", "UDP", &e.cli.addr, NULL, 1, 0);
  CU_ASSERT_EQUAL(tt_start_text(e.cli.layer, SIPSPEC_TP_UDP, &e.srv.addr, req, n, &cb, &t),
                  SIPSPEC_E_TSX_BAD_REQUEST);
  /* fields the builder refuses, CSeq 0: the reason, nothing started */
  tt_fields o;
  memset(&o, 0, sizeof o);
  n = tt_request(req, sizeof req, "OPTIONS", "UDP", &e.cli.addr, NULL, 1, 0);
  CU_ASSERT_EQUAL_FATAL(tt_fields_of(&o, req, n), SIPSPEC_OK);
  o.f.request_uri = (sipspec_span){"sip:a b@host", 12};
  CU_ASSERT_EQUAL(sipspec_tsx_client_start(e.cli.layer, SIPSPEC_TP_UDP, &e.srv.addr, &o.f, &cb, &t), SIPSPEC_E_BUILD_URI);
  o.f.request_uri = (sipspec_span){"sip:mrcp@127.0.0.1", 18};
  o.f.to.tag = (sipspec_span){"a\r\nX: y", 8};
  CU_ASSERT_EQUAL(sipspec_tsx_client_start(e.cli.layer, SIPSPEC_TP_UDP, &e.srv.addr, &o.f, &cb, &t), SIPSPEC_E_BUILD_CRLF);
  o.f.to.tag = (sipspec_span){NULL, 0};
  o.f.cseq = 0;
  CU_ASSERT_EQUAL(sipspec_tsx_client_start(e.cli.layer, SIPSPEC_TP_UDP, &e.srv.addr, &o.f, &cb, &t), SIPSPEC_E_TSX_BAD_REQUEST);
  tt_fields_done(&o);
  n = tt_request(req, sizeof req, "OPTIONS", "UDP", &e.cli.addr, "z9hG4bKsame", 1, 0);
  CU_ASSERT_EQUAL(tt_start_text(e.cli.layer, SIPSPEC_TP_TCP, &e.srv.addr, req, n, &cb, &t),
                  SIPSPEC_E_TSX_NO_TRANSPORT);
  CU_ASSERT_EQUAL(tt_start_text(e.cli.layer, SIPSPEC_TP_UDP, &e.srv.addr, req, n, &cb, &t), SIPSPEC_OK);
  CU_ASSERT_EQUAL(tt_start_text(e.cli.layer, SIPSPEC_TP_UDP, &e.srv.addr, req, n, &cb, &t),
                  SIPSPEC_E_TSX_EXISTS);
  char *br = strstr(req, ";branch=");
  memcpy(br, ";xranch=", 8);
  CU_ASSERT_EQUAL(tt_start_text(e.cli.layer, SIPSPEC_TP_UDP, &e.srv.addr, req, n, &cb, &t),
                  SIPSPEC_E_TSX_NO_BRANCH);
  /* bigger than the UDP transport's datagram limit: the send error, nothing started */
  static char big[3000];
  n = tt_request(big, sizeof big, "OPTIONS", "UDP", &e.cli.addr, NULL, 1, 0);
  char *end = big + n - 4; /* before the empty line */
  char pad[1600];
  memset(pad, 'a', sizeof pad);
  pad[sizeof pad - 1] = '\0';
  memmove(end + strlen("\r\nX-Pad: ") + strlen(pad), end, 4);
  memcpy(end, "\r\nX-Pad: ", 9);
  memcpy(end + 9, pad, strlen(pad));
  n += 9 + strlen(pad);
  sipspec_tsx_stats before, after;
  sipspec_tsx_layer_stats(e.cli.layer, &before);
  CU_ASSERT_EQUAL(tt_start_text(e.cli.layer, SIPSPEC_TP_UDP, &e.srv.addr, big, n, &cb, &t),
                  SIPSPEC_E_MSG_TOO_BIG);
  sipspec_tsx_layer_stats(e.cli.layer, &after);
  CU_ASSERT_EQUAL(after.live, before.live);
  CU_ASSERT_EQUAL(after.client_started, before.client_started);
  /* 20*T1: retransmissions of the one started OPTIONS, but still before its Timer F */
  tst_run_for(e.loop, 20 * T1 / 1000.0);
  CU_ASSERT_EQUAL(c.terminated + c.transport_errors, 0);
  env_close(&e);
}

int main(void) {
  static const tt_case cases[] = {
    {"INVITE 100 180 486: ACK in the transaction, lost ACK re-sent, IST Confirmed", invite_486_acked_and_reacked},
    {"INVITE 200: ICT Accepted passes the 2xx and its retransmission", invite_200_accepted_passes_retransmission},
    {"INVITE to a silent peer: 7 transmissions, Timer B, sipInviteTimeouts", invite_timeout_seven_transmissions},
    {"MRCP_SIP_INVITE_MAX_RETRANS=2: 3 transmissions, then the timeout", invite_max_retrans_gives_up_early},
    {"OPTIONS and BYE through 30% loss both ways complete", nict_completes_through_loss},
    {"retransmitted request gets the last response again", retransmitted_request_gets_last_response},
    {"IST without ACK: Timer G resends, Timer H times out", ist_timer_h_without_ack},
    {"stray response and ACK for a 2xx reach the layer callbacks", stray_response_and_ack_for_2xx},
    {"malformed dropped, semantically wrong answered 400 with Warning", malformed_and_semantically_wrong_requests},
    {"client_start refuses unusable requests and starts nothing", client_start_refuses_bad_requests},
    {"send error inside an action: the IST stays in Completed (RFC 6026 8.8), Timer H ends it", send_error_in_action_keeps_ist},
    {"CANCEL: own transactions, the server finds the INVITE, 487 ACKed", cancel_own_transaction_finds_invite},
    {NULL, NULL}};
  return tt_main("tsx_udp", cases);
}
