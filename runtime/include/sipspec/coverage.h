/* sipspec/coverage.h: state-chart coverage: collecting the transition counters of a process
 * into coverage files. docs/coverage.md.
 *
 * Every transition a machine takes increments a per-process counter (sipspec/fsm.h). This
 * header is the collecting half, for any program that links sipspec; reading, merging and the
 * reports (text, JSON, HTML with the charts' diagrams) are the tools' (`sipspec coverage`,
 * docs/coverage.md):
 *
 * 1. Collecting. sipspec_coverage_write_file() adds the
 *    counts taken since its last successful call to a coverage file, merging with what the
 *    file holds: several programs (or runs) can write one file. The write is atomic (temporary
 *    file in the same folder, fsync, rename) and serialised between processes by an flock on
 *    "<file>.lock", so concurrent writers lose no counts and a crash never leaves a half-written
 *    file. sipspec_coverage_install_atexit() writes at exit to the file named by the environment
 *    variable SIPSPEC_COVERAGE_FILE; sipspec_coverage_write_at_exit() to a file the program
 *    names (`--coverage-out FILE`). Nothing happens behind the program's back: a program that
 *    calls neither writes nothing.
 *
 * 2. Reading (the tools). A sipspec_coverage is a set of per-chart counts read from files (format
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

#pragma GCC visibility pop
#ifdef __cplusplus
}
#endif
#endif
