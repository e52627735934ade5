/* sipspec/coverage.h: state-chart coverage: collecting the transition counters of a process
 * into files, merging files, and reporting them (text, JSON, HTML). docs/coverage.md.
 *
 * Every transition a machine takes increments a per-process counter (sipspec/fsm.h). This
 * header has two halves:
 *
 * 1. Collecting, for any program that links sipspec. sipspec_coverage_write_file() adds the
 *    counts taken since its last successful call to a coverage file, merging with what the
 *    file holds: several programs (or runs) can write one file. The write is atomic (temporary
 *    file in the same folder, fsync, rename) and serialised between processes by an flock on
 *    "<file>.lock", so concurrent writers lose no counts and a crash never leaves a half-written
 *    file. sipspec_coverage_install_atexit() writes at exit to the file named by the environment
 *    variable SIPSPEC_COVERAGE_FILE; sipspec_coverage_write_at_exit() to a file the program
 *    names (`--coverage-out FILE`). Nothing happens behind the program's back: a program that
 *    calls neither writes nothing.
 *
 * 2. Reading. A sipspec_coverage is a set of per-chart counts read from files (format
 *    "sipspec-coverage/1", docs/charts.md) and merged: counts of the same chart and the same
 *    chart hash add up by transition name. Counts recorded with another hash (the chart has
 *    changed since) are kept apart as stale, never added to the current chart's figures. The
 *    reports compare the set with the charts built into this library.
 *
 * Threads: the counters are plain per-process integers; write them (functions of part 1) from
 * the thread that runs the machines, or when the machines are idle.
 */
#ifndef SIPSPEC_COVERAGE_H
#define SIPSPEC_COVERAGE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "sipspec/error.h"

#ifdef __cplusplus
extern "C" {
#endif
#pragma GCC visibility push(default) /* what this header declares is the library's API */

/* The environment variable sipspec_coverage_install_atexit() reads. */
#define SIPSPEC_COVERAGE_ENV "SIPSPEC_COVERAGE_FILE"

/* Size of the error-message buffers below: enough for a path and a reason. */
#define SIPSPEC_COVERAGE_ERRLEN 512

/* ---- 1. this process's counters -------------------------------------------------------- */

/* Writes the counters of every built chart as one "sipspec-coverage/1" document. SIPSPEC_OK
 * or SIPSPEC_E_IO. */
int sipspec_coverage_write_json(FILE *out);

/* Zeroes the counters (and forgets what sipspec_coverage_write_file() has written). */
void sipspec_coverage_reset(void);

/* Adds the counts taken since the last successful call (all counts, the first time) to the
 * coverage file `path`, creating it when missing. Takes an exclusive flock on "<path>.lock"
 * (created next to it and left there), reads and merges the file, writes the result to a
 * temporary file in the same folder, fsyncs it and renames it over `path`. The file is never
 * seen half-written. When `path` exists but is not a valid coverage file, it is left as it is
 * and the call fails. On failure `err` (may be NULL) receives a message naming the file and
 * the reason. Returns SIPSPEC_OK, SIPSPEC_E_IO (open, lock, write, rename), SIPSPEC_E_INVAL
 * (the existing file is corrupt), SIPSPEC_E_NOMEM. */
int sipspec_coverage_write_file(const char *path, char *err, size_t errlen);

/* When SIPSPEC_COVERAGE_FILE is set (and not empty), arranges for the process to call
 * sipspec_coverage_write_file() on that file when it exits normally (exit() or returning from
 * main; not _exit() or a fatal signal: a program that wants its counts after SIGTERM catches
 * the signal and exits). A relative path is taken relative to the current directory at the
 * time of this call. Failures at exit are reported on stderr. Returns SIPSPEC_OK (also when the
 * variable is unset: then nothing is installed), SIPSPEC_E_NOMEM, SIPSPEC_E_IO (the current
 * directory cannot be determined). Safe to call more than once; the last path wins. */
int sipspec_coverage_install_atexit(void);

/* The same for an explicit path, as `sipspec call/serve/demo --coverage-out FILE` pass it. */
int sipspec_coverage_write_at_exit(const char *path);

/* ---- 2. reading, merging, reporting ------------------------------------------------------- */

/* A set of merged coverage counts. Owned by the caller: create, fill, free. */
typedef struct sipspec_coverage sipspec_coverage;

sipspec_coverage *sipspec_coverage_new(void);
void sipspec_coverage_free(sipspec_coverage *cov); /* NULL is fine */

/* Parses one "sipspec-coverage/1" document (`data`, `len` bytes; need not be NUL-terminated)
 * and merges it into `cov`. `origin` (copied) names the document in messages and reports,
 * usually its file name. The reader is strict: malformed JSON, another format tag, a missing or
 * mistyped field, a negative or non-integer count, a chart or transition listed twice, or two
 * documents with the same chart hash but different transitions fail with SIPSPEC_E_INVAL and a
 * message in `err` (origin, line and column or chart and transition, what is wrong); `cov` is
 * then unchanged. Counts that would overflow give SIPSPEC_E_RANGE. An empty document is an
 * error (an empty file has no format tag). */
int sipspec_coverage_merge_json(sipspec_coverage *cov, const char *data, size_t len, const char *origin,
                                char *err, size_t errlen);

/* Reads the file `path` and merges it as above (origin = path). SIPSPEC_E_IO when the file
 * cannot be read. */
int sipspec_coverage_merge_file(sipspec_coverage *cov, const char *path, char *err, size_t errlen);

/* Merges this process's current counters (origin "this process"). */
int sipspec_coverage_merge_process(sipspec_coverage *cov);

/* Checks `cov` against the charts built into this library: every chart must be a built chart,
 * and counts recorded with the built chart's hash must name exactly its transitions (and agree
 * on their source, event and target). Counts recorded with another hash are stale, not an
 * error. SIPSPEC_OK, or SIPSPEC_E_NOTFOUND / SIPSPEC_E_INVAL with a message naming the origin,
 * the chart and the transition. */
int sipspec_coverage_check(const sipspec_coverage *cov, char *err, size_t errlen);

/* Writes `cov` as one "sipspec-coverage/1" document (charts in the order first merged). */
int sipspec_coverage_write(const sipspec_coverage *cov, FILE *out);

/* The figures of one built chart against `cov`. A state is visited when a taken transition
 * leaves or enters it. */
typedef struct sipspec_coverage_stats {
  int transitions, transitions_taken;
  int states, states_visited;
  double transitions_pct, states_pct; /* 0..100; 100 for a chart without transitions */
  uint64_t total_count;               /* all current counts added */
  int stale_sets;                     /* how many stale hashes were seen for this chart */
  uint64_t stale_count;               /* their counts, not part of the figures above */
} sipspec_coverage_stats;

/* Fills `st` for the built chart `chart`. SIPSPEC_OK or SIPSPEC_E_NOTFOUND (no such chart). */
int sipspec_coverage_chart_stats(const sipspec_coverage *cov, const char *chart, sipspec_coverage_stats *st);

/* The merged count of one transition of a built chart with its current hash, or -1 when the
 * chart or transition does not exist. */
int64_t sipspec_coverage_count(const sipspec_coverage *cov, const char *chart, const char *transition);

/* Reports over every built chart. `fail_under` (percent, or a negative value for none) marks
 * the charts whose transition coverage is below it. Each returns SIPSPEC_OK or SIPSPEC_E_IO,
 * and sets *below (may be NULL) to the number of charts below the threshold.
 *  - text: per chart the figures, every transition never taken with its RFC section, the
 *    stale counts and which origin recorded them;
 *  - json: the same, format "sipspec-coverage-report/1" (docs/coverage.md);
 *  - html: one self-contained page: inline CSS and inline SVG diagrams with the transitions
 *    coloured by use and labelled with their counts, and the tables; no script, no link. */
int sipspec_coverage_report_text(const sipspec_coverage *cov, double fail_under, FILE *out, int *below);
int sipspec_coverage_report_json(const sipspec_coverage *cov, double fail_under, FILE *out, int *below);
int sipspec_coverage_report_html(const sipspec_coverage *cov, double fail_under, FILE *out, int *below);

#pragma GCC visibility pop
#ifdef __cplusplus
}
#endif
#endif
