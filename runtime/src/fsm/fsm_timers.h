/* fsm_timers.h: runs the timers of any chart, from the chart's own timer table.
 *
 * The charts name timer actions (start_timer_A, restart_timer_A, stop_timer_A,
 * start_timer_E_T2) and declare each timer's value and its behaviour over reliable
 * transports (`#@ timer A: start=T1 backoff=double reliable=off`). This module turns those
 * actions into due times, so the transaction layer keeps no per-timer logic and the reliable
 * rules of RFC 3261 17.1.1.2 / 17.1.2.2 / 17.2.1 / 17.2.2 live in the chart, not in a second
 * copy of it. It keeps no clock: the caller passes "now" in milliseconds (libev's ev_now()
 * in the runtime, a virtual clock in tests) and arms one real timer at the earliest due time.
 */
#ifndef SIPSPEC_FSM_TIMERS_H
#define SIPSPEC_FSM_TIMERS_H

#include <stdint.h>

#include "sipspec/fsm.h"

#define SIPSPEC_FSM_MAX_TIMERS 8

typedef struct sipspec_timer_values {
  uint32_t t1_ms; /* RTT estimate, RFC 3261 default 500 */
  uint32_t t2_ms; /* maximum retransmit interval for non-INVITE requests and INVITE responses, 4000 */
  uint32_t t4_ms; /* maximum duration a message remains in the network, 5000 */
} sipspec_timer_values;

typedef struct sipspec_fsm_timers {
  const sipspec_chart *chart;           /* private */
  sipspec_timer_values values;          /* private */
  int reliable;                         /* private: TCP/TLS */
  uint32_t active;                      /* private: bit per chart timer */
  uint32_t fired;                       /* private: expired and not re-armed or stopped since */
  uint32_t interval[SIPSPEC_FSM_MAX_TIMERS]; /* private: current interval (back-off) */
  uint64_t due[SIPSPEC_FSM_MAX_TIMERS]; /* private: absolute ms */
  uint32_t set_ms[SIPSPEC_FSM_MAX_TIMERS]; /* private: initial value set by the owner, 0 = the chart's */
  uint32_t limit[SIPSPEC_FSM_MAX_TIMERS];  /* private: firings allowed (`limit=set`), 0 = no limit */
  uint32_t count[SIPSPEC_FSM_MAX_TIMERS];  /* private: firings since the timer was last started */
  uint32_t off;                         /* private: bit per chart timer the owner turned off */
} sipspec_fsm_timers;

/* Returns SIPSPEC_E_INVAL when the chart has more timers than SIPSPEC_FSM_MAX_TIMERS or a
 * value is zero or T2 < T1. */
int sipspec_fsm_timers_init(sipspec_fsm_timers *t, const sipspec_chart *chart, const sipspec_timer_values *values,
                            int reliable);

/* Gives the chart timer that fires `event` (SIPSPEC_EV_TIMER_X) the initial value ms instead
 * of the chart's (an application's option, e.g. how long to wait for an answer); 0 restores
 * the chart's. A chart's Nms timer takes the value even when the chart's is 0ms; a
 * reliable=zero timer over a reliable transport still fires at once. SIPSPEC_E_INVAL when
 * the chart has no such timer. */
int sipspec_fsm_timers_set(sipspec_fsm_timers *t, int event, uint32_t ms);

/* Gives the chart timer that fires `event` (SIPSPEC_EV_TIMER_X), declared `limit=set` in its
 * chart, a limit of n firings: from start_timer_X on (restart_timer_X keeps counting), the
 * first n expiries fire `event`, the next one fires the timer's limit event
 * (SIPSPEC_EV_TIMER_X_LIMIT) instead, and the timer is not running after it, as after any
 * expiry. n = 0 removes the limit. SIPSPEC_E_INVAL when the chart has no such timer or the
 * timer declares no limit. (MRCP_SIP_INVITE_MAX_RETRANS for Timer A of spec/ict.rl.) */
int sipspec_fsm_timers_set_limit(sipspec_fsm_timers *t, int event, uint32_t n);

/* 1 while the chart timer that fires `event` runs (started, not yet expired or stopped). */
int sipspec_fsm_timers_running(const sipspec_fsm_timers *t, int event);

/* Turns the chart timer that fires `event` off (off = 1: its start actions arm nothing, as
 * reliable=off does over TCP; an application's option such as "0: never") or on again.
 * SIPSPEC_E_INVAL when the chart has no such timer. */
int sipspec_fsm_timers_off(sipspec_fsm_timers *t, int event, int off);

/* If `action` of the chart is a timer action, applies it at time now_ms and returns 1;
 * otherwise returns 0 and the caller handles the action. */
int sipspec_fsm_timers_apply(sipspec_fsm_timers *t, int action, uint64_t now_ms);

/* The earliest running timer: its event (SIPSPEC_EV_TIMER_X) and due time; -1 when none runs. */
int sipspec_fsm_timers_next(const sipspec_fsm_timers *t, uint64_t *due_ms);

/* Takes the earliest timer due at or before now_ms off the running set and returns its event
 * (to feed to the machine): SIPSPEC_EV_TIMER_X, or the timer's limit event once its limit is
 * passed (sipspec_fsm_timers_set_limit); -1 when none is due. Of timers due at the same time
 * the one declared first in the chart comes first. */
int sipspec_fsm_timers_expire(sipspec_fsm_timers *t, uint64_t now_ms);

void sipspec_fsm_timers_stop_all(sipspec_fsm_timers *t);

/* The initial value of chart timer `index` for the given values and transport, in ms;
 * -1 when the timer is not used over that transport. */
int64_t sipspec_fsm_timer_initial(const sipspec_chart_timer *timer, const sipspec_timer_values *values, int reliable);

#endif
