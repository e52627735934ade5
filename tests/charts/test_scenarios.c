/* test_scenarios.c: the transaction charts driven through RFC 3261 / RFC 6026 scenarios.
 *
 * Each scenario runs a generated machine with the chart-driven timer layer under a virtual
 * clock (no wall clock anywhere): events are injected at given times, timers fire when the
 * clock reaches them, and the test asserts the exact schedule of the actions the RFC
 * prescribes (retransmission times, timeouts, final state) over UDP and over TCP. The UAS
 * call's timers (the server's ring_interval_ms and bye_after_ms, set by its owner) run the
 * same way.
 */
#include <stdio.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "fsm/fsm_timers.h"
#include "sipspec/chart_ict.h"
#include "sipspec/chart_ist.h"
#include "sipspec/chart_nict.h"
#include "sipspec/chart_nist.h"
#include "sipspec/chart_uas_2xx.h"
#include "sipspec/chart_uas_call.h"

#define MAX_LOG 128

/* A machine, its timers, a virtual clock and the log of non-timer actions with their times. */
typedef struct sim {
  sipspec_fsm fsm;
  sipspec_fsm_timers timers;
  uint64_t now;
  int n;
  uint64_t at[MAX_LOG];
  const char *what[MAX_LOG];
} sim;

static void on_action(void *ctx, const sipspec_chart *chart, int action) {
  sim *s = ctx;
  if (sipspec_fsm_timers_apply(&s->timers, action, s->now)) return;
  if (s->n < MAX_LOG) {
    s->at[s->n] = s->now;
    s->what[s->n++] = chart->actions[action].name;
  }
}

static void sim_init(sim *s, const sipspec_chart *chart, uint32_t t1, int reliable) {
  memset(s, 0, sizeof *s);
  sipspec_timer_values v = {t1, 4000, 5000};
  CU_ASSERT_EQUAL_FATAL(sipspec_fsm_timers_init(&s->timers, chart, &v, reliable), SIPSPEC_OK);
  sipspec_fsm_init(&s->fsm, chart, on_action, s);
}

/* Lets virtual time run to `until`, firing every timer that falls due on the way. Bounded:
 * a chart whose timers kept firing forever would stop the loop at 10,000 firings. */
static void run_until(sim *s, uint64_t until) {
  for (int guard = 0; guard < 10000; guard++) {
    uint64_t due;
    if (sipspec_fsm_timers_next(&s->timers, &due) < 0 || due > until) break;
    s->now = due;
    int ev = sipspec_fsm_timers_expire(&s->timers, s->now);
    CU_ASSERT_EQUAL_FATAL(sipspec_fsm_feed(&s->fsm, ev), SIPSPEC_OK);
    if (sipspec_fsm_terminated(&s->fsm)) sipspec_fsm_timers_stop_all(&s->timers);
  }
  if (s->now < until) s->now = until;
}

static void inject(sim *s, uint64_t at, int event) {
  run_until(s, at);
  CU_ASSERT_EQUAL_FATAL(sipspec_fsm_feed(&s->fsm, event), SIPSPEC_OK);
  if (sipspec_fsm_terminated(&s->fsm)) sipspec_fsm_timers_stop_all(&s->timers);
}

/* The times at which `action` was taken, compared with want[0..n). */
static void expect_times(const sim *s, const char *action, const uint64_t *want, int n) {
  int k = 0;
  for (int i = 0; i < s->n; i++) {
    if (strcmp(s->what[i], action)) continue;
    if (k < n) CU_ASSERT_EQUAL(s->at[i], want[k]);
    k++;
  }
  if (k != n) fprintf(stderr, "\n    %s: taken %d times, expected %d\n", action, k, n);
  CU_ASSERT_EQUAL(k, n);
}

static int count(const sim *s, const char *action) {
  int k = 0;
  for (int i = 0; i < s->n; i++) k += !strcmp(s->what[i], action);
  return k;
}

/* 17.1.1.2: on UDP Timer A doubles (T1, 2T1, 4T1, ...) until Timer B = 64*T1 fires. */
static void ict_udp_timer_a_doubles_until_timer_b(void) {
  sim s;
  sim_init(&s, &sipspec_chart_ict, 500, 0);
  inject(&s, 0, SIPSPEC_EV_TU_SEND);
  run_until(&s, 100000);
  static const uint64_t sends[] = {0, 500, 1500, 3500, 7500, 15500, 31500};
  expect_times(&s, "send_request", sends, 7);
  static const uint64_t timeout[] = {32000};
  expect_times(&s, "report_timeout", timeout, 1);
  CU_ASSERT_EQUAL(sipspec_fsm_state(&s.fsm), SIPSPEC_ICT_TERMINATED);
}

/* The same with T1 = 100 ms (MRCP_SIP_RETRANS_T1_MS): the schedule scales with T1. */
static void ict_udp_schedule_scales_with_t1(void) {
  sim s;
  sim_init(&s, &sipspec_chart_ict, 100, 0);
  inject(&s, 0, SIPSPEC_EV_TU_SEND);
  run_until(&s, 100000);
  static const uint64_t sends[] = {0, 100, 300, 700, 1500, 3100, 6300};
  expect_times(&s, "send_request", sends, 7);
  static const uint64_t timeout[] = {6400};
  expect_times(&s, "report_timeout", timeout, 1);
}

/* 17.1.1.2: over a reliable transport Timer A is not started; Timer B still runs. */
static void ict_tcp_no_retransmissions_timer_b(void) {
  sim s;
  sim_init(&s, &sipspec_chart_ict, 500, 1);
  inject(&s, 0, SIPSPEC_EV_TU_SEND);
  run_until(&s, 100000);
  static const uint64_t sends[] = {0};
  expect_times(&s, "send_request", sends, 1);
  static const uint64_t timeout[] = {32000};
  expect_times(&s, "report_timeout", timeout, 1);
}

/* 17.1.1.2: 1xx stops retransmissions; a 300-699 is ACKed and passed up, its retransmission
 * ACKed again, and Timer D (32 s on UDP) ends the transaction. */
static void ict_1xx_then_486_ack_and_timer_d(void) {
  sim s;
  sim_init(&s, &sipspec_chart_ict, 500, 0);
  inject(&s, 0, SIPSPEC_EV_TU_SEND);
  inject(&s, 700, SIPSPEC_EV_RX_1XX);
  CU_ASSERT_EQUAL(sipspec_fsm_state(&s.fsm), SIPSPEC_ICT_PROCEEDING);
  inject(&s, 5000, SIPSPEC_EV_RX_300_699);
  CU_ASSERT_EQUAL(sipspec_fsm_state(&s.fsm), SIPSPEC_ICT_COMPLETED);
  inject(&s, 5400, SIPSPEC_EV_RX_300_699); /* retransmitted final response */
  run_until(&s, 100000);
  static const uint64_t sends[] = {0, 500};
  expect_times(&s, "send_request", sends, 2);
  static const uint64_t acks[] = {5000, 5400};
  expect_times(&s, "send_ack", acks, 2);
  CU_ASSERT_EQUAL(count(&s, "pass_to_tu"), 2); /* the 1xx and the first 486 only */
  CU_ASSERT_EQUAL(sipspec_fsm_state(&s.fsm), SIPSPEC_ICT_TERMINATED);
  CU_ASSERT_EQUAL(s.now, 100000);
  CU_ASSERT_EQUAL(count(&s, "report_timeout"), 0);
}

/* Timer D is zero over TCP: Completed ends at once. */
static void ict_tcp_timer_d_zero(void) {
  sim s;
  sim_init(&s, &sipspec_chart_ict, 500, 1);
  inject(&s, 0, SIPSPEC_EV_TU_SEND);
  inject(&s, 200, SIPSPEC_EV_RX_300_699);
  run_until(&s, 200);
  CU_ASSERT_EQUAL(sipspec_fsm_state(&s.fsm), SIPSPEC_ICT_TERMINATED);
}

/* RFC 6026: a 2xx moves to Accepted, retransmitted 2xx go to the TU, Timer M ends it. */
static void ict_2xx_accepted_then_timer_m(void) {
  sim s;
  sim_init(&s, &sipspec_chart_ict, 500, 0);
  inject(&s, 0, SIPSPEC_EV_TU_SEND);
  inject(&s, 300, SIPSPEC_EV_RX_2XX);
  CU_ASSERT_EQUAL(sipspec_fsm_state(&s.fsm), SIPSPEC_ICT_ACCEPTED);
  inject(&s, 800, SIPSPEC_EV_RX_2XX);
  run_until(&s, 32299);
  CU_ASSERT_EQUAL(sipspec_fsm_state(&s.fsm), SIPSPEC_ICT_ACCEPTED);
  run_until(&s, 32300);
  CU_ASSERT_EQUAL(sipspec_fsm_state(&s.fsm), SIPSPEC_ICT_TERMINATED);
  static const uint64_t up[] = {300, 800};
  expect_times(&s, "pass_to_tu", up, 2);
  static const uint64_t sends[] = {0};
  expect_times(&s, "send_request", sends, 1);
}

/* 17.1.4: a transport error in Calling informs the TU and ends the transaction; no timer is
 * left to fire. */
static void ict_transport_error(void) {
  sim s;
  sim_init(&s, &sipspec_chart_ict, 500, 0);
  inject(&s, 0, SIPSPEC_EV_TU_SEND);
  inject(&s, 600, SIPSPEC_EV_TRANSPORT_ERR);
  CU_ASSERT_EQUAL(sipspec_fsm_state(&s.fsm), SIPSPEC_ICT_TERMINATED);
  CU_ASSERT_EQUAL(count(&s, "report_transport_error"), 1);
  CU_ASSERT_EQUAL(sipspec_fsm_timers_next(&s.timers, NULL), -1);
}

/* 17.1.2.2: Timer E doubles up to T2 (500, 1000, 2000, 4000, 4000, ...) until Timer F. */
static void nict_udp_timer_e_capped_at_t2(void) {
  sim s;
  sim_init(&s, &sipspec_chart_nict, 500, 0);
  inject(&s, 0, SIPSPEC_EV_TU_SEND);
  run_until(&s, 100000);
  static const uint64_t sends[] = {0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500};
  expect_times(&s, "send_request", sends, 11);
  static const uint64_t timeout[] = {32000};
  expect_times(&s, "report_timeout", timeout, 1);
  CU_ASSERT_EQUAL(sipspec_fsm_state(&s.fsm), SIPSPEC_NICT_TERMINATED);
}

/* 17.1.2.2: in Proceeding Timer E is reset to T2; a final response then Timer K = T4. */
static void nict_proceeding_t2_then_final_and_timer_k(void) {
  sim s;
  sim_init(&s, &sipspec_chart_nict, 500, 0);
  inject(&s, 0, SIPSPEC_EV_TU_SEND);
  inject(&s, 700, SIPSPEC_EV_RX_1XX);
  inject(&s, 12000, SIPSPEC_EV_RX_2XX);
  CU_ASSERT_EQUAL(sipspec_fsm_state(&s.fsm), SIPSPEC_NICT_COMPLETED);
  inject(&s, 12100, SIPSPEC_EV_RX_2XX); /* absorbed */
  run_until(&s, 16999);
  CU_ASSERT_EQUAL(sipspec_fsm_state(&s.fsm), SIPSPEC_NICT_COMPLETED);
  run_until(&s, 17000);
  CU_ASSERT_EQUAL(sipspec_fsm_state(&s.fsm), SIPSPEC_NICT_TERMINATED);
  /* E was armed for 1500 before the 1xx; from then on every T2. */
  static const uint64_t sends[] = {0, 500, 1500, 5500, 9500};
  expect_times(&s, "send_request", sends, 5);
  CU_ASSERT_EQUAL(count(&s, "pass_to_tu"), 2);
}

/* Over TCP: no Timer E, Timer K zero, Timer F still guards the transaction. */
static void nict_tcp(void) {
  sim s;
  sim_init(&s, &sipspec_chart_nict, 500, 1);
  inject(&s, 0, SIPSPEC_EV_TU_SEND);
  inject(&s, 100, SIPSPEC_EV_RX_300_699);
  run_until(&s, 100);
  CU_ASSERT_EQUAL(sipspec_fsm_state(&s.fsm), SIPSPEC_NICT_TERMINATED);
  CU_ASSERT_EQUAL(count(&s, "send_request"), 1);
  sim_init(&s, &sipspec_chart_nict, 500, 1);
  inject(&s, 0, SIPSPEC_EV_TU_SEND);
  run_until(&s, 100000);
  static const uint64_t timeout[] = {32000};
  expect_times(&s, "report_timeout", timeout, 1);
  CU_ASSERT_EQUAL(count(&s, "send_request"), 1);
}

/* 17.2.1: a 300-699 is retransmitted on Timer G, doubling and capped at T2, until Timer H. */
static void ist_timer_g_capped_until_timer_h(void) {
  sim s;
  sim_init(&s, &sipspec_chart_ist, 500, 0);
  inject(&s, 0, SIPSPEC_EV_RX_INVITE);
  inject(&s, 100, SIPSPEC_EV_TU_300_699);
  run_until(&s, 100000);
  static const uint64_t resends[] = {600, 1600, 3600, 7600, 11600, 15600, 19600, 23600, 27600, 31600};
  expect_times(&s, "resend_last_response", resends, 10);
  static const uint64_t timeout[] = {32100};
  expect_times(&s, "report_timeout", timeout, 1);
  CU_ASSERT_EQUAL(sipspec_fsm_state(&s.fsm), SIPSPEC_IST_TERMINATED);
}

/* 17.2.1: the ACK stops G and H; Timer I = T4 on UDP, zero on TCP. */
static void ist_ack_confirmed_timer_i(void) {
  sim s;
  sim_init(&s, &sipspec_chart_ist, 500, 0);
  inject(&s, 0, SIPSPEC_EV_RX_INVITE);
  inject(&s, 100, SIPSPEC_EV_TU_300_699);
  inject(&s, 1000, SIPSPEC_EV_RX_ACK);
  CU_ASSERT_EQUAL(sipspec_fsm_state(&s.fsm), SIPSPEC_IST_CONFIRMED);
  inject(&s, 1200, SIPSPEC_EV_RX_ACK); /* absorbed */
  run_until(&s, 5999);
  CU_ASSERT_EQUAL(sipspec_fsm_state(&s.fsm), SIPSPEC_IST_CONFIRMED);
  run_until(&s, 6000);
  CU_ASSERT_EQUAL(sipspec_fsm_state(&s.fsm), SIPSPEC_IST_TERMINATED);
  static const uint64_t resends[] = {600};
  expect_times(&s, "resend_last_response", resends, 1);

  sim_init(&s, &sipspec_chart_ist, 500, 1);
  inject(&s, 0, SIPSPEC_EV_RX_INVITE);
  inject(&s, 100, SIPSPEC_EV_TU_300_699);
  run_until(&s, 20000);
  CU_ASSERT_EQUAL(count(&s, "resend_last_response"), 0); /* no Timer G over TCP */
  inject(&s, 20000, SIPSPEC_EV_RX_ACK);
  run_until(&s, 20000);
  CU_ASSERT_EQUAL(sipspec_fsm_state(&s.fsm), SIPSPEC_IST_TERMINATED);
}

/* RFC 6026: a 2xx from the TU moves to Accepted; the ACK goes to the TU; Timer L ends it. */
static void ist_2xx_accepted_timer_l(void) {
  sim s;
  sim_init(&s, &sipspec_chart_ist, 500, 0);
  inject(&s, 0, SIPSPEC_EV_RX_INVITE);
  inject(&s, 50, SIPSPEC_EV_TU_2XX);
  CU_ASSERT_EQUAL(sipspec_fsm_state(&s.fsm), SIPSPEC_IST_ACCEPTED);
  inject(&s, 500, SIPSPEC_EV_RX_INVITE);
  inject(&s, 600, SIPSPEC_EV_RX_ACK);
  run_until(&s, 32049);
  CU_ASSERT_EQUAL(sipspec_fsm_state(&s.fsm), SIPSPEC_IST_ACCEPTED);
  run_until(&s, 32050);
  CU_ASSERT_EQUAL(sipspec_fsm_state(&s.fsm), SIPSPEC_IST_TERMINATED);
  static const uint64_t up[] = {0, 600};
  expect_times(&s, "pass_to_tu", up, 2);
  CU_ASSERT_EQUAL(count(&s, "resend_last_response"), 0);
}

/* 17.2.2: Timer J = 64*T1 on UDP, zero on TCP; retransmitted requests get the response again. */
static void nist_timer_j(void) {
  sim s;
  sim_init(&s, &sipspec_chart_nist, 500, 0);
  inject(&s, 0, SIPSPEC_EV_RX_REQUEST);
  inject(&s, 10, SIPSPEC_EV_TU_2XX);
  inject(&s, 500, SIPSPEC_EV_RX_REQUEST);
  CU_ASSERT_EQUAL(sipspec_fsm_feed(&s.fsm, SIPSPEC_EV_TU_300_699), SIPSPEC_E_FSM_IGNORED); /* discarded */
  run_until(&s, 32009);
  CU_ASSERT_EQUAL(sipspec_fsm_state(&s.fsm), SIPSPEC_NIST_COMPLETED);
  run_until(&s, 32010);
  CU_ASSERT_EQUAL(sipspec_fsm_state(&s.fsm), SIPSPEC_NIST_TERMINATED);
  static const uint64_t resends[] = {500};
  expect_times(&s, "resend_last_response", resends, 1);

  sim_init(&s, &sipspec_chart_nist, 500, 1);
  inject(&s, 0, SIPSPEC_EV_RX_REQUEST);
  inject(&s, 10, SIPSPEC_EV_TU_2XX);
  run_until(&s, 10);
  CU_ASSERT_EQUAL(sipspec_fsm_state(&s.fsm), SIPSPEC_NIST_TERMINATED);
}

/* The timer layer refuses values RFC 3261 cannot mean. */
static void timer_values_are_checked(void) {
  sipspec_fsm_timers t;
  sipspec_timer_values zero = {0, 4000, 5000}, inverted = {5000, 4000, 5000};
  CU_ASSERT_EQUAL(sipspec_fsm_timers_init(&t, &sipspec_chart_ict, &zero, 0), SIPSPEC_E_INVAL);
  CU_ASSERT_EQUAL(sipspec_fsm_timers_init(&t, &sipspec_chart_ict, &inverted, 0), SIPSPEC_E_INVAL);
}

/* MRCP_SIP_INVITE_MAX_RETRANS = 2 as Timer A's limit (`limit=set`): the INVITE goes out at 0,
 * T1 and 3*T1, and the third Timer A (7*T1) is TIMER_A_LIMIT, which ends the transaction as
 * Timer B does (17.1.1.2 para 3) and stops Timer B. */
static void ict_timer_a_limit_gives_up_as_timer_b(void) {
  sim s;
  sim_init(&s, &sipspec_chart_ict, 500, 0);
  CU_ASSERT_EQUAL_FATAL(sipspec_fsm_timers_set_limit(&s.timers, SIPSPEC_EV_TIMER_A, 2), SIPSPEC_OK);
  inject(&s, 0, SIPSPEC_EV_TU_SEND);
  run_until(&s, 100000);
  static const uint64_t sends[] = {0, 500, 1500};
  expect_times(&s, "send_request", sends, 3);
  static const uint64_t timeout[] = {3500};
  expect_times(&s, "report_timeout", timeout, 1);
  CU_ASSERT_EQUAL(sipspec_fsm_state(&s.fsm), SIPSPEC_ICT_TERMINATED);
  CU_ASSERT_EQUAL(sipspec_fsm_last_transition(&s.fsm), SIPSPEC_ICT_T_CALLING__TIMER_A_LIMIT);
  CU_ASSERT_EQUAL(sipspec_fsm_timers_next(&s.timers, NULL), -1);

  /* the default limit (7) is never reached with the default timers: Timer B comes first */
  sim_init(&s, &sipspec_chart_ict, 500, 0);
  CU_ASSERT_EQUAL_FATAL(sipspec_fsm_timers_set_limit(&s.timers, SIPSPEC_EV_TIMER_A, 7), SIPSPEC_OK);
  inject(&s, 0, SIPSPEC_EV_TU_SEND);
  run_until(&s, 100000);
  CU_ASSERT_EQUAL(count(&s, "send_request"), 7);
  static const uint64_t timer_b[] = {32000};
  expect_times(&s, "report_timeout", timer_b, 1);
  CU_ASSERT_EQUAL(sipspec_fsm_last_transition(&s.fsm), SIPSPEC_ICT_T_CALLING__TIMER_B);
}

static int action_named(const sipspec_chart *c, const char *name) {
  for (int i = 0; i < c->n_actions; i++)
    if (!strcmp(c->actions[i].name, name)) return i;
  CU_FAIL_FATAL("no such action");
  return -1;
}

/* The timer layer's limit on its own: only timers declared `limit=set` take one; the count
 * runs from start_timer_X through restart_timer_X; past it the limit event fires once and
 * the timer is no longer running; a new start counts afresh; 0 removes the limit. */
static void timer_limit_counts_firings(void) {
  const sipspec_chart *c = &sipspec_chart_ict;
  int start_a = action_named(c, "start_timer_A"), restart_a = action_named(c, "restart_timer_A");
  sipspec_fsm_timers t;
  sipspec_timer_values v = {500, 4000, 5000};
  CU_ASSERT_EQUAL_FATAL(sipspec_fsm_timers_init(&t, c, &v, 0), SIPSPEC_OK);
  CU_ASSERT_EQUAL(sipspec_fsm_timers_set_limit(&t, SIPSPEC_EV_TIMER_B, 2), SIPSPEC_E_INVAL); /* no limit=set */
  CU_ASSERT_EQUAL(sipspec_fsm_timers_set_limit(&t, SIPSPEC_EV_TIMER_E, 2), SIPSPEC_E_INVAL); /* not ict's */
  CU_ASSERT_EQUAL_FATAL(sipspec_fsm_timers_set_limit(&t, SIPSPEC_EV_TIMER_A, 1), SIPSPEC_OK);

  CU_ASSERT_EQUAL(sipspec_fsm_timers_apply(&t, start_a, 0), 1);
  CU_ASSERT_TRUE(sipspec_fsm_timers_running(&t, SIPSPEC_EV_TIMER_A));
  CU_ASSERT_EQUAL(sipspec_fsm_timers_expire(&t, 499), -1);
  CU_ASSERT_EQUAL(sipspec_fsm_timers_expire(&t, 500), SIPSPEC_EV_TIMER_A); /* firing 1 of 1 */
  CU_ASSERT_FALSE(sipspec_fsm_timers_running(&t, SIPSPEC_EV_TIMER_A));
  sipspec_fsm_timers_apply(&t, restart_a, 500);
  uint64_t due = 0;
  CU_ASSERT_EQUAL(sipspec_fsm_timers_next(&t, &due), SIPSPEC_EV_TIMER_A);
  CU_ASSERT_EQUAL(due, 1500); /* the back-off is unchanged by the limit */
  CU_ASSERT_EQUAL(sipspec_fsm_timers_expire(&t, 1500), SIPSPEC_EV_TIMER_A_LIMIT); /* past the limit */
  CU_ASSERT_FALSE(sipspec_fsm_timers_running(&t, SIPSPEC_EV_TIMER_A));
  CU_ASSERT_EQUAL(sipspec_fsm_timers_next(&t, NULL), -1);

  /* a new start_timer_A counts from zero again */
  sipspec_fsm_timers_apply(&t, start_a, 2000);
  CU_ASSERT_EQUAL(sipspec_fsm_timers_expire(&t, 2500), SIPSPEC_EV_TIMER_A);
  sipspec_fsm_timers_apply(&t, restart_a, 2500);
  /* 0 removes the limit */
  CU_ASSERT_EQUAL(sipspec_fsm_timers_set_limit(&t, SIPSPEC_EV_TIMER_A, 0), SIPSPEC_OK);
  CU_ASSERT_EQUAL(sipspec_fsm_timers_expire(&t, 3500), SIPSPEC_EV_TIMER_A);
  for (int i = 0; i < 20; i++) {
    sipspec_fsm_timers_apply(&t, restart_a, 100000u * (unsigned)(i + 1));
    CU_ASSERT_EQUAL(sipspec_fsm_timers_expire(&t, UINT64_MAX / 2), SIPSPEC_EV_TIMER_A);
  }
}

/* A running set keeps each due time as a 32-bit offset from a base it moves when needed:
 * due times stay exact far from zero (a clock at 2^40 ms), after a restart that counts
 * from the due time, when the clock goes back an hour, for a timer of three days; and the
 * back-off after start_timer_E_T2 stays at T2. */
static void timer_offsets_stay_exact(void) {
  const sipspec_chart *c = &sipspec_chart_ict;
  int start_a = action_named(c, "start_timer_A"), restart_a = action_named(c, "restart_timer_A");
  int stop_a = action_named(c, "stop_timer_A"), start_b = action_named(c, "start_timer_B");
  sipspec_fsm_timers t;
  sipspec_timer_values v = {500, 4000, 5000};
  uint64_t t0 = (uint64_t)1 << 40, due = 0;
  CU_ASSERT_EQUAL_FATAL(sipspec_fsm_timers_init(&t, c, &v, 0), SIPSPEC_OK);
  sipspec_fsm_timers_apply(&t, start_b, t0);
  sipspec_fsm_timers_apply(&t, start_a, t0 + 10);
  CU_ASSERT_EQUAL(sipspec_fsm_timers_next(&t, &due), SIPSPEC_EV_TIMER_A);
  CU_ASSERT_EQUAL(due, t0 + 510);
  CU_ASSERT_EQUAL(sipspec_fsm_timers_expire(&t, t0 + 700), SIPSPEC_EV_TIMER_A);
  sipspec_fsm_timers_apply(&t, restart_a, t0 + 700); /* 2*T1 from when it was due */
  CU_ASSERT_EQUAL(sipspec_fsm_timers_next(&t, &due), SIPSPEC_EV_TIMER_A);
  CU_ASSERT_EQUAL(due, t0 + 1510);
  /* the clock went back an hour: A anew from there, B where it was */
  sipspec_fsm_timers_apply(&t, start_a, t0 - 3600000u);
  CU_ASSERT_EQUAL(sipspec_fsm_timers_next(&t, &due), SIPSPEC_EV_TIMER_A);
  CU_ASSERT_EQUAL(due, t0 - 3600000u + 500);
  CU_ASSERT_EQUAL(sipspec_fsm_timers_expire(&t, t0 - 3600000u + 500), SIPSPEC_EV_TIMER_A);
  CU_ASSERT_EQUAL(sipspec_fsm_timers_next(&t, &due), SIPSPEC_EV_TIMER_B);
  CU_ASSERT_EQUAL(due, t0 + 32000);
  /* three days, started 40 days on, beside A started then */
  CU_ASSERT_EQUAL(sipspec_fsm_timers_set(&t, SIPSPEC_EV_TIMER_B, 259200000u), SIPSPEC_OK);
  uint64_t t1 = t0 + 40ull * 86400000u;
  sipspec_fsm_timers_apply(&t, start_b, t1);
  sipspec_fsm_timers_apply(&t, start_a, t1 + 1);
  CU_ASSERT_EQUAL(sipspec_fsm_timers_expire(&t, t1 + 501), SIPSPEC_EV_TIMER_A);
  sipspec_fsm_timers_apply(&t, stop_a, t1 + 501);
  CU_ASSERT_EQUAL(sipspec_fsm_timers_next(&t, &due), SIPSPEC_EV_TIMER_B);
  CU_ASSERT_EQUAL(due, t1 + 259200000u);
  CU_ASSERT_EQUAL(sipspec_fsm_timers_expire(&t, t1 + 259200000u - 1), -1);
  CU_ASSERT_EQUAL(sipspec_fsm_timers_expire(&t, t1 + 259200000u), SIPSPEC_EV_TIMER_B);

  const sipspec_chart *n = &sipspec_chart_nict;
  int start_e_t2 = action_named(n, "start_timer_E_T2"), restart_e = action_named(n, "restart_timer_E");
  CU_ASSERT_EQUAL_FATAL(sipspec_fsm_timers_init(&t, n, &v, 0), SIPSPEC_OK);
  sipspec_fsm_timers_apply(&t, start_e_t2, 1000);
  uint64_t at = 1000;
  for (int i = 0; i < 3; i++) { /* T2, T2, T2 */
    CU_ASSERT_EQUAL(sipspec_fsm_timers_next(&t, &due), SIPSPEC_EV_TIMER_E);
    CU_ASSERT_EQUAL(due, at + 4000);
    at += 4000;
    CU_ASSERT_EQUAL(sipspec_fsm_timers_expire(&t, at), SIPSPEC_EV_TIMER_E);
    sipspec_fsm_timers_apply(&t, restart_e, at);
  }
}

/* 13.3.1.4: the UAS's 2xx again at T1, 3*T1, 7*T1, ... (interval capped at T2) until 64*T1,
 * then give up; the same over TCP (no reliable rule). */
static void uas_2xx_until_64t1(void) {
  for (int reliable = 0; reliable <= 1; reliable++) {
    sim s;
    sim_init(&s, &sipspec_chart_uas_2xx, 500, reliable);
    inject(&s, 0, SIPSPEC_EV_TU_2XX);
    run_until(&s, 100000);
    static const uint64_t sends[] = {0};
    expect_times(&s, "send_2xx", sends, 1);
    static const uint64_t resends[] = {500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500};
    expect_times(&s, "resend_2xx", resends, 10);
    static const uint64_t give_up[] = {32000};
    expect_times(&s, "report_give_up", give_up, 1);
    CU_ASSERT_EQUAL(sipspec_fsm_state(&s.fsm), SIPSPEC_UAS_2XX_TERMINATED);
  }
}

/* T2 = T1: a copy would be due at 64*T1 exactly; GIVEUP (declared first) wins, so 63 copies
 * follow the first, as before the chart. */
static void uas_2xx_no_copy_at_64t1(void) {
  sim s;
  sim_init(&s, &sipspec_chart_uas_2xx, 100, 0);
  sipspec_timer_values t2_is_t1 = {100, 100, 5000};
  CU_ASSERT_EQUAL_FATAL(sipspec_fsm_timers_init(&s.timers, &sipspec_chart_uas_2xx, &t2_is_t1, 0), SIPSPEC_OK);
  inject(&s, 0, SIPSPEC_EV_TU_2XX);
  run_until(&s, 100000);
  CU_ASSERT_EQUAL(count(&s, "resend_2xx"), 63);
  static const uint64_t give_up[] = {6400};
  expect_times(&s, "report_give_up", give_up, 1);
}

/* The ACK stops the copies; no give-up follows. */
static void uas_2xx_ack_stops(void) {
  sim s;
  sim_init(&s, &sipspec_chart_uas_2xx, 500, 0);
  inject(&s, 0, SIPSPEC_EV_TU_2XX);
  CU_ASSERT_TRUE(sipspec_fsm_timers_running(&s.timers, SIPSPEC_EV_TIMER_GIVEUP));
  inject(&s, 2000, SIPSPEC_EV_RX_ACK);
  run_until(&s, 100000);
  static const uint64_t resends[] = {500, 1500};
  expect_times(&s, "resend_2xx", resends, 2);
  CU_ASSERT_EQUAL(count(&s, "report_give_up"), 0);
  CU_ASSERT_FALSE(sipspec_fsm_timers_running(&s.timers, SIPSPEC_EV_TIMER_GIVEUP));
  CU_ASSERT_EQUAL(sipspec_fsm_state(&s.fsm), SIPSPEC_UAS_2XX_TERMINATED);
}

/* The server's call: the first step at once, 180s ring_interval_ms apart (set by the owner
 * over the chart's 0ms), the final response one interval after the last 180, BYE
 * bye_after_ms after the ACK. */
static void uas_call_ring_interval_and_bye_after(void) {
  sim s;
  sim_init(&s, &sipspec_chart_uas_call, 500, 0);
  CU_ASSERT_EQUAL(sipspec_fsm_timers_set(&s.timers, SIPSPEC_EV_TIMER_RING, 300), SIPSPEC_OK);
  CU_ASSERT_EQUAL(sipspec_fsm_timers_set(&s.timers, SIPSPEC_EV_TIMER_BYE, 2000), SIPSPEC_OK);
  CU_ASSERT_EQUAL(sipspec_fsm_timers_off(&s.timers, SIPSPEC_EV_TIMER_BYE, 0), SIPSPEC_OK);
  CU_ASSERT_EQUAL(sipspec_fsm_timers_off(&s.timers, SIPSPEC_EV_TIMER_EXPIRE, 1), SIPSPEC_OK); /* no session timer */
  inject(&s, 0, SIPSPEC_EV_TU_START);
  run_until(&s, 0);                     /* TIMER_STEP: send_progress posts the 180 */
  inject(&s, 0, SIPSPEC_EV_TU_1XX);
  run_until(&s, 299);
  CU_ASSERT_EQUAL(count(&s, "send_progress"), 1);
  run_until(&s, 300);                   /* TIMER_RING: the final response */
  inject(&s, 300, SIPSPEC_EV_TU_2XX);
  inject(&s, 450, SIPSPEC_EV_RX_ACK);
  run_until(&s, 5000);
  uint64_t progress[] = {0, 300}, bye[] = {2450};
  expect_times(&s, "send_progress", progress, 2);
  expect_times(&s, "report_established", (uint64_t[]){450}, 1);
  expect_times(&s, "route_bye", bye, 1);
  CU_ASSERT_EQUAL(sipspec_fsm_state(&s.fsm), SIPSPEC_UAS_CALL_BYEING);
}

/* ring_interval_ms 0 (the chart's 0ms): each step at once; bye_after_ms 0: the BYE timer is
 * off, so the established call waits for the client and no timer runs. */
static void uas_call_no_interval_bye_off(void) {
  sim s;
  sim_init(&s, &sipspec_chart_uas_call, 500, 0);
  CU_ASSERT_EQUAL(sipspec_fsm_timers_off(&s.timers, SIPSPEC_EV_TIMER_BYE, 1), SIPSPEC_OK);
  CU_ASSERT_EQUAL(sipspec_fsm_timers_off(&s.timers, SIPSPEC_EV_TIMER_EXPIRE, 1), SIPSPEC_OK); /* no session timer */
  inject(&s, 100, SIPSPEC_EV_TU_START);
  run_until(&s, 100);
  inject(&s, 100, SIPSPEC_EV_TU_1XX);
  run_until(&s, 100);
  inject(&s, 100, SIPSPEC_EV_TU_2XX);
  inject(&s, 200, SIPSPEC_EV_RX_ACK);
  uint64_t due;
  CU_ASSERT_EQUAL(sipspec_fsm_timers_next(&s.timers, &due), -1);
  run_until(&s, 100000);
  expect_times(&s, "send_progress", (uint64_t[]){100, 100}, 2);
  CU_ASSERT_EQUAL(count(&s, "route_bye"), 0);
  CU_ASSERT_EQUAL(sipspec_fsm_state(&s.fsm), SIPSPEC_UAS_CALL_ESTABLISHED);
  CU_ASSERT_EQUAL(sipspec_fsm_timers_off(&s.timers, SIPSPEC_EV_TIMER_B, 1), SIPSPEC_E_INVAL); /* not its timer */
}

/* A CANCEL while ringing (9.2): the ring timer stops, the 487 goes out at the next step. */
static void uas_call_cancel_while_ringing(void) {
  sim s;
  sim_init(&s, &sipspec_chart_uas_call, 500, 0);
  CU_ASSERT_EQUAL(sipspec_fsm_timers_set(&s.timers, SIPSPEC_EV_TIMER_RING, 1000), SIPSPEC_OK);
  inject(&s, 0, SIPSPEC_EV_TU_START);
  run_until(&s, 0);
  inject(&s, 0, SIPSPEC_EV_TU_1XX);
  inject(&s, 150, SIPSPEC_EV_RX_CANCEL);
  run_until(&s, 5000);
  expect_times(&s, "cancel_487", (uint64_t[]){150}, 1);
  CU_ASSERT_EQUAL(count(&s, "send_progress"), 1);
  CU_ASSERT_TRUE(sipspec_fsm_terminated(&s.fsm));
}

int main(void) {
  if (CU_initialize_registry() != CUE_SUCCESS) return 2;
  CU_pSuite s = CU_add_suite("transaction charts through RFC 3261/6026 timer scenarios", NULL, NULL);
  if (!s) return 2;
  CU_add_test(s, "ICT UDP: Timer A doubles until Timer B (17.1.1.2)", ict_udp_timer_a_doubles_until_timer_b);
  CU_add_test(s, "ICT UDP: schedule scales with T1", ict_udp_schedule_scales_with_t1);
  CU_add_test(s, "ICT TCP: no Timer A, Timer B still fires (17.1.1.2)", ict_tcp_no_retransmissions_timer_b);
  CU_add_test(s, "ICT: 1xx, 486, ACK, retransmitted 486 re-ACKed, Timer D", ict_1xx_then_486_ack_and_timer_d);
  CU_add_test(s, "ICT TCP: Timer D is zero", ict_tcp_timer_d_zero);
  CU_add_test(s, "ICT: 2xx into Accepted, then Timer M (RFC 6026)", ict_2xx_accepted_then_timer_m);
  CU_add_test(s, "ICT: transport error informs the TU (17.1.4)", ict_transport_error);
  CU_add_test(s, "NICT UDP: Timer E doubles up to T2 until Timer F (17.1.2.2)", nict_udp_timer_e_capped_at_t2);
  CU_add_test(s, "NICT: Proceeding resets E to T2; final, then Timer K", nict_proceeding_t2_then_final_and_timer_k);
  CU_add_test(s, "NICT TCP: no Timer E, Timer K zero, Timer F", nict_tcp);
  CU_add_test(s, "IST: Timer G capped at T2 until Timer H (17.2.1)", ist_timer_g_capped_until_timer_h);
  CU_add_test(s, "IST: ACK, Confirmed, Timer I (T4 UDP, zero TCP)", ist_ack_confirmed_timer_i);
  CU_add_test(s, "IST: 2xx into Accepted, ACK to TU, Timer L (RFC 6026)", ist_2xx_accepted_timer_l);
  CU_add_test(s, "NIST: Timer J (64*T1 UDP, zero TCP) (17.2.2)", nist_timer_j);
  CU_add_test(s, "timer values: zero and T2 < T1 refused", timer_values_are_checked);
  CU_add_test(s, "ICT: Timer A's limit (MRCP_SIP_INVITE_MAX_RETRANS) gives up as Timer B", ict_timer_a_limit_gives_up_as_timer_b);
  CU_add_test(s, "timer layer: a limit of firings, then the limit event", timer_limit_counts_firings);
  CU_add_test(s, "timer layer: due times exact as offsets from a moving base", timer_offsets_stay_exact);
  CU_add_test(s, "UAS 2xx: T1, 3T1, 7T1 ... capped at T2 until 64*T1 (13.3.1.4), UDP and TCP", uas_2xx_until_64t1);
  CU_add_test(s, "UAS 2xx: no copy at 64*T1 exactly", uas_2xx_no_copy_at_64t1);
  CU_add_test(s, "UAS 2xx: the ACK stops the copies", uas_2xx_ack_stops);
  CU_add_test(s, "UAS call: ring_interval_ms between 180s, bye_after_ms after the ACK", uas_call_ring_interval_and_bye_after);
  CU_add_test(s, "UAS call: no interval, BYE timer off", uas_call_no_interval_bye_off);
  CU_add_test(s, "UAS call: CANCEL while ringing, 487 at the next step (9.2)", uas_call_cancel_while_ringing);
  CU_basic_set_mode(CU_BRM_VERBOSE);
  CU_basic_run_tests();
  unsigned failures = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
  CU_cleanup_registry();
  return failures ? 1 : 0;
}
