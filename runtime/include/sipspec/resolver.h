/* sipspec/resolver.h: turns a SIP URI's host into the targets to send to, without ever
 * blocking the event loop.
 *
 * Names are looked up in a hosts file first (/etc/hosts by default, read once at creation),
 * then in the DNS through c-ares (the system's resolver configuration, or the servers given
 * in the options), asynchronously on the caller's loop. sipspec_locate() follows RFC 3263
 * section 4 (NAPTR, then SRV, then A/AAAA) and returns the targets in the order to try them
 * (RFC 3263 4.3, RFC 2782); sipspec_resolve() looks up the addresses of a name only. DNS
 * answers are cached for their TTL. Each query runs on the chart spec/locate.rl.
 *
 * The callback is always asynchronous, even when the answer is known at once (an IP literal,
 * the hosts file, the cache): it runs after the callbacks on the stack have returned, never
 * inside sipspec_resolve() or sipspec_locate(), so callers need no "maybe re-entrant" paths.
 */
#ifndef SIPSPEC_RESOLVER_H
#define SIPSPEC_RESOLVER_H

#include <ev.h>
#include <stddef.h>

#include "sipspec/clock.h"
#include "sipspec/config.h"
#include "sipspec/transport.h"

#ifdef __cplusplus
extern "C" {
#endif
#pragma GCC visibility push(default) /* what this header declares is the library's API */

typedef struct sipspec_resolver sipspec_resolver;
typedef struct sipspec_resolve_query sipspec_resolve_query;

typedef struct sipspec_resolver_opts {
  const char *hosts_path;   /* NULL: "/etc/hosts"; a missing file means no names */
  int dns;                  /* 1: names not in the hosts file are looked up in the DNS */
  const char *dns_servers;  /* "HOST[:PORT],..." (MRCP_SIP_DNS_SERVERS); NULL: the system's */
  unsigned dns_timeout_ms;  /* per try; 0: 2000 */
  unsigned dns_tries;       /* tries per server; 0: 2 */
  int tls;                  /* 1: TLS is a transport we can use (SIPS+D2T, _sips._tcp) */
  sipspec_clock *clock;     /* where callbacks are deferred; NULL: libev's clock of the loop */
} sipspec_resolver_opts;

/* The answer of sipspec_resolve(): status SIPSPEC_OK with n >= 1 addresses (port set), or
 * SIPSPEC_E_RESOLVE / SIPSPEC_E_BAD_ADDRESS / SIPSPEC_E_DNS with n == 0. addrs is only valid
 * during the call. The query is finished when the callback runs (do not cancel it
 * afterwards). */
typedef void (*sipspec_resolve_cb)(int status, const sipspec_sockaddr *addrs, size_t n, void *arg);

/* Creates a resolver on the caller's loop. The hosts file (and, with dns, the system's
 * resolver configuration) is read here, not on the loop. Returns SIPSPEC_OK,
 * SIPSPEC_E_NOMEM, SIPSPEC_E_IO (the hosts file exists but cannot be read), or
 * SIPSPEC_E_CONFIG (dns_servers is not a list of HOST[:PORT]), with a sentence in err. */
int sipspec_resolver_create(struct ev_loop *loop, const sipspec_resolver_opts *opts,
                            sipspec_resolver **out, char *err, size_t errlen);

/* Frees the resolver; pending queries are dropped without their callbacks. May be called
 * from inside a resolve callback. */
void sipspec_resolver_destroy(sipspec_resolver *r);

/* Starts resolving host:port for the given transport. port 0 means the transport's default
 * (5060 for udp/tcp, 5061 for tls; RFC 3261 19.1.2). The callback runs later, exactly once,
 * unless the query is cancelled. *query (if query is not NULL) receives a handle valid until
 * the callback starts. Returns SIPSPEC_OK, SIPSPEC_E_INVAL or SIPSPEC_E_NOMEM (then no
 * callback). */
int sipspec_resolve(sipspec_resolver *r, const char *host, unsigned port, sipspec_tp_kind tp,
                    sipspec_resolve_cb cb, void *arg, sipspec_resolve_query **query);

/* ---- RFC 3263: the targets for a URI ----------------------------------------------------- */

#define SIPSPEC_LOCATE_MAX_TARGETS 16
#define SIPSPEC_LOCATE_NAME_MAX 256

typedef struct sipspec_locate_req {
  const char *host;         /* TARGET: the URI's maddr, or its host (name or IP literal) */
  unsigned port;            /* the URI's port; 0: none given */
  int transport;            /* a sipspec_tp_kind when the URI or the configuration gives one;
                             * -1: none (RFC 3263 4.1 chooses) */
  int secure;               /* a sips: URI: TLS only */
  int srv;                  /* 1: NAPTR and SRV (MRCP_SIP_DNS_SRV=1); 0: addresses only */
} sipspec_locate_req;

/* The request for a SIP or SIPS URI (RFC 3263 4): TARGET is its maddr, else its host (copied
 * into host[cap], IPv6 brackets kept as given); the port if it has one; the transport from
 * its ;transport= parameter, else cfg's, except that the default UDP that nobody set
 * (transport_explicit 0) with dns_srv 1 leaves the choice to RFC 3263 4.1; srv from
 * cfg->dns_srv. SIPSPEC_E_INVAL when u is not a sip:/sips: URI with a host, the host
 * does not fit, or the transport parameter names one we do not have (sctp, ws, ...). */
struct sipspec_uri;
int sipspec_locate_req_of_uri(const struct sipspec_uri *u, const sipspec_config *cfg, char *host, size_t cap,
                              sipspec_locate_req *out);

/* One place to send to: an address with its port, the transport, and the name it came from
 * (the SRV target, or the URI's host). */
typedef struct sipspec_target {
  sipspec_sockaddr addr;
  sipspec_tp_kind tp;
  char name[SIPSPEC_LOCATE_NAME_MAX];
} sipspec_target;

/* status SIPSPEC_OK with n >= 1 targets in the order to try them, or an error with n == 0:
 * SIPSPEC_E_RESOLVE (no such name, or no address for it), SIPSPEC_E_DNS (the DNS failed or
 * did not answer), SIPSPEC_E_BAD_ADDRESS, SIPSPEC_E_TSX_NO_TRANSPORT (the URI asks for a
 * transport we cannot use). why is a sentence naming the name and the record type that
 * failed ("" on success); both are only valid during the call. */
typedef void (*sipspec_locate_cb)(int status, const sipspec_target *targets, size_t n, const char *why,
                                  void *arg);

/* Starts locating the targets for req (RFC 3263 4). Same rules as sipspec_resolve(). */
int sipspec_locate(sipspec_resolver *r, const sipspec_locate_req *req, sipspec_locate_cb cb, void *arg,
                   sipspec_resolve_query **query);

/* Drops a pending query of either kind: its callback will not run. */
void sipspec_resolve_cancel(sipspec_resolver *r, sipspec_resolve_query *q);

/* Number of names loaded from the hosts file (for diagnostics and tests). */
size_t sipspec_resolver_hosts_count(const sipspec_resolver *r);

/* DNS queries sent and failed (lookups answered by the hosts file or the cache are not
 * queries). */
typedef struct sipspec_resolver_stats {
  unsigned long queries, failures, cache_hits;
} sipspec_resolver_stats;
void sipspec_resolver_stats_get(const sipspec_resolver *r, sipspec_resolver_stats *out);

/* ---- RFC 2782 ordering (exposed for tests) --------------------------------------------- */

typedef struct sipspec_srv_record {
  unsigned priority, weight, port;
  char name[SIPSPEC_LOCATE_NAME_MAX];
} sipspec_srv_record;

/* Orders recs in place as RFC 2782's usage rules say: by priority, lowest first; within one
 * priority, by weighted random selection (weight 0 records first in the running sum, so they
 * are chosen rarely). rnd(arg) returns a uniform random number in [0, 2^32). */
void sipspec_srv_order(sipspec_srv_record *recs, size_t n, unsigned (*rnd)(void *arg), void *arg);

#pragma GCC visibility pop
#ifdef __cplusplus
}
#endif
#endif
