/* sipspec/resolver.h: turns a SIP host (name or IP literal) into socket addresses without
 * ever blocking the event loop.
 *
 * Today it answers IP literals (IPv4, IPv6, bracketed IPv6) and names from a hosts file
 * (/etc/hosts by default, parsed here, read once at creation). Asynchronous DNS with SRV
 * (RFC 3263) will come behind the same calls. The callback is always asynchronous, even
 * when the answer is known at once: it runs on a later loop iteration, never inside
 * sipspec_resolve(), so callers need no "maybe re-entrant" paths.
 */
#ifndef SIPSPEC_RESOLVER_H
#define SIPSPEC_RESOLVER_H

#include <ev.h>
#include <stddef.h>

#include "sipspec/config.h"
#include "sipspec/transport.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sipspec_resolver sipspec_resolver;
typedef struct sipspec_resolve_query sipspec_resolve_query;

typedef struct sipspec_resolver_opts {
  const char *hosts_path;   /* NULL: "/etc/hosts"; a missing file means no names */
} sipspec_resolver_opts;

/* The answer: status SIPSPEC_OK with n >= 1 addresses (in hosts-file order, port set), or
 * SIPSPEC_E_RESOLVE / SIPSPEC_E_BAD_ADDRESS with n == 0. addrs is only valid during the
 * call. The query is finished when the callback runs (do not cancel it afterwards). */
typedef void (*sipspec_resolve_cb)(int status, const sipspec_sockaddr *addrs, size_t n, void *arg);

/* Creates a resolver on the caller's loop. The hosts file is read here, not on the loop.
 * Returns SIPSPEC_OK, SIPSPEC_E_NOMEM, or SIPSPEC_E_IO (file exists but cannot be read,
 * with a sentence naming the path in err). */
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

/* Drops a pending query: its callback will not run. */
void sipspec_resolve_cancel(sipspec_resolver *r, sipspec_resolve_query *q);

/* Number of names loaded from the hosts file (for diagnostics and tests). */
size_t sipspec_resolver_hosts_count(const sipspec_resolver *r);

#ifdef __cplusplus
}
#endif
#endif
