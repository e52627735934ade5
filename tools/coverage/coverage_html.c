/* coverage_html.c: the coverage report as one self-contained HTML page.
 *
 * Each chart is shown as its diagram (the SVG graphviz drew at build time, embedded in the
 * chart's descriptor) with every transition coloured by use and the label of every transition
 * taken followed by its count, and as tables. Colouring needs no script: the generator gives edges the ids
 * t_<State>__<EVENT> and nodes state_<State>, and this file rewrites the SVG as it copies it,
 * adding a class (cov-hit / cov-miss) to each edge and node group that the page's inline CSS
 * styles, appending " ×N" to the first label line of each edge taken (a never-taken edge is
 * drawn dashed red; "×0" beside it only crowded the labels graphviz placed for the text without a
 * count), and prefixing every id with the chart's name so the ids stay unique in the page. Edge
 * labels keep graphviz's font weight: it measured them in the regular weight, and bold text
 * overran the neighbouring labels. A diagram shrinks to fit the page down to 3/4 of its drawn
 * size (the least at which its 11pt labels stay readable) and scrolls sideways beyond that. The page loads nothing: no script, no font,
 * no image, no link outside itself. A library built without graphviz has no diagrams (svg is
 * NULL): the page then shows the tables only. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "coverage_report.h"

static void html(FILE *out, const char *s) {
  for (; *s; s++) {
    switch (*s) {
    case '&': fputs("&amp;", out); break;
    case '<': fputs("&lt;", out); break;
    case '>': fputs("&gt;", out); break;
    case '"': fputs("&quot;", out); break;
    default: fputc(*s, out);
    }
  }
}

static const char css[] =
    "body{font-family:sans-serif;margin:1.5em;color:#1f2328;max-width:80em}\n"
    "h2{margin-top:2em;border-bottom:1px solid #d0d7de}\n"
    "table{border-collapse:collapse;margin:.5em 0 1em}\n"
    "th,td{border:1px solid #d0d7de;padding:2px 8px;text-align:left;font-size:90%}\n"
    "td.num{text-align:right;font-variant-numeric:tabular-nums}\n"
    "tr.cov-hit td.num{color:#1a7f37;font-weight:bold}\n"
    "tr.cov-miss{background:#ffebe9}\n"
    "tr.below td:first-child,.below{color:#cf222e;font-weight:bold}\n"
    ".stale{background:#fff8c5;border:1px solid #d4a72c;padding:.4em .8em}\n"
    ".diagram{overflow:auto;border:1px solid #d0d7de;padding:.5em;margin:.5em 0}\n"
    ".diagram svg{max-width:100%;height:auto}\n"
    ".diagram g.edge.cov-hit path{stroke:#1a7f37;stroke-width:2.5}\n"
    ".diagram g.edge.cov-hit polygon{stroke:#1a7f37;fill:#1a7f37}\n"
    ".diagram g.edge.cov-hit text{fill:#1a7f37}\n"
    ".diagram g.edge.cov-miss path{stroke:#cf222e;stroke-dasharray:6,4}\n"
    ".diagram g.edge.cov-miss polygon{stroke:#cf222e;fill:#cf222e}\n"
    ".diagram g.edge.cov-miss text{fill:#cf222e}\n"
    ".diagram g.node.cov-hit path,.diagram g.node.cov-hit polygon,.diagram g.node.cov-hit ellipse"
    "{fill:#dafbe1;stroke:#1a7f37}\n"
    ".diagram g.node.cov-miss path,.diagram g.node.cov-miss polygon,.diagram g.node.cov-miss ellipse"
    "{fill:#ffebe9;stroke:#cf222e}\n"
    ".key span{display:inline-block;padding:0 .5em;margin-right:.5em}\n"
    ".key .cov-hit{color:#1a7f37;border-bottom:3px solid #1a7f37}\n"
    ".key .cov-miss{color:#cf222e;border-bottom:3px dashed #cf222e}\n";

static int transition_index(const sipspec_chart *c, const char *name, size_t len) {
  for (int t = 0; t < c->n_transitions; t++)
    if (strlen(c->transitions[t].name) == len && !strncmp(c->transitions[t].name, name, len)) return t;
  return -1;
}

static int state_index(const sipspec_chart *c, const char *name, size_t len) {
  for (int s = 0; s < c->n_states; s++)
    if (strlen(c->states[s]) == len && !strncmp(c->states[s], name, len)) return s;
  return -1;
}

static int starts(const char *p, const char *prefix) { return !strncmp(p, prefix, strlen(prefix)); }

/* Copies the chart's SVG (from "<svg" on: no XML prolog inside HTML), rewritten as described at
 * the top of this file. `visited` marks the states a taken transition leaves or enters. */
/* The drawn width of the diagram in CSS pixels, from the width attribute of its <svg> element
 * ("2467pt": graphviz's unit, 4/3 px each); 0 when absent or not understood. */
static long svg_width_px(const char *svg) {
  const char *end = strchr(svg, '>'), *w = strstr(svg, " width=\"");
  if (!end || !w || w > end) return 0;
  char *unit;
  double v = strtod(w + 8, &unit);
  if (v <= 0 || v > 1e6) return 0;
  if (!strncmp(unit, "pt\"", 3)) return (long)(v * 4.0 / 3.0);
  if (!strncmp(unit, "px\"", 3) || *unit == '"') return (long)v;
  return 0;
}

static void write_svg(FILE *out, const sipspec_chart *c, const char *svg, const sipspec_cov_entry *cur,
                      const unsigned char *visited) {
  const char *p = strstr(svg, "<svg");
  int pending = -1; /* transition whose label line still needs its count */
  if (!p) return;
  long width = svg_width_px(p);
  fputs("<svg", out);
  if (width > 0) fprintf(out, " style=\"min-width:%ldpx\"", width * 3 / 4);
  p += 4;
  for (;;) {
    const char *id = strstr(p, " id=\""), *text = pending >= 0 ? strstr(p, "<text") : NULL;
    if (text && (!id || text < id)) {
      const char *gt = strchr(text, '>'), *end = gt ? strstr(gt, "</text>") : NULL;
      if (!end) break;
      fwrite(p, 1, (size_t)(end - p), out);
      fprintf(out, " \xc3\x97%" PRIu64, sipspec_cov_count(cur, c, pending)); /* " ×N" */
      p = end;
      pending = -1;
      continue;
    }
    if (!id) break;
    const char *v = id + 5, *q = strchr(v, '"');
    if (!q) break;
    fwrite(p, 1, (size_t)(v - p), out);
    html(out, c->name);
    fputc('-', out);
    fwrite(v, 1, (size_t)(q - v) + 1, out); /* the id and its closing quote */
    p = q + 1;
    int t = -1, s = -1;
    if (starts(v, "t_")) t = transition_index(c, v + 2, (size_t)(q - v - 2));
    else if (starts(v, "state_")) s = state_index(c, v + 6, (size_t)(q - v - 6));
    if (starts(v, "t_") || starts(v, "state_") || starts(v, "edge") || starts(v, "node")) pending = -1;
    const char *cls = t >= 0 ? " class=\"edge\"" : s >= 0 ? " class=\"node\"" : NULL;
    if (cls && starts(p, cls)) {
      int hit = t >= 0 ? sipspec_cov_count(cur, c, t) > 0 : visited && visited[s];
      fprintf(out, " class=\"%s %s\"", t >= 0 ? "edge" : "node", hit ? "cov-hit" : "cov-miss");
      p += strlen(cls);
      if (t >= 0 && hit) pending = t;
    }
  }
  fputs(p, out);
}

static void chart_section(FILE *out, const sipspec_coverage *cov, const sipspec_chart *c, int low) {
  const sipspec_cov_entry *cur = sipspec_cov_find(cov, c->name, c->hash);
  sipspec_coverage_stats st;
  sipspec_coverage_chart_stats(cov, c->name, &st);
  unsigned char *visited = calloc((size_t)c->n_states + 1, 1);
  if (visited) sipspec_cov_visited(cur, c, visited);

  fputs("<section id=\"chart-", out);
  html(out, c->name);
  fputs("\">\n<h2>", out);
  html(out, c->name);
  fputs(": ", out);
  html(out, c->title);
  fputs("</h2>\n<p>", out);
  html(out, c->rfc);
  fputs(" &middot; <code>", out);
  html(out, c->source);
  fprintf(out, "</code> &middot; hash <code>");
  html(out, c->hash);
  fprintf(out, "</code></p>\n<p%s>Transitions taken: %d/%d (%.1f%%); states visited: %d/%d (%.1f%%); %" PRIu64
          " transitions taken in all.%s</p>\n", low ? " class=\"below\"" : "", st.transitions_taken, st.transitions,
          st.transitions_pct, st.states_visited, st.states, st.states_pct, st.total_count,
          low ? " Below the threshold." : "");
  for (int e = 0; e < cov->n; e++) {
    const sipspec_cov_entry *s = &cov->entries[e];
    if (strcmp(s->chart, c->name) || !strcmp(s->hash, c->hash)) continue;
    uint64_t sum = 0;
    for (int t = 0; t < s->n_transitions; t++) sum += s->transitions[t].count;
    fputs("<p class=\"stale\">Stale: the chart has changed since ", out);
    for (int o = 0; o < s->n_origins; o++) {
      fputs(o ? ", " : "", out);
      html(out, s->origins[o]);
    }
    fputs(" recorded it (hash <code>", out);
    html(out, s->hash);
    fprintf(out, "</code> there). Its %" PRIu64 " counts are not part of these figures.</p>\n", sum);
  }
  const char *svg = sipspec_chart_svg(c->name);
  if (svg && strstr(svg, "<svg")) {
    fputs("<div class=\"diagram\">\n", out);
    write_svg(out, c, svg, cur, visited);
    fputs("</div>\n", out);
  } else {
    fputs("<p>No diagram: graphviz was not installed when this sipspec was built.</p>\n", out);
  }
  fputs("<table class=\"transitions\">\n<tr><th>transition</th><th>from</th><th>event</th><th>to</th>"
        "<th>count</th><th>RFC</th></tr>\n", out);
  for (int t = 0; t < c->n_transitions; t++) {
    const sipspec_chart_transition *tr = &c->transitions[t];
    uint64_t n = sipspec_cov_count(cur, c, t);
    fprintf(out, "<tr class=\"%s\"><td>", n ? "cov-hit" : "cov-miss");
    html(out, tr->name);
    fputs("</td><td>", out);
    html(out, c->states[tr->from]);
    fputs("</td><td>", out);
    html(out, sipspec_event_name(tr->event));
    fputs("</td><td>", out);
    html(out, c->states[tr->to]);
    fprintf(out, "</td><td class=\"num\">%" PRIu64 "</td><td>", n);
    html(out, tr->rfc);
    fputs("</td></tr>\n", out);
  }
  fputs("</table>\n</section>\n", out);
  free(visited);
}

int sipspec_coverage_report_html(const sipspec_coverage *cov, double fail_under, FILE *out, int *below) {
  int n, n_below = 0;
  const sipspec_chart *const *charts = sipspec_charts(&n);
  fprintf(out, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
          "<title>sipspec state-chart coverage</title>\n<style>\n%s</style>\n</head>\n<body>\n"
          "<h1>State-chart coverage</h1>\n<p>Merged from: ", css);
  int first = 1;
  for (int i = 0; i < cov->n; i++)
    for (int o = 0; o < cov->entries[i].n_origins; o++) {
      if (!sipspec_cov_origin_first(cov, i, o)) continue;
      fputs(first ? "<code>" : ", <code>", out);
      html(out, cov->entries[i].origins[o]);
      fputs("</code>", out);
      first = 0;
    }
  fputs(first ? "nothing.</p>\n" : ".</p>\n", out);
  fputs("<p class=\"key\"><span class=\"cov-hit\">taken (label &times;count)</span>"
        "<span class=\"cov-miss\">never taken (dashed, no count)</span></p>\n", out);
  if (fail_under >= 0) fprintf(out, "<p>Threshold: %.1f%% of each chart's transitions.</p>\n", fail_under);
  fputs("<table class=\"summary\">\n<tr><th>chart</th><th>title</th><th>transitions</th><th>%</th>"
        "<th>states</th><th>%</th><th>stale counts</th></tr>\n", out);
  for (int i = 0; i < n; i++) {
    sipspec_coverage_stats st;
    sipspec_coverage_chart_stats(cov, charts[i]->name, &st);
    int low = fail_under >= 0 && st.transitions_pct < fail_under;
    n_below += low;
    fprintf(out, "<tr%s><td><a href=\"#chart-", low ? " class=\"below\"" : "");
    html(out, charts[i]->name);
    fputs("\">", out);
    html(out, charts[i]->name);
    fputs("</a></td><td>", out);
    html(out, charts[i]->title);
    fprintf(out, "</td><td class=\"num\">%d/%d</td><td class=\"num\">%.1f</td><td class=\"num\">%d/%d</td>"
            "<td class=\"num\">%.1f</td><td class=\"num\">%" PRIu64 "</td></tr>\n", st.transitions_taken,
            st.transitions, st.transitions_pct, st.states_visited, st.states, st.states_pct, st.stale_count);
  }
  fputs("</table>\n", out);
  for (int i = 0; i < n; i++) {
    sipspec_coverage_stats st;
    sipspec_coverage_chart_stats(cov, charts[i]->name, &st);
    chart_section(out, cov, charts[i], fail_under >= 0 && st.transitions_pct < fail_under);
  }
  fputs("</body>\n</html>\n", out);
  if (below) *below = n_below;
  return ferror(out) ? SIPSPEC_E_IO : SIPSPEC_OK;
}
