/* test_coverage_files.c: coverage documents read, merged, checked against the built charts,
 * written to files atomically, and reported (sipspec/coverage.h). The documents are made by
 * the library's own writer from counters this test sets, then edited to make them stale or
 * corrupt, so they always match the charts of this build. */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CUnit/Basic.h>

#include "fsm/coverage_internal.h"
#include "sipspec/chart_ict.h"
#include "sipspec/chart_nict.h"
#include "coverage_report.h"
#include "sipspec/coverage.h"

static char *dump(void) {
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  CU_ASSERT_PTR_NOT_NULL_FATAL(f);
  CU_ASSERT_EQUAL(sipspec_coverage_write_json(f), SIPSPEC_OK);
  fclose(f);
  return buf;
}

/* A document with nict Idle__TU_SEND = a, Trying__TIMER_E = b, ict Calling__TIMER_A = c. */
static char *doc_with(uint64_t a, uint64_t b, uint64_t c) {
  sipspec_coverage_reset();
  sipspec_chart_nict.counts[SIPSPEC_NICT_T_IDLE__TU_SEND] = a;
  sipspec_chart_nict.counts[SIPSPEC_NICT_T_TRYING__TIMER_E] = b;
  sipspec_chart_ict.counts[SIPSPEC_ICT_T_CALLING__TIMER_A] = c;
  char *d = dump();
  sipspec_coverage_reset();
  return d;
}

/* s with the first occurrence of `from` replaced by `to` (fresh allocation). */
static char *replace(const char *s, const char *from, const char *to) {
  const char *at = strstr(s, from);
  CU_ASSERT_PTR_NOT_NULL_FATAL(at);
  size_t head = (size_t)(at - s), fl = strlen(from), tl = strlen(to);
  char *r = malloc(strlen(s) - fl + tl + 1);
  memcpy(r, s, head);
  memcpy(r + head, to, tl);
  strcpy(r + head + tl, at + fl);
  return r;
}

static int merge(sipspec_coverage *cov, const char *doc, const char *origin, char *err) {
  return sipspec_coverage_merge_json(cov, doc, strlen(doc), origin, err, SIPSPEC_COVERAGE_ERRLEN);
}

static void two_documents_add_up(void) {
  char *a = doc_with(3, 2, 0), *b = doc_with(4, 0, 1), err[SIPSPEC_COVERAGE_ERRLEN] = "";
  sipspec_coverage *cov = sipspec_coverage_new();
  CU_ASSERT_EQUAL(merge(cov, a, "a.json", err), SIPSPEC_OK);
  CU_ASSERT_EQUAL(merge(cov, b, "b.json", err), SIPSPEC_OK);
  CU_ASSERT_EQUAL(sipspec_coverage_check(cov, err, sizeof err), SIPSPEC_OK);
  CU_ASSERT_EQUAL(sipspec_coverage_count(cov, "nict", "Idle__TU_SEND"), 7);
  CU_ASSERT_EQUAL(sipspec_coverage_count(cov, "nict", "Trying__TIMER_E"), 2);
  CU_ASSERT_EQUAL(sipspec_coverage_count(cov, "nict", "Completed__TIMER_K"), 0);
  CU_ASSERT_EQUAL(sipspec_coverage_count(cov, "ict", "Calling__TIMER_A"), 1);
  CU_ASSERT_EQUAL(sipspec_coverage_count(cov, "nict", "No__SUCH"), -1);
  CU_ASSERT_EQUAL(sipspec_coverage_count(cov, "nosuch", "Idle__TU_SEND"), -1);
  sipspec_coverage_stats st;
  CU_ASSERT_EQUAL(sipspec_coverage_chart_stats(cov, "nict", &st), SIPSPEC_OK);
  CU_ASSERT_EQUAL(st.transitions_taken, 2);
  CU_ASSERT_EQUAL(st.transitions, sipspec_chart_nict.n_transitions);
  CU_ASSERT_EQUAL(st.states_visited, 2); /* Idle and Trying */
  CU_ASSERT_EQUAL(st.total_count, 9);
  CU_ASSERT_EQUAL(st.stale_sets, 0);
  CU_ASSERT_DOUBLE_EQUAL(st.transitions_pct, 200.0 / sipspec_chart_nict.n_transitions, 1e-9);
  CU_ASSERT_EQUAL(sipspec_coverage_chart_stats(cov, "nosuch", &st), SIPSPEC_E_NOTFOUND);

  /* the merged set written and read back holds the same counts */
  char *out = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&out, &len);
  CU_ASSERT_EQUAL(sipspec_coverage_write(cov, f), SIPSPEC_OK);
  fclose(f);
  sipspec_coverage *again = sipspec_coverage_new();
  CU_ASSERT_EQUAL(merge(again, out, "merged", err), SIPSPEC_OK);
  CU_ASSERT_EQUAL(sipspec_coverage_count(again, "nict", "Idle__TU_SEND"), 7);
  CU_ASSERT_EQUAL(sipspec_coverage_count(again, "ict", "Calling__TIMER_A"), 1);
  sipspec_coverage_free(again);
  free(out);
  sipspec_coverage_free(cov);
  free(a), free(b);
}

static void stale_hash_is_reported_for_that_chart_only(void) {
  char *cur = doc_with(1, 0, 5), *old = doc_with(3, 2, 7), err[SIPSPEC_COVERAGE_ERRLEN] = "";
  char *stale = replace(old, sipspec_chart_nict.hash, "00000000deadbeef");
  sipspec_coverage *cov = sipspec_coverage_new();
  CU_ASSERT_EQUAL(merge(cov, cur, "current.json", err), SIPSPEC_OK);
  CU_ASSERT_EQUAL(merge(cov, stale, "old.json", err), SIPSPEC_OK);
  CU_ASSERT_EQUAL(sipspec_coverage_check(cov, err, sizeof err), SIPSPEC_OK); /* stale is no error */
  sipspec_coverage_stats st;
  sipspec_coverage_chart_stats(cov, "nict", &st);
  CU_ASSERT_EQUAL(st.stale_sets, 1);
  CU_ASSERT_EQUAL(st.stale_count, 5);
  CU_ASSERT_EQUAL(st.total_count, 1); /* only current.json's count */
  CU_ASSERT_EQUAL(sipspec_coverage_count(cov, "nict", "Idle__TU_SEND"), 1);
  sipspec_coverage_chart_stats(cov, "ict", &st); /* ict's hash matched in both: merged */
  CU_ASSERT_EQUAL(st.stale_sets, 0);
  CU_ASSERT_EQUAL(sipspec_coverage_count(cov, "ict", "Calling__TIMER_A"), 12);

  char *text = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&text, &len);
  CU_ASSERT_EQUAL(sipspec_coverage_report_text(cov, -1, f, NULL), SIPSPEC_OK);
  fclose(f);
  const char *nict = strstr(text, "chart nict:"), *ict = strstr(text, "chart ict:");
  const char *mark = strstr(text, "STALE: chart 'nict' has changed since old.json recorded it (hash 00000000deadbeef");
  CU_ASSERT_PTR_NOT_NULL(mark);
  CU_ASSERT_PTR_NOT_NULL(strstr(text, "5 counts on 2 of its"));
  CU_ASSERT(nict && mark && mark > nict);
  CU_ASSERT_PTR_NULL(strstr(text, "STALE: chart 'ict'"));
  CU_ASSERT(ict && nict && ict < nict); /* ict comes first: the stale mark is inside nict's part */
  free(text);
  sipspec_coverage_free(cov);
  free(cur), free(old), free(stale);
}

struct bad_case {
  const char *what, *from, *to; /* edit of a valid document; from NULL: `to` is the whole document */
  int rc;                       /* from merge, or from check when check is set */
  int check;
  const char *message;          /* must appear in the error */
};

static const struct bad_case bad_cases[] = {
  {"empty file", NULL, "", SIPSPEC_E_INVAL, 0, "bad.json: empty file"},
  {"white space only", NULL, " \n", SIPSPEC_E_INVAL, 0, "bad.json: line 2, column 1: expected a value"},
  {"not JSON", NULL, "hello", SIPSPEC_E_INVAL, 0, "line 1, column 1: expected a value"},
  {"wrong format tag", "sipspec-coverage/1", "sipspec-coverage/9", SIPSPEC_E_INVAL, 0,
   "format is \"sipspec-coverage/9\", expected \"sipspec-coverage/1\""},
  {"no format tag", "\"format\"", "\"formax\"", SIPSPEC_E_INVAL, 0, "has no \"format\""},
  {"a document that is an array", NULL, "[1,2]", SIPSPEC_E_INVAL, 0, "the document is an array"},
  {"negative count", "\"count\":3", "\"count\":-3", SIPSPEC_E_INVAL, 0,
   "transition 'Idle__TU_SEND' of chart 'nict': count is negative (-3)"},
  {"fractional count", "\"count\":3", "\"count\":3.5", SIPSPEC_E_INVAL, 0, "count is not an integer (3.5)"},
  {"count as a string", "\"count\":3", "\"count\":\"3\"", SIPSPEC_E_INVAL, 0,
   "\"count\" of transition 'Idle__TU_SEND' of chart 'nict' is a string, expected a number"},
  {"count beyond 64 bits", "\"count\":3", "\"count\":99999999999999999999999", SIPSPEC_E_RANGE, 0, "count too large"},
  {"transition without count", "\"count\":3", "\"cuont\":3", SIPSPEC_E_INVAL, 0, "has no \"count\""},
  {"member given twice", "\"count\":3", "\"count\":3,\"count\":4", SIPSPEC_E_INVAL, 0, "member name given twice"},
  {"transition listed twice", "\"name\":\"Trying__TIMER_E\"", "\"name\":\"Idle__TU_SEND\"", SIPSPEC_E_INVAL, 0,
   "chart 'nict' lists transition 'Idle__TU_SEND' twice"},
  {"trailing comma", "\"count\":3}", "\"count\":3,}", SIPSPEC_E_INVAL, 0, "expected a member name in quotes"},
  {"text after the document", "\n]}\n", "\n]}\n}", SIPSPEC_E_INVAL, 0, "unexpected text after the document"},
  {"bad escape", "\"name\":\"Idle__TU_SEND\"", "\"name\":\"Idle\\q\"", SIPSPEC_E_INVAL, 0, "unknown escape"},
  {"control character", "\"name\":\"Idle__TU_SEND\"", "\"name\":\"Idle\t\"", SIPSPEC_E_INVAL, 0,
   "control character in a string"},
  {"NUL escape", "\"name\":\"Idle__TU_SEND\"", "\"name\":\"Idle\\u0000\"", SIPSPEC_E_INVAL, 0, "NUL"},
  {"lone surrogate", "\"name\":\"Idle__TU_SEND\"", "\"name\":\"\\ud800x\"", SIPSPEC_E_INVAL, 0, "surrogate"},
  {"unterminated string", NULL, "{\"format\":\"sipspec-cov", SIPSPEC_E_INVAL, 0, "unterminated string"},
  {"deep nesting", NULL,
   "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[", SIPSPEC_E_INVAL,
   0, "nested too deeply"},
  {"unknown chart", "\"chart\":\"nict\"", "\"chart\":\"nosuch\"", SIPSPEC_E_NOTFOUND, 1,
   "bad.json: chart 'nosuch' is not a chart of this sipspec"},
  {"unknown transition", "\"name\":\"Idle__TU_SEND\"", "\"name\":\"Idle__NOPE\"", SIPSPEC_E_INVAL, 1,
   "bad.json: chart 'ict' (hash "},
  {"unknown transition (its name)", "\"name\":\"Idle__TU_SEND\"", "\"name\":\"Idle__NOPE\"", SIPSPEC_E_INVAL, 1,
   "has no transition named 'Idle__NOPE'"},
  {"transition with another target", "\"to\":\"Trying\"", "\"to\":\"Completed\"", SIPSPEC_E_INVAL, 1,
   "transition 'Idle__TU_SEND' is recorded as Idle --TU_SEND--> Completed"},
  {"wrong number of states", "\"states\":", "\"states\":1", SIPSPEC_E_INVAL, 1, "states, the chart has"},
};

static void corrupt_documents_are_refused_with_a_clear_error(void) {
  char *valid = doc_with(3, 2, 1), *truncated = strndup(valid, strlen(valid) / 2);
  for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
    const struct bad_case *bc = &bad_cases[i];
    char *doc = bc->from ? replace(valid, bc->from, bc->to) : strdup(bc->to), err[SIPSPEC_COVERAGE_ERRLEN] = "";
    sipspec_coverage *cov = sipspec_coverage_new();
    /* documents the reader refuses must leave what was merged before; documents that only the
     * check against the built charts refuses are merged alone (they would clash with good.json) */
    if (!bc->check) CU_ASSERT_EQUAL(merge(cov, valid, "good.json", err), SIPSPEC_OK);
    int rc = merge(cov, doc, "bad.json", err);
    if (bc->check) {
      CU_ASSERT_EQUAL(rc, SIPSPEC_OK);
      rc = sipspec_coverage_check(cov, err, sizeof err);
    } else {
      CU_ASSERT_EQUAL(sipspec_coverage_count(cov, "nict", "Idle__TU_SEND"), 3);
    }
    CU_ASSERT_EQUAL(rc, bc->rc);
    if (!strstr(err, bc->message) || !strstr(err, "bad.json: "))
      printf("\n  case '%s': error '%s' lacks '%s'", bc->what, err, bc->message);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, bc->message));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "bad.json: "));
    sipspec_coverage_free(cov);
    free(doc);
  }
  char err[SIPSPEC_COVERAGE_ERRLEN] = "";
  sipspec_coverage *cov = sipspec_coverage_new();
  CU_ASSERT_EQUAL(merge(cov, truncated, "cut.json", err), SIPSPEC_E_INVAL);
  CU_ASSERT_PTR_NOT_NULL(strstr(err, "cut.json: line "));
  CU_ASSERT_PTR_NOT_NULL(strstr(err, "(the document ends here)"));
  /* every prefix of a valid document is refused, none crashes or reads past its end */
  size_t len = strlen(valid);
  int refused = 0;
  for (size_t cut = 0; cut < len; cut++) {
    char *prefix = malloc(cut ? cut : 1); /* exactly cut bytes: ASan sees any overread */
    memcpy(prefix, valid, cut);
    refused += sipspec_coverage_merge_json(cov, prefix, cut, "cut.json", NULL, 0) != SIPSPEC_OK;
    free(prefix);
  }
  CU_ASSERT_EQUAL(refused, (int)len - 1); /* all but the one that lacks only the final newline */
  CU_ASSERT_EQUAL(sipspec_coverage_count(cov, "nict", "Idle__TU_SEND"), 3);
  sipspec_coverage_free(cov);
  free(valid), free(truncated);
}

static void same_hash_with_other_transitions_is_refused(void) {
  char *a = doc_with(1, 1, 0), err[SIPSPEC_COVERAGE_ERRLEN] = "";
  char *b = replace(a, "\"name\":\"Trying__TIMER_E\"", "\"name\":\"Trying__TIMER_X\"");
  sipspec_coverage *cov = sipspec_coverage_new();
  CU_ASSERT_EQUAL(merge(cov, a, "a.json", err), SIPSPEC_OK);
  CU_ASSERT_EQUAL(merge(cov, b, "b.json", err), SIPSPEC_E_INVAL);
  CU_ASSERT_PTR_NOT_NULL(strstr(err, "b.json: chart 'nict' has the same hash"));
  CU_ASSERT_PTR_NOT_NULL(strstr(err, "as in a.json"));
  CU_ASSERT_PTR_NOT_NULL(strstr(err, "Trying__TIMER_X"));
  CU_ASSERT_EQUAL(sipspec_coverage_count(cov, "nict", "Trying__TIMER_E"), 1);
  sipspec_coverage_free(cov);
  free(a), free(b);
}

/* ---- files ----------------------------------------------------------------------------- */

static char dir[64];

static int64_t file_count(const char *path, const char *chart, const char *transition) {
  sipspec_coverage *cov = sipspec_coverage_new();
  char err[SIPSPEC_COVERAGE_ERRLEN];
  int64_t n = sipspec_coverage_merge_file(cov, path, err, sizeof err) ? -2 : sipspec_coverage_count(cov, chart, transition);
  sipspec_coverage_free(cov);
  return n;
}

/* Files in dir whose name contains `part`. */
static int files_named(const char *part) {
  DIR *d = opendir(dir);
  int n = 0;
  struct dirent *e;
  while (d && (e = readdir(d)))
    if (strstr(e->d_name, part)) n++;
  if (d) closedir(d);
  return n;
}

static void write_file_is_atomic_and_merges(void) {
  char path[128], err[SIPSPEC_COVERAGE_ERRLEN] = "";
  snprintf(path, sizeof path, "%s/run.json", dir);
  sipspec_coverage_reset();
  sipspec_chart_nict.counts[SIPSPEC_NICT_T_IDLE__TU_SEND] = 3;
  CU_ASSERT_EQUAL(sipspec_coverage_write_file(path, err, sizeof err), SIPSPEC_OK);
  CU_ASSERT_EQUAL(file_count(path, "nict", "Idle__TU_SEND"), 3);
  CU_ASSERT_EQUAL(files_named(".tmp."), 0); /* no temporary file remains */
  CU_ASSERT_EQUAL(files_named("run.json.lock"), 1);
  struct stat st;
  CU_ASSERT_EQUAL(stat(path, &st), 0);
  CU_ASSERT_EQUAL(st.st_mode & 0777, 0644);

  /* a second write adds only what is new since the first */
  CU_ASSERT_EQUAL(sipspec_coverage_write_file(path, err, sizeof err), SIPSPEC_OK);
  CU_ASSERT_EQUAL(file_count(path, "nict", "Idle__TU_SEND"), 3);
  sipspec_chart_nict.counts[SIPSPEC_NICT_T_IDLE__TU_SEND] += 2;
  CU_ASSERT_EQUAL(sipspec_coverage_write_file(path, err, sizeof err), SIPSPEC_OK);
  CU_ASSERT_EQUAL(file_count(path, "nict", "Idle__TU_SEND"), 5);

  /* a file another program wrote is merged, not replaced */
  char other[128];
  snprintf(other, sizeof other, "%s/other.json", dir);
  char *doc = doc_with(10, 4, 0);
  FILE *f = fopen(other, "w");
  fputs(doc, f);
  fclose(f);
  free(doc);
  sipspec_chart_nict.counts[SIPSPEC_NICT_T_IDLE__TU_SEND] = 1;
  CU_ASSERT_EQUAL(sipspec_coverage_write_file(other, err, sizeof err), SIPSPEC_OK);
  CU_ASSERT_EQUAL(file_count(other, "nict", "Idle__TU_SEND"), 11);
  CU_ASSERT_EQUAL(file_count(other, "nict", "Trying__TIMER_E"), 4);
  CU_ASSERT_EQUAL(files_named(".tmp."), 0);

  /* a corrupt file is left as it is and named in the error */
  char bad[128];
  snprintf(bad, sizeof bad, "%s/bad.json", dir);
  static const char cut[] = "{\"format\":\"sipspec-coverage/1\",\"charts\":[";
  f = fopen(bad, "w");
  fputs(cut, f);
  fclose(f);
  CU_ASSERT_EQUAL(sipspec_coverage_write_file(bad, err, sizeof err), SIPSPEC_E_INVAL);
  CU_ASSERT_PTR_NOT_NULL(strstr(err, bad));
  CU_ASSERT_PTR_NOT_NULL(strstr(err, "left as it is"));
  CU_ASSERT_EQUAL(stat(bad, &st), 0);
  CU_ASSERT_EQUAL(st.st_size, (off_t)strlen(cut));
  CU_ASSERT_EQUAL(files_named(".tmp."), 0);

  /* a folder that does not exist */
  char nowhere[160];
  snprintf(nowhere, sizeof nowhere, "%s/no/such/folder/x.json", dir);
  CU_ASSERT_EQUAL(sipspec_coverage_write_file(nowhere, err, sizeof err), SIPSPEC_E_IO);
  CU_ASSERT_PTR_NOT_NULL(strstr(err, "cannot create the lock file"));
  CU_ASSERT_EQUAL(sipspec_coverage_write_file("", err, sizeof err), SIPSPEC_E_INVAL);
  sipspec_coverage_reset();
}

/* ---- reports ----------------------------------------------------------------------------- */

static sipspec_coverage *sample(void) {
  char *d = doc_with(3, 0, 2), err[SIPSPEC_COVERAGE_ERRLEN];
  sipspec_coverage *cov = sipspec_coverage_new();
  CU_ASSERT_EQUAL(merge(cov, d, "sample.json", err), SIPSPEC_OK);
  free(d);
  return cov;
}

static void html_report_shows_coloured_diagrams(void) {
  sipspec_coverage *cov = sample();
  char *page = NULL;
  size_t len = 0;
  int below = -1;
  FILE *f = open_memstream(&page, &len);
  CU_ASSERT_EQUAL(sipspec_coverage_report_html(cov, 50.0, f, &below), SIPSPEC_OK);
  fclose(f);
  int n;
  const sipspec_chart *const *charts = sipspec_charts(&n);
  CU_ASSERT_EQUAL(below, n); /* no chart has half its transitions taken */
  CU_ASSERT(!strncmp(page, "<!DOCTYPE html>", 15));
  CU_ASSERT_PTR_NOT_NULL(strstr(page, "<style>"));
  for (int i = 0; i < n; i++) {
    char h2[128];
    snprintf(h2, sizeof h2, "<h2>%s: ", charts[i]->name);
    CU_ASSERT_PTR_NOT_NULL(strstr(page, h2));
  }
  /* each count in the table */
  CU_ASSERT_PTR_NOT_NULL(strstr(page, "<tr class=\"cov-hit\"><td>Idle__TU_SEND</td><td>Idle</td><td>TU_SEND</td>"
                                      "<td>Trying</td><td class=\"num\">3</td>"));
  CU_ASSERT_PTR_NOT_NULL(strstr(page, "<tr class=\"cov-miss\"><td>Completed__TIMER_K</td>"));
  if (sipspec_chart_svg("nict")) {
    /* the diagrams, inline, with the edges and nodes classed by use and labelled with counts */
    int svgs = 0;
    for (const char *p = page; (p = strstr(p, "<svg")); p++) svgs++;
    CU_ASSERT_EQUAL(svgs, n);
    CU_ASSERT_PTR_NULL(strstr(page, "<?xml"));
    const char *edge = strstr(page, "id=\"nict-t_Idle__TU_SEND\" class=\"edge cov-hit\"");
    CU_ASSERT_PTR_NOT_NULL(edge);
    CU_ASSERT(edge && strstr(edge, ">TU_SEND \xc3\x97" "3</text>") != NULL);
    CU_ASSERT_PTR_NOT_NULL(strstr(page, "id=\"nict-t_Completed__TIMER_K\" class=\"edge cov-miss\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(page, "id=\"ict-t_Calling__TIMER_A\" class=\"edge cov-hit\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(page, "id=\"nict-state_Idle\" class=\"node cov-hit\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(page, "id=\"nict-state_Completed\" class=\"node cov-miss\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(page, ".diagram g.edge.cov-hit path{"));
    CU_ASSERT_PTR_NULL(strstr(page, " id=\"t_")); /* every id made unique */
    /* every edge taken carries exactly one count on its label, no edge never taken does (it is
     * dashed; a "x0" beside it crowded the labels graphviz placed for the text alone) */
    int hits = 0, misses = 0;
    for (const char *g = page; (g = strstr(g, "<g id=\"")); g++) {
      /* an edge's group holds a nested <g> (its link); it ends where graphviz's comment naming
       * the next node or edge starts, or at the end of the diagram */
      const char *end = strstr(g, "\n<!--"), *svg_end = strstr(g, "</svg>");
      CU_ASSERT_PTR_NOT_NULL_FATAL(svg_end);
      if (!end || end > svg_end) end = svg_end;
      int hit = !strncmp(strchr(g + 7, '"'), "\" class=\"edge cov-hit\"", 22);
      int miss = !strncmp(strchr(g + 7, '"'), "\" class=\"edge cov-miss\"", 23);
      int counts = 0;
      for (const char *x = g; (x = strstr(x, "\xc3\x97")) && x < end; x++) counts++;
      if (hit) CU_ASSERT_EQUAL(counts, 1);
      if (miss) CU_ASSERT_EQUAL(counts, 0);
      hits += hit;
      misses += miss;
    }
    CU_ASSERT_EQUAL(hits, 2); /* sample(): nict Idle__TU_SEND and ict Calling__TIMER_A */
    CU_ASSERT(misses > 50); /* and every other edge of every chart */
    /* edge labels in graphviz's own weight, so they keep the width it laid out */
    CU_ASSERT_PTR_NOT_NULL(strstr(page, ".diagram g.edge.cov-hit text{fill:#1a7f37}\n"));
    /* each diagram shrinks to fit the page only down to 3/4 of its drawn size (graphviz's
     * "NNNpt" is 4/3 px, so the floor in px is about the width in pt), then scrolls */
    for (int i = 0; i < n; i++) {
      const char *w = strstr(sipspec_chart_svg(charts[i]->name), "<svg width=\"");
      CU_ASSERT_PTR_NOT_NULL_FATAL(w);
      double pt = strtod(w + 12, NULL);
      char want[64];
      snprintf(want, sizeof want, "<svg style=\"min-width:%ldpx\" width=\"", (long)(pt * 4.0 / 3.0) * 3 / 4);
      CU_ASSERT_PTR_NOT_NULL(strstr(page, want));
    }
    CU_ASSERT_PTR_NOT_NULL(strstr(page, ".diagram{overflow:auto;"));
  } else {
    CU_ASSERT_PTR_NOT_NULL(strstr(page, "No diagram: graphviz was not installed"));
  }
  /* self-contained: nothing loaded from anywhere */
  CU_ASSERT_PTR_NULL(strstr(page, "<script"));
  CU_ASSERT_PTR_NULL(strstr(page, "<link"));
  CU_ASSERT_PTR_NULL(strstr(page, "src="));
  CU_ASSERT_PTR_NULL(strstr(page, "@import"));
  CU_ASSERT_PTR_NULL(strstr(page, "url("));
  CU_ASSERT_PTR_NULL(strstr(page, "href=\"http"));
  free(page);
  sipspec_coverage_free(cov);
}

static void json_report_is_valid_and_complete(void) {
  sipspec_coverage *cov = sample();
  char *text = NULL, err[SIPSPEC_COVERAGE_ERRLEN];
  size_t len = 0;
  int below = -1;
  FILE *f = open_memstream(&text, &len);
  CU_ASSERT_EQUAL(sipspec_coverage_report_json(cov, 0.0, f, &below), SIPSPEC_OK);
  fclose(f);
  CU_ASSERT_EQUAL(below, 0);
  sipspec_json *root = NULL;
  CU_ASSERT_EQUAL_FATAL(sipspec_json_parse(text, len, &root, err, sizeof err), SIPSPEC_OK);
  CU_ASSERT_STRING_EQUAL(sipspec_json_get(root, "format")->text, "sipspec-coverage-report/1");
  const sipspec_json *charts = sipspec_json_get(root, "charts"), *nict = NULL;
  CU_ASSERT_PTR_NOT_NULL_FATAL(charts);
  for (size_t i = 0; i < charts->n; i++)
    if (!strcmp(sipspec_json_get(&charts->items[i], "chart")->text, "nict")) nict = &charts->items[i];
  CU_ASSERT_PTR_NOT_NULL_FATAL(nict);
  const sipspec_json *tr = sipspec_json_get(nict, "transitions");
  CU_ASSERT_STRING_EQUAL(sipspec_json_get(tr, "taken")->text, "1");
  const sipspec_json *never = sipspec_json_get(nict, "never_taken");
  CU_ASSERT_EQUAL(never->n, (size_t)sipspec_chart_nict.n_transitions - 1);
  const sipspec_json *counts = sipspec_json_get(nict, "counts");
  CU_ASSERT_EQUAL(counts->n, (size_t)sipspec_chart_nict.n_transitions);
  CU_ASSERT_STRING_EQUAL(sipspec_json_get(&counts->items[SIPSPEC_NICT_T_IDLE__TU_SEND], "count")->text, "3");
  CU_ASSERT_EQUAL(sipspec_json_get(root, "below")->n, 0);
  sipspec_json_free(root);
  free(text);
  sipspec_coverage_free(cov);
}

static void threshold_counts_the_charts_below(void) {
  sipspec_coverage *cov = sipspec_coverage_new();
  char err[SIPSPEC_COVERAGE_ERRLEN];
  /* every nict transition taken once, nothing else */
  sipspec_coverage_reset();
  for (int t = 0; t < sipspec_chart_nict.n_transitions; t++) sipspec_chart_nict.counts[t] = 1;
  CU_ASSERT_EQUAL(sipspec_coverage_merge_process(cov), SIPSPEC_OK);
  sipspec_coverage_reset();
  CU_ASSERT_EQUAL(sipspec_coverage_check(cov, err, sizeof err), SIPSPEC_OK);
  int n, below = -1;
  sipspec_charts(&n);
  FILE *devnull = fopen("/dev/null", "w");
  CU_ASSERT_EQUAL(sipspec_coverage_report_text(cov, 100.0, devnull, &below), SIPSPEC_OK);
  CU_ASSERT_EQUAL(below, n - 1); /* all but nict */
  CU_ASSERT_EQUAL(sipspec_coverage_report_text(cov, 0.0, devnull, &below), SIPSPEC_OK);
  CU_ASSERT_EQUAL(below, 0);
  CU_ASSERT_EQUAL(sipspec_coverage_report_json(cov, 100.0, devnull, &below), SIPSPEC_OK);
  CU_ASSERT_EQUAL(below, n - 1);
  CU_ASSERT_EQUAL(sipspec_coverage_report_html(cov, -1, devnull, &below), SIPSPEC_OK);
  CU_ASSERT_EQUAL(below, 0); /* no threshold */
  fclose(devnull);
  sipspec_coverage_stats st;
  sipspec_coverage_chart_stats(cov, "nict", &st);
  CU_ASSERT_DOUBLE_EQUAL(st.transitions_pct, 100.0, 1e-9);
  CU_ASSERT_EQUAL(st.states_visited, st.states);
  sipspec_coverage_free(cov);
}

static int make_dir(void) {
  strcpy(dir, "coverage-files-XXXXXX");
  return mkdtemp(dir) ? 0 : -1;
}

static int remove_dir(void) {
  DIR *d = opendir(dir);
  struct dirent *e;
  char p[384];
  while (d && (e = readdir(d))) {
    if (e->d_name[0] == '.') continue;
    snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
    unlink(p);
  }
  if (d) closedir(d);
  return rmdir(dir);
}

int main(void) {
  if (CU_initialize_registry() != CUE_SUCCESS) return 2;
  CU_pSuite s = CU_add_suite("coverage documents: reading, merging, checking", NULL, NULL);
  CU_add_test(s, "two documents add up; the merged set round-trips", two_documents_add_up);
  CU_add_test(s, "a wrong hash for one chart is stale for that chart only", stale_hash_is_reported_for_that_chart_only);
  CU_add_test(s, "empty, truncated and corrupt documents are refused with a clear error",
              corrupt_documents_are_refused_with_a_clear_error);
  CU_add_test(s, "the same hash with other transitions is refused", same_hash_with_other_transitions_is_refused);
  CU_pSuite w = CU_add_suite("coverage files", make_dir, remove_dir);
  CU_add_test(w, "write_file: no temporary file remains, existing counts are merged, deltas only",
              write_file_is_atomic_and_merges);
  CU_pSuite r = CU_add_suite("coverage reports", NULL, NULL);
  CU_add_test(r, "HTML: each chart, inline SVG coloured by use, counts, nothing loaded", html_report_shows_coloured_diagrams);
  CU_add_test(r, "JSON report parses and holds the figures", json_report_is_valid_and_complete);
  CU_add_test(r, "the threshold counts the charts below it", threshold_counts_the_charts_below);
  CU_basic_set_mode(CU_BRM_VERBOSE);
  CU_basic_run_tests();
  unsigned failures = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
  CU_cleanup_registry();
  return failures ? 1 : 0;
}
