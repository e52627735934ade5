/* net/dns.c: DNS lookups through c-ares on libev, with a TTL cache; see dns.h. */
#include "net/dns.h"

#include <ares.h>
#include <arpa/nameser.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sipspec/error.h"

enum { DNS_MAX_FDS = 16, DNS_CACHE_MAX = 32 };

typedef struct dns_watch {
  ev_io io;
  int used;
} dns_watch;

typedef struct dns_cached {
  dns_kind kind;
  char name[SIPSPEC_LOCATE_NAME_MAX];
  double expires;                  /* ev_now() seconds */
  dns_result res;
} dns_cached;

struct dns_ticket {
  dns_client *c;
  dns_kind kind;
  char name[SIPSPEC_LOCATE_NAME_MAX];
  dns_cb cb;                       /* NULL: cancelled */
  void *arg;
};

struct dns_client {
  struct ev_loop *loop;
  ares_channel ch;
  dns_watch fds[DNS_MAX_FDS];
  ev_timer timeout;
  dns_cached *cache;
  size_t ncache;
  sipspec_resolver_stats stats;
  int freeing;
  dns_ticket *starting;            /* the lookup being started, to see an answer given at once */
  int answered_at_once;
};

const char *dns_kind_name(dns_kind k) { return k == DNS_SRV ? "SRV" : k == DNS_NAPTR ? "NAPTR" : "A/AAAA"; }

/* ---- c-ares on libev --------------------------------------------------------------------- */

static void rearm(dns_client *c) {
  if (c->freeing) return;
  struct timeval tv, *tvp = ares_timeout(c->ch, NULL, &tv);
  ev_timer_stop(c->loop, &c->timeout);
  if (!tvp) return;
  ev_timer_set(&c->timeout, (double)tvp->tv_sec + (double)tvp->tv_usec / 1e6, 0.);
  ev_timer_start(c->loop, &c->timeout);
}

static void io_cb(struct ev_loop *loop, ev_io *w, int revents) {
  (void)loop;
  dns_client *c = w->data;
  ares_process_fd(c->ch, revents & EV_READ ? w->fd : ARES_SOCKET_BAD, revents & EV_WRITE ? w->fd : ARES_SOCKET_BAD);
  rearm(c);
}

static void timeout_cb(struct ev_loop *loop, ev_timer *w, int revents) {
  (void)loop, (void)revents;
  dns_client *c = w->data;
  ares_process_fd(c->ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
  rearm(c);
}

/* c-ares opens, closes and changes interest in its sockets through this. */
static void sock_state_cb(void *data, ares_socket_t fd, int readable, int writable) {
  dns_client *c = data;
  dns_watch *slot = NULL, *free_slot = NULL;
  for (int i = 0; i < DNS_MAX_FDS; i++) {
    if (c->fds[i].used && c->fds[i].io.fd == fd) slot = &c->fds[i];
    else if (!c->fds[i].used && !free_slot) free_slot = &c->fds[i];
  }
  if (slot) ev_io_stop(c->loop, &slot->io);
  if (!readable && !writable) {
    if (slot) slot->used = 0;
    return;
  }
  if (!slot && !(slot = free_slot)) return; /* more sockets than servers*2: its queries time out */
  ev_io_init(&slot->io, io_cb, fd, (readable ? EV_READ : 0) | (writable ? EV_WRITE : 0));
  slot->io.data = c;
  slot->used = 1;
  ev_io_start(c->loop, &slot->io);
}

/* "HOST[:PORT]" items of IP literals, IPv6 in brackets when a port follows. */
static int servers_ok(const char *s) {
  if (!*s) return 0;
  char item[128];
  for (const char *p = s; *p;) {
    size_t n = strcspn(p, ",");
    if (n == 0 || n >= sizeof item) return 0;
    memcpy(item, p, n);
    item[n] = '\0';
    sipspec_sockaddr a;
    char *colon = item[0] == '[' ? strstr(item, "]:") : strchr(item, ':');
    if (colon && item[0] == '[') colon++;
    if (colon && item[0] != '[' && strchr(colon + 1, ':')) colon = NULL; /* bare IPv6 */
    if (colon) {
      char *end;
      unsigned long port = strtoul(colon + 1, &end, 10);
      if (*end || !colon[1] || port == 0 || port > 65535) return 0;
      *colon = '\0';
    }
    if (sipspec_sockaddr_set(&a, item, 53) != SIPSPEC_OK) return 0;
    p += n;
    if (*p == ',') p++;
  }
  return 1;
}

int dns_client_new(struct ev_loop *loop, const char *servers, unsigned timeout_ms, unsigned tries,
                   dns_client **out, char *err, size_t errlen) {
  *out = NULL;
  if (servers && !servers_ok(servers)) {
    if (err && errlen)
      snprintf(err, errlen, "MRCP_SIP_DNS_SERVERS: '%s' is not a list of HOST[:PORT] (IP addresses, IPv6 in brackets)",
               servers);
    return SIPSPEC_E_CONFIG;
  }
  dns_client *c = calloc(1, sizeof *c);
  if (!c) return SIPSPEC_E_NOMEM;
  c->loop = loop;
  ev_timer_init(&c->timeout, timeout_cb, 0., 0.);
  c->timeout.data = c;
  if (ares_library_init(ARES_LIB_INIT_ALL) != ARES_SUCCESS) {
    free(c);
    if (err && errlen) snprintf(err, errlen, "dns: cannot initialise c-ares");
    return SIPSPEC_E_NOMEM;
  }
  struct ares_options o;
  memset(&o, 0, sizeof o);
  o.sock_state_cb = sock_state_cb;
  o.sock_state_cb_data = c;
  o.timeout = (int)(timeout_ms ? timeout_ms : 2000);
  o.tries = (int)(tries ? tries : 2);
  o.lookups = (char *)"b"; /* the DNS only: the hosts file is ours, read once */
  int mask = ARES_OPT_SOCK_STATE_CB | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_LOOKUPS;
  int rc = ares_init_options(&c->ch, &o, mask);
  if (rc == ARES_SUCCESS && servers) rc = ares_set_servers_ports_csv(c->ch, servers);
  /* c-ares takes a SERVFAIL or REFUSED as a reason to ask the next server, and reports
   * "connection refused" once none is left. With one server there is no next one: keep its
   * answer (ARES_FLAG_NOCHECKRESP), so the failure is reported as what it is. */
  struct ares_addr_port_node *list = NULL;
  if (rc == ARES_SUCCESS && ares_get_servers_ports(c->ch, &list) == ARES_SUCCESS && list && !list->next) {
    ares_destroy(c->ch);
    c->ch = NULL;
    o.flags = ARES_FLAG_NOCHECKRESP;
    rc = ares_init_options(&c->ch, &o, mask | ARES_OPT_FLAGS);
    if (rc == ARES_SUCCESS && servers) rc = ares_set_servers_ports_csv(c->ch, servers);
  }
  if (list) ares_free_data(list);
  if (rc != ARES_SUCCESS) {
    if (err && errlen) snprintf(err, errlen, "dns: %s", ares_strerror(rc));
    if (c->ch) ares_destroy(c->ch);
    ares_library_cleanup();
    free(c);
    return rc == ARES_ENOMEM ? SIPSPEC_E_NOMEM : SIPSPEC_E_CONFIG;
  }
  *out = c;
  return SIPSPEC_OK;
}

void dns_client_free(dns_client *c) {
  if (!c) return;
  c->freeing = 1;
  ares_destroy(c->ch); /* pending callbacks run with ARES_EDESTRUCTION: tickets are freed */
  ev_timer_stop(c->loop, &c->timeout);
  for (int i = 0; i < DNS_MAX_FDS; i++)
    if (c->fds[i].used) ev_io_stop(c->loop, &c->fds[i].io);
  free(c->cache);
  ares_library_cleanup();
  free(c);
}

void dns_client_stats(const dns_client *c, sipspec_resolver_stats *out) { *out = c->stats; }

/* ---- the cache ---------------------------------------------------------------------------- */

static const dns_result *cache_get(dns_client *c, dns_kind k, const char *name) {
  double now = ev_now(c->loop);
  for (size_t i = 0; i < c->ncache; i++) {
    dns_cached *e = &c->cache[i];
    if (e->kind == k && !strcasecmp(e->name, name)) {
      if (e->expires > now) return &e->res;
      c->cache[i] = c->cache[--c->ncache]; /* expired */
      return NULL;
    }
  }
  return NULL;
}

/* Keeps a found answer for ttl seconds (0: not kept); the oldest entry makes room. */
static void cache_put(dns_client *c, dns_kind k, const char *name, const dns_result *res, unsigned ttl) {
  if (!ttl || res->status != DNS_R_FOUND) return;
  if (!c->cache && !(c->cache = calloc(DNS_CACHE_MAX, sizeof *c->cache))) return;
  size_t slot = c->ncache;
  if (slot == DNS_CACHE_MAX) {
    slot = 0;
    for (size_t i = 1; i < c->ncache; i++)
      if (c->cache[i].expires < c->cache[slot].expires) slot = i;
  } else {
    c->ncache++;
  }
  dns_cached *e = &c->cache[slot];
  e->kind = k;
  snprintf(e->name, sizeof e->name, "%s", name);
  e->expires = ev_now(c->loop) + ttl;
  e->res = *res;
}

/* ---- answers ------------------------------------------------------------------------------ */

/* The smallest TTL of the answer section's records (RFC 1035 4.1.3); 0 when unreadable. */
static unsigned answer_ttl(const unsigned char *abuf, int alen) {
  if (alen < 12) return 0;
  unsigned qd = (unsigned)(abuf[4] << 8 | abuf[5]), an = (unsigned)(abuf[6] << 8 | abuf[7]);
  const unsigned char *p = abuf + 12;
  char *name;
  long len;
  for (unsigned i = 0; i < qd; i++) {
    if (ares_expand_name(p, abuf, alen, &name, &len) != ARES_SUCCESS) return 0;
    ares_free_string(name);
    p += len + 4;
    if (p > abuf + alen) return 0;
  }
  unsigned ttl = 0;
  for (unsigned i = 0; i < an; i++) {
    if (ares_expand_name(p, abuf, alen, &name, &len) != ARES_SUCCESS) return 0;
    ares_free_string(name);
    p += len;
    if (p + 10 > abuf + alen) return 0;
    unsigned t = (unsigned)p[4] << 24 | (unsigned)p[5] << 16 | (unsigned)p[6] << 8 | p[7];
    unsigned rdlen = (unsigned)(p[8] << 8 | p[9]);
    if (i == 0 || t < ttl) ttl = t;
    p += 10 + rdlen;
  }
  return ttl;
}

static void set_why(dns_result *res, const dns_ticket *t, int status) {
  const char *what = status == ARES_ENOTFOUND ? "no such name (NXDOMAIN)"
                     : status == ARES_ENODATA ? "no record of that type"
                     : status == ARES_ESERVFAIL ? "the server failed (SERVFAIL)"
                     : status == ARES_EREFUSED ? "the server refused the query"
                     : status == ARES_ETIMEOUT ? "no answer (timeout)"
                     : status == ARES_ECONNREFUSED ? "no DNS server answered (unreachable, refused or failed)"
                                                   : ares_strerror(status);
  snprintf(res->why, sizeof res->why, "%s %s: %s", t->name, dns_kind_name(t->kind), what);
}

static void finish(dns_ticket *t, dns_result *res, int ares_status, unsigned ttl) {
  dns_client *c = t->c;
  if (ares_status != ARES_SUCCESS) {
    res->status = ares_status == ARES_ENOTFOUND || ares_status == ARES_ENODATA ? DNS_R_NONE : DNS_R_FAIL;
    if (res->status == DNS_R_FAIL) c->stats.failures++;
    set_why(res, t, ares_status);
  } else if (res->n == 0) {
    res->status = DNS_R_NONE;
    set_why(res, t, ARES_ENODATA);
  } else {
    res->status = DNS_R_FOUND;
    cache_put(c, t->kind, t->name, res, ttl);
  }
  if (t == c->starting) c->answered_at_once = 1;
  if (t->cb) t->cb(res, t->arg);
  free(t);
}

static void copy_name(char *dst, const char *src) {
  size_t n = strlen(src);
  if (n && src[n - 1] == '.') n--; /* the root label */
  if (n >= SIPSPEC_LOCATE_NAME_MAX) n = SIPSPEC_LOCATE_NAME_MAX - 1;
  memcpy(dst, src, n);
  dst[n] = '\0';
}

static void query_cb(void *arg, int status, int timeouts, unsigned char *abuf, int alen) {
  (void)timeouts;
  dns_ticket *t = arg;
  if (status == ARES_EDESTRUCTION || status == ARES_ECANCELLED) {
    free(t);
    return;
  }
  dns_result result, *res = &result;
  memset(res, 0, sizeof *res);
  unsigned ttl = 0;
  if (status == ARES_SUCCESS && t->kind == DNS_SRV) {
    struct ares_srv_reply *srv = NULL;
    status = ares_parse_srv_reply(abuf, alen, &srv);
    for (struct ares_srv_reply *s = srv; s && res->n < DNS_MAX_RECORDS; s = s->next) {
      /* RFC 2782: a target of "." means the service is decidedly not available */
      if (!strcmp(s->host, ".") || !*s->host) continue;
      sipspec_srv_record *r = &res->u.srv[res->n++];
      r->priority = s->priority;
      r->weight = s->weight;
      r->port = s->port;
      copy_name(r->name, s->host);
    }
    if (srv) ares_free_data(srv);
  } else if (status == ARES_SUCCESS && t->kind == DNS_NAPTR) {
    struct ares_naptr_reply *na = NULL;
    status = ares_parse_naptr_reply(abuf, alen, &na);
    for (struct ares_naptr_reply *x = na; x && res->n < DNS_MAX_RECORDS; x = x->next) {
      dns_naptr *r = &res->u.naptr[res->n++];
      r->order = x->order;
      r->pref = x->preference;
      snprintf(r->flags, sizeof r->flags, "%s", (const char *)x->flags);
      snprintf(r->service, sizeof r->service, "%s", (const char *)x->service);
      copy_name(r->replacement, x->replacement);
    }
    if (na) ares_free_data(na);
  }
  if (status == ARES_SUCCESS) ttl = answer_ttl(abuf, alen);
  finish(t, res, status, ttl);
}

static void addrinfo_cb(void *arg, int status, int timeouts, struct ares_addrinfo *ai) {
  (void)timeouts;
  dns_ticket *t = arg;
  if (status == ARES_EDESTRUCTION || status == ARES_ECANCELLED) {
    if (ai) ares_freeaddrinfo(ai);
    free(t);
    return;
  }
  dns_result result, *res = &result;
  memset(res, 0, sizeof *res);
  unsigned ttl = 0;
  int first = 1;
  for (struct ares_addrinfo_node *n = ai ? ai->nodes : NULL; n && res->n < DNS_MAX_RECORDS; n = n->ai_next) {
    sipspec_sockaddr a;
    if (sipspec_sockaddr_from_sockaddr(&a, n->ai_addr, n->ai_addrlen) != SIPSPEC_OK) continue;
    int dup = 0;
    for (size_t j = 0; j < res->n; j++) dup |= sipspec_sockaddr_equal(&res->u.addr[j], &a);
    if (dup) continue;
    res->u.addr[res->n++] = a;
    unsigned t_ttl = n->ai_ttl > 0 ? (unsigned)n->ai_ttl : 0;
    if (first || t_ttl < ttl) ttl = t_ttl;
    first = 0;
  }
  if (ai) ares_freeaddrinfo(ai);
  finish(t, res, status, ttl);
}

dns_ticket *dns_lookup(dns_client *c, dns_kind k, const char *name, dns_cb cb, void *arg, int *out_of_memory) {
  *out_of_memory = 0;
  const dns_result *hit = cache_get(c, k, name);
  if (hit) {
    c->stats.cache_hits++;
    dns_result copy = *hit;
    cb(&copy, arg);
    return NULL;
  }
  dns_ticket *t = calloc(1, sizeof *t);
  if (!t) {
    *out_of_memory = 1;
    return NULL;
  }
  t->c = c;
  t->kind = k;
  copy_name(t->name, name);
  t->cb = cb;
  t->arg = arg;
  c->stats.queries++;
  /* c-ares may answer at once (a bad name, no server): the callback then runs inside this
   * call, and the caller gets NULL as from the cache. */
  c->starting = t;
  c->answered_at_once = 0;
  if (k == DNS_ADDR) {
    struct ares_addrinfo_hints h;
    memset(&h, 0, sizeof h);
    h.ai_family = AF_UNSPEC;
    h.ai_flags = ARES_AI_NOSORT;
    ares_getaddrinfo(c->ch, t->name, NULL, &h, addrinfo_cb, t);
  } else {
    ares_query(c->ch, t->name, ns_c_in, k == DNS_SRV ? ns_t_srv : ns_t_naptr, query_cb, t);
  }
  c->starting = NULL;
  rearm(c);
  return c->answered_at_once ? NULL : t;
}

void dns_ticket_cancel(dns_ticket *t) {
  if (t) t->cb = NULL; /* c-ares still owns it: freed when its callback comes */
}
