/* coverage_set.c: a set of coverage counts read from "sipspec-coverage/1" documents and merged.
 *
 * Why a set and not just the built charts' arrays: files come from other builds. A file may
 * record a chart whose definition has changed since (another hash), and such counts must not be
 * silently added to transitions that may now mean something else. So the set keeps one entry
 * per (chart, hash): documents with the same chart and hash add up by transition name, other
 * hashes stay apart (the reports call them stale). Every document is checked in full before
 * anything is merged, so a bad document leaves the set as it was.
 *
 * Limits (a hostile file cannot make the merge quadratic in its size): at most
 * MAX_CHARTS charts per document and MAX_TRANSITIONS transitions per chart. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "fsm/coverage_internal.h"

#define MAX_CHARTS 1024
#define MAX_TRANSITIONS 4096
#define MAX_FILE_BYTES (64u << 20)

sipspec_coverage *sipspec_coverage_new(void) { return calloc(1, sizeof(sipspec_coverage)); }

static void entry_free(sipspec_cov_entry *e) {
  for (int t = 0; t < e->n_transitions; t++) {
    sipspec_cov_transition *tr = &e->transitions[t];
    free(tr->name), free(tr->from), free(tr->event), free(tr->to), free(tr->rfc);
  }
  for (int o = 0; o < e->n_origins; o++) free(e->origins[o]);
  free(e->transitions), free(e->origins), free(e->chart), free(e->hash);
}

void sipspec_coverage_free(sipspec_coverage *cov) {
  if (!cov) return;
  for (int i = 0; i < cov->n; i++) entry_free(&cov->entries[i]);
  free(cov->entries);
  free(cov);
}

const sipspec_cov_entry *sipspec_cov_find(const sipspec_coverage *cov, const char *chart, const char *hash) {
  for (int i = 0; i < cov->n; i++)
    if (!strcmp(cov->entries[i].chart, chart) && !strcmp(cov->entries[i].hash, hash)) return &cov->entries[i];
  return NULL;
}

static const sipspec_cov_transition *find_transition(const sipspec_cov_entry *e, const char *name, int hint) {
  if (hint >= 0 && hint < e->n_transitions && !strcmp(e->transitions[hint].name, name)) return &e->transitions[hint];
  for (int t = 0; t < e->n_transitions; t++)
    if (!strcmp(e->transitions[t].name, name)) return &e->transitions[t];
  return NULL;
}

uint64_t sipspec_cov_count(const sipspec_cov_entry *current, const sipspec_chart *c, int t) {
  if (!current) return 0;
  const sipspec_cov_transition *tr = find_transition(current, c->transitions[t].name, t);
  return tr ? tr->count : 0;
}

int sipspec_cov_origin_first(const sipspec_coverage *cov, int i, int o) {
  const char *name = cov->entries[i].origins[o];
  for (int j = 0; j <= i; j++)
    for (int k = 0; k < cov->entries[j].n_origins && (j < i || k < o); k++)
      if (!strcmp(cov->entries[j].origins[k], name)) return 0;
  return 1;
}

/* ---- reading one document into a list of entries ---------------------------------------- */

typedef struct doc {
  int n;
  sipspec_cov_entry *entries;
  const char *origin;
  char *err;
  size_t errlen;
} doc;

static void doc_free(doc *d) {
  for (int i = 0; i < d->n; i++) entry_free(&d->entries[i]);
  free(d->entries);
}

/* A required member of type `type`; NULL (and a message) otherwise. `where` names the object. */
static const sipspec_json *member(doc *d, const sipspec_json *obj, const char *key, int type, const char *where) {
  const sipspec_json *v = sipspec_json_get(obj, key);
  if (!v)
    sipspec_cov_error(d->err, d->errlen, "%s: %s (line %d, column %d) has no \"%s\"", d->origin, where, obj->line,
                      obj->col, key);
  else if (v->type != type)
    sipspec_cov_error(d->err, d->errlen, "%s: line %d, column %d: \"%s\" of %s is %s, expected %s", d->origin,
                      v->line, v->col, key, where, sipspec_json_type_name(v->type), sipspec_json_type_name(type));
  else if (type == SIPSPEC_JSON_STRING && !v->text[0])
    sipspec_cov_error(d->err, d->errlen, "%s: line %d, column %d: \"%s\" of %s is empty", d->origin, v->line,
                      v->col, key, where);
  else
    return v;
  return NULL;
}

/* A non-negative integer that fits in 64 bits, from the number's text. */
static int parse_count(doc *d, const sipspec_json *v, const char *where, uint64_t *out) {
  const char *s = v->text;
  if (s[0] == '-') {
    sipspec_cov_error(d->err, d->errlen, "%s: line %d, column %d: %s: count is negative (%s)", d->origin, v->line,
                      v->col, where, s);
    return SIPSPEC_E_INVAL;
  }
  uint64_t n = 0;
  for (; *s; s++) {
    if (*s < '0' || *s > '9') {
      sipspec_cov_error(d->err, d->errlen, "%s: line %d, column %d: %s: count is not an integer (%s)", d->origin,
                        v->line, v->col, where, v->text);
      return SIPSPEC_E_INVAL;
    }
    unsigned digit = (unsigned)(*s - '0');
    if (n > (UINT64_MAX - digit) / 10) {
      sipspec_cov_error(d->err, d->errlen, "%s: line %d, column %d: %s: count too large (%s)", d->origin, v->line,
                        v->col, where, v->text);
      return SIPSPEC_E_RANGE;
    }
    n = n * 10 + digit;
  }
  *out = n;
  return SIPSPEC_OK;
}

static int read_transition(doc *d, const sipspec_json *o, const char *chart, sipspec_cov_transition *tr) {
  char where[160];
  snprintf(where, sizeof where, "a transition of chart '%s'", chart);
  if (o->type != SIPSPEC_JSON_OBJECT) {
    sipspec_cov_error(d->err, d->errlen, "%s: line %d, column %d: %s is %s, expected an object", d->origin,
                      o->line, o->col, where, sipspec_json_type_name(o->type));
    return SIPSPEC_E_INVAL;
  }
  const sipspec_json *name = member(d, o, "name", SIPSPEC_JSON_STRING, where);
  if (!name) return SIPSPEC_E_INVAL;
  snprintf(where, sizeof where, "transition '%.60s' of chart '%.60s'", name->text, chart);
  const sipspec_json *from = member(d, o, "from", SIPSPEC_JSON_STRING, where), *ev, *to, *rfc, *count;
  if (!from || !(ev = member(d, o, "event", SIPSPEC_JSON_STRING, where)) ||
      !(to = member(d, o, "to", SIPSPEC_JSON_STRING, where)) ||
      !(rfc = member(d, o, "rfc", SIPSPEC_JSON_STRING, where)) ||
      !(count = member(d, o, "count", SIPSPEC_JSON_NUMBER, where)))
    return SIPSPEC_E_INVAL;
  int rc = parse_count(d, count, where, &tr->count);
  if (rc) return rc;
  tr->name = strdup(name->text), tr->from = strdup(from->text), tr->event = strdup(ev->text);
  tr->to = strdup(to->text), tr->rfc = strdup(rfc->text);
  return tr->name && tr->from && tr->event && tr->to && tr->rfc ? SIPSPEC_OK : SIPSPEC_E_NOMEM;
}

static int read_chart(doc *d, const sipspec_json *o, sipspec_cov_entry *e) {
  if (o->type != SIPSPEC_JSON_OBJECT) {
    sipspec_cov_error(d->err, d->errlen, "%s: line %d, column %d: an element of \"charts\" is %s, expected an object",
                      d->origin, o->line, o->col, sipspec_json_type_name(o->type));
    return SIPSPEC_E_INVAL;
  }
  const sipspec_json *name = member(d, o, "chart", SIPSPEC_JSON_STRING, "a chart");
  if (!name) return SIPSPEC_E_INVAL;
  char where[96];
  snprintf(where, sizeof where, "chart '%.60s'", name->text);
  const sipspec_json *hash = member(d, o, "hash", SIPSPEC_JSON_STRING, where), *states, *trs;
  if (!hash || !(states = member(d, o, "states", SIPSPEC_JSON_NUMBER, where)) ||
      !(trs = member(d, o, "transitions", SIPSPEC_JSON_ARRAY, where)))
    return SIPSPEC_E_INVAL;
  uint64_t n_states;
  int rc = parse_count(d, states, where, &n_states);
  if (rc) return rc;
  if (n_states > MAX_TRANSITIONS || trs->n > MAX_TRANSITIONS) {
    sipspec_cov_error(d->err, d->errlen, "%s: %s: more than %d states or transitions", d->origin, where,
                      MAX_TRANSITIONS);
    return SIPSPEC_E_RANGE;
  }
  e->chart = strdup(name->text);
  e->hash = strdup(hash->text);
  e->states = (int)n_states;
  e->transitions = calloc(trs->n ? trs->n : 1, sizeof *e->transitions);
  if (!e->chart || !e->hash || !e->transitions) return SIPSPEC_E_NOMEM;
  for (size_t t = 0; t < trs->n; t++) {
    if ((rc = read_transition(d, &trs->items[t], e->chart, &e->transitions[t]))) {
      e->n_transitions = (int)t + 1; /* so entry_free releases what was read */
      return rc;
    }
    e->n_transitions = (int)t + 1;
    if (find_transition(e, e->transitions[t].name, -1) != &e->transitions[t]) {
      sipspec_cov_error(d->err, d->errlen, "%s: line %d, column %d: %s lists transition '%s' twice", d->origin,
                        trs->items[t].line, trs->items[t].col, where, e->transitions[t].name);
      return SIPSPEC_E_INVAL;
    }
  }
  return SIPSPEC_OK;
}

static int read_doc(doc *d, const char *data, size_t len) {
  sipspec_json *root;
  char jerr[SIPSPEC_COVERAGE_ERRLEN];
  if (len == 0) {
    sipspec_cov_error(d->err, d->errlen, "%s: empty file, not a sipspec-coverage/1 document", d->origin);
    return SIPSPEC_E_INVAL;
  }
  int rc = sipspec_json_parse(data, len, &root, jerr, sizeof jerr);
  if (rc) {
    sipspec_cov_error(d->err, d->errlen, "%s: %s", d->origin, jerr);
    return rc;
  }
  const sipspec_json *fmt, *charts;
  if (root->type != SIPSPEC_JSON_OBJECT) {
    sipspec_cov_error(d->err, d->errlen, "%s: the document is %s, expected an object", d->origin,
                      sipspec_json_type_name(root->type));
    rc = SIPSPEC_E_INVAL;
  } else if (!(fmt = member(d, root, "format", SIPSPEC_JSON_STRING, "the document"))) {
    rc = SIPSPEC_E_INVAL;
  } else if (strcmp(fmt->text, "sipspec-coverage/1")) {
    sipspec_cov_error(d->err, d->errlen, "%s: line %d, column %d: format is \"%.80s\", expected \"sipspec-coverage/1\"",
                      d->origin, fmt->line, fmt->col, fmt->text);
    rc = SIPSPEC_E_INVAL;
  } else if (!(charts = member(d, root, "charts", SIPSPEC_JSON_ARRAY, "the document"))) {
    rc = SIPSPEC_E_INVAL;
  } else if (charts->n > MAX_CHARTS) {
    sipspec_cov_error(d->err, d->errlen, "%s: more than %d charts", d->origin, MAX_CHARTS);
    rc = SIPSPEC_E_RANGE;
  } else if (!(d->entries = calloc(charts->n ? charts->n : 1, sizeof *d->entries))) {
    rc = SIPSPEC_E_NOMEM;
  } else {
    for (size_t i = 0; i < charts->n && !rc; i++) {
      d->n = (int)i + 1;
      rc = read_chart(d, &charts->items[i], &d->entries[i]);
      for (size_t j = 0; j < i && !rc; j++)
        if (!strcmp(d->entries[j].chart, d->entries[i].chart) && !strcmp(d->entries[j].hash, d->entries[i].hash)) {
          sipspec_cov_error(d->err, d->errlen, "%s: line %d, column %d: chart '%s' with hash %s is listed twice",
                            d->origin, charts->items[i].line, charts->items[i].col, d->entries[i].chart,
                            d->entries[i].hash);
          rc = SIPSPEC_E_INVAL;
        }
    }
  }
  sipspec_json_free(root);
  if (rc == SIPSPEC_E_NOMEM) sipspec_cov_error(d->err, d->errlen, "%s: out of memory", d->origin);
  return rc;
}

/* ---- merging ----------------------------------------------------------------------------- */

/* Checks that every entry of d can be merged into cov: same hash means same transitions. */
static int plan(const sipspec_coverage *cov, const doc *d) {
  for (int i = 0; i < d->n; i++) {
    const sipspec_cov_entry *a = &d->entries[i], *e = sipspec_cov_find(cov, a->chart, a->hash);
    if (!e) continue;
    const char *why = NULL, *which = "";
    if (a->n_transitions != e->n_transitions) why = "a different number of transitions";
    else if (a->states != e->states) why = "a different number of states";
    for (int t = 0; t < a->n_transitions && !why; t++) {
      const sipspec_cov_transition *x = &a->transitions[t], *y = find_transition(e, x->name, t);
      which = x->name;
      if (!y) why = "a transition the other does not have:";
      else if (strcmp(x->from, y->from) || strcmp(x->event, y->event) || strcmp(x->to, y->to))
        why = "another source, event or target for";
      else if (y->count > UINT64_MAX - x->count) why = "a count that overflows when added, for";
    }
    if (why) {
      sipspec_cov_error(d->err, d->errlen, "%s: chart '%s' has the same hash %s as in %s but %s %s", d->origin,
                        a->chart, a->hash, e->origins[0], why, which);
      return SIPSPEC_E_INVAL;
    }
  }
  return SIPSPEC_OK;
}

static int add_origin(sipspec_cov_entry *e, const char *origin) {
  if (e->n_origins && !strcmp(e->origins[e->n_origins - 1], origin)) return SIPSPEC_OK;
  char **o = realloc(e->origins, (size_t)(e->n_origins + 1) * sizeof *o);
  if (!o) return SIPSPEC_E_NOMEM;
  e->origins = o;
  if (!(o[e->n_origins] = strdup(origin))) return SIPSPEC_E_NOMEM;
  e->n_origins++;
  return SIPSPEC_OK;
}

/* Moves or adds every entry of d into cov; plan() has said it fits. */
static int apply(sipspec_coverage *cov, doc *d) {
  int added = 0;
  for (int i = 0; i < d->n; i++)
    if (!sipspec_cov_find(cov, d->entries[i].chart, d->entries[i].hash)) added++;
  sipspec_cov_entry *grown = realloc(cov->entries, (size_t)(cov->n + added + 1) * sizeof *grown);
  if (!grown) return SIPSPEC_E_NOMEM;
  cov->entries = grown;
  for (int i = 0; i < d->n; i++) {
    sipspec_cov_entry *a = &d->entries[i], *e = (sipspec_cov_entry *)sipspec_cov_find(cov, a->chart, a->hash);
    if (e) {
      for (int t = 0; t < a->n_transitions; t++)
        ((sipspec_cov_transition *)find_transition(e, a->transitions[t].name, t))->count += a->transitions[t].count;
    } else {
      e = &cov->entries[cov->n++];
      *e = *a;
      memset(a, 0, sizeof *a);
    }
    if (add_origin(e, d->origin)) return SIPSPEC_E_NOMEM;
  }
  return SIPSPEC_OK;
}

static int merge_doc(sipspec_coverage *cov, doc *d) {
  int rc = plan(cov, d);
  if (!rc) rc = apply(cov, d);
  if (rc == SIPSPEC_E_NOMEM) sipspec_cov_error(d->err, d->errlen, "%s: out of memory", d->origin);
  doc_free(d);
  return rc;
}

int sipspec_coverage_merge_json(sipspec_coverage *cov, const char *data, size_t len, const char *origin, char *err,
                                size_t errlen) {
  doc d = {.origin = origin ? origin : "(document)", .err = err, .errlen = errlen};
  int rc = read_doc(&d, data, len);
  if (rc) {
    doc_free(&d);
    return rc;
  }
  return merge_doc(cov, &d);
}

int sipspec_coverage_merge_file(sipspec_coverage *cov, const char *path, char *err, size_t errlen) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    sipspec_cov_error(err, errlen, "%s: cannot open: %s", path, strerror(errno));
    return SIPSPEC_E_IO;
  }
  char *buf = NULL;
  size_t len = 0, cap = 0;
  int rc = SIPSPEC_OK;
  for (;;) {
    if (len == cap) {
      if (cap >= MAX_FILE_BYTES) {
        sipspec_cov_error(err, errlen, "%s: larger than %u MiB, not a coverage file", path, MAX_FILE_BYTES >> 20);
        rc = SIPSPEC_E_RANGE;
        break;
      }
      char *nb = realloc(buf, cap = cap ? cap * 2 : 65536);
      if (!nb) {
        rc = SIPSPEC_E_NOMEM;
        sipspec_cov_error(err, errlen, "%s: out of memory", path);
        break;
      }
      buf = nb;
    }
    size_t got = fread(buf + len, 1, cap - len, f);
    len += got;
    if (got == 0) {
      if (ferror(f)) {
        sipspec_cov_error(err, errlen, "%s: read error: %s", path, strerror(errno));
        rc = SIPSPEC_E_IO;
      }
      break;
    }
  }
  fclose(f);
  if (!rc) rc = sipspec_coverage_merge_json(cov, buf ? buf : "", len, path, err, errlen);
  free(buf);
  return rc;
}

/* Entries for the built charts with the given counts (the process's, or deltas of them). */
int sipspec_cov_merge_counts(sipspec_coverage *cov, const uint64_t *const *counts, const char *origin) {
  int n;
  const sipspec_chart *const *charts = sipspec_charts(&n);
  doc d = {.origin = origin, .entries = calloc((size_t)n + 1, sizeof(sipspec_cov_entry))};
  if (!d.entries) return SIPSPEC_E_NOMEM;
  int rc = SIPSPEC_OK;
  for (int i = 0; i < n && !rc; i++) {
    const sipspec_chart *c = charts[i];
    sipspec_cov_entry *e = &d.entries[d.n++];
    e->chart = strdup(c->name), e->hash = strdup(c->hash), e->states = c->n_states;
    e->transitions = calloc((size_t)c->n_transitions + 1, sizeof *e->transitions);
    if (!e->chart || !e->hash || !e->transitions) {
      rc = SIPSPEC_E_NOMEM;
      break;
    }
    for (int t = 0; t < c->n_transitions && !rc; t++) {
      const sipspec_chart_transition *ct = &c->transitions[t];
      sipspec_cov_transition *tr = &e->transitions[e->n_transitions++];
      tr->name = strdup(ct->name), tr->from = strdup(c->states[ct->from]);
      tr->event = strdup(sipspec_event_name(ct->event)), tr->to = strdup(c->states[ct->to]);
      tr->rfc = strdup(ct->rfc), tr->count = counts[i][t];
      if (!tr->name || !tr->from || !tr->event || !tr->to || !tr->rfc) rc = SIPSPEC_E_NOMEM;
    }
  }
  if (rc) {
    doc_free(&d);
    return rc;
  }
  return merge_doc(cov, &d);
}

int sipspec_coverage_merge_process(sipspec_coverage *cov) {
  int n;
  const sipspec_chart *const *charts = sipspec_charts(&n);
  const uint64_t **counts = calloc((size_t)n + 1, sizeof *counts);
  if (!counts) return SIPSPEC_E_NOMEM;
  for (int i = 0; i < n; i++) counts[i] = charts[i]->counts;
  int rc = sipspec_cov_merge_counts(cov, counts, "this process");
  free(counts);
  return rc;
}

/* ---- against the built charts ------------------------------------------------------------ */

int sipspec_coverage_check(const sipspec_coverage *cov, char *err, size_t errlen) {
  for (int i = 0; i < cov->n; i++) {
    const sipspec_cov_entry *e = &cov->entries[i];
    const sipspec_chart *c = sipspec_chart_find(e->chart);
    const char *origin = e->n_origins ? e->origins[0] : "(document)";
    if (!c) {
      sipspec_cov_error(err, errlen, "%s: chart '%s' is not a chart of this sipspec (see 'sipspec charts')", origin,
                        e->chart);
      return SIPSPEC_E_NOTFOUND;
    }
    if (strcmp(e->hash, c->hash)) continue; /* stale: recorded with another definition */
    for (int t = 0; t < e->n_transitions; t++) {
      const sipspec_cov_transition *x = &e->transitions[t];
      int found = -1;
      for (int k = 0; k < c->n_transitions && found < 0; k++)
        if (!strcmp(c->transitions[k].name, x->name)) found = k;
      if (found < 0) {
        sipspec_cov_error(err, errlen, "%s: chart '%s' (hash %s) has no transition named '%s'", origin, e->chart,
                          e->hash, x->name);
        return SIPSPEC_E_INVAL;
      }
      const sipspec_chart_transition *ct = &c->transitions[found];
      if (strcmp(x->from, c->states[ct->from]) || strcmp(x->to, c->states[ct->to]) ||
          strcmp(x->event, sipspec_event_name(ct->event))) {
        sipspec_cov_error(err, errlen, "%s: chart '%s': transition '%s' is recorded as %s --%s--> %s, the chart has "
                          "%s --%s--> %s", origin, e->chart, x->name, x->from, x->event, x->to, c->states[ct->from],
                          sipspec_event_name(ct->event), c->states[ct->to]);
        return SIPSPEC_E_INVAL;
      }
    }
    if (e->n_transitions != c->n_transitions || e->states != c->n_states) {
      sipspec_cov_error(err, errlen, "%s: chart '%s' (hash %s) lists %d transitions and %d states, the chart has %d "
                        "and %d", origin, e->chart, e->hash, e->n_transitions, e->states, c->n_transitions,
                        c->n_states);
      return SIPSPEC_E_INVAL;
    }
  }
  return SIPSPEC_OK;
}

int sipspec_cov_visited(const sipspec_cov_entry *current, const sipspec_chart *c, unsigned char *visited) {
  int n = 0;
  memset(visited, 0, (size_t)c->n_states);
  for (int t = 0; t < c->n_transitions; t++) {
    if (!sipspec_cov_count(current, c, t)) continue;
    visited[c->transitions[t].from] = visited[c->transitions[t].to] = 1;
  }
  for (int s = 0; s < c->n_states; s++) n += visited[s];
  return n;
}

int sipspec_coverage_chart_stats(const sipspec_coverage *cov, const char *chart, sipspec_coverage_stats *st) {
  const sipspec_chart *c = sipspec_chart_find(chart);
  memset(st, 0, sizeof *st);
  if (!c) return SIPSPEC_E_NOTFOUND;
  const sipspec_cov_entry *cur = sipspec_cov_find(cov, c->name, c->hash);
  unsigned char *visited = calloc((size_t)c->n_states + 1, 1);
  if (!visited) return SIPSPEC_E_NOMEM;
  st->transitions = c->n_transitions;
  st->states = c->n_states;
  for (int t = 0; t < c->n_transitions; t++) {
    uint64_t n = sipspec_cov_count(cur, c, t);
    st->total_count += n;
    st->transitions_taken += n > 0;
  }
  st->states_visited = sipspec_cov_visited(cur, c, visited);
  free(visited);
  st->transitions_pct = st->transitions ? 100.0 * st->transitions_taken / st->transitions : 100.0;
  st->states_pct = st->states ? 100.0 * st->states_visited / st->states : 100.0;
  for (int i = 0; i < cov->n; i++) {
    const sipspec_cov_entry *e = &cov->entries[i];
    if (strcmp(e->chart, c->name) || !strcmp(e->hash, c->hash)) continue;
    st->stale_sets++;
    for (int t = 0; t < e->n_transitions; t++) st->stale_count += e->transitions[t].count;
  }
  return SIPSPEC_OK;
}

int64_t sipspec_coverage_count(const sipspec_coverage *cov, const char *chart, const char *transition) {
  const sipspec_chart *c = sipspec_chart_find(chart);
  if (!c) return -1;
  for (int t = 0; t < c->n_transitions; t++)
    if (!strcmp(c->transitions[t].name, transition)) {
      uint64_t n = sipspec_cov_count(sipspec_cov_find(cov, c->name, c->hash), c, t);
      return n > INT64_MAX ? INT64_MAX : (int64_t)n;
    }
  return -1;
}

int sipspec_coverage_write(const sipspec_coverage *cov, FILE *out) {
  fprintf(out, "{\"format\":\"sipspec-coverage/1\",\"charts\":[");
  for (int i = 0; i < cov->n; i++) {
    const sipspec_cov_entry *e = &cov->entries[i];
    fprintf(out, "%s\n {\"chart\":", i ? "," : "");
    sipspec_json_write_string(out, e->chart);
    fprintf(out, ",\"hash\":");
    sipspec_json_write_string(out, e->hash);
    fprintf(out, ",\"states\":%d,\"transitions\":[", e->states);
    for (int t = 0; t < e->n_transitions; t++) {
      const sipspec_cov_transition *tr = &e->transitions[t];
      fprintf(out, "%s\n  {\"name\":", t ? "," : "");
      sipspec_json_write_string(out, tr->name);
      fprintf(out, ",\"from\":");
      sipspec_json_write_string(out, tr->from);
      fprintf(out, ",\"event\":");
      sipspec_json_write_string(out, tr->event);
      fprintf(out, ",\"to\":");
      sipspec_json_write_string(out, tr->to);
      fprintf(out, ",\"rfc\":");
      sipspec_json_write_string(out, tr->rfc);
      fprintf(out, ",\"count\":%" PRIu64 "}", tr->count);
    }
    fprintf(out, "]}");
  }
  fprintf(out, "\n]}\n");
  return ferror(out) ? SIPSPEC_E_IO : SIPSPEC_OK;
}
