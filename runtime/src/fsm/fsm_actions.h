/* fsm_actions.h: a module's implementations of a chart's actions, found by the action's name.
 *
 * Why: the charts are the single source of truth for what a machine does; a module that
 * runs a chart implements each action the chart names, and a chart that gains an action
 * must fail loudly when the module starts, not silently skip it. The dialog and session
 * layers keep one table each ({"send_ack", fn}, ...); these two functions are the lookup
 * and the completeness check over such a table.
 *
 * A table is an array of n structs of `stride` bytes whose first member is the action's
 * name (`const char *name`); the rest (the function pointer) is the module's business.
 */
#ifndef SIPSPEC_FSM_ACTIONS_H
#define SIPSPEC_FSM_ACTIONS_H

#include <stddef.h>

#include "sipspec/fsm.h"

/* Index in table of the implementation of chart action a, or -1 when there is none (also
 * for a bad index, a nameless action, or a timer action when timers_ok is 0: a module that
 * runs no timers of its own must not claim one). */
int sipspec_fsm_action_find(const sipspec_chart *c, int a, const void *table, size_t n, size_t stride,
                            int timers_ok);

/* SIPSPEC_OK when every action of chart c has an implementation in table; otherwise
 * SIPSPEC_E_CHART_ACTION with *missing (may be NULL) naming the first action that has none
 * ("(unnamed)" for a nameless one). SIPSPEC_E_INVAL for a malformed chart. */
int sipspec_fsm_actions_check(const sipspec_chart *c, const void *table, size_t n, size_t stride, int timers_ok,
                              const char **missing);

#endif
