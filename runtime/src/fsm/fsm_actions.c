/* fsm_actions.c: see fsm_actions.h. */
#include "fsm_actions.h"

#include <string.h>

int sipspec_fsm_action_find(const sipspec_chart *c, int a, const void *table, size_t n, size_t stride,
                            int timers_ok) {
  if (!c || a < 0 || a >= c->n_actions || !c->actions[a].name) return -1;
  if (!timers_ok && c->actions[a].timer_op != SIPSPEC_TIMER_OP_NONE) return -1;
  const char *row = table;
  for (size_t i = 0; i < n; i++, row += stride) {
    const char *name;
    memcpy(&name, row, sizeof name); /* the row's first member */
    if (name && !strcmp(c->actions[a].name, name)) return (int)i;
  }
  return -1;
}

int sipspec_fsm_actions_check(const sipspec_chart *c, const void *table, size_t n, size_t stride, int timers_ok,
                              const char **missing) {
  if (missing) *missing = NULL;
  if (!c || c->n_actions < 0 || (c->n_actions && !c->actions)) return SIPSPEC_E_INVAL;
  for (int a = 0; a < c->n_actions; a++)
    if (sipspec_fsm_action_find(c, a, table, n, stride, timers_ok) < 0) {
      if (missing) *missing = c->actions[a].name ? c->actions[a].name : "(unnamed)";
      return SIPSPEC_E_CHART_ACTION;
    }
  return SIPSPEC_OK;
}
