/* replay_scenario.c: replays a model-checking counter-example against the generated C machines.
 *
 * A scenario (sipspec-model-scenario/1, written by gen/promelarun.py when SPIN finds a
 * violation; docs/modelcheck.md) names each role's chart and lists, in order, the transitions
 * each machine took in SPIN's trail:
 *
 *   chart ROLE PATH                      the role runs the chart PATH (its name is the file's)
 *   step ROLE FROM EVENT TO : ACTIONS    the role's machine, in FROM, takes EVENT to TO with ACTIONS
 *   stray ROLE EVENT new                 EVENT reached the role after its machine ended, and
 *                                        would start a new one (a retransmission taken for a
 *                                        new request)
 *   diverge ROLE FROM EVENT TO           the chart was fixed since: at that step the machine
 *                                        must go to TO instead, and the replay stops there
 *
 * Each role gets a sipspec_fsm of the generated chart; each step feeds the event and asserts
 * the state before, the state after and the actions delivered, in order. The charts are the
 * library's (sipspec_chart_find) and the test data charts of tests/model/ built for this
 * program (the INVITE transactions as RFC 3261 had them before RFC 6026). Exit status 0 when
 * the C machines take every step (and show the stray, and diverge where told), 1 otherwise.
 * With --expect-mismatch the other way round: 0 only when the replay stops at a step the C
 * machines do not take (the test that this replayer can fail).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sipspec/chart_ict_rfc3261.h"
#include "sipspec/chart_ist_rfc3261.h"
#include "sipspec/fsm.h"

#define MAX_ROLES 8
#define MAX_LINES 2048
#define MAX_WORDS 24

typedef struct role {
  char name[32];
  const sipspec_chart *chart;
  sipspec_fsm fsm;
  int n_acts;
  const char *acts[SIPSPEC_FSM_MAX_ACTIONS];
} role;

typedef struct diverge {
  char role[32], from[64], event[64], to[64];
  int used;
} diverge;

static role roles[MAX_ROLES];
static int n_roles;
static diverge divs[MAX_ROLES];
static int n_divs;

static const sipspec_chart *chart_named(const char *name) {
  static const sipspec_chart *const test_charts[] = {&sipspec_chart_ict_rfc3261, &sipspec_chart_ist_rfc3261};
  for (size_t i = 0; i < sizeof test_charts / sizeof test_charts[0]; i++)
    if (!strcmp(test_charts[i]->name, name)) return test_charts[i];
  return sipspec_chart_find(name);
}

static role *role_named(const char *name) {
  for (int i = 0; i < n_roles; i++)
    if (!strcmp(roles[i].name, name)) return &roles[i];
  return NULL;
}

static void on_action(void *ctx, const sipspec_chart *chart, int action) {
  role *r = ctx;
  if (r->n_acts < SIPSPEC_FSM_MAX_ACTIONS) r->acts[r->n_acts++] = chart->actions[action].name;
}

/* Splits line into words (in place); returns their count. */
static int split(char *line, char **w) {
  int n = 0;
  for (char *tok = strtok(line, " \t\r\n"); tok && n < MAX_WORDS; tok = strtok(NULL, " \t\r\n")) w[n++] = tok;
  return n;
}

/* "spec/ict.rl" -> "ict" */
static void chart_of_path(const char *path, char *out, size_t cap) {
  const char *base = strrchr(path, '/');
  base = base ? base + 1 : path;
  snprintf(out, cap, "%s", base);
  char *dot = strstr(out, ".rl");
  if (dot) *dot = '\0';
}

static int fail(const char *file, int lineno, const char *what) {
  fprintf(stderr, "%s:%d: %s\n", file, lineno, what);
  return 1;
}

/* One step: returns 0 when the machine took it, 2 when it diverged as the scenario says
 * (replay ends there), 1 on a mismatch. */
static int step(const char *file, int lineno, char **w, int n) {
  char msg[512];
  role *r = role_named(w[1]);
  if (!r || n < 5) return fail(file, lineno, "a step names a role no chart line gave");
  const char *from = w[2], *event = w[3], *to = w[4];
  if (strcmp(sipspec_fsm_state_name(&r->fsm), from)) {
    snprintf(msg, sizeof msg, "%s (%s) is in %s, the step says %s", r->name, r->chart->name,
             sipspec_fsm_state_name(&r->fsm), from);
    return fail(file, lineno, msg);
  }
  int ev = sipspec_event_by_name(event);
  if (ev < 0) return fail(file, lineno, "the step's event is not in spec/events.def");
  r->n_acts = 0;
  int rc = sipspec_fsm_feed(&r->fsm, ev);
  const char *now = sipspec_fsm_state_name(&r->fsm);
  for (int i = 0; i < n_divs; i++) {
    diverge *d = &divs[i];
    if (d->used || strcmp(d->role, r->name) || strcmp(d->from, from) || strcmp(d->event, event)) continue;
    d->used = 1;
    if (rc == SIPSPEC_OK && !strcmp(now, d->to) && strcmp(now, to)) {
      printf("diverges as the scenario says: %s (%s) %s --%s--> %s, where the trail went to %s: the flaw is gone\n",
             r->name, r->chart->name, from, event, now, to);
      return 2;
    }
    snprintf(msg, sizeof msg, "%s (%s) %s --%s--> %s (%s): expected to diverge to %s", r->name, r->chart->name, from,
             event, now, sipspec_errname(rc), d->to);
    return fail(file, lineno, msg);
  }
  if (rc != SIPSPEC_OK || strcmp(now, to)) {
    snprintf(msg, sizeof msg, "%s (%s) %s --%s--> %s expected; the machine answered %s and is in %s", r->name,
             r->chart->name, from, event, to, sipspec_errname(rc), now);
    return fail(file, lineno, msg);
  }
  int want = n > 5 && !strcmp(w[5], ":") ? n - 6 : 0;
  int same = want == r->n_acts;
  for (int i = 0; same && i < want; i++) same = !strcmp(w[6 + i], r->acts[i]);
  if (!same) {
    int k = snprintf(msg, sizeof msg, "%s (%s) %s --%s--> %s delivered the actions", r->name, r->chart->name, from,
                     event, to);
    for (int i = 0; i < r->n_acts && k > 0 && (size_t)k < sizeof msg; i++)
      k += snprintf(msg + k, sizeof msg - (size_t)k, " %s", r->acts[i]);
    return fail(file, lineno, msg);
  }
  printf("ok %-7s %-12s %s --%s--> %s\n", r->name, r->chart->name, from, event, to);
  return 0;
}

/* stray ROLE EVENT new: the role's machine has ended and cannot take EVENT; a new machine of
 * its chart takes it as the first event of a new transaction. */
static int stray(const char *file, int lineno, char **w, int n) {
  char msg[512];
  role *r = n >= 4 ? role_named(w[1]) : NULL;
  int ev = n >= 4 ? sipspec_event_by_name(w[2]) : -1;
  if (!r || ev < 0) return fail(file, lineno, "a stray line names no role or no event");
  int rc = sipspec_fsm_feed(&r->fsm, ev);
  if (rc != SIPSPEC_E_FSM_TERMINATED) {
    snprintf(msg, sizeof msg, "%s (%s) in %s took %s (%s): it has not ended", r->name, r->chart->name,
             sipspec_fsm_state_name(&r->fsm), w[2], sipspec_errname(rc));
    return fail(file, lineno, msg);
  }
  sipspec_fsm fresh;
  role scratch = *r;
  scratch.n_acts = 0;
  sipspec_fsm_init(&fresh, r->chart, on_action, &scratch);
  const char *from = sipspec_fsm_state_name(&fresh);
  rc = sipspec_fsm_feed(&fresh, ev);
  if (rc != SIPSPEC_OK) {
    snprintf(msg, sizeof msg, "a new %s machine refuses %s (%s)", r->chart->name, w[2], sipspec_errname(rc));
    return fail(file, lineno, msg);
  }
  printf("stray %s: %s (%s) has ended (%s); a new %s machine takes it: %s --%s--> %s:", w[2], r->name, r->chart->name,
         sipspec_errname(SIPSPEC_E_FSM_TERMINATED), r->chart->name, from, w[2], sipspec_fsm_state_name(&fresh));
  for (int i = 0; i < scratch.n_acts; i++) printf(" %s", scratch.acts[i]);
  printf(" (a retransmission taken for a new request)\n");
  return 0;
}

static int replay(const char *file);

int main(int argc, char **argv) {
  int expect_mismatch = argc == 3 && !strcmp(argv[1], "--expect-mismatch");
  if (argc != 2 && !expect_mismatch) {
    fprintf(stderr, "usage: %s [--expect-mismatch] SCENARIO\n", argv[0]);
    return 2;
  }
  int rc = replay(argv[argc - 1]);
  if (!expect_mismatch) return rc;
  printf(rc == 1 ? "the replay stopped at the mismatch, as expected\n" : "expected a mismatch, but the replay passed\n");
  return rc == 1 ? 0 : 1;
}

static int replay(const char *file) {
  char *argv[2] = {NULL, (char *)file};
  FILE *f = fopen(argv[1], "r");
  if (!f) {
    perror(argv[1]);
    return 1;
  }
  static char lines[MAX_LINES][512];
  int n_lines = 0;
  while (n_lines < MAX_LINES && fgets(lines[n_lines], sizeof lines[0], f)) n_lines++;
  int too_long = !feof(f);
  fclose(f);
  if (too_long) return fail(argv[1], MAX_LINES, "the scenario has more lines than this replayer reads");
  /* First the charts and the divergences, wherever they are. */
  for (int i = 0; i < n_lines; i++) {
    char buf[512], *w[MAX_WORDS];
    snprintf(buf, sizeof buf, "%s", lines[i]);
    int n = split(buf, w);
    if (n == 3 && !strcmp(w[0], "chart") && n_roles < MAX_ROLES) {
      role *r = &roles[n_roles];
      char name[64];
      chart_of_path(w[2], name, sizeof name);
      snprintf(r->name, sizeof r->name, "%s", w[1]);
      r->chart = chart_named(name);
      if (!r->chart) {
        char msg[128];
        snprintf(msg, sizeof msg, "no generated machine for chart '%s'", name);
        return fail(argv[1], i + 1, msg);
      }
      sipspec_fsm_init(&r->fsm, r->chart, on_action, r);
      n_roles++;
    } else if (n == 5 && !strcmp(w[0], "diverge") && n_divs < MAX_ROLES) {
      diverge *d = &divs[n_divs++];
      snprintf(d->role, sizeof d->role, "%s", w[1]);
      snprintf(d->from, sizeof d->from, "%s", w[2]);
      snprintf(d->event, sizeof d->event, "%s", w[3]);
      snprintf(d->to, sizeof d->to, "%s", w[4]);
    }
  }
  if (!n_roles) return fail(argv[1], 1, "no chart line");
  int steps = 0, strays = 0;
  for (int i = 0; i < n_lines; i++) {
    char *w[MAX_WORDS];
    int n = split(lines[i], w);
    if (!n) continue;
    if (!strcmp(w[0], "step")) {
      int rc = step(argv[1], i + 1, w, n);
      if (rc == 1) return 1;
      if (rc == 2) {
        printf("replay: %d steps taken by the generated C machines, then the divergence the scenario expects\n", steps);
        return 0;
      }
      steps++;
    } else if (!strcmp(w[0], "stray")) {
      if (stray(argv[1], i + 1, w, n)) return 1;
      strays++;
    }
  }
  for (int i = 0; i < n_divs; i++)
    if (!divs[i].used) return fail(argv[1], n_lines, "the scenario expects a divergence the replay never reached");
  printf("replay: %d steps taken by the generated C machines, as in the trail; final states", steps);
  for (int i = 0; i < n_roles; i++) printf(" %s=%s", roles[i].name, sipspec_fsm_state_name(&roles[i].fsm));
  printf("%s\n", strays ? "; the stray shows the flaw" : "");
  return 0;
}
