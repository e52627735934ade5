/* cmd_charts.c: `sipspec charts [--json] [NAME...]`: the charts built into this sipspec, with
 * their states, transitions and timers, as the generator derived them from spec/. */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "sipspec/fsm.h"

static void usage(FILE *out) {
  fprintf(out, "usage: sipspec charts [--verbose] [NAME...]\n"
               "Lists the state charts built into this sipspec (from spec/*.rl): states, transitions,\n"
               "timers. --verbose also lists every transition with its RFC section.\n");
}

static void print_chart(const sipspec_chart *c, int verbose) {
  printf("%-12s %-40s %2d states %3d transitions %2d events %2d timers  hash %s\n", c->name, c->title,
         c->n_states, c->n_transitions, c->n_events, c->n_timers, c->hash);
  if (!verbose) return;
  printf("  %s (%s)\n  states:", c->rfc, c->source);
  for (int s = 0; s < c->n_states; s++)
    printf(" %s%s%s", c->states[s], s == c->start ? "(start)" : "", s == c->final_state ? "(final)" : "");
  printf("\n");
  for (int t = 0; t < c->n_timers; t++) printf("  timer %s  %s\n", c->timers[t].name, c->timers[t].rfc);
  for (int t = 0; t < c->n_transitions; t++) {
    const sipspec_chart_transition *tr = &c->transitions[t];
    printf("  %-14s --%-14s--> %-14s", c->states[tr->from], sipspec_event_name(tr->event), c->states[tr->to]);
    for (int a = 0; a < tr->n_actions; a++) printf(" %s", c->actions[tr->actions[a]].name);
    printf("   [%s]\n", tr->rfc);
  }
}

int sipspec_cmd_charts(int argc, char **argv) {
  int verbose = 0, named = 0, n;
  const sipspec_chart *const *charts = sipspec_charts(&n);
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
      usage(stdout);
      return 0;
    }
    if (!strcmp(argv[i], "--verbose") || !strcmp(argv[i], "-v")) {
      verbose = 1;
    } else if (argv[i][0] == '-') {
      fprintf(stderr, "sipspec charts: unknown option '%s'\n", argv[i]);
      usage(stderr);
      return 2;
    } else if (!sipspec_chart_find(argv[i])) {
      fprintf(stderr, "sipspec charts: no chart named '%s'\n", argv[i]);
      return 2;
    }
  }
  int states = 0, transitions = 0;
  for (int i = 1; i < argc; i++) {
    if (argv[i][0] == '-') continue;
    print_chart(sipspec_chart_find(argv[i]), verbose);
    named = 1;
  }
  if (named) return 0;
  for (int i = 0; i < n; i++) {
    print_chart(charts[i], verbose);
    states += charts[i]->n_states;
    transitions += charts[i]->n_transitions;
  }
  printf("%d charts, %d states, %d transitions\n", n, states, transitions);
  return 0;
}
