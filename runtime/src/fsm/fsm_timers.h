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

/* What the owner chose for a chart's timers: the chart, the values, the transport and the
 * per-timer options (sipspec_fsm_timers_set(), _set_limit(), _off()). Embedded in a
 * sipspec_fsm_timers, or shared by many running sets of the same chart (the transaction
 * layer keeps one per chart and transport kind for all its transactions). */
typedef struct sipspec_fsm_timer_conf {
  const sipspec_chart *chart;
  sipspec_timer_values values;
  uint8_t reliable;                     /* TCP/TLS */
  uint8_t off;                          /* bit per chart timer the owner turned off */
  uint32_t set_ms[SIPSPEC_FSM_MAX_TIMERS]; /* initial value set by the owner, 0 = the chart's */
  uint32_t limit[SIPSPEC_FSM_MAX_TIMERS];  /* firings allowed (`limit=set`), 0 = no limit */
} sipspec_fsm_timer_conf;

/* One chart timer of a running set, in 8 bytes: its due time as an offset from the set's
 * base, and what its next interval derives from (the back-off step), so that an object
 * that exists by the thousand (a transaction waiting out Timer K) keeps little. */
typedef struct sipspec_fsm_timer_slot {
  uint32_t due;                         /* ms after the set's base */
  uint16_t count;                       /* firings since it was started (saturates) */
  uint8_t restarts;                     /* restarts since it was started (saturates) */
  uint8_t how;                          /* FSM_SLOT_* bits: how it was last started */
} sipspec_fsm_timer_slot;

/* Which timers of a set run, and the time their offsets count from (two halves, so that
 * the struct packs in 12 bytes beside an owner's small fields). */
typedef struct sipspec_fsm_timer_run {
  uint32_t base_lo, base_hi;            /* ms */
  uint8_t active;                       /* bit per chart timer */
  uint8_t fired;                        /* expired and not re-armed or stopped since */
} sipspec_fsm_timer_run;

/* A chart's timers with their options, for an object that owns both. */
typedef struct sipspec_fsm_timers {
  sipspec_fsm_timer_conf conf;          /* private */
  sipspec_fsm_timer_run run;            /* private */
  sipspec_fsm_timer_slot slot[SIPSPEC_FSM_MAX_TIMERS]; /* private */
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
 * expiry. n = 0 removes the limit (and so does n > 65534: firings are counted up to 65535).
 * SIPSPEC_E_INVAL when the chart has no such timer or the
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

/* ---- the same on a shared conf: a running set is (conf, run, slots) --------------------- */

/* As sipspec_fsm_timers_init() for a conf (no timer set, limit or off). */
int sipspec_fsm_timer_conf_init(sipspec_fsm_timer_conf *c, const sipspec_chart *chart, const sipspec_timer_values *values,
                                int reliable);
int sipspec_fsm_timer_conf_set(sipspec_fsm_timer_conf *c, int event, uint32_t ms);
int sipspec_fsm_timer_conf_set_limit(sipspec_fsm_timer_conf *c, int event, uint32_t n);
int sipspec_fsm_timer_conf_off(sipspec_fsm_timer_conf *c, int event, int off);
/* slot has room for conf->chart->n_timers slots; run starts zeroed (nothing runs). */
int sipspec_fsm_timer_run_apply(const sipspec_fsm_timer_conf *c, sipspec_fsm_timer_run *r, sipspec_fsm_timer_slot *slot,
                                int action, uint64_t now_ms);
int sipspec_fsm_timer_run_next(const sipspec_fsm_timer_conf *c, const sipspec_fsm_timer_run *r,
                               const sipspec_fsm_timer_slot *slot, uint64_t *due_ms);
int sipspec_fsm_timer_run_expire(const sipspec_fsm_timer_conf *c, sipspec_fsm_timer_run *r, sipspec_fsm_timer_slot *slot,
                                 uint64_t now_ms);
int sipspec_fsm_timer_run_running(const sipspec_fsm_timer_conf *c, const sipspec_fsm_timer_run *r, int event);
static inline void sipspec_fsm_timer_run_stop(sipspec_fsm_timer_run *r) { r->active = 0, r->fired = 0; }

/* The initial value of chart timer `index` for the given values and transport, in ms;
 * -1 when the timer is not used over that transport. */
int64_t sipspec_fsm_timer_initial(const sipspec_chart_timer *timer, const sipspec_timer_values *values, int reliable);

#endif
