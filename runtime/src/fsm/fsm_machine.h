/* fsm/fsm_machine.h: the compiled machine behind a chart descriptor, private to the library.
 * The generated machine (gen/chartgen.py: Ragel's output) fills one; fsm.c runs it. Nothing
 * of Ragel is in the public headers. */
#ifndef SIPSPEC_FSM_MACHINE_H
#define SIPSPEC_FSM_MACHINE_H

#include "sipspec/fsm.h"

/* What one exec step took: the transition (or -1) and its chart actions, in order. */
typedef struct sipspec_fsm_step {
  int transition;
  int n_actions;
  unsigned short actions[SIPSPEC_FSM_MAX_ACTIONS];
} sipspec_fsm_step;

struct sipspec_chart_machine {
  int ragel_start, ragel_error, ragel_n_states;
  const signed char *ragel_state_names; /* Ragel's state -> named state */
  int (*exec)(int cs, int event, sipspec_fsm_step *step);
};

/* The step under sipspec_fsm_feed(), for an owner that keeps the machine's state itself
 * (a transaction keeps it in 3 bytes): feeds event to the machine at (*cs, *state); on a
 * transition commits the new state there and returns SIPSPEC_OK with the transition and its
 * actions in *step, for the caller to deliver in order. Errors as sipspec_fsm_feed()'s but
 * SIPSPEC_E_STATE (the caller does not re-enter). */
int sipspec_fsm_exec(const sipspec_chart *c, int *cs, int *state, int event, sipspec_fsm_step *step);

#endif
