/* host_timers.c: see host_timers.h. */
#include "fsm/host_timers.h"

#include <stdlib.h>
#include <string.h>

static const sipspec_fsm_timer_conf *conf_of(const host_timers *h) { return h->own ? h->own : &h->kind->conf; }

static void due_cb(sipspec_clock_timer *w, void *arg) {
  host_timers *h = arg;
  (void)w;
  uint64_t now = sipspec_clock_now_ms(h->kind->clock);
  /* Every timer due by now, earliest first (Timer G before Timer H when both are due). */
  for (int guard = 0; guard < HOST_TIMERS_SLOTS; guard++) {
    int ev = sipspec_fsm_timer_run_expire(conf_of(h), &h->run, h->slot, now);
    if (ev < 0) break;
    if (h->kind->fire(h->owner, ev)) return; /* the owner is gone: h may be too */
  }
  host_timers_rearm(h);
}

int host_timer_kind_init(host_timer_kind *k, sipspec_clock *clock, const sipspec_chart *chart,
                         const sipspec_timer_values *values, int reliable, host_timers_fire_fn fire) {
  if (!clock || !fire || !chart || chart->n_timers > HOST_TIMERS_SLOTS) return SIPSPEC_E_INVAL;
  memset(k, 0, sizeof *k);
  int rc = sipspec_fsm_timer_conf_init(&k->conf, chart, values, reliable);
  if (rc) return rc;
  k->clock = clock;
  k->fire = fire;
  return SIPSPEC_OK;
}

void host_timers_init(host_timers *h, const host_timer_kind *k, void *owner) {
  memset(h, 0, sizeof *h);
  h->kind = k;
  h->owner = owner;
  sipspec_clock_timer_init(&h->timer, due_cb, h);
}

/* Applies an option to a copy of the set's conf; the set gets its own conf only when the
 * option changes it (most sets keep their kind's: no allocation). */
static int set_option(host_timers *h, int event, uint32_t v, int off) {
  sipspec_fsm_timer_conf c;
  memcpy(&c, conf_of(h), sizeof c);
  int rc = off ? sipspec_fsm_timer_conf_off(&c, event, (int)v) : sipspec_fsm_timer_conf_set(&c, event, v);
  if (rc) return rc;
  if (!memcmp(&c, conf_of(h), sizeof c)) return SIPSPEC_OK;
  if (!h->own) {
    h->own = malloc(sizeof *h->own);
    if (!h->own) return SIPSPEC_E_NOMEM;
  }
  memcpy(h->own, &c, sizeof c);
  return SIPSPEC_OK;
}

int host_timers_set(host_timers *h, int event, uint32_t ms) { return set_option(h, event, ms, 0); }
int host_timers_off(host_timers *h, int event, int off) { return set_option(h, event, off != 0, 1); }

int host_timers_running(const host_timers *h, int event) {
  return sipspec_fsm_timer_run_running(conf_of(h), &h->run, event);
}

int host_timers_apply(host_timers *h, int action) {
  return sipspec_fsm_timer_run_apply(conf_of(h), &h->run, h->slot, action, sipspec_clock_now_ms(h->kind->clock));
}

void host_timers_rearm(host_timers *h) {
  uint64_t due;
  if (sipspec_fsm_timer_run_next(conf_of(h), &h->run, h->slot, &due) < 0) sipspec_clock_timer_stop(h->kind->clock, &h->timer);
  else sipspec_clock_timer_at(h->kind->clock, &h->timer, due);
}

void host_timers_stop(host_timers *h) {
  sipspec_fsm_timer_run_stop(&h->run);
  sipspec_clock_timer_stop(h->kind->clock, &h->timer);
}

void host_timers_release(host_timers *h) {
  if (!h->kind) return; /* never initialised */
  host_timers_stop(h);
  free(h->own);
  h->own = NULL;
}

uint64_t host_timers_now(const host_timers *h) { return sipspec_clock_now_ms(h->kind->clock); }
