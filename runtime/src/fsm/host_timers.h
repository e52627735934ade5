/* host_timers.h: a chart's timers on the stack's clock, the one timer layer every machine
 * object uses.
 *
 * sipspec_fsm_timers (fsm_timers.h) turns a chart's timer actions into due times; this
 * binds such a set to one clock timer (sipspec/clock.h) armed at the earliest due time, and
 * when it fires hands each due timer's event to the owner, earliest first. The owner calls
 * host_timers_apply() from its on_action for every action (it returns 1 for a timer action),
 * host_timers_rearm() once the events it fed have settled, and host_timers_stop() when the
 * machine is over.
 */
#ifndef SIPSPEC_HOST_TIMERS_H
#define SIPSPEC_HOST_TIMERS_H

#include "fsm/fsm_timers.h"
#include "sipspec/clock.h"

/* Feeds a timer's event (SIPSPEC_EV_TIMER_X) to the owner's machine. Returns 0 to go on,
 * nonzero when the owner is gone or over (no more events, no re-arming). */
typedef int (*host_timers_fire_fn)(void *owner, int event);

typedef struct host_timers {
  sipspec_fsm_timers set;          /* the chart's timers (read and set through fsm_timers.h) */
  sipspec_clock_timer timer;       /* private */
  sipspec_clock *clock;            /* private */
  host_timers_fire_fn fire;        /* private */
  void *owner;                     /* private */
} host_timers;

/* As sipspec_fsm_timers_init(), on clock. */
int host_timers_init(host_timers *h, sipspec_clock *clock, const sipspec_chart *chart,
                     const sipspec_timer_values *values, int reliable, host_timers_fire_fn fire, void *owner);
/* Applies action if it is a timer action (returns 1), else returns 0. */
int host_timers_apply(host_timers *h, int action);
/* Arms the clock timer at the earliest running chart timer, or stops it when none runs. */
void host_timers_rearm(host_timers *h);
/* Stops every chart timer and the clock timer. */
void host_timers_stop(host_timers *h);
uint64_t host_timers_now(const host_timers *h);

#endif
