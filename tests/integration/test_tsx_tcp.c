/* test_tsx_tcp.c: the transaction layer over TCP on 127.0.0.1: a client and a server layer
 * in one process, with the RFC's timer values (T1 = 500 ms, T2 = 4 s, T4 = 5 s) on a virtual
 * clock (exact times, no real waiting). Over a reliable transport the charts start no
 * retransmission timer (A, E, G) and Timers D, I, J, K are zero (RFC 3261 17.1.1.2,
 * 17.1.2.2, 17.2.1, 17.2.2), so transactions end right after their final exchange.
 *
 * Covered: INVITE -> 100 -> 180 -> 486 -> ACK with both sides terminating at once; OPTIONS
 * with both sides terminating at once; INVITE to a silent peer (one transmission, Timer B);
 * connection refused reported to the ICT, which ends with report_transport_error; an idle
 * connection closed by the client (spec/stream_conn.rl IDLE timer), seen as the end of the
 * stream by the server, and a new connection for the next request.
 * Transitions taken are read from the charts' per-process counters (before/after).
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "sipspec/chart_ict.h"
#include "sipspec/chart_ist.h"
#include "sipspec/chart_nict.h"
#include "sipspec/chart_nist.h"
#include "sipspec/chart_stream_conn.h"
#include "net/net_internal.h"
#include "tsx_test_util.h"

#define T1 500u
#define T2 4000u
#define T4 5000u

typedef struct env {
  struct ev_loop *loop;
  sipspec_clock *clock;     /* virtual, in use by the tst_run_* calls */
  tt_side cli, srv;
} env;

static void env_open(env *e) {
  memset(e, 0, sizeof *e);
  e->loop = ev_loop_new(EVFLAG_AUTO);
  e->clock = tt_clock_begin(e->loop);
  tt_side_open(&e->cli, e->loop, SIPSPEC_TP_TCP, T1, T2, T4);
  tt_side_open(&e->srv, e->loop, SIPSPEC_TP_TCP, T1, T2, T4);
}

static void env_close(env *e) {
  tt_side_close(&e->cli);
  tt_side_close(&e->srv);
  tst_run_for(e->loop, 0.01);
  tt_clock_end(e->clock);
  ev_loop_destroy(e->loop);
}

static int start(env *e, const char *method, const sipspec_sockaddr *dest, tt_rec *rec) {
  char req[2048];
  size_t n = tt_request(req, sizeof req, method, "TCP", &e->cli.addr, NULL, 1, 0);
  sipspec_tsx_callbacks cb = tt_rec_callbacks;
  cb.user = rec;
  memset(rec, 0, sizeof *rec);
  return tt_start_text(e->cli.layer, SIPSPEC_TP_TCP, dest, req, n, &cb, &rec->t);
}

static uint64_t taken(const sipspec_chart *c, int transition) { return c->counts[transition]; }

/* 17.1.1.2 / 17.2.1 over TCP: the ACK confirms the IST, Timer I (zero) ends it; Timer D
 * (zero) ends the ICT; nothing is retransmitted. */
static void tcp_invite_486_both_end_at_once(void) {
  env e;
  env_open(&e);
  uint64_t ack0 = taken(&sipspec_chart_ist, SIPSPEC_IST_T_COMPLETED__RX_ACK);
  uint64_t i0 = taken(&sipspec_chart_ist, SIPSPEC_IST_T_CONFIRMED__TIMER_I);
  uint64_t d0 = taken(&sipspec_chart_ict, SIPSPEC_ICT_T_COMPLETED__TIMER_D);
  e.srv.answer[0] = 180, e.srv.answer[1] = 486, e.srv.n_answer = 2;
  tt_rec c;
  CU_ASSERT_EQUAL_FATAL(start(&e, "INVITE", &e.srv.addr, &c), SIPSPEC_OK);
  CU_ASSERT_TRUE(tt_run_until_count(e.loop, &c.terminated, 1, 10.0));
  CU_ASSERT_TRUE(tt_run_until_count(e.loop, &e.srv.srv[0].terminated, 1, 10.0));
  CU_ASSERT_EQUAL(tst_now_ms(e.loop), 0); /* no timer ran: both ended at once */
  CU_ASSERT_EQUAL(c.n_resp, 3);
  CU_ASSERT_EQUAL(c.status[0], 100);
  CU_ASSERT_EQUAL(c.status[1], 180);
  CU_ASSERT_EQUAL(c.status[2], 486);
  CU_ASSERT_EQUAL(taken(&sipspec_chart_ist, SIPSPEC_IST_T_COMPLETED__RX_ACK) - ack0, 1);
  CU_ASSERT_EQUAL(taken(&sipspec_chart_ist, SIPSPEC_IST_T_CONFIRMED__TIMER_I) - i0, 1);
  CU_ASSERT_EQUAL(taken(&sipspec_chart_ict, SIPSPEC_ICT_T_COMPLETED__TIMER_D) - d0, 1);
  CU_ASSERT_EQUAL(e.cli.tel.sipRetransmissions + e.srv.tel.sipRetransmissions, 0);
  CU_ASSERT_EQUAL(e.cli.tel.sipError4xx, 1);
  CU_ASSERT_EQUAL(e.srv.n_acks, 0);
  CU_ASSERT_EQUAL(c.timeouts + c.transport_errors + e.srv.srv[0].timeouts, 0);
  sipspec_tsx_stats st;
  tst_run_for(e.loop, 0.01); /* the reaper frees them */
  sipspec_tsx_layer_stats(e.cli.layer, &st);
  CU_ASSERT_EQUAL(st.live, 0);
  sipspec_tsx_layer_stats(e.srv.layer, &st);
  CU_ASSERT_EQUAL(st.live, 0);
  env_close(&e);
}

/* 17.1.2.2 / 17.2.2 over TCP: Timers K and J are zero. */
static void tcp_options_both_end_at_once(void) {
  env e;
  env_open(&e);
  uint64_t k0 = taken(&sipspec_chart_nict, SIPSPEC_NICT_T_COMPLETED__TIMER_K);
  uint64_t j0 = taken(&sipspec_chart_nist, SIPSPEC_NIST_T_COMPLETED__TIMER_J);
  e.srv.answer[0] = 200, e.srv.n_answer = 1;
  tt_rec c;
  CU_ASSERT_EQUAL_FATAL(start(&e, "OPTIONS", &e.srv.addr, &c), SIPSPEC_OK);
  CU_ASSERT_STRING_EQUAL(sipspec_tsx_kind_name(c.t), "nict");
  CU_ASSERT_TRUE(tt_run_until_count(e.loop, &c.terminated, 1, 10.0));
  CU_ASSERT_TRUE(tt_run_until_count(e.loop, &e.srv.srv[0].terminated, 1, 10.0));
  CU_ASSERT_EQUAL(tst_now_ms(e.loop), 0); /* no timer ran: both ended at once */
  CU_ASSERT_EQUAL(c.n_resp, 1);
  CU_ASSERT_EQUAL(c.status[0], 200);
  CU_ASSERT_STRING_EQUAL(e.srv.last_method, "OPTIONS");
  CU_ASSERT_EQUAL(taken(&sipspec_chart_nict, SIPSPEC_NICT_T_COMPLETED__TIMER_K) - k0, 1);
  CU_ASSERT_EQUAL(taken(&sipspec_chart_nist, SIPSPEC_NIST_T_COMPLETED__TIMER_J) - j0, 1);
  CU_ASSERT_EQUAL(e.cli.tel.sipRetransmissions + e.srv.tel.sipRetransmissions, 0);
  env_close(&e);
}

/* 17.1.1.2: over TCP the INVITE is sent once; Timer B still ends the transaction, at
 * exactly 64*T1. */
static void tcp_invite_timeout_one_transmission(void) {
  env e;
  env_open(&e);
  tt_sink k;
  tt_sink_open(&k, e.loop, SIPSPEC_TP_TCP);
  k.match = "INVITE ";
  tt_rec c;
  CU_ASSERT_EQUAL_FATAL(start(&e, "INVITE", &k.addr, &c), SIPSPEC_OK);
  CU_ASSERT_TRUE(tt_run_until_count(e.loop, &c.terminated, 1, 64 * T1 / 1000.0 + 30.0));
  CU_ASSERT_EQUAL(tst_now_ms(e.loop), 64 * T1);
  CU_ASSERT_EQUAL(k.n_match, 1);
  CU_ASSERT_EQUAL(k.at[0], 0);
  CU_ASSERT_EQUAL(k.n, 1);
  CU_ASSERT_EQUAL(c.timeouts, 1);
  CU_ASSERT_EQUAL(c.transport_errors, 0);
  CU_ASSERT_EQUAL(e.cli.tel.sipInviteTimeouts, 1);
  CU_ASSERT_EQUAL(e.cli.tel.sipRetransmissions, 0);
  sipspec_transport_close(k.tp);
  env_close(&e);
}

/* 17.1.4: connection refused reaches the ICT toward that peer as TRANSPORT_ERR; the chart
 * ends it with report_transport_error. */
static void tcp_connection_refused_ends_ict(void) {
  env e;
  env_open(&e);
  /* a port nobody listens on: bind a listener, note its port, close it */
  tt_sink k;
  tt_sink_open(&k, e.loop, SIPSPEC_TP_TCP);
  sipspec_sockaddr dead = k.addr;
  sipspec_transport_close(k.tp);
  uint64_t t0 = taken(&sipspec_chart_ict, SIPSPEC_ICT_T_CALLING__TRANSPORT_ERR);
  tt_rec c;
  CU_ASSERT_EQUAL_FATAL(start(&e, "INVITE", &dead, &c), SIPSPEC_OK);
  CU_ASSERT_TRUE(tt_run_until_count(e.loop, &c.terminated, 1, 10.0));
  CU_ASSERT_TRUE(tst_now_ms(e.loop) < 64 * T1); /* the refusal, not Timer B */
  CU_ASSERT_EQUAL(c.transport_errors, 1);
  CU_ASSERT_EQUAL(c.last_error, SIPSPEC_E_CONN_REFUSED);
  CU_ASSERT_EQUAL(c.state_at_error, SIPSPEC_ICT_TERMINATED);
  CU_ASSERT_EQUAL(c.timeouts, 0);
  CU_ASSERT_EQUAL(taken(&sipspec_chart_ict, SIPSPEC_ICT_T_CALLING__TRANSPORT_ERR) - t0, 1);
  CU_ASSERT_EQUAL(e.cli.tel.sipTransportErrors, 1);
  CU_ASSERT_EQUAL(e.cli.tel.sipInviteTimeouts, 0);
  env_close(&e);
}

typedef struct count_want { const uint64_t *count; uint64_t at_least; } count_want;
static int count_reached(void *arg) {
  count_want *w = arg;
  return *w->count >= w->at_least;
}
static uint64_t conn_taken(int transition) { return taken(&sipspec_chart_stream_conn, transition); }

/* RFC 3261 18: a connection is kept for an implementation-defined time after its last
 * message. With the client's idle timeout at 30 s: the OPTIONS exchange leaves the
 * connection Idle on both sides; exactly 30 s later the client closes its side (IDLE timer ->
 * Closing), the server reads the end of the stream (Idle, CONN_EOF: closed by the peer) and
 * closes its own, which ends the client's Closing (CONN_EOF). The ended transactions see no
 * transport error; the next OPTIONS opens a new connection and succeeds. */
static void tcp_idle_connection_closed_then_reopened(void) {
  env e;
  env_open(&e);
  enum { IDLE_MS = 30000 };
  CU_ASSERT_EQUAL(sipspec_tcp_set_idle_timeout(e.cli.tp, IDLE_MS), SIPSPEC_OK);
  uint64_t open0 = conn_taken(SIPSPEC_STREAM_CONN_T_NEW__CONN_PENDING);
  uint64_t acc0 = conn_taken(SIPSPEC_STREAM_CONN_T_NEW__CONN_UP);
  uint64_t idle0 = conn_taken(SIPSPEC_STREAM_CONN_T_IDLE__TIMER_IDLE);
  uint64_t eof0 = conn_taken(SIPSPEC_STREAM_CONN_T_IDLE__CONN_EOF);
  uint64_t fin0 = conn_taken(SIPSPEC_STREAM_CONN_T_CLOSING__CONN_EOF);
  uint64_t linger0 = conn_taken(SIPSPEC_STREAM_CONN_T_CLOSING__TIMER_LINGER);
  e.srv.answer[0] = 200, e.srv.n_answer = 1;
  tt_rec c;
  CU_ASSERT_EQUAL_FATAL(start(&e, "OPTIONS", &e.srv.addr, &c), SIPSPEC_OK);
  CU_ASSERT_TRUE(tt_run_until_count(e.loop, &c.terminated, 1, 10.0));
  CU_ASSERT_TRUE(tt_run_until_count(e.loop, &e.srv.srv[0].terminated, 1, 10.0));
  uint64_t last = tst_now_ms(e.loop); /* the last message of the connection */
  CU_ASSERT_EQUAL(c.status[0], 200);
  CU_ASSERT_EQUAL(conn_taken(SIPSPEC_STREAM_CONN_T_NEW__CONN_PENDING) - open0, 1);
  CU_ASSERT_EQUAL(conn_taken(SIPSPEC_STREAM_CONN_T_NEW__CONN_UP) - acc0, 1);
  CU_ASSERT_EQUAL(conn_taken(SIPSPEC_STREAM_CONN_T_IDLE__TIMER_IDLE) - idle0, 0); /* not yet */

  count_want closed = {&sipspec_chart_stream_conn.counts[SIPSPEC_STREAM_CONN_T_CLOSING__CONN_EOF], fin0 + 1};
  CU_ASSERT_TRUE(tst_run_until(e.loop, count_reached, &closed, IDLE_MS / 1000.0 + 10.0));
  CU_ASSERT_EQUAL(tst_now_ms(e.loop), last + IDLE_MS);
  CU_ASSERT_EQUAL(conn_taken(SIPSPEC_STREAM_CONN_T_IDLE__TIMER_IDLE) - idle0, 1);  /* the client */
  CU_ASSERT_EQUAL(conn_taken(SIPSPEC_STREAM_CONN_T_IDLE__CONN_EOF) - eof0, 1);     /* the server */
  CU_ASSERT_EQUAL(conn_taken(SIPSPEC_STREAM_CONN_T_CLOSING__CONN_EOF) - fin0, 1);  /* the client */
  CU_ASSERT_EQUAL(conn_taken(SIPSPEC_STREAM_CONN_T_CLOSING__TIMER_LINGER) - linger0, 0);
  CU_ASSERT_EQUAL(c.transport_errors + e.srv.srv[0].transport_errors, 0);
  CU_ASSERT_EQUAL(e.cli.tel.sipTransportErrors + e.srv.tel.sipTransportErrors, 0);

  /* The next request goes on a new connection. */
  tt_rec c2;
  CU_ASSERT_EQUAL_FATAL(start(&e, "OPTIONS", &e.srv.addr, &c2), SIPSPEC_OK);
  CU_ASSERT_TRUE(tt_run_until_count(e.loop, &c2.terminated, 1, 10.0));
  CU_ASSERT_EQUAL(c2.n_resp, 1);
  CU_ASSERT_EQUAL(c2.status[0], 200);
  CU_ASSERT_EQUAL(c2.transport_errors, 0);
  CU_ASSERT_EQUAL(conn_taken(SIPSPEC_STREAM_CONN_T_NEW__CONN_PENDING) - open0, 2);
  CU_ASSERT_EQUAL(conn_taken(SIPSPEC_STREAM_CONN_T_NEW__CONN_UP) - acc0, 2);
  CU_ASSERT_EQUAL(e.srv.n_requests, 2);
  env_close(&e);
}

int main(void) {
  static const tt_case cases[] = {
    {"TCP INVITE 100 180 486 ACK: IST Confirmed, Timers I and D zero", tcp_invite_486_both_end_at_once},
    {"TCP OPTIONS 200: Timers K and J zero", tcp_options_both_end_at_once},
    {"TCP INVITE to a silent peer: one transmission, Timer B", tcp_invite_timeout_one_transmission},
    {"TCP connection refused: ICT ends with report_transport_error", tcp_connection_refused_ends_ict},
    {"TCP idle connection closed by the client, EOF at the server, reopened", tcp_idle_connection_closed_then_reopened},
    {NULL, NULL}};
  return tt_main("tsx_tcp", cases);
}
