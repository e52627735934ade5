/* resolver.c: the non-blocking resolver of sipspec/resolver.h.
 *
 * Each query runs on the chart spec/locate.rl (RFC 3263 4): its actions below decide which
 * name to look up next and collect the targets; the lookups themselves go to the hosts file
 * (parsed here, read once: no getaddrinfo, which would block the loop and read NSS
 * configuration), IP literals, or the DNS through c-ares (net/dns.c). A query that is done is
 * buried on the clock, which runs its callback and frees it after the callbacks on the stack
 * have returned, so callbacks never come from inside sipspec_resolve() or sipspec_locate().
 */
#include "sipspec/resolver.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "net/dns.h"
#include "sipspec/chart_locate.h"
#include "sipspec/error.h"
#include "sipspec/events.h"
#include "sipspec/fsm.h"
#include "sipspec/msg.h"

enum { HOSTS_LINE_MAX = 1024, HOST_NAME_MAX_LEN = 253, LOC_QUEUE_MAX = 4, LOC_MAX_NAMES = 8 };

typedef struct hosts_entry {
  char *name;
  char ip[48];
} hosts_entry;

/* One name to look up: an SRV name with the transport it stands for, or a target host with
 * its port. */
typedef struct loc_name {
  char name[SIPSPEC_LOCATE_NAME_MAX];
  sipspec_tp_kind tp;
  unsigned port;
} loc_name;

struct sipspec_resolve_query {
  sipspec_resolve_query *prev, *next;  /* in r->live */
  sipspec_clock_grave grave;           /* done: its callback runs and it is freed by the clock */
  sipspec_resolver *r;
  sipspec_fsm fsm;                     /* spec/locate.rl */
  int queue[LOC_QUEUE_MAX];            /* events posted by its actions, fed after the current one */
  int q_head, q_len, feeding;
  sipspec_locate_req req;
  char host[SIPSPEC_LOCATE_NAME_MAX];
  sipspec_resolve_cb rcb;              /* sipspec_resolve() */
  sipspec_locate_cb lcb;               /* sipspec_locate() */
  void *arg;
  dns_ticket *ticket;                  /* the DNS lookup in flight */
  dns_result ans;                      /* the last answer */
  loc_name srv[LOC_MAX_NAMES];         /* SRV names to try, in order */
  int nsrv, srv_i;
  loc_name tg[SIPSPEC_LOCATE_MAX_TARGETS]; /* target hosts, in order */
  int ntg, tg_i;
  sipspec_target out[SIPSPEC_LOCATE_MAX_TARGETS];
  size_t nout;
  int status;
  char why[256];
};

struct sipspec_resolver {
  struct ev_loop *loop;
  sipspec_clock *clock, *own_clock;
  hosts_entry *hosts;
  size_t nhosts, caphosts;
  dns_client *dns;
  int tls;
  sipspec_resolve_query *live;
  int destroying;
};

static void resolver_free(sipspec_resolver *r);

/* Copies the text src into dst of cap bytes, cut if need be (src may overlap dst). */
static void text_copy(char *dst, size_t cap, const char *src) {
  size_t n = strlen(src);
  if (n >= cap) n = cap - 1;
  memmove(dst, src, n);
  dst[n] = '\0';
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
  text_copy(e->ip, sizeof e->ip, ip);
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


/* ---- the machine's host: events, delivery -------------------------------------------------- */

static void on_action(void *ctx, const sipspec_chart *chart, int action);

static void query_unlink(sipspec_resolve_query *q) {
  sipspec_resolver *r = q->r;
  if (q->prev) q->prev->next = q->next;
  else if (r->live == q) r->live = q->next;
  if (q->next) q->next->prev = q->prev;
  q->prev = q->next = NULL;
}

/* The clock runs this after the callbacks on the stack: the answer, then the free. */
static void query_grave_free(sipspec_clock_grave *g) {
  sipspec_resolve_query *q = (sipspec_resolve_query *)((char *)g - offsetof(sipspec_resolve_query, grave));
  if (!q->r->destroying) {
    if (q->rcb) {
      sipspec_sockaddr addrs[SIPSPEC_LOCATE_MAX_TARGETS];
      for (size_t i = 0; i < q->nout; i++) addrs[i] = q->out[i].addr;
      q->rcb(q->status, addrs, q->status ? 0 : q->nout, q->arg);
    } else if (q->lcb) {
      q->lcb(q->status, q->out, q->status ? 0 : q->nout, q->status ? q->why : "", q->arg);
    }
  }
  free(q);
}

/* Feeds ev, then whatever the actions posted meanwhile; a query that reached Done leaves the
 * live list and is buried. */
static void post(sipspec_resolve_query *q, int ev) {
  if (q->feeding) {
    if (q->q_len < LOC_QUEUE_MAX) q->queue[(q->q_head + q->q_len++) % LOC_QUEUE_MAX] = ev;
    return;
  }
  q->feeding = 1;
  (void)sipspec_fsm_feed(&q->fsm, ev);
  for (int guard = 0; q->q_len && guard < 64; guard++) {
    int e = q->queue[q->q_head];
    q->q_head = (q->q_head + 1) % LOC_QUEUE_MAX;
    q->q_len--;
    (void)sipspec_fsm_feed(&q->fsm, e);
  }
  q->feeding = 0;
  if (sipspec_fsm_terminated(&q->fsm)) {
    query_unlink(q);
    sipspec_clock_bury(q->r->clock, &q->grave, q->r, query_grave_free);
  }
}

/* A DNS answer (or the cache's): kept, and given to the chart as an event. */
static void on_dns(const dns_result *res, void *arg) {
  sipspec_resolve_query *q = arg;
  q->ticket = NULL;
  q->ans = *res;
  post(q, res->status == DNS_R_FOUND ? SIPSPEC_EV_DNS_FOUND : res->status == DNS_R_NONE ? SIPSPEC_EV_DNS_NONE
                                                                                        : SIPSPEC_EV_DNS_FAIL);
}

/* RFC 3263 4.1 para 6-7: only records that lead to an SRV lookup ("s") of a service we can
 * use; a SIPS URI keeps the SIPS ones only. None left is no NAPTR at all. */
static void on_naptr(const dns_result *res, void *arg) {
  sipspec_resolve_query *q = arg;
  dns_result keep = *res;
  if (res->status == DNS_R_FOUND) {
    keep.n = 0;
    for (size_t i = 0; i < res->n; i++) {
      const dns_naptr *x = &res->u.naptr[i];
      int sips = !strcasecmp(x->service, "SIPS+D2T");
      int sip = !strcasecmp(x->service, "SIP+D2U") || !strcasecmp(x->service, "SIP+D2T");
      if (strcasecmp(x->flags, "s") || !x->replacement[0]) continue;
      if ((sips && q->r->tls) || (sip && !q->req.secure)) keep.u.naptr[keep.n++] = *x;
    }
    if (!keep.n) {
      keep.status = DNS_R_NONE;
      snprintf(keep.why, sizeof keep.why, "%s NAPTR: no record of a service we can use", q->host);
    }
  }
  on_dns(&keep, arg);
}

static void lookup(sipspec_resolve_query *q, dns_kind k, const char *name) {
  int oom = 0;
  q->ticket = dns_lookup(q->r->dns, k, name, k == DNS_NAPTR ? on_naptr : on_dns, q, &oom);
  if (oom) {
    memset(&q->ans, 0, sizeof q->ans);
    q->ans.status = DNS_R_FAIL;
    snprintf(q->ans.why, sizeof q->ans.why, "%s %s: out of memory", name, dns_kind_name(k));
    post(q, SIPSPEC_EV_DNS_FAIL);
  }
}

/* An answer that needs no DNS (an IP literal, the hosts file, a name we cannot look up). */
static void answer_now(sipspec_resolve_query *q, dns_status st, const char *why) {
  q->ans.status = st;
  text_copy(q->ans.why, sizeof q->ans.why, why);
  post(q, st == DNS_R_FOUND ? SIPSPEC_EV_DNS_FOUND : st == DNS_R_NONE ? SIPSPEC_EV_DNS_NONE : SIPSPEC_EV_DNS_FAIL);
}

static unsigned default_port(sipspec_tp_kind tp) { return tp == SIPSPEC_TP_TLS ? 5061 : 5060; }

/* RFC 3263 4.1: UDP for a SIP URI, TCP (TLS) for a SIPS URI when nothing else says. */
static sipspec_tp_kind default_tp(const sipspec_resolve_query *q) {
  if (q->req.transport >= 0) return (sipspec_tp_kind)q->req.transport;
  return q->req.secure ? SIPSPEC_TP_TLS : SIPSPEC_TP_UDP;
}

static void add_srv_name(sipspec_resolve_query *q, const char *prefix, sipspec_tp_kind tp) {
  if (q->nsrv >= LOC_MAX_NAMES) return;
  size_t lp = strlen(prefix), lh = strlen(q->host);
  if (lp + lh > HOST_NAME_MAX_LEN) return; /* longer than a DNS name can be */
  loc_name *n = &q->srv[q->nsrv++];
  memcpy(n->name, prefix, lp);
  memcpy(n->name + lp, q->host, lh + 1);
  n->tp = tp;
  n->port = 0;
}

/* ---- the chart's actions (spec/locate.rl) ------------------------------------------------- */

#include "chart_locate_actions.h"

static void loc_act_query_naptr(sipspec_resolve_query *q) { lookup(q, DNS_NAPTR, q->host); }

/* RFC 3263 4.2 para 4: the SRV name of the transport given ("_sips" for TLS). */
static void loc_act_srv_name_of_transport(sipspec_resolve_query *q) {
  sipspec_tp_kind tp = default_tp(q);
  add_srv_name(q, tp == SIPSPEC_TP_TLS ? "_sips._tcp." : tp == SIPSPEC_TP_TCP ? "_sip._tcp." : "_sip._udp.", tp);
}

/* RFC 3263 4.1 para 5-7: the usable records (on_dns kept only those) by order, then
 * preference; their replacements are the SRV names to try. */
static void loc_act_srv_names_of_naptr(sipspec_resolve_query *q) {
  dns_naptr *na = q->ans.u.naptr;
  size_t n = q->ans.n;
  for (size_t i = 1; i < n; i++)
    for (size_t j = i; j > 0 && (na[j].order < na[j - 1].order ||
                                 (na[j].order == na[j - 1].order && na[j].pref < na[j - 1].pref)); j--) {
      dns_naptr t = na[j];
      na[j] = na[j - 1];
      na[j - 1] = t;
    }
  for (size_t i = 0; i < n && q->nsrv < LOC_MAX_NAMES; i++) {
    loc_name *ln = &q->srv[q->nsrv++];
    text_copy(ln->name, sizeof ln->name, na[i].replacement);
    ln->tp = !strcasecmp(na[i].service, "SIP+D2U") ? SIPSPEC_TP_UDP
             : !strcasecmp(na[i].service, "SIP+D2T") ? SIPSPEC_TP_TCP : SIPSPEC_TP_TLS;
    ln->port = 0;
  }
}

/* RFC 3263 4.1 para 12: no NAPTR: an SRV query for each transport we support. */
static void loc_act_srv_names_of_supported(sipspec_resolve_query *q) {
  if (!q->req.secure) {
    add_srv_name(q, "_sip._udp.", SIPSPEC_TP_UDP);
    add_srv_name(q, "_sip._tcp.", SIPSPEC_TP_TCP);
  }
  if (q->r->tls) add_srv_name(q, "_sips._tcp.", SIPSPEC_TP_TLS);
  if (!q->nsrv) add_srv_name(q, "_sips._tcp.", SIPSPEC_TP_TLS); /* sips: without TLS: fails later */
}

static void loc_act_query_srv(sipspec_resolve_query *q) { lookup(q, DNS_SRV, q->srv[q->srv_i].name); }

static void loc_act_next_srv_name(sipspec_resolve_query *q) {
  text_copy(q->why, sizeof q->why, q->ans.why);
  post(q, ++q->srv_i < q->nsrv ? SIPSPEC_EV_LOC_MORE : SIPSPEC_EV_LOC_NO_MORE);
}

static unsigned srv_random(void *arg) {
  (void)arg;
  return (unsigned)random() ^ ((unsigned)random() << 16);
}

/* RFC 2782: priority, then weighted random order; each record a target host. */
static void loc_act_order_srv_targets(sipspec_resolve_query *q) {
  sipspec_srv_order(q->ans.u.srv, q->ans.n, srv_random, NULL);
  q->ntg = q->tg_i = 0;
  for (size_t i = 0; i < q->ans.n && q->ntg < SIPSPEC_LOCATE_MAX_TARGETS; i++) {
    loc_name *t = &q->tg[q->ntg++];
    text_copy(t->name, sizeof t->name, q->ans.u.srv[i].name);
    t->port = q->ans.u.srv[i].port;
    t->tp = q->srv[q->srv_i].tp;
  }
}

/* RFC 3263 4.2 para 2-3 and 5: the URI's host itself, at its port or the transport's. */
static void loc_act_target_is_name(sipspec_resolve_query *q) {
  loc_name *t = &q->tg[0];
  text_copy(t->name, sizeof t->name, q->host);
  t->tp = default_tp(q);
  t->port = q->req.port ? q->req.port : default_port(t->tp);
  q->ntg = 1;
  q->tg_i = 0;
}

static void loc_act_query_addr(sipspec_resolve_query *q) {
  const loc_name *t = &q->tg[q->tg_i];
  sipspec_resolver *r = q->r;
  memset(&q->ans, 0, sizeof q->ans);
  if (sipspec_sockaddr_set(&q->ans.u.addr[0], t->name, 0) == SIPSPEC_OK) {
    q->ans.n = 1;
    answer_now(q, DNS_R_FOUND, "");
    return;
  }
  for (size_t i = 0; i < r->nhosts && q->ans.n < DNS_MAX_RECORDS; i++) {
    if (strcasecmp(r->hosts[i].name, t->name) != 0) continue;
    sipspec_sockaddr a;
    int dup = 0;
    if (sipspec_sockaddr_set(&a, r->hosts[i].ip, 0) != SIPSPEC_OK) continue;
    for (size_t j = 0; j < q->ans.n; j++) dup |= sipspec_sockaddr_equal(&q->ans.u.addr[j], &a);
    if (!dup) q->ans.u.addr[q->ans.n++] = a;
  }
  if (q->ans.n) {
    answer_now(q, DNS_R_FOUND, "");
    return;
  }
  if (!r->dns) {
    char why[320];
    snprintf(why, sizeof why, "%s: not in the hosts file (DNS lookups are off)", t->name);
    answer_now(q, DNS_R_NONE, why);
    return;
  }
  lookup(q, DNS_ADDR, t->name);
}

/* RFC 3263 4.2 para 3: every address of the target, at its port, with its transport. */
static void loc_act_take_addresses(sipspec_resolve_query *q) {
  const loc_name *t = &q->tg[q->tg_i];
  for (size_t i = 0; i < q->ans.n && q->nout < SIPSPEC_LOCATE_MAX_TARGETS; i++) {
    sipspec_target *o = &q->out[q->nout];
    o->addr = q->ans.u.addr[i];
    sipspec_sockaddr_set_port(&o->addr, t->port);
    o->tp = t->tp;
    text_copy(o->name, sizeof o->name, t->name);
    q->nout++;
  }
}

static void loc_act_note_missing(sipspec_resolve_query *q) { text_copy(q->why, sizeof q->why, q->ans.why); }

static void loc_act_next_target(sipspec_resolve_query *q) {
  post(q, ++q->tg_i < q->ntg ? SIPSPEC_EV_LOC_MORE : SIPSPEC_EV_LOC_NO_MORE);
}

/* The targets found; none: the last name's trouble, a DNS failure if the DNS failed. */
static void loc_act_deliver(sipspec_resolve_query *q) {
  if (q->nout) {
    q->status = SIPSPEC_OK;
    q->why[0] = '\0';
    return;
  }
  int failed = q->ans.status == DNS_R_FAIL;
  if (failed || q->ans.why[0]) text_copy(q->why, sizeof q->why, q->ans.why);
  q->status = failed ? SIPSPEC_E_DNS : SIPSPEC_E_RESOLVE;
}

static void loc_act_report_failure(sipspec_resolve_query *q) {
  text_copy(q->why, sizeof q->why, q->ans.why);
  q->status = SIPSPEC_E_DNS;
}

static void loc_act_forget(sipspec_resolve_query *q) {
  dns_ticket_cancel(q->ticket);
  q->ticket = NULL;
  q->rcb = NULL;
  q->lcb = NULL;
}

static void on_action(void *ctx, const sipspec_chart *chart, int action) {
  (void)chart;
  sipspec_locate_dispatch(&sipspec_locate_impl, ctx, action);
}

/* ---- the API -------------------------------------------------------------------------------- */

int sipspec_resolver_create(struct ev_loop *loop, const sipspec_resolver_opts *opts,
                            sipspec_resolver **out, char *err, size_t errlen) {
  *out = NULL;
  if (!loop) return SIPSPEC_E_INVAL;
  sipspec_resolver *r = calloc(1, sizeof *r);
  if (!r) return SIPSPEC_E_NOMEM;
  r->loop = loop;
  r->tls = opts && opts->tls;
  r->clock = opts ? opts->clock : NULL;
  if (!r->clock && !(r->clock = r->own_clock = sipspec_clock_libev_new(loop))) {
    free(r);
    return SIPSPEC_E_NOMEM;
  }
  const char *path = opts && opts->hosts_path ? opts->hosts_path : "/etc/hosts";
  int rc = hosts_load(r, path, err, errlen);
  if (rc == SIPSPEC_OK && opts && opts->dns)
    rc = dns_client_new(loop, opts->dns_servers, opts->dns_timeout_ms, opts->dns_tries, &r->dns, err, errlen);
  if (rc != SIPSPEC_OK) {
    resolver_free(r);
    return rc;
  }
  *out = r;
  return SIPSPEC_OK;
}

static void resolver_free(sipspec_resolver *r) {
  r->destroying = 1;
  sipspec_clock_reap_owner(r->clock, r); /* done, not yet answered: dropped */
  while (r->live) {
    sipspec_resolve_query *q = r->live;
    r->live = q->next;
    dns_ticket_cancel(q->ticket);
    free(q);
  }
  dns_client_free(r->dns);
  for (size_t i = 0; i < r->nhosts; i++) free(r->hosts[i].name);
  free(r->hosts);
  sipspec_clock_free(r->own_clock);
  free(r);
}

void sipspec_resolver_destroy(sipspec_resolver *r) {
  if (r) resolver_free(r);
}

size_t sipspec_resolver_hosts_count(const sipspec_resolver *r) { return r->nhosts; }

void sipspec_resolver_stats_get(const sipspec_resolver *r, sipspec_resolver_stats *out) {
  memset(out, 0, sizeof *out);
  if (r && r->dns) dns_client_stats(r->dns, out);
}

static sipspec_resolve_query *query_new(sipspec_resolver *r, const sipspec_locate_req *req) {
  sipspec_resolve_query *q = calloc(1, sizeof *q);
  if (!q) return NULL;
  q->r = r;
  q->req = *req;
  text_copy(q->host, sizeof q->host, req->host);
  q->req.host = q->host;
  sipspec_fsm_init(&q->fsm, &sipspec_chart_locate, on_action, q);
  q->next = r->live;
  if (r->live) r->live->prev = q;
  r->live = q;
  return q;
}

static int host_ok(const char *host) {
  return *host && strlen(host) <= HOST_NAME_MAX_LEN && !strpbrk(host, " \t\r\n");
}

/* A request refused before any lookup: answered through the clock like any other (the
 * callback never comes from inside the call); the chart never left Idle. */
static void refuse(sipspec_resolve_query *q, int status, const char *why) {
  q->status = status;
  text_copy(q->why, sizeof q->why, why);
  query_unlink(q);
  sipspec_clock_bury(q->r->clock, &q->grave, q->r, query_grave_free);
}

static int start(sipspec_resolve_query *q) {
  const sipspec_locate_req *req = &q->req;
  sipspec_sockaddr probe;
  char why[320];
  if (!host_ok(q->host) || (q->host[0] == '[' && sipspec_sockaddr_set(&probe, q->host, 0) != SIPSPEC_OK)) {
    snprintf(why, sizeof why, "'%.253s' is not a host name or IP address", q->host);
    refuse(q, SIPSPEC_E_BAD_ADDRESS, why);
    return SIPSPEC_OK;
  }
  if (req->secure && req->transport >= 0 && req->transport != SIPSPEC_TP_TLS) {
    snprintf(why, sizeof why, "a sips: URI needs TLS on every hop (RFC 5630), not %s",
             req->transport == SIPSPEC_TP_TCP ? "tcp" : "udp");
    refuse(q, SIPSPEC_E_TSX_NO_TRANSPORT, why);
    return SIPSPEC_OK;
  }
  int numeric = sipspec_sockaddr_set(&probe, q->host, 0) == SIPSPEC_OK;
  if (req->port || numeric || !req->srv || !q->r->dns) post(q, SIPSPEC_EV_LOC_ADDR);
  else if (req->transport >= 0) post(q, SIPSPEC_EV_LOC_SRV);
  else post(q, SIPSPEC_EV_LOC_NAPTR);
  return SIPSPEC_OK;
}

int sipspec_locate(sipspec_resolver *r, const sipspec_locate_req *req, sipspec_locate_cb cb, void *arg,
                   sipspec_resolve_query **query) {
  if (query) *query = NULL;
  if (!r || !req || !req->host || !cb || req->port > 65535 || r->destroying) return SIPSPEC_E_INVAL;
  sipspec_resolve_query *q = query_new(r, req);
  if (!q) return SIPSPEC_E_NOMEM;
  q->lcb = cb;
  q->arg = arg;
  if (query) *query = q;
  return start(q);
}

int sipspec_resolve(sipspec_resolver *r, const char *host, unsigned port, sipspec_tp_kind tp,
                    sipspec_resolve_cb cb, void *arg, sipspec_resolve_query **query) {
  if (query) *query = NULL;
  if (!r || !host || !cb || port > 65535 || r->destroying) return SIPSPEC_E_INVAL;
  sipspec_locate_req req = {host, port ? port : default_port(tp), (int)tp, 0, 0};
  sipspec_resolve_query *q = query_new(r, &req);
  if (!q) return SIPSPEC_E_NOMEM;
  q->rcb = cb;
  q->arg = arg;
  if (query) *query = q;
  return start(q);
}

void sipspec_resolve_cancel(sipspec_resolver *r, sipspec_resolve_query *q) {
  if (!r || !q) return;
  if (sipspec_clock_buried(&q->grave)) { /* done, its answer not yet given: never given */
    q->rcb = NULL;
    q->lcb = NULL;
    return;
  }
  post(q, SIPSPEC_EV_TU_END); /* forget: Done, buried without a callback */
}

int sipspec_locate_req_of_uri(const sipspec_uri *u, const sipspec_config *cfg, char *host, size_t cap,
                              sipspec_locate_req *out) {
  if (!u || !cfg || !host || !out || (u->kind != SIPSPEC_URI_SIP && u->kind != SIPSPEC_URI_SIPS)) return SIPSPEC_E_INVAL;
  const sipspec_span *t = u->maddr.len ? &u->maddr : &u->host; /* RFC 3263 4: TARGET */
  if (!t->len || t->len >= cap) return SIPSPEC_E_INVAL;
  memcpy(host, t->p, t->len);
  host[t->len] = '\0';
  memset(out, 0, sizeof *out);
  out->host = host;
  out->port = u->port > 0 ? (unsigned)u->port : 0;
  out->secure = u->kind == SIPSPEC_URI_SIPS;
  out->srv = cfg->dns_srv;
  /* The configured transport is a choice unless it is the default UDP with SRV lookups on
   * and nobody set it (then RFC 3263 4.1 chooses). */
  int chosen = cfg->transport_explicit || cfg->transport != SIPSPEC_TP_UDP || !cfg->dns_srv;
  out->transport = chosen ? (int)cfg->transport : -1;
  if (u->transport.len) { /* RFC 3263 4.1 para 2 */
    static const struct { const char *name; sipspec_tp_kind kind; } tps[] = {
        {"udp", SIPSPEC_TP_UDP}, {"tcp", SIPSPEC_TP_TCP}, {"tls", SIPSPEC_TP_TLS}};
    out->transport = -2;
    for (size_t i = 0; i < sizeof tps / sizeof tps[0]; i++)
      if (u->transport.len == strlen(tps[i].name) && !strncasecmp(u->transport.p, tps[i].name, u->transport.len))
        out->transport = (int)tps[i].kind;
    if (out->transport == -2) return SIPSPEC_E_INVAL;
  }
  return SIPSPEC_OK;
}

/* ---- RFC 2782 --------------------------------------------------------------------------- */

void sipspec_srv_order(sipspec_srv_record *recs, size_t n, unsigned (*rnd)(void *arg), void *arg) {
  /* by priority (insertion sort keeps the given order of equal ones) */
  for (size_t i = 1; i < n; i++)
    for (size_t j = i; j > 0 && recs[j].priority < recs[j - 1].priority; j--) {
      sipspec_srv_record t = recs[j];
      recs[j] = recs[j - 1];
      recs[j - 1] = t;
    }
  for (size_t lo = 0; lo < n;) {
    size_t hi = lo;
    while (hi < n && recs[hi].priority == recs[lo].priority) hi++;
    /* weight 0 first, then choose by running sum among those not yet chosen */
    for (size_t i = lo; i < hi; i++)
      if (recs[i].weight == 0)
        for (size_t j = i; j > lo && recs[j - 1].weight != 0; j--) {
          sipspec_srv_record t = recs[j];
          recs[j] = recs[j - 1];
          recs[j - 1] = t;
        }
    for (size_t k = lo; k < hi; k++) {
      unsigned long long sum = 0;
      for (size_t i = k; i < hi; i++) sum += recs[i].weight;
      unsigned long long pick = sum ? (unsigned long long)rnd(arg) % (sum + 1) : 0, run = 0;
      size_t chosen = k;
      for (size_t i = k; i < hi; i++) {
        run += recs[i].weight;
        if (run >= pick) {
          chosen = i;
          break;
        }
      }
      sipspec_srv_record t = recs[chosen];
      memmove(&recs[k + 1], &recs[k], (chosen - k) * sizeof *recs);
      recs[k] = t;
    }
    lo = hi;
  }
}
