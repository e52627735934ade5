/* coverage_report.c: the text and JSON coverage reports over the charts built into the library.
 *
 * The report is always about the built charts: a chart no file mentions shows 0%, and counts a
 * file recorded with another hash of a chart (the chart has changed since) are listed apart,
 * as stale, with the documents that recorded them; they are never added to the figures, since
 * a transition name may now mean another edge. A chart is below the threshold when the share
 * of its transitions taken is below it (states follow from transitions, so one figure rules). */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "coverage_report.h"

static int is_below(const sipspec_coverage_stats *st, double fail_under) {
  return fail_under >= 0 && st->transitions_pct < fail_under;
}

/* Every origin of the set, each once, in merge order, as a JSON array or a text list. */
static void origins(const sipspec_coverage *cov, FILE *out, int json) {
  int first = 1;
  for (int i = 0; i < cov->n; i++)
    for (int o = 0; o < cov->entries[i].n_origins; o++) {
      const char *name = cov->entries[i].origins[o];
      if (!sipspec_cov_origin_first(cov, i, o)) continue;
      fputs(first ? "" : json ? "," : ", ", out);
      if (json) sipspec_json_write_string(out, name);
      else fputs(name, out);
      first = 0;
    }
}

static uint64_t entry_total(const sipspec_cov_entry *e, int *taken) {
  uint64_t sum = 0;
  *taken = 0;
  for (int t = 0; t < e->n_transitions; t++) {
    sum += e->transitions[t].count;
    *taken += e->transitions[t].count > 0;
  }
  return sum;
}

static void text_origins(FILE *out, const sipspec_cov_entry *e) {
  for (int o = 0; o < e->n_origins; o++) fprintf(out, "%s%s", o ? ", " : "", e->origins[o]);
}

int sipspec_coverage_report_text(const sipspec_coverage *cov, double fail_under, FILE *out, int *below) {
  int n, n_below = 0, tt = 0, tn = 0, st_v = 0, st_n = 0;
  const sipspec_chart *const *charts = sipspec_charts(&n);
  fprintf(out, "sipspec coverage of %d charts, from: ", n);
  origins(cov, out, 0);
  fputc('\n', out);
  for (int i = 0; i < n; i++) {
    const sipspec_chart *c = charts[i];
    const sipspec_cov_entry *cur = sipspec_cov_find(cov, c->name, c->hash);
    sipspec_coverage_stats st;
    sipspec_coverage_chart_stats(cov, c->name, &st);
    int low = is_below(&st, fail_under);
    n_below += low;
    tt += st.transitions_taken, tn += st.transitions, st_v += st.states_visited, st_n += st.states;
    fprintf(out, "\nchart %s: %s (%s)%s\n", c->name, c->title, c->rfc, low ? "  ** BELOW THRESHOLD **" : "");
    fprintf(out, "  transitions %d/%d taken (%.1f%%), states %d/%d visited (%.1f%%), %" PRIu64 " transitions taken "
            "in all\n", st.transitions_taken, st.transitions, st.transitions_pct, st.states_visited, st.states,
            st.states_pct, st.total_count);
    if (!cur) fprintf(out, "  no file recorded this chart with its current hash %s\n", c->hash);
    if (st.transitions_taken < st.transitions) fprintf(out, "  never taken:\n");
    for (int t = 0; t < c->n_transitions; t++) {
      if (sipspec_cov_count(cur, c, t)) continue;
      const sipspec_chart_transition *tr = &c->transitions[t];
      fprintf(out, "    %-28s %s --%s--> %s   [%s]\n", tr->name, c->states[tr->from], sipspec_event_name(tr->event),
              c->states[tr->to], tr->rfc);
    }
    for (int e = 0; e < cov->n; e++) {
      const sipspec_cov_entry *s = &cov->entries[e];
      if (strcmp(s->chart, c->name) || !strcmp(s->hash, c->hash)) continue;
      int taken;
      uint64_t sum = entry_total(s, &taken);
      fprintf(out, "  STALE: chart '%s' has changed since ", c->name);
      text_origins(out, s);
      fprintf(out, " recorded it (hash %s there, %s built): %" PRIu64 " counts on %d of its %d transitions are not "
              "merged\n", s->hash, c->hash, sum, taken, s->n_transitions);
    }
  }
  fprintf(out, "\ntotal: %d/%d transitions taken (%.1f%%), %d/%d states visited (%.1f%%)\n", tt, tn,
          tn ? 100.0 * tt / tn : 100.0, st_v, st_n, st_n ? 100.0 * st_v / st_n : 100.0);
  if (fail_under >= 0)
    fprintf(out, "%d chart%s below %.1f%% of transitions taken\n", n_below, n_below == 1 ? "" : "s", fail_under);
  if (below) *below = n_below;
  return ferror(out) ? SIPSPEC_E_IO : SIPSPEC_OK;
}

static void json_transition(FILE *out, const sipspec_chart *c, int t, uint64_t count) {
  const sipspec_chart_transition *tr = &c->transitions[t];
  fputs("{\"name\":", out);
  sipspec_json_write_string(out, tr->name);
  fputs(",\"from\":", out);
  sipspec_json_write_string(out, c->states[tr->from]);
  fputs(",\"event\":", out);
  sipspec_json_write_string(out, sipspec_event_name(tr->event));
  fputs(",\"to\":", out);
  sipspec_json_write_string(out, c->states[tr->to]);
  fputs(",\"rfc\":", out);
  sipspec_json_write_string(out, tr->rfc);
  fprintf(out, ",\"count\":%" PRIu64 "}", count);
}

static void json_stale(FILE *out, const sipspec_coverage *cov, const sipspec_chart *c) {
  int first = 1;
  fputs(",\"stale\":[", out);
  for (int e = 0; e < cov->n; e++) {
    const sipspec_cov_entry *s = &cov->entries[e];
    if (strcmp(s->chart, c->name) || !strcmp(s->hash, c->hash)) continue;
    int taken;
    uint64_t sum = entry_total(s, &taken);
    fprintf(out, "%s\n   {\"hash\":", first ? "" : ",");
    sipspec_json_write_string(out, s->hash);
    fputs(",\"origins\":[", out);
    for (int o = 0; o < s->n_origins; o++) {
      if (o) fputc(',', out);
      sipspec_json_write_string(out, s->origins[o]);
    }
    fprintf(out, "],\"count\":%" PRIu64 ",\"transitions_taken\":%d,\"counts\":[", sum, taken);
    for (int t = 0; t < s->n_transitions; t++) {
      fprintf(out, "%s{\"name\":", t ? "," : "");
      sipspec_json_write_string(out, s->transitions[t].name);
      fprintf(out, ",\"count\":%" PRIu64 "}", s->transitions[t].count);
    }
    fputs("]}", out);
    first = 0;
  }
  fputs("]", out);
}

int sipspec_coverage_report_json(const sipspec_coverage *cov, double fail_under, FILE *out, int *below) {
  int n, n_below = 0, tt = 0, tn = 0, sv = 0, sn = 0;
  const sipspec_chart *const *charts = sipspec_charts(&n);
  fputs("{\"format\":\"sipspec-coverage-report/1\",\"origins\":[", out);
  origins(cov, out, 1);
  fputs("],\"fail_under\":", out);
  if (fail_under >= 0) fprintf(out, "%.2f", fail_under);
  else fputs("null", out);
  fputs(",\"charts\":[", out);
  for (int i = 0; i < n; i++) {
    const sipspec_chart *c = charts[i];
    const sipspec_cov_entry *cur = sipspec_cov_find(cov, c->name, c->hash);
    sipspec_coverage_stats st;
    sipspec_coverage_chart_stats(cov, c->name, &st);
    int low = is_below(&st, fail_under);
    n_below += low;
    tt += st.transitions_taken, tn += st.transitions, sv += st.states_visited, sn += st.states;
    fprintf(out, "%s\n {\"chart\":", i ? "," : "");
    sipspec_json_write_string(out, c->name);
    fputs(",\"title\":", out);
    sipspec_json_write_string(out, c->title);
    fputs(",\"rfc\":", out);
    sipspec_json_write_string(out, c->rfc);
    fputs(",\"hash\":", out);
    sipspec_json_write_string(out, c->hash);
    fprintf(out, ",\"recorded\":%s,\"transitions\":{\"taken\":%d,\"total\":%d,\"percent\":%.2f}"
            ",\"states\":{\"visited\":%d,\"total\":%d,\"percent\":%.2f},\"count\":%" PRIu64 ",\"below\":%s"
            ",\"never_taken\":[", cur ? "true" : "false", st.transitions_taken, st.transitions, st.transitions_pct,
            st.states_visited, st.states, st.states_pct, st.total_count, low ? "true" : "false");
    int first = 1;
    for (int t = 0; t < c->n_transitions; t++) {
      if (sipspec_cov_count(cur, c, t)) continue;
      fputs(first ? "" : ",", out);
      sipspec_json_write_string(out, c->transitions[t].name);
      first = 0;
    }
    fputs("],\"counts\":[", out);
    for (int t = 0; t < c->n_transitions; t++) {
      fputs(t ? ",\n   " : "\n   ", out);
      json_transition(out, c, t, sipspec_cov_count(cur, c, t));
    }
    fputs("]", out);
    json_stale(out, cov, c);
    fputs("}", out);
  }
  fprintf(out, "\n],\"total\":{\"transitions\":{\"taken\":%d,\"total\":%d,\"percent\":%.2f},"
          "\"states\":{\"visited\":%d,\"total\":%d,\"percent\":%.2f}},\"below\":[", tt, tn,
          tn ? 100.0 * tt / tn : 100.0, sv, sn, sn ? 100.0 * sv / sn : 100.0);
  int first = 1;
  for (int i = 0; i < n; i++) {
    sipspec_coverage_stats st;
    sipspec_coverage_chart_stats(cov, charts[i]->name, &st);
    if (!is_below(&st, fail_under)) continue;
    fputs(first ? "" : ",", out);
    sipspec_json_write_string(out, charts[i]->name);
    first = 0;
  }
  fputs("]}\n", out);
  if (below) *below = n_below;
  return ferror(out) ? SIPSPEC_E_IO : SIPSPEC_OK;
}
