/* cmd_coverage.c: `sipspec coverage [--json] [--html OUT.html] [--fail-under PCT] FILE...`:
 * merges coverage files that programs linking sipspec wrote (sipspec/coverage.h) and reports,
 * per built chart, the states and transitions visited and every transition never taken with its
 * RFC section. Exit status: 0 ok, 1 a chart below --fail-under, 2 usage, I/O or a corrupt file. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "coverage_report.h"
#include "sipspec/coverage.h"
#include "sipspec/fsm.h"

static void usage(FILE *out) {
  fprintf(out,
          "usage: sipspec coverage [--json] [--html OUT.html] [--fail-under PCT] FILE...\n"
          "Merges coverage files (written by programs run with SIPSPEC_COVERAGE_FILE set, see\n"
          "docs/coverage.md) and reports, for each chart built into this sipspec, the transitions\n"
          "taken and states visited, and every transition never taken with its RFC section.\n"
          "Counts recorded with an older version of a chart are reported as stale, not merged.\n"
          "  --json            the report as JSON (format sipspec-coverage-report/1)\n"
          "  --html OUT.html   also write a self-contained page with the coloured chart diagrams\n"
          "  --fail-under PCT  exit 1 when any chart has less than PCT%% of its transitions taken\n"
          "Exit status: 0 ok, 1 below the threshold, 2 usage, I/O error or a corrupt file.\n");
}

static int parse_pct(const char *s, double *out) {
  char *end;
  double v = strtod(s, &end);
  if (end == s || *end || !(v >= 0.0 && v <= 100.0)) return -1;
  *out = v;
  return 0;
}

/* Warns on stderr about every chart a file recorded with another hash than the built one. */
static void warn_stale(const sipspec_coverage *cov) {
  int n;
  const sipspec_chart *const *charts = sipspec_charts(&n);
  for (int i = 0; i < n; i++) {
    sipspec_coverage_stats st;
    if (sipspec_coverage_chart_stats(cov, charts[i]->name, &st) || !st.stale_sets) continue;
    fprintf(stderr, "sipspec coverage: warning: chart '%s' has changed since some files were written "
            "(%d other hash%s); their counts are reported as stale, not merged\n", charts[i]->name, st.stale_sets,
            st.stale_sets == 1 ? "" : "es");
  }
}

static int write_html(const sipspec_coverage *cov, double fail_under, const char *path) {
  FILE *f = fopen(path, "w");
  if (!f) {
    fprintf(stderr, "sipspec coverage: %s: cannot create: %s\n", path, strerror(errno));
    return 2;
  }
  int rc = sipspec_coverage_report_html(cov, fail_under, f, NULL);
  if (fclose(f) || rc) {
    fprintf(stderr, "sipspec coverage: %s: write error\n", path);
    return 2;
  }
  return 0;
}

int sipspec_cmd_coverage(int argc, char **argv) {
  int json = 0, n_files = 0, opts_done = 0;
  const char *html = NULL;
  double fail_under = -1;
  char **files = calloc((size_t)argc + 1, sizeof *files);
  if (!files) return 2;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (opts_done || a[0] != '-' || !a[1]) {
      files[n_files++] = argv[i];
    } else if (!strcmp(a, "--")) {
      opts_done = 1;
    } else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
      usage(stdout);
      free(files);
      return 0;
    } else if (!strcmp(a, "--json")) {
      json = 1;
    } else if (!strcmp(a, "--html") || !strcmp(a, "--fail-under")) {
      if (i + 1 >= argc) {
        fprintf(stderr, "sipspec coverage: %s needs a value\n", a);
        goto usage_error;
      }
      if (a[2] == 'h') {
        html = argv[++i];
      } else if (parse_pct(argv[++i], &fail_under)) {
        fprintf(stderr, "sipspec coverage: --fail-under '%s': not a percentage from 0 to 100\n", argv[i]);
        goto usage_error;
      }
    } else {
      fprintf(stderr, "sipspec coverage: unknown option '%s'\n", a);
      goto usage_error;
    }
  }
  if (!n_files) {
    fprintf(stderr, "sipspec coverage: no coverage file given\n");
    goto usage_error;
  }

  sipspec_coverage *cov = sipspec_coverage_new();
  char err[SIPSPEC_COVERAGE_ERRLEN];
  int status = 0, below = 0;
  if (!cov) {
    fprintf(stderr, "sipspec coverage: out of memory\n");
    free(files);
    return 2;
  }
  for (int i = 0; i < n_files && !status; i++)
    if (sipspec_coverage_merge_file(cov, files[i], err, sizeof err)) {
      fprintf(stderr, "sipspec coverage: %s\n", err);
      status = 2;
    }
  if (!status && sipspec_coverage_check(cov, err, sizeof err)) {
    fprintf(stderr, "sipspec coverage: %s\n", err);
    status = 2;
  }
  if (!status) {
    warn_stale(cov);
    int rc = json ? sipspec_coverage_report_json(cov, fail_under, stdout, &below)
                  : sipspec_coverage_report_text(cov, fail_under, stdout, &below);
    if (fflush(stdout) || rc) {
      fprintf(stderr, "sipspec coverage: cannot write the report\n");
      status = 2;
    }
  }
  if (!status && html) status = write_html(cov, fail_under, html);
  if (!status && below) {
    fprintf(stderr, "sipspec coverage: %d chart%s below %.1f%% of transitions taken\n", below, below == 1 ? "" : "s",
            fail_under);
    status = 1;
  }
  sipspec_coverage_free(cov);
  free(files);
  return status;

usage_error:
  usage(stderr);
  free(files);
  return 2;
}
