/* sipspec/fsm.h: the uniform interface of every generated state machine.
 *
 * Each chart in spec/ becomes, at build time, a `const sipspec_chart` descriptor (its named
 * states, transitions, actions, timers and refusal policy, see sipspec/chart_<name>.h) and a
 * Ragel-generated exec function behind it. A running machine is a `sipspec_fsm` that the
 * caller allocates (usually embedded by value in a transaction or dialog object; no
 * allocation happens here). Feeding one event runs Ragel's machine for that event; the
 * actions of the transition taken are then delivered, in chart order, to `on_action`, after
 * the new state is committed, so a callback always sees the state the chart says it is in.
 *
 * Events the chart does not define in the current state are refused as the chart specifies
 * (`#@ undefined` lines): SIPSPEC_E_FSM_IGNORED or SIPSPEC_E_FSM_REFUSED, and the state does
 * not change. Every transition taken increments a per-process counter (one array increment);
 * sipspec/coverage.h writes them to coverage files; the tools merge and report them
 * (docs/coverage.md).
 */
#ifndef SIPSPEC_FSM_H
#define SIPSPEC_FSM_H

#include <stdint.h>
#include <stdio.h>

#include "sipspec/coverage.h"
#include "sipspec/error.h"
#include "sipspec/events.h"

#ifdef __cplusplus
extern "C" {
#endif
#pragma GCC visibility push(default) /* what this header declares is the library's API */

/* Most actions one transition may carry (the generator enforces it). */
#define SIPSPEC_FSM_MAX_ACTIONS 12

/* What an undefined (state, event) pair does, as the chart specifies. */
enum sipspec_undefined { SIPSPEC_UNDEF_DEFINED = 0, SIPSPEC_UNDEF_ERROR = 1, SIPSPEC_UNDEF_IGNORE = 2 };

/* Timer actions are recognised by name (start_timer_X, restart_timer_X, stop_timer_X,
 * start_timer_X_T2) so a generic timer layer can run any chart's timers. */
enum sipspec_timer_op {
  SIPSPEC_TIMER_OP_NONE = 0,
  SIPSPEC_TIMER_OP_START,    /* start at the timer's initial value */
  SIPSPEC_TIMER_OP_RESTART,  /* start again at the next back-off interval (doubling, capped) */
  SIPSPEC_TIMER_OP_STOP,
  SIPSPEC_TIMER_OP_START_T2  /* start at T2 (RFC 3261 17.1.2.2, Proceeding) */
};

/* A timer's initial value is base * mult (+ ms when base is MS). */
enum sipspec_timer_base { SIPSPEC_TIMER_BASE_MS = 0, SIPSPEC_TIMER_BASE_T1, SIPSPEC_TIMER_BASE_T2, SIPSPEC_TIMER_BASE_T4 };
/* Over reliable transports (TCP, TLS) some timers are not used and some are zero (17.1.1.2). */
enum sipspec_timer_reliable { SIPSPEC_TIMER_RELIABLE_SAME = 0, SIPSPEC_TIMER_RELIABLE_OFF, SIPSPEC_TIMER_RELIABLE_ZERO };

typedef struct sipspec_chart_timer {
  const char *name;           /* "A" */
  int event;                  /* the event it fires, e.g. SIPSPEC_EV_TIMER_A */
  unsigned char base;         /* enum sipspec_timer_base */
  unsigned char doubling;     /* RESTART doubles the interval */
  unsigned char cap_t2;       /* ... but never beyond T2 */
  unsigned char reliable;     /* enum sipspec_timer_reliable */
  uint32_t mult;              /* multiplier of base (1 for T1, 64 for 64*T1) */
  uint32_t ms;                /* value in ms when base is MS */
  const char *rfc;            /* where the RFC defines it */
  int limit_event;            /* `limit=set`: the event fired instead of `event` once the owner's
                               * limit of firings is passed (SIPSPEC_EV_TIMER_A_LIMIT); else 0 */
} sipspec_chart_timer;

typedef struct sipspec_chart_action {
  const char *name;           /* "send_request" */
  unsigned char timer_op;     /* enum sipspec_timer_op */
  signed char timer;          /* index in the chart's timers, or -1 */
} sipspec_chart_action;

typedef struct sipspec_chart_transition {
  const char *name;           /* "<State>__<EVENT>", e.g. "Calling__TIMER_A" */
  int from, event, to;        /* named state ids; event is a global sipspec event id */
  int n_actions;
  const unsigned short *actions; /* indexes into the chart's actions, in order */
  const char *rfc;            /* "RFC 3261 §17.1.1.2" as written in the chart */
  int line;                   /* line in the chart source */
} sipspec_chart_transition;

/* The compiled machine behind a chart (Ragel's tables and exec step): private to the library
 * (runtime/src/fsm/fsm_machine.h). */
struct sipspec_chart_machine;

typedef struct sipspec_chart {
  const char *name;           /* "ict" */
  const char *title;          /* "INVITE client transaction" */
  const char *rfc;            /* the RFC sections the chart implements */
  const char *source;         /* "spec/ict.rl" */
  const char *hash;           /* hash of the chart's definition (states, events, transitions, actions) */
  int n_states;
  const char *const *states;  /* state names, by named state id */
  int start, final_state;
  const unsigned char *waits; /* per state: declared to wait for the application (#@ waits) */
  int n_events;               /* the chart's alphabet */
  const int *events;          /* global event id of each local event index */
  const signed char *event_index; /* global event id -> local index or -1 (SIPSPEC_EV__COUNT entries) */
  int n_transitions;
  const sipspec_chart_transition *transitions;
  int n_actions;
  const sipspec_chart_action *actions;
  int n_timers;
  const sipspec_chart_timer *timers;
  const unsigned char *undefined; /* [n_states * n_events]: enum sipspec_undefined */
  uint64_t *counts;           /* [n_transitions] transitions taken, per process */
  const struct sipspec_chart_machine *machine; /* private: the compiled machine */
} sipspec_chart;

/* A running machine. Fields are private; read them through the functions below. */
typedef void (*sipspec_fsm_action_cb)(void *ctx, const sipspec_chart *chart, int action);
typedef struct sipspec_fsm {
  const sipspec_chart *chart;     /* private */
  sipspec_fsm_action_cb on_action;/* private */
  void *ctx;                      /* private */
  int cs;                         /* private: the compiled machine's state */
  int state;                      /* private: named state */
  int last_transition;            /* private */
  int busy;                       /* private: inside on_action */
} sipspec_fsm;

/* Create or reset: the machine enters the chart's start state. on_action may be NULL. */
void sipspec_fsm_init(sipspec_fsm *m, const sipspec_chart *chart, sipspec_fsm_action_cb on_action, void *ctx);

/* Feed one event. Returns SIPSPEC_OK when a transition was taken (its actions were delivered),
 * SIPSPEC_E_FSM_IGNORED / SIPSPEC_E_FSM_REFUSED when the chart does not define the event in
 * this state (state unchanged), SIPSPEC_E_FSM_TERMINATED in a final state,
 * SIPSPEC_E_FSM_BAD_EVENT for an event outside the chart's alphabet, SIPSPEC_E_STATE when
 * called from inside this machine's own on_action (queue the event instead). */
int sipspec_fsm_feed(sipspec_fsm *m, int event);

int sipspec_fsm_state(const sipspec_fsm *m);
const char *sipspec_fsm_state_name(const sipspec_fsm *m);
int sipspec_fsm_terminated(const sipspec_fsm *m);
/* 1 while the machine delivers a transition's actions (a feed now would return SIPSPEC_E_STATE). */
int sipspec_fsm_busy(const sipspec_fsm *m);
/* The transition the last successful feed took, or -1. */
int sipspec_fsm_last_transition(const sipspec_fsm *m);

/* Every chart built into the library (generated registry). */
const sipspec_chart *const *sipspec_charts(int *count);
const sipspec_chart *sipspec_chart_find(const char *name);

#pragma GCC visibility pop
#ifdef __cplusplus
}
#endif
#endif
