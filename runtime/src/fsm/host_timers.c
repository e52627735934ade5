/* host_timers.c: see host_timers.h. */
#include "fsm/host_timers.h"

static void due_cb(sipspec_clock_timer *w, void *arg) {
  host_timers *h = arg;
  (void)w;
  uint64_t now = sipspec_clock_now_ms(h->clock);
  /* Every timer due by now, earliest first (Timer G before Timer H when both are due). */
  for (int guard = 0; guard < SIPSPEC_FSM_MAX_TIMERS; guard++) {
    int ev = sipspec_fsm_timers_expire(&h->set, now);
    if (ev < 0) break;
    if (h->fire(h->owner, ev)) return; /* the owner is gone: h may be too */
  }
  host_timers_rearm(h);
}

int host_timers_init(host_timers *h, sipspec_clock *clock, const sipspec_chart *chart,
                     const sipspec_timer_values *values, int reliable, host_timers_fire_fn fire, void *owner) {
  if (!clock || !fire) return SIPSPEC_E_INVAL;
  int rc = sipspec_fsm_timers_init(&h->set, chart, values, reliable);
  if (rc) return rc;
  h->clock = clock;
  h->fire = fire;
  h->owner = owner;
  sipspec_clock_timer_init(&h->timer, due_cb, h);
  return SIPSPEC_OK;
}

int host_timers_apply(host_timers *h, int action) {
  return sipspec_fsm_timers_apply(&h->set, action, sipspec_clock_now_ms(h->clock));
}

void host_timers_rearm(host_timers *h) {
  uint64_t due;
  if (sipspec_fsm_timers_next(&h->set, &due) < 0) sipspec_clock_timer_stop(h->clock, &h->timer);
  else sipspec_clock_timer_at(h->clock, &h->timer, due);
}

void host_timers_stop(host_timers *h) {
  sipspec_fsm_timers_stop_all(&h->set);
  sipspec_clock_timer_stop(h->clock, &h->timer);
}

uint64_t host_timers_now(const host_timers *h) { return sipspec_clock_now_ms(h->clock); }
