/* resolver.c: the non-blocking resolver of sipspec/resolver.h: IP literals and a hosts
 * file parsed here (no getaddrinfo, which would block the loop and read NSS config).
 *
 * Answers are computed at sipspec_resolve() time and delivered from a zero-delay timer,
 * so callbacks always come on a later loop iteration. A callback may destroy the resolver
 * or start new queries: delivery takes one query off the list at a time and stops as soon
 * as destroy was requested.
 */
#include "sipspec/resolver.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum { RESOLVE_MAX_ADDRS = 8, HOSTS_LINE_MAX = 1024, HOST_NAME_MAX_LEN = 253 };

typedef struct hosts_entry {
  char *name;
  char ip[48];
} hosts_entry;

struct sipspec_resolve_query {
  sipspec_resolve_query *next;
  sipspec_resolve_cb cb;
  void *arg;
  int status;
  size_t n;
  sipspec_sockaddr addrs[RESOLVE_MAX_ADDRS];
};

struct sipspec_resolver {
  struct ev_loop *loop;
  hosts_entry *hosts;
  size_t nhosts, caphosts;
  sipspec_resolve_query *head, *tail;
  ev_timer deliver;
  int depth, destroyed;
};

static void resolver_free(sipspec_resolver *r) {
  ev_timer_stop(r->loop, &r->deliver);
  while (r->head) {
    sipspec_resolve_query *q = r->head;
    r->head = q->next;
    free(q);
  }
  for (size_t i = 0; i < r->nhosts; i++) free(r->hosts[i].name);
  free(r->hosts);
  free(r);
}

static int hosts_add(sipspec_resolver *r, const char *ip, const char *name) {
  if (r->nhosts == r->caphosts) {
    size_t cap = r->caphosts ? r->caphosts * 2 : 16;
    hosts_entry *h = realloc(r->hosts, cap * sizeof *h);
    if (!h) return SIPSPEC_E_NOMEM;
    r->hosts = h;
    r->caphosts = cap;
  }
  hosts_entry *e = &r->hosts[r->nhosts];
  e->name = strdup(name);
  if (!e->name) return SIPSPEC_E_NOMEM;
  snprintf(e->ip, sizeof e->ip, "%s", ip);
  r->nhosts++;
  return SIPSPEC_OK;
}

/* One hosts(5) line: "IP name [aliases...] [# comment]". Lines whose first field is not an
 * IP literal are skipped, as are over-long lines (handled by the caller). */
static int hosts_line(sipspec_resolver *r, char *line) {
  char *hash = strchr(line, '#');
  if (hash) *hash = '\0';
  char *save = NULL;
  char *ip = strtok_r(line, " \t\r\n", &save);
  sipspec_sockaddr probe;
  if (!ip || strlen(ip) >= sizeof r->hosts[0].ip ||
      sipspec_sockaddr_set(&probe, ip, 0) != SIPSPEC_OK)
    return SIPSPEC_OK;
  for (char *name; (name = strtok_r(NULL, " \t\r\n", &save));) {
    if (strlen(name) > HOST_NAME_MAX_LEN) continue;
    int rc = hosts_add(r, ip, name);
    if (rc != SIPSPEC_OK) return rc;
  }
  return SIPSPEC_OK;
}

static int hosts_load(sipspec_resolver *r, const char *path, char *err, size_t errlen) {
  FILE *f = fopen(path, "r");
  if (!f) {
    if (errno == ENOENT) return SIPSPEC_OK;
    if (err && errlen) snprintf(err, errlen, "hosts file %s: %s", path, strerror(errno));
    return SIPSPEC_E_IO;
  }
  char line[HOSTS_LINE_MAX];
  int rc = SIPSPEC_OK, skipping = 0;
  while (rc == SIPSPEC_OK && fgets(line, sizeof line, f)) {
    size_t n = strlen(line);
    int complete = n > 0 && line[n - 1] == '\n';
    /* An over-long line is skipped whole, including the pieces fgets returns after it. */
    if (!skipping && complete) rc = hosts_line(r, line);
    else if (!skipping && feof(f)) rc = hosts_line(r, line);
    skipping = !complete;
  }
  if (rc == SIPSPEC_OK && ferror(f)) {
    if (err && errlen) snprintf(err, errlen, "hosts file %s: read error", path);
    rc = SIPSPEC_E_IO;
  }
  fclose(f);
  return rc;
}

static void deliver_cb(struct ev_loop *loop, ev_timer *w, int revents) {
  (void)loop; (void)revents;
  sipspec_resolver *r = w->data;
  assert(&r->deliver == w);
  /* Deliver only the queries present now; ones started from a callback wait one turn. */
  sipspec_resolve_query *last = r->tail;
  r->depth++;
  while (r->head && !r->destroyed) {
    sipspec_resolve_query *q = r->head;
    r->head = q->next;
    if (!r->head) r->tail = NULL;
    int was_last = q == last;
    q->cb(q->status, q->addrs, q->n, q->arg);
    free(q);
    if (was_last) break;
  }
  r->depth--;
  if (r->destroyed) { resolver_free(r); return; }
  if (r->head) ev_timer_start(r->loop, &r->deliver);
}

int sipspec_resolver_create(struct ev_loop *loop, const sipspec_resolver_opts *opts,
                            sipspec_resolver **out, char *err, size_t errlen) {
  *out = NULL;
  sipspec_resolver *r = calloc(1, sizeof *r);
  if (!r) return SIPSPEC_E_NOMEM;
  r->loop = loop;
  ev_timer_init(&r->deliver, deliver_cb, 0., 0.);
  r->deliver.data = r;
  const char *path = opts && opts->hosts_path ? opts->hosts_path : "/etc/hosts";
  int rc = hosts_load(r, path, err, errlen);
  if (rc != SIPSPEC_OK) {
    resolver_free(r);
    return rc;
  }
  *out = r;
  return SIPSPEC_OK;
}

void sipspec_resolver_destroy(sipspec_resolver *r) {
  if (!r) return;
  if (r->depth > 0) { r->destroyed = 1; return; }
  resolver_free(r);
}

size_t sipspec_resolver_hosts_count(const sipspec_resolver *r) { return r->nhosts; }

static void answer(sipspec_resolver *r, sipspec_resolve_query *q, const char *host,
                   unsigned port) {
  q->status = SIPSPEC_E_RESOLVE;
  if (sipspec_sockaddr_set(&q->addrs[0], host, port) == SIPSPEC_OK) {
    q->status = SIPSPEC_OK;
    q->n = 1;
    return;
  }
  if (host[0] == '[') { q->status = SIPSPEC_E_BAD_ADDRESS; return; }
  for (size_t i = 0; i < r->nhosts && q->n < RESOLVE_MAX_ADDRS; i++) {
    if (strcasecmp(r->hosts[i].name, host) != 0) continue;
    sipspec_sockaddr a;
    int dup = 0;
    if (sipspec_sockaddr_set(&a, r->hosts[i].ip, port) != SIPSPEC_OK) continue;
    for (size_t j = 0; j < q->n; j++) dup |= sipspec_sockaddr_equal(&q->addrs[j], &a);
    if (!dup) q->addrs[q->n++] = a;
  }
  if (q->n) q->status = SIPSPEC_OK;
}

int sipspec_resolve(sipspec_resolver *r, const char *host, unsigned port, sipspec_tp_kind tp,
                    sipspec_resolve_cb cb, void *arg, sipspec_resolve_query **query) {
  if (query) *query = NULL;
  if (!r || !host || !cb || port > 65535 || r->destroyed) return SIPSPEC_E_INVAL;
  sipspec_resolve_query *q = calloc(1, sizeof *q);
  if (!q) return SIPSPEC_E_NOMEM;
  q->cb = cb;
  q->arg = arg;
  if (port == 0) port = tp == SIPSPEC_TP_TLS ? 5061 : 5060;
  if (*host == '\0' || strlen(host) > HOST_NAME_MAX_LEN) q->status = SIPSPEC_E_BAD_ADDRESS;
  else answer(r, q, host, port);
  if (r->tail) r->tail->next = q; else r->head = q;
  r->tail = q;
  if (query) *query = q;
  ev_timer_start(r->loop, &r->deliver);
  return SIPSPEC_OK;
}

void sipspec_resolve_cancel(sipspec_resolver *r, sipspec_resolve_query *q) {
  sipspec_resolve_query *prev = NULL;
  for (sipspec_resolve_query *p = r->head; p; prev = p, p = p->next) {
    if (p != q) continue;
    if (prev) prev->next = p->next; else r->head = p->next;
    if (r->tail == p) r->tail = prev;
    free(p);
    return;
  }
}
