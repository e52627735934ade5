/* test_host_timers.c: chart timer sets sharing one kind (fsm/host_timers.h, issue 16): a set
 * keeps its kind's options until one of its own differs (then it gets its own conf, used by
 * it alone), on a virtual clock with exact times. The chart is spec/session_timer.rl (REFRESH,
 * EXPIRE and WAIT, each set before it is started). */
#include <ev.h>

#include "cunit_main.h"
#include "fsm/host_timers.h"
#include "sipspec/chart_session_timer.h"
#include "sipspec/clock.h"
#include "sipspec/error.h"

typedef struct fired {
  int n;
  int who[8], ev[8];
  uint64_t at[8];
  sipspec_clock *clock;
} fired;

typedef struct owner {
  fired *f;
  int id;
} owner;

static int on_fire(void *o, int event) {
  owner *w = o;
  fired *f = w->f;
  if (f->n < 8) f->who[f->n] = w->id, f->ev[f->n] = event, f->at[f->n] = sipspec_clock_now_ms(f->clock), f->n++;
  return 0;
}

static void shared_and_own(void) {
  struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
  sipspec_clock *clock = sipspec_clock_virtual_new(loop, 0);
  CU_ASSERT_PTR_NOT_NULL_FATAL(clock);
  fired f = {0};
  f.clock = clock;
  sipspec_timer_values tv = {500, 4000, 5000};
  host_timer_kind k;
  CU_ASSERT_EQUAL(host_timer_kind_init(&k, clock, &sipspec_chart_session_timer, &tv, 0, NULL), SIPSPEC_E_INVAL);
  CU_ASSERT_EQUAL_FATAL(host_timer_kind_init(&k, clock, &sipspec_chart_session_timer, &tv, 0, on_fire), SIPSPEC_OK);
  CU_ASSERT_EQUAL_FATAL(sipspec_fsm_timer_conf_set(&k.conf, SIPSPEC_EV_TIMER_REFRESH, 1000), SIPSPEC_OK);
  owner oa = {&f, 1}, ob = {&f, 2};
  host_timers a, b;
  host_timers_init(&a, &k, &oa);
  host_timers_init(&b, &k, &ob);
  /* the kind's value again: no conf of its own; another value: one, for b only */
  CU_ASSERT_EQUAL(host_timers_set(&a, SIPSPEC_EV_TIMER_REFRESH, 1000), SIPSPEC_OK);
  CU_ASSERT_PTR_NULL(a.own);
  CU_ASSERT_EQUAL(host_timers_set(&b, SIPSPEC_EV_TIMER_REFRESH, 300), SIPSPEC_OK);
  CU_ASSERT_PTR_NOT_NULL(b.own);
  CU_ASSERT_EQUAL(host_timers_set(&b, 9999, 300), SIPSPEC_E_INVAL); /* no timer of the chart */
  /* both started at 0: b's at 300, a's at 1000 */
  CU_ASSERT_EQUAL(host_timers_apply(&a, SIPSPEC_SESSION_TIMER_A_START_TIMER_REFRESH), 1);
  CU_ASSERT_EQUAL(host_timers_apply(&b, SIPSPEC_SESSION_TIMER_A_START_TIMER_REFRESH), 1);
  CU_ASSERT_EQUAL(host_timers_apply(&a, SIPSPEC_SESSION_TIMER_A_SEND_REFRESH), 0); /* not a timer action */
  CU_ASSERT(host_timers_running(&a, SIPSPEC_EV_TIMER_REFRESH));
  CU_ASSERT(!host_timers_running(&a, SIPSPEC_EV_TIMER_EXPIRE));
  host_timers_rearm(&a);
  host_timers_rearm(&b);
  sipspec_clock_run(clock, 5000, NULL, NULL);
  CU_ASSERT_EQUAL_FATAL(f.n, 2);
  CU_ASSERT(f.who[0] == 2 && f.ev[0] == SIPSPEC_EV_TIMER_REFRESH && f.at[0] == 300);
  CU_ASSERT(f.who[1] == 1 && f.ev[1] == SIPSPEC_EV_TIMER_REFRESH && f.at[1] == 1000);
  CU_ASSERT(!host_timers_running(&a, SIPSPEC_EV_TIMER_REFRESH));
  /* a timer turned off in a alone arms nothing there; b still runs it (the kind's 0 ms) */
  CU_ASSERT_EQUAL(host_timers_off(&a, SIPSPEC_EV_TIMER_EXPIRE, 1), SIPSPEC_OK);
  CU_ASSERT_PTR_NOT_NULL(a.own);
  CU_ASSERT_EQUAL(host_timers_apply(&a, SIPSPEC_SESSION_TIMER_A_START_TIMER_EXPIRE), 1);
  CU_ASSERT_EQUAL(host_timers_apply(&b, SIPSPEC_SESSION_TIMER_A_START_TIMER_EXPIRE), 1);
  CU_ASSERT(!host_timers_running(&a, SIPSPEC_EV_TIMER_EXPIRE));
  CU_ASSERT(host_timers_running(&b, SIPSPEC_EV_TIMER_EXPIRE));
  /* a's options stay its own: REFRESH at the kind's 1000 ms, from 5000 */
  CU_ASSERT_EQUAL(host_timers_apply(&a, SIPSPEC_SESSION_TIMER_A_START_TIMER_REFRESH), 1);
  host_timers_rearm(&a);
  host_timers_rearm(&b);
  sipspec_clock_run(clock, 2000, NULL, NULL);
  CU_ASSERT_EQUAL_FATAL(f.n, 4);
  CU_ASSERT(f.who[2] == 2 && f.ev[2] == SIPSPEC_EV_TIMER_EXPIRE && f.at[2] == 5000);
  CU_ASSERT(f.who[3] == 1 && f.ev[3] == SIPSPEC_EV_TIMER_REFRESH && f.at[3] == 6000);
  /* stopped: nothing more fires; released: the own confs freed (ASan: no leak) */
  CU_ASSERT_EQUAL(host_timers_apply(&b, SIPSPEC_SESSION_TIMER_A_START_TIMER_REFRESH), 1);
  host_timers_rearm(&b);
  host_timers_stop(&b);
  sipspec_clock_run(clock, 2000, NULL, NULL);
  CU_ASSERT_EQUAL(f.n, 4);
  host_timers_release(&a);
  host_timers_release(&b);
  CU_ASSERT_PTR_NULL(a.own);
  CU_ASSERT_PTR_NULL(b.own);
  sipspec_clock_free(clock);
  ev_loop_destroy(loop);
}

static const tst_case TESTS[] = {
    {"sets of one kind: the kind's options, a set's own ones, exact times, stop, release", shared_and_own},
    {NULL, NULL}};

int main(void) { return tst_main("host_timers", TESTS); }
