/* coverage_internal.h: what the coverage files (coverage*.c) share and nobody else needs: a
 * small strict JSON reader, and the layout of a sipspec_coverage set. */
#ifndef SIPSPEC_COVERAGE_INTERNAL_H
#define SIPSPEC_COVERAGE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "sipspec/coverage.h"
#include "sipspec/fsm.h"

/* ---- reading and merging coverage documents (the tools' API; write_file merges with it) ------------------------------------------------------- */

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


/* ---- JSON (RFC 8259), as a tree. ----------------------------------------------------------
 * Strict: no comments, no trailing commas, no duplicate keys, no NUL in strings, nesting at
 * most SIPSPEC_JSON_MAX_DEPTH, one value and nothing but white space after it. */
#define SIPSPEC_JSON_MAX_DEPTH 16

enum sipspec_json_type { SIPSPEC_JSON_NULL, SIPSPEC_JSON_BOOL, SIPSPEC_JSON_NUMBER, SIPSPEC_JSON_STRING,
                         SIPSPEC_JSON_ARRAY, SIPSPEC_JSON_OBJECT };

typedef struct sipspec_json sipspec_json;
struct sipspec_json {
  int type;              /* enum sipspec_json_type */
  int line, col;         /* where the value starts (1-based) */
  int boolean;           /* BOOL */
  char *text;            /* STRING: decoded, NUL-terminated; NUMBER: as written */
  size_t n;              /* ARRAY / OBJECT: number of items */
  sipspec_json *items;   /* ARRAY elements; OBJECT values */
  char **keys;           /* OBJECT keys, keys[i] names items[i] */
};

/* Parses `len` bytes. On success *out is a tree the caller frees with sipspec_json_free().
 * On failure SIPSPEC_E_INVAL (or SIPSPEC_E_NOMEM) and `err` gets "line L, column C: reason". */
int sipspec_json_parse(const char *data, size_t len, sipspec_json **out, char *err, size_t errlen);
void sipspec_json_free(sipspec_json *v);
/* The member `key` of an object, or NULL (also when v is not an object). */
const sipspec_json *sipspec_json_get(const sipspec_json *v, const char *key);
const char *sipspec_json_type_name(int type);

/* Writes `s` as a JSON string (quotes and escapes). */
void sipspec_json_write_string(FILE *out, const char *s);

/* ---- a set of coverage counts ------------------------------------------------------------ */
typedef struct sipspec_cov_transition {
  char *name, *from, *event, *to, *rfc;
  uint64_t count;
} sipspec_cov_transition;

/* One chart at one hash: counts of all documents that recorded it, added by transition name. */
typedef struct sipspec_cov_entry {
  char *chart, *hash;
  int states;                         /* as recorded */
  int n_transitions;
  sipspec_cov_transition *transitions;
  int n_origins;
  char **origins;                     /* documents that contributed, in merge order */
} sipspec_cov_entry;

struct sipspec_coverage {
  int n;
  sipspec_cov_entry *entries;
};

/* The entry of `chart` recorded with `hash`, or NULL. */
const sipspec_cov_entry *sipspec_cov_find(const sipspec_coverage *cov, const char *chart, const char *hash);
/* The merged count of transition t of the built chart c (0 when no file recorded it). */
uint64_t sipspec_cov_count(const sipspec_cov_entry *current, const sipspec_chart *c, int t);
/* visited[s] = 1 for every state of c that a taken transition leaves or enters (the one
 * definition of "visited" every report uses); visited has c->n_states entries. Returns how
 * many states were visited. */
int sipspec_cov_visited(const sipspec_cov_entry *current, const sipspec_chart *c, unsigned char *visited);

/* Whether entries[i].origins[o] is the first mention of that origin in the set (to list each
 * origin once). */
int sipspec_cov_origin_first(const sipspec_coverage *cov, int i, int o);

/* Merges entries for every built chart with counts[i][t] for transition t of chart i (in
 * sipspec_charts() order), named `origin`. */
int sipspec_cov_merge_counts(sipspec_coverage *cov, const uint64_t *const *counts, const char *origin);

/* snprintf into an error buffer that may be NULL. */
void sipspec_cov_error(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
