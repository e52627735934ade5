/* host_timers.h: a chart's timers on the stack's clock, the one timer layer every machine
 * object uses.
 *
 * The fsm_timers.h conf/run API turns a chart's timer actions into due times; this binds a
 * running set to one clock timer (sipspec/clock.h) armed at the earliest due time, and when
 * it fires hands each due timer's event to the owner, earliest first. What all the sets of
 * one chart share (the chart, T1/T2/T4, the options, the clock, the fire function) is a
 * host_timer_kind kept once by the layer that owns them (a user agent, a server); a set
 * keeps only its running part and a few bytes per chart timer (issue 16: a held session's
 * footprint). A set whose options differ from its kind's (host_timers_set(), _off(): a
 * session's negotiated Session-Expires) gets its own copy of the conf on first use.
 *
 * The owner calls host_timers_apply() from its on_action for every action (it returns 1 for
 * a timer action), host_timers_rearm() once the events it fed have settled,
 * host_timers_stop() when the machine is over and host_timers_release() before freeing it.
 */
#ifndef SIPSPEC_HOST_TIMERS_H
#define SIPSPEC_HOST_TIMERS_H

#include "fsm/fsm_timers.h"
#include "sipspec/clock.h"

/* Feeds a timer's event (SIPSPEC_EV_TIMER_X) to the owner's machine. Returns 0 to go on,
 * nonzero when the owner is gone or over (no more events, no re-arming). */
typedef int (*host_timers_fire_fn)(void *owner, int event);

/* What the sets of one chart share; must outlive them. Its conf may be set through the
 * sipspec_fsm_timer_conf_*() functions before the first set uses it. */
typedef struct host_timer_kind {
  sipspec_fsm_timer_conf conf;
  sipspec_clock *clock;
  host_timers_fire_fn fire;
} host_timer_kind;

/* The most timers a chart run by host_timers may have (spec/uas_call.rl has five). */
#define HOST_TIMERS_SLOTS 5

typedef struct host_timers {
  const host_timer_kind *kind;     /* private */
  sipspec_fsm_timer_conf *own;     /* private: this set's options when they differ from the kind's, else NULL */
  void *owner;                     /* private */
  sipspec_clock_timer timer;       /* private */
  sipspec_fsm_timer_run run;       /* private */
  sipspec_fsm_timer_slot slot[HOST_TIMERS_SLOTS]; /* private */
} host_timers;

/* As sipspec_fsm_timer_conf_init(), on clock; SIPSPEC_E_INVAL also when the chart has more
 * than HOST_TIMERS_SLOTS timers or clock or fire is NULL. */
int host_timer_kind_init(host_timer_kind *k, sipspec_clock *clock, const sipspec_chart *chart,
                         const sipspec_timer_values *values, int reliable, host_timers_fire_fn fire);
/* A set of kind k's chart, nothing running. */
void host_timers_init(host_timers *h, const host_timer_kind *k, void *owner);
/* As sipspec_fsm_timer_conf_set() / _off() for this set only: SIPSPEC_E_INVAL when the chart
 * has no such timer, SIPSPEC_E_NOMEM when the set's own conf could not be allocated (the set
 * then keeps its kind's option). */
int host_timers_set(host_timers *h, int event, uint32_t ms);
int host_timers_off(host_timers *h, int event, int off);
/* 1 while the chart timer that fires `event` runs. */
int host_timers_running(const host_timers *h, int event);
/* Applies action if it is a timer action (returns 1), else returns 0. */
int host_timers_apply(host_timers *h, int action);
/* Arms the clock timer at the earliest running chart timer, or stops it when none runs. */
void host_timers_rearm(host_timers *h);
/* Stops every chart timer and the clock timer. */
void host_timers_stop(host_timers *h);
/* host_timers_stop() and frees the set's own conf; the set may be used again after. */
void host_timers_release(host_timers *h);
uint64_t host_timers_now(const host_timers *h);

#endif
