/* fsm.c: runs a generated chart. Ragel's exec decides every transition; this file only
 * commits the new state, applies the chart's refusal policy to undefined events, and delivers
 * the transition's actions after the state is committed (so callbacks see the new state). */
#include "fsm/fsm_machine.h"

void sipspec_fsm_init(sipspec_fsm *m, const sipspec_chart *chart, sipspec_fsm_action_cb on_action, void *ctx) {
  m->chart = chart;
  m->on_action = on_action;
  m->ctx = ctx;
  m->cs = chart->machine->ragel_start;
  m->state = chart->start;
  m->last_transition = -1;
  m->busy = 0;
}

int sipspec_fsm_exec(const sipspec_chart *c, int *cs, int *state, int event, sipspec_fsm_step *step) {
  if (event < 0 || event >= SIPSPEC_EV__COUNT || c->event_index[event] < 0) return SIPSPEC_E_FSM_BAD_EVENT;
  if (*state == c->final_state) return SIPSPEC_E_FSM_TERMINATED;
  step->transition = -1;
  step->n_actions = 0;
  int next = c->machine->exec(*cs, event, step);
  if (next == c->machine->ragel_error || step->transition < 0) {
    /* Ragel has no transition here: the chart's policy says how to refuse; state unchanged. */
    unsigned char u = c->undefined[*state * c->n_events + c->event_index[event]];
    return u == SIPSPEC_UNDEF_IGNORE ? SIPSPEC_E_FSM_IGNORED : SIPSPEC_E_FSM_REFUSED;
  }
  *cs = next;
  *state = c->machine->ragel_state_names[next];
  return SIPSPEC_OK;
}

int sipspec_fsm_feed(sipspec_fsm *m, int event) {
  const sipspec_chart *c = m->chart;
  if (m->busy) return SIPSPEC_E_STATE;
  sipspec_fsm_step step;
  int rc = sipspec_fsm_exec(c, &m->cs, &m->state, event, &step);
  if (rc) return rc;
  m->last_transition = step.transition;
  if (m->on_action) {
    m->busy = 1;
    for (int i = 0; i < step.n_actions; i++) m->on_action(m->ctx, c, step.actions[i]);
    m->busy = 0;
  }
  return SIPSPEC_OK;
}

int sipspec_fsm_state(const sipspec_fsm *m) { return m->state; }

const char *sipspec_fsm_state_name(const sipspec_fsm *m) { return m->chart->states[m->state]; }

int sipspec_fsm_terminated(const sipspec_fsm *m) { return m->state == m->chart->final_state; }

int sipspec_fsm_last_transition(const sipspec_fsm *m) { return m->last_transition; }

int sipspec_fsm_busy(const sipspec_fsm *m) { return m->busy; }
