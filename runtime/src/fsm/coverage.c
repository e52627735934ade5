/* coverage.c: writes the per-process transition counters of every chart as JSON.
 *
 * Format "sipspec-coverage/1" (docs/charts.md): one object per chart with its name, the hash
 * of its definition (so counts from an older chart are recognised), and for every transition
 * its name, source, event, target, RFC reference and count. Transitions are listed even when
 * never taken, so a reader needs no other file to see what was missed. */
#include <inttypes.h>

#include "sipspec/fsm.h"

static void json_string(FILE *out, const char *s) {
  fputc('"', out);
  for (; *s; s++) {
    unsigned char ch = (unsigned char)*s;
    if (ch == '"' || ch == '\\') fprintf(out, "\\%c", ch);
    else if (ch < 0x20) fprintf(out, "\\u%04x", ch);
    else fputc(ch, out);
  }
  fputc('"', out);
}

int sipspec_coverage_write_json(FILE *out) {
  int n;
  const sipspec_chart *const *charts = sipspec_charts(&n);
  fprintf(out, "{\"format\":\"sipspec-coverage/1\",\"charts\":[");
  for (int i = 0; i < n; i++) {
    const sipspec_chart *c = charts[i];
    fprintf(out, "%s\n {\"chart\":", i ? "," : "");
    json_string(out, c->name);
    fprintf(out, ",\"hash\":");
    json_string(out, c->hash);
    fprintf(out, ",\"states\":%d,\"transitions\":[", c->n_states);
    for (int t = 0; t < c->n_transitions; t++) {
      const sipspec_chart_transition *tr = &c->transitions[t];
      fprintf(out, "%s\n  {\"name\":", t ? "," : "");
      json_string(out, tr->name);
      fprintf(out, ",\"from\":");
      json_string(out, c->states[tr->from]);
      fprintf(out, ",\"event\":");
      json_string(out, sipspec_event_name(tr->event));
      fprintf(out, ",\"to\":");
      json_string(out, c->states[tr->to]);
      fprintf(out, ",\"rfc\":");
      json_string(out, tr->rfc);
      fprintf(out, ",\"count\":%" PRIu64 "}", c->counts[t]);
    }
    fprintf(out, "]}");
  }
  fprintf(out, "\n]}\n");
  return ferror(out) ? SIPSPEC_E_IO : SIPSPEC_OK;
}

void sipspec_coverage_reset(void) {
  int n;
  const sipspec_chart *const *charts = sipspec_charts(&n);
  for (int i = 0; i < n; i++)
    for (int t = 0; t < charts[i]->n_transitions; t++) charts[i]->counts[t] = 0;
}
