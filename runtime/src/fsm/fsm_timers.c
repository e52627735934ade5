/* fsm_timers.c: chart timers as due times; see fsm_timers.h.
 *
 * A running set keeps, per chart timer, its due time as a 32-bit offset from the set's base
 * (moved forward when an offset would not fit) and the back-off step it is at; the interval
 * of a restart derives from the timer's initial value and that step, as the chart declares
 * it (backoff=double, cap=T2). */
#include "fsm_timers.h"

enum { SLOT_T2 = 1, SLOT_STARTED = 2 };

/* ---- conf ------------------------------------------------------------------------------- */

int sipspec_fsm_timer_conf_init(sipspec_fsm_timer_conf *c, const sipspec_chart *chart, const sipspec_timer_values *values,
                                int reliable) {
  if (chart->n_timers > SIPSPEC_FSM_MAX_TIMERS) return SIPSPEC_E_INVAL;
  if (!values->t1_ms || !values->t2_ms || !values->t4_ms || values->t2_ms < values->t1_ms) return SIPSPEC_E_INVAL;
  c->chart = chart;
  c->values = *values;
  c->reliable = reliable ? 1 : 0;
  c->off = 0;
  for (int i = 0; i < SIPSPEC_FSM_MAX_TIMERS; i++) c->set_ms[i] = 0, c->limit[i] = 0;
  return SIPSPEC_OK;
}

static int timer_of(const sipspec_chart *chart, int event) {
  for (int i = 0; i < chart->n_timers; i++)
    if (chart->timers[i].event == event) return i;
  return -1;
}

int sipspec_fsm_timer_conf_set(sipspec_fsm_timer_conf *c, int event, uint32_t ms) {
  int i = timer_of(c->chart, event);
  if (i < 0) return SIPSPEC_E_INVAL;
  c->set_ms[i] = ms;
  return SIPSPEC_OK;
}

int sipspec_fsm_timer_conf_set_limit(sipspec_fsm_timer_conf *c, int event, uint32_t n) {
  int i = timer_of(c->chart, event);
  if (i < 0 || !c->chart->timers[i].limit_event) return SIPSPEC_E_INVAL;
  c->limit[i] = n;
  return SIPSPEC_OK;
}

int sipspec_fsm_timer_conf_off(sipspec_fsm_timer_conf *c, int event, int off) {
  int i = timer_of(c->chart, event);
  if (i < 0) return SIPSPEC_E_INVAL;
  if (off) c->off |= (uint8_t)(1u << i);
  else c->off &= (uint8_t)~(1u << i);
  return SIPSPEC_OK;
}

int64_t sipspec_fsm_timer_initial(const sipspec_chart_timer *timer, const sipspec_timer_values *v, int reliable) {
  if (reliable && timer->reliable == SIPSPEC_TIMER_RELIABLE_OFF) return -1;
  if (reliable && timer->reliable == SIPSPEC_TIMER_RELIABLE_ZERO) return 0;
  switch (timer->base) {
  case SIPSPEC_TIMER_BASE_T1: return (int64_t)v->t1_ms * timer->mult;
  case SIPSPEC_TIMER_BASE_T2: return (int64_t)v->t2_ms * timer->mult;
  case SIPSPEC_TIMER_BASE_T4: return (int64_t)v->t4_ms * timer->mult;
  default: return timer->ms;
  }
}

/* ---- a running set ------------------------------------------------------------------------ */

static uint64_t base_of(const sipspec_fsm_timer_run *r) { return (uint64_t)r->base_hi << 32 | r->base_lo; }

static void set_base(sipspec_fsm_timer_run *r, uint64_t b) {
  r->base_lo = (uint32_t)b;
  r->base_hi = (uint32_t)(b >> 32);
}

static uint64_t due_of(const sipspec_fsm_timer_run *r, const sipspec_fsm_timer_slot *s) { return base_of(r) + s->due; }

/* Sets slot i's absolute due time, moving the base when the offset would not fit (or when
 * nothing else counts from it): to the earliest of due and the timers still running or just
 * fired, so every offset stays positive (a clock that went back) and small. An offset still
 * too large (a timer of more than 49 days) is cut to the largest one. */
static void set_due(const sipspec_fsm_timer_conf *c, sipspec_fsm_timer_run *r, sipspec_fsm_timer_slot *slot, int i,
                    uint64_t due) {
  uint64_t base = base_of(r);
  /* A fired one's due time counts on its restart: kept unless it is long past. */
  for (int j = 0; j < c->chart->n_timers; j++)
    if (((r->fired & ~r->active) & (1u << j)) && due_of(r, &slot[j]) + 0x80000000u < due) r->fired &= (uint8_t)~(1u << j);
  unsigned keep = (unsigned)(r->active | r->fired) & ~(1u << i);
  if (!keep || due < base || due - base > UINT32_MAX) {
    uint64_t nb = due;
    for (int j = 0; j < c->chart->n_timers; j++)
      if ((keep & (1u << j)) && due_of(r, &slot[j]) < nb) nb = due_of(r, &slot[j]);
    for (int j = 0; j < c->chart->n_timers; j++)
      if (keep & (1u << j)) slot[j].due = (uint32_t)(due_of(r, &slot[j]) - nb);
    set_base(r, nb);
    base = nb;
  }
  slot[i].due = due - base > UINT32_MAX ? UINT32_MAX : (uint32_t)(due - base);
}

static void arm(const sipspec_fsm_timer_conf *c, sipspec_fsm_timer_run *r, sipspec_fsm_timer_slot *slot, int i,
                uint64_t interval, uint64_t now) {
  if (interval > UINT32_MAX) interval = UINT32_MAX;
  set_due(c, r, slot, i, now + interval);
  r->active |= (uint8_t)(1u << i);
  r->fired &= (uint8_t)~(1u << i);
}

/* The interval of a restart: the initial one (T2 after start_timer_X_T2), doubled per
 * restart for backoff=double, never beyond T2 with cap=T2. */
static uint64_t restart_interval(const sipspec_fsm_timer_conf *c, const sipspec_chart_timer *tm,
                                 const sipspec_fsm_timer_slot *s, uint64_t initial) {
  uint64_t next = s->how & SLOT_T2 ? c->values.t2_ms : initial;
  for (unsigned k = 0; k < s->restarts; k++) {
    uint64_t before = next;
    if (tm->doubling) next = next > UINT32_MAX ? next : next * 2;
    if (tm->cap_t2 && next > c->values.t2_ms) next = c->values.t2_ms;
    if (next == before) break; /* capped, saturated or not doubling: it stays */
  }
  return next;
}

int sipspec_fsm_timer_run_apply(const sipspec_fsm_timer_conf *c, sipspec_fsm_timer_run *r, sipspec_fsm_timer_slot *slot,
                                int action, uint64_t now_ms) {
  const sipspec_chart *chart = c->chart;
  if (action < 0 || action >= chart->n_actions) return 0;
  const sipspec_chart_action *a = &chart->actions[action];
  if (a->timer_op == SIPSPEC_TIMER_OP_NONE || a->timer < 0) return 0;
  int i = a->timer;
  sipspec_fsm_timer_slot *s = &slot[i];
  const sipspec_chart_timer *tm = &chart->timers[i];
  int64_t initial = sipspec_fsm_timer_initial(tm, &c->values, c->reliable);
  if (c->off & (1u << i)) initial = -1;
  else if (c->set_ms[i] && (initial > 0 || (initial == 0 && tm->base == SIPSPEC_TIMER_BASE_MS &&
                                            !(c->reliable && tm->reliable == SIPSPEC_TIMER_RELIABLE_ZERO))))
    initial = c->set_ms[i];
  switch (a->timer_op) {
  case SIPSPEC_TIMER_OP_STOP:
    r->active &= (uint8_t)~(1u << i);
    r->fired &= (uint8_t)~(1u << i);
    break;
  case SIPSPEC_TIMER_OP_START:
  case SIPSPEC_TIMER_OP_START_T2:
    s->count = 0;
    s->restarts = 0;
    if (initial < 0) break;
    s->how = SLOT_STARTED | (a->timer_op == SIPSPEC_TIMER_OP_START_T2 ? SLOT_T2 : 0);
    arm(c, r, slot, i, a->timer_op == SIPSPEC_TIMER_OP_START_T2 ? c->values.t2_ms : (uint64_t)initial, now_ms);
    break;
  case SIPSPEC_TIMER_OP_RESTART: {
    if (initial < 0) break;
    /* A timer never armed starts at its initial value; after that each restart backs off. */
    if (!(s->how & SLOT_STARTED)) s->how = SLOT_STARTED, s->restarts = 0;
    else if (s->restarts < UINT8_MAX) s->restarts++;
    uint64_t next = restart_interval(c, tm, s, (uint64_t)initial);
    /* A timer restarted because it just fired counts from when it was due, not from when
     * the loop got round to it: the schedule (T1, 3T1, 7T1, ... for Timer A) stays exact
     * however late each callback runs, instead of drifting by the sum of the delays. */
    uint64_t base = now_ms;
    if ((r->fired & (1u << i)) && due_of(r, s) <= now_ms) base = due_of(r, s);
    arm(c, r, slot, i, next, base);
    break;
  }
  default:
    return 0;
  }
  return 1;
}

static int earliest(const sipspec_fsm_timer_conf *c, const sipspec_fsm_timer_run *r, const sipspec_fsm_timer_slot *slot) {
  int best = -1;
  for (int i = 0; i < c->chart->n_timers; i++)
    if ((r->active & (1u << i)) && (best < 0 || slot[i].due < slot[best].due)) best = i;
  return best;
}

int sipspec_fsm_timer_run_next(const sipspec_fsm_timer_conf *c, const sipspec_fsm_timer_run *r,
                               const sipspec_fsm_timer_slot *slot, uint64_t *due_ms) {
  int i = earliest(c, r, slot);
  if (i < 0) return -1;
  if (due_ms) *due_ms = due_of(r, &slot[i]);
  return c->chart->timers[i].event;
}

int sipspec_fsm_timer_run_expire(const sipspec_fsm_timer_conf *c, sipspec_fsm_timer_run *r, sipspec_fsm_timer_slot *slot,
                                 uint64_t now_ms) {
  int i = earliest(c, r, slot);
  if (i < 0 || due_of(r, &slot[i]) > now_ms) return -1;
  r->active &= (uint8_t)~(1u << i);
  r->fired |= (uint8_t)(1u << i);
  const sipspec_chart_timer *tm = &c->chart->timers[i];
  if (slot[i].count < UINT16_MAX) slot[i].count++;
  /* `limit=set`: past the owner's limit the chart hears the limit event instead */
  if (tm->limit_event && c->limit[i] && slot[i].count > c->limit[i]) return tm->limit_event;
  return tm->event;
}

int sipspec_fsm_timer_run_running(const sipspec_fsm_timer_conf *c, const sipspec_fsm_timer_run *r, int event) {
  int i = timer_of(c->chart, event);
  return i < 0 ? 0 : (r->active >> i) & 1u;
}

/* ---- a set with its own conf ------------------------------------------------------------ */

int sipspec_fsm_timers_init(sipspec_fsm_timers *t, const sipspec_chart *chart, const sipspec_timer_values *values,
                            int reliable) {
  int rc = sipspec_fsm_timer_conf_init(&t->conf, chart, values, reliable);
  if (rc) return rc;
  t->run = (sipspec_fsm_timer_run){0, 0, 0, 0};
  for (int i = 0; i < SIPSPEC_FSM_MAX_TIMERS; i++) t->slot[i] = (sipspec_fsm_timer_slot){0, 0, 0, 0};
  return SIPSPEC_OK;
}

int sipspec_fsm_timers_set(sipspec_fsm_timers *t, int event, uint32_t ms) {
  return sipspec_fsm_timer_conf_set(&t->conf, event, ms);
}

int sipspec_fsm_timers_set_limit(sipspec_fsm_timers *t, int event, uint32_t n) {
  return sipspec_fsm_timer_conf_set_limit(&t->conf, event, n);
}

int sipspec_fsm_timers_off(sipspec_fsm_timers *t, int event, int off) {
  return sipspec_fsm_timer_conf_off(&t->conf, event, off);
}

int sipspec_fsm_timers_running(const sipspec_fsm_timers *t, int event) {
  return sipspec_fsm_timer_run_running(&t->conf, &t->run, event);
}

int sipspec_fsm_timers_apply(sipspec_fsm_timers *t, int action, uint64_t now_ms) {
  return sipspec_fsm_timer_run_apply(&t->conf, &t->run, t->slot, action, now_ms);
}

int sipspec_fsm_timers_next(const sipspec_fsm_timers *t, uint64_t *due_ms) {
  return sipspec_fsm_timer_run_next(&t->conf, &t->run, t->slot, due_ms);
}

int sipspec_fsm_timers_expire(sipspec_fsm_timers *t, uint64_t now_ms) {
  return sipspec_fsm_timer_run_expire(&t->conf, &t->run, t->slot, now_ms);
}

void sipspec_fsm_timers_stop_all(sipspec_fsm_timers *t) { sipspec_fsm_timer_run_stop(&t->run); }
