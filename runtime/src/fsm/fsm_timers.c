/* fsm_timers.c: chart timers as due times; see fsm_timers.h. */
#include "fsm_timers.h"

int sipspec_fsm_timers_init(sipspec_fsm_timers *t, const sipspec_chart *chart, const sipspec_timer_values *values,
                            int reliable) {
  if (chart->n_timers > SIPSPEC_FSM_MAX_TIMERS) return SIPSPEC_E_INVAL;
  if (!values->t1_ms || !values->t2_ms || !values->t4_ms || values->t2_ms < values->t1_ms) return SIPSPEC_E_INVAL;
  t->chart = chart;
  t->values = *values;
  t->reliable = reliable ? 1 : 0;
  t->active = 0;
  t->fired = 0;
  t->off = 0;
  for (int i = 0; i < SIPSPEC_FSM_MAX_TIMERS; i++) t->interval[i] = 0, t->due[i] = 0, t->set_ms[i] = 0, t->limit[i] = 0, t->count[i] = 0;
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

int sipspec_fsm_timers_set(sipspec_fsm_timers *t, int event, uint32_t ms) {
  for (int i = 0; i < t->chart->n_timers; i++)
    if (t->chart->timers[i].event == event) {
      t->set_ms[i] = ms;
      return SIPSPEC_OK;
    }
  return SIPSPEC_E_INVAL;
}

int sipspec_fsm_timers_set_limit(sipspec_fsm_timers *t, int event, uint32_t n) {
  for (int i = 0; i < t->chart->n_timers; i++)
    if (t->chart->timers[i].event == event) {
      if (!t->chart->timers[i].limit_event) return SIPSPEC_E_INVAL;
      t->limit[i] = n;
      return SIPSPEC_OK;
    }
  return SIPSPEC_E_INVAL;
}

int sipspec_fsm_timers_off(sipspec_fsm_timers *t, int event, int off) {
  for (int i = 0; i < t->chart->n_timers; i++)
    if (t->chart->timers[i].event == event) {
      if (off) t->off |= 1u << i;
      else t->off &= ~(1u << i);
      return SIPSPEC_OK;
    }
  return SIPSPEC_E_INVAL;
}

int sipspec_fsm_timers_running(const sipspec_fsm_timers *t, int event) {
  for (int i = 0; i < t->chart->n_timers; i++)
    if (t->chart->timers[i].event == event) return (t->active >> i) & 1u;
  return 0;
}

static void arm(sipspec_fsm_timers *t, int i, uint64_t interval, uint64_t now) {
  if (interval > UINT32_MAX) interval = UINT32_MAX;
  t->interval[i] = (uint32_t)interval;
  t->due[i] = now + interval;
  t->active |= 1u << i;
  t->fired &= ~(1u << i);
}

int sipspec_fsm_timers_apply(sipspec_fsm_timers *t, int action, uint64_t now_ms) {
  if (action < 0 || action >= t->chart->n_actions) return 0;
  const sipspec_chart_action *a = &t->chart->actions[action];
  if (a->timer_op == SIPSPEC_TIMER_OP_NONE || a->timer < 0) return 0;
  int i = a->timer;
  const sipspec_chart_timer *tm = &t->chart->timers[i];
  int64_t initial = sipspec_fsm_timer_initial(tm, &t->values, t->reliable);
  if (t->off & (1u << i)) initial = -1;
  else if (t->set_ms[i] && (initial > 0 || (initial == 0 && tm->base == SIPSPEC_TIMER_BASE_MS &&
                                            !(t->reliable && tm->reliable == SIPSPEC_TIMER_RELIABLE_ZERO))))
    initial = t->set_ms[i];
  switch (a->timer_op) {
  case SIPSPEC_TIMER_OP_STOP:
    t->active &= ~(1u << i);
    t->fired &= ~(1u << i);
    break;
  case SIPSPEC_TIMER_OP_START:
    t->count[i] = 0;
    if (initial >= 0) arm(t, i, (uint64_t)initial, now_ms);
    break;
  case SIPSPEC_TIMER_OP_START_T2:
    t->count[i] = 0;
    if (initial >= 0) arm(t, i, t->values.t2_ms, now_ms);
    break;
  case SIPSPEC_TIMER_OP_RESTART: {
    if (initial < 0) break;
    uint64_t next = t->interval[i] ? t->interval[i] : (uint64_t)initial;
    if (tm->doubling && t->interval[i]) next *= 2;
    if (tm->cap_t2 && next > t->values.t2_ms) next = t->values.t2_ms;
    /* A timer restarted because it just fired counts from when it was due, not from when
     * the loop got round to it: the schedule (T1, 3T1, 7T1, ... for Timer A) stays exact
     * however late each callback runs, instead of drifting by the sum of the delays. */
    uint64_t base = now_ms;
    if ((t->fired & (1u << i)) && t->due[i] <= now_ms) base = t->due[i];
    arm(t, i, next, base);
    break;
  }
  default:
    return 0;
  }
  return 1;
}

static int earliest(const sipspec_fsm_timers *t) {
  int best = -1;
  for (int i = 0; i < t->chart->n_timers; i++)
    if ((t->active & (1u << i)) && (best < 0 || t->due[i] < t->due[best])) best = i;
  return best;
}

int sipspec_fsm_timers_next(const sipspec_fsm_timers *t, uint64_t *due_ms) {
  int i = earliest(t);
  if (i < 0) return -1;
  if (due_ms) *due_ms = t->due[i];
  return t->chart->timers[i].event;
}

int sipspec_fsm_timers_expire(sipspec_fsm_timers *t, uint64_t now_ms) {
  int i = earliest(t);
  if (i < 0 || t->due[i] > now_ms) return -1;
  t->active &= ~(1u << i);
  t->fired |= 1u << i;
  const sipspec_chart_timer *tm = &t->chart->timers[i];
  if (t->count[i] < UINT32_MAX) t->count[i]++;
  /* `limit=set`: past the owner's limit the chart hears the limit event instead */
  if (tm->limit_event && t->limit[i] && t->count[i] > t->limit[i]) return tm->limit_event;
  return tm->event;
}

void sipspec_fsm_timers_stop_all(sipspec_fsm_timers *t) { t->active = 0, t->fired = 0; }
