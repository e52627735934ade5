/* coverage.c: writes the per-process transition counters of every chart: as JSON to a stream,
 * and into coverage files that several processes share (docs/coverage.md).
 *
 * Format "sipspec-coverage/1" (docs/charts.md): one object per chart with its name, the hash
 * of its definition (so counts from an older chart are recognised), and for every transition
 * its name, source, event, target, RFC reference and count. Transitions are listed even when
 * never taken, so a reader needs no other file to see what was missed.
 *
 * A coverage file is written the way a test suite of many programs needs it: each write adds
 * this process's new counts to what the file holds, under an flock on "<file>.lock" (so two
 * programs finishing together lose nothing), through a temporary file in the same folder that
 * is fsynced and renamed over the file (so a crash, a full disk or SIGTERM never leaves a
 * half-written file; SIGINT, SIGTERM and SIGHUP are held back for the few milliseconds of the
 * write so the temporary file does not stay behind either). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fsm/coverage_internal.h"

/* How long a writer waits for another one to release the lock: 3000 x 10 ms. */
#define LOCK_TRIES 3000

int sipspec_coverage_write_json(FILE *out) {
  int n;
  const sipspec_chart *const *charts = sipspec_charts(&n);
  fprintf(out, "{\"format\":\"sipspec-coverage/1\",\"charts\":[");
  for (int i = 0; i < n; i++) {
    const sipspec_chart *c = charts[i];
    fprintf(out, "%s\n {\"chart\":", i ? "," : "");
    sipspec_json_write_string(out, c->name);
    fprintf(out, ",\"hash\":");
    sipspec_json_write_string(out, c->hash);
    fprintf(out, ",\"states\":%d,\"transitions\":[", c->n_states);
    for (int t = 0; t < c->n_transitions; t++) {
      const sipspec_chart_transition *tr = &c->transitions[t];
      fprintf(out, "%s\n  {\"name\":", t ? "," : "");
      sipspec_json_write_string(out, tr->name);
      fprintf(out, ",\"from\":");
      sipspec_json_write_string(out, c->states[tr->from]);
      fprintf(out, ",\"event\":");
      sipspec_json_write_string(out, sipspec_event_name(tr->event));
      fprintf(out, ",\"to\":");
      sipspec_json_write_string(out, c->states[tr->to]);
      fprintf(out, ",\"rfc\":");
      sipspec_json_write_string(out, tr->rfc);
      fprintf(out, ",\"count\":%" PRIu64 "}", c->counts[t]);
    }
    fprintf(out, "]}");
  }
  fprintf(out, "\n]}\n");
  return ferror(out) ? SIPSPEC_E_IO : SIPSPEC_OK;
}

/* What sipspec_coverage_write_file() has already added to a file, per chart and transition,
 * so the next write adds only what is new. Allocated on the first write; lives as long as
 * the process. */
static uint64_t **written;

void sipspec_coverage_reset(void) {
  int n;
  const sipspec_chart *const *charts = sipspec_charts(&n);
  for (int i = 0; i < n; i++)
    for (int t = 0; t < charts[i]->n_transitions; t++) {
      charts[i]->counts[t] = 0;
      if (written) written[i][t] = 0;
    }
}

static int alloc_written(const sipspec_chart *const *charts, int n) {
  if (written) return SIPSPEC_OK;
  uint64_t **w = calloc((size_t)n + 1, sizeof *w);
  if (!w) return SIPSPEC_E_NOMEM;
  for (int i = 0; i < n; i++)
    if (!(w[i] = calloc((size_t)charts[i]->n_transitions + 1, sizeof **w))) {
      while (i--) free(w[i]);
      free(w);
      return SIPSPEC_E_NOMEM;
    }
  written = w;
  return SIPSPEC_OK;
}

/* Takes the exclusive lock on "<path>.lock". Returns the descriptor, or -1 with `err` set. */
static int lock_file(const char *path, char *err, size_t errlen, int *rc) {
  char *lock = malloc(strlen(path) + 6);
  if (!lock) {
    *rc = SIPSPEC_E_NOMEM;
    return -1;
  }
  strcpy(lock, path);
  strcat(lock, ".lock");
  int fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    sipspec_cov_error(err, errlen, "%s: cannot create the lock file: %s", lock, strerror(errno));
    *rc = SIPSPEC_E_IO;
    free(lock);
    return -1;
  }
  for (int tries = 0;; tries++) {
    if (flock(fd, LOCK_EX | LOCK_NB) == 0) break;
    if (errno != EWOULDBLOCK && errno != EINTR) {
      sipspec_cov_error(err, errlen, "%s: cannot lock: %s", lock, strerror(errno));
      *rc = SIPSPEC_E_IO;
    } else if (tries >= LOCK_TRIES) {
      sipspec_cov_error(err, errlen, "%s: another process has held the lock for %d s", lock, LOCK_TRIES / 100);
      *rc = SIPSPEC_E_TIMEOUT;
    } else {
      nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
      continue;
    }
    close(fd);
    free(lock);
    return -1;
  }
  free(lock);
  return fd;
}

/* Makes the rename durable: fsync the folder that holds `path`. Best effort. */
static void sync_dir(const char *path) {
  char *dir = strdup(path);
  if (!dir) return;
  char *slash = strrchr(dir, '/');
  if (slash == dir) slash[1] = '\0';
  else if (slash) *slash = '\0';
  int fd = open(slash ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    fsync(fd);
    close(fd);
  }
  free(dir);
}

/* Writes cov to a temporary file next to path, fsyncs it and renames it over path. */
static int replace_file(const sipspec_coverage *cov, const char *path, char *err, size_t errlen) {
  char *tmp = malloc(strlen(path) + 12);
  if (!tmp) return SIPSPEC_E_NOMEM;
  strcpy(tmp, path);
  strcat(tmp, ".tmp.XXXXXX");
  int fd = mkstemp(tmp);
  if (fd < 0) {
    sipspec_cov_error(err, errlen, "%s: cannot create a temporary file next to it: %s", path, strerror(errno));
    free(tmp);
    return SIPSPEC_E_IO;
  }
  int rc = SIPSPEC_OK;
  const char *step = "write";
  FILE *f = fdopen(fd, "w");
  if (!f) {
    close(fd);
    rc = SIPSPEC_E_IO;
  } else {
    if (fchmod(fd, 0644) || sipspec_coverage_write(cov, f) || fflush(f)) rc = SIPSPEC_E_IO;
    else if (fsync(fd)) rc = SIPSPEC_E_IO, step = "fsync";
    if (fclose(f) && !rc) rc = SIPSPEC_E_IO;
  }
  if (!rc && rename(tmp, path)) rc = SIPSPEC_E_IO, step = "rename";
  if (rc) {
    sipspec_cov_error(err, errlen, "%s: cannot %s %s: %s", path, step, tmp, strerror(errno));
    unlink(tmp);
  } else {
    sync_dir(path);
  }
  free(tmp);
  return rc;
}

int sipspec_coverage_write_file(const char *path, char *err, size_t errlen) {
  if (!path || !*path) {
    sipspec_cov_error(err, errlen, "coverage file: no path given");
    return SIPSPEC_E_INVAL;
  }
  int n, rc;
  const sipspec_chart *const *charts = sipspec_charts(&n);
  if ((rc = alloc_written(charts, n))) return rc;

  /* The counts as they are now, and what is new in them since the last write. */
  uint64_t **now = calloc((size_t)n + 1, sizeof *now), **delta = calloc((size_t)n + 1, sizeof *delta);
  for (int i = 0; now && delta && i < n; i++) {
    const sipspec_chart *c = charts[i];
    now[i] = malloc(((size_t)c->n_transitions + 1) * sizeof **now);
    delta[i] = malloc(((size_t)c->n_transitions + 1) * sizeof **delta);
    if (!now[i] || !delta[i]) break;
    for (int t = 0; t < c->n_transitions; t++) {
      now[i][t] = c->counts[t];
      /* counts below what was written means the counters were zeroed behind our back */
      delta[i][t] = now[i][t] >= written[i][t] ? now[i][t] - written[i][t] : now[i][t];
    }
  }
  int ok = now && delta && (n == 0 || (now[n - 1] && delta[n - 1]));
  sipspec_coverage *cov = ok ? sipspec_coverage_new() : NULL;
  if (!cov) {
    rc = SIPSPEC_E_NOMEM;
    sipspec_cov_error(err, errlen, "%s: out of memory", path);
    goto out;
  }

  /* Wait for the lock with signals deliverable; hold them back once it is ours, until the
   * file has been replaced (so no temporary file is left behind). */
  int lock = lock_file(path, err, errlen, &rc);
  sigset_t hold, old;
  sigemptyset(&hold);
  sigaddset(&hold, SIGINT);
  sigaddset(&hold, SIGTERM);
  sigaddset(&hold, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &hold, &old);
  if (lock >= 0) {
    struct stat st;
    if (stat(path, &st) == 0) {
      rc = sipspec_coverage_merge_file(cov, path, err, errlen);
      if (rc == SIPSPEC_E_INVAL || rc == SIPSPEC_E_RANGE) {
        size_t used = err ? strlen(err) : 0;
        if (err && used + 1 < errlen) snprintf(err + used, errlen - used, " (left as it is, counts not written)");
      }
    } else if (errno != ENOENT) {
      sipspec_cov_error(err, errlen, "%s: %s", path, strerror(errno));
      rc = SIPSPEC_E_IO;
    }
    if (!rc) rc = sipspec_cov_merge_counts(cov, (const uint64_t *const *)delta, "this process");
    if (!rc) rc = replace_file(cov, path, err, errlen);
    close(lock); /* releases the flock */
  }
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  if (!rc)
    for (int i = 0; i < n; i++) memcpy(written[i], now[i], (size_t)charts[i]->n_transitions * sizeof **now);

out:
  sipspec_coverage_free(cov);
  for (int i = 0; i < n; i++) {
    if (now) free(now[i]);
    if (delta) free(delta[i]);
  }
  free(now);
  free(delta);
  return rc;
}

/* ---- at exit ----------------------------------------------------------------------------- */

static char *exit_path;
static int exit_registered;

static void write_at_exit(void) {
  if (!exit_path) return;
  char err[SIPSPEC_COVERAGE_ERRLEN];
  if (sipspec_coverage_write_file(exit_path, err, sizeof err))
    fprintf(stderr, "sipspec: coverage not written: %s\n", err);
  free(exit_path);
  exit_path = NULL;
}

int sipspec_coverage_write_at_exit(const char *path) {
  if (!path || !*path) return SIPSPEC_E_INVAL;
  char *abs;
  if (path[0] == '/') {
    abs = strdup(path);
  } else {
    char *cwd = getcwd(NULL, 0);
    if (!cwd) return SIPSPEC_E_IO;
    abs = malloc(strlen(cwd) + strlen(path) + 2);
    if (abs) sprintf(abs, "%s/%s", cwd, path);
    free(cwd);
  }
  if (!abs) return SIPSPEC_E_NOMEM;
  if (!exit_registered) {
    if (atexit(write_at_exit)) {
      free(abs);
      return SIPSPEC_E_NOMEM;
    }
    exit_registered = 1;
  }
  free(exit_path);
  exit_path = abs;
  return SIPSPEC_OK;
}

int sipspec_coverage_install_atexit(void) {
  const char *path = getenv(SIPSPEC_COVERAGE_ENV);
  if (!path || !*path) return SIPSPEC_OK;
  return sipspec_coverage_write_at_exit(path);
}
