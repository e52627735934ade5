/* net/dns.h: DNS lookups through c-ares on the caller's libev loop, with a TTL cache.
 *
 * c-ares is the well-kept standard library for asynchronous DNS (used by curl, Node.js,
 * gRPC): it reads the system's resolver configuration, retries and times out per server,
 * falls back from UDP to TCP for truncated answers, and parses SRV and NAPTR records. Its
 * sockets are watched with ev_io (ARES_OPT_SOCK_STATE_CB) and its timeouts with one ev_timer
 * on ares_timeout(): c-ares keeps its own (real) time, so these timers are not the clock's.
 *
 * A lookup gives one of three outcomes (dns_result.status): records we can use, none (the
 * name does not exist or has no record of that type), or a failure of the DNS itself.
 */
#ifndef SIPSPEC_NET_DNS_H
#define SIPSPEC_NET_DNS_H

#include <ev.h>
#include <stddef.h>

#include "sipspec/resolver.h"

#define DNS_MAX_RECORDS 16

typedef enum { DNS_ADDR, DNS_SRV, DNS_NAPTR } dns_kind;
typedef enum { DNS_R_FOUND, DNS_R_NONE, DNS_R_FAIL } dns_status;

typedef struct dns_naptr {
  unsigned order, pref;
  char flags[8];
  char service[32];
  char replacement[SIPSPEC_LOCATE_NAME_MAX];
} dns_naptr;

typedef struct dns_result {
  dns_status status;
  char why[320];                  /* NONE and FAIL: what went wrong, naming name and type */
  size_t n;
  union {
    sipspec_sockaddr addr[DNS_MAX_RECORDS]; /* port 0 */
    sipspec_srv_record srv[DNS_MAX_RECORDS];
    dns_naptr naptr[DNS_MAX_RECORDS];
  } u;
} dns_result;

typedef struct dns_client dns_client;
typedef struct dns_ticket dns_ticket;
typedef void (*dns_cb)(const dns_result *res, void *arg);

/* servers: "HOST[:PORT],..." of IP literals (IPv6 in brackets), or NULL for the system's. */
int dns_client_new(struct ev_loop *loop, const char *servers, unsigned timeout_ms, unsigned tries,
                   dns_client **out, char *err, size_t errlen);
/* Pending lookups end without their callbacks. */
void dns_client_free(dns_client *c);

/* Looks name up. From the cache the callback runs at once, inside this call, and NULL is
 * returned; otherwise the callback runs later from the loop and the ticket cancels it (valid
 * until the callback starts). *out_of_memory is set when neither happened. */
dns_ticket *dns_lookup(dns_client *c, dns_kind k, const char *name, dns_cb cb, void *arg, int *out_of_memory);
void dns_ticket_cancel(dns_ticket *t);

void dns_client_stats(const dns_client *c, sipspec_resolver_stats *out);

const char *dns_kind_name(dns_kind k);

#endif
