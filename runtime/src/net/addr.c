/* addr.c: sipspec_sockaddr, the by-value IPv4/IPv6 socket address used by transports and the
 * resolver, and the small socket helpers the transport files share (error sentences,
 * errno mapping, bind address, local address learning). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "net/net_internal.h"

int sipspec_sockaddr_set(sipspec_sockaddr *a, const char *ip, unsigned port) {
  char tmp[INET6_ADDRSTRLEN + 2];
  memset(a, 0, sizeof *a);
  if (!ip || port > 65535) return SIPSPEC_E_BAD_ADDRESS;
  size_t n = strlen(ip);
  if (n >= 2 && ip[0] == '[' && ip[n - 1] == ']') {
    if (n - 2 >= sizeof tmp) return SIPSPEC_E_BAD_ADDRESS;
    memcpy(tmp, ip + 1, n - 2);
    tmp[n - 2] = '\0';
    if (inet_pton(AF_INET6, tmp, &a->u.sin6.sin6_addr) != 1) return SIPSPEC_E_BAD_ADDRESS;
    a->u.sin6.sin6_family = AF_INET6;
    a->u.sin6.sin6_port = htons((uint16_t)port);
    a->len = sizeof a->u.sin6;
    return SIPSPEC_OK;
  }
  if (inet_pton(AF_INET, ip, &a->u.sin.sin_addr) == 1) {
    a->u.sin.sin_family = AF_INET;
    a->u.sin.sin_port = htons((uint16_t)port);
    a->len = sizeof a->u.sin;
    return SIPSPEC_OK;
  }
  if (inet_pton(AF_INET6, ip, &a->u.sin6.sin6_addr) == 1) {
    a->u.sin6.sin6_family = AF_INET6;
    a->u.sin6.sin6_port = htons((uint16_t)port);
    a->len = sizeof a->u.sin6;
    return SIPSPEC_OK;
  }
  memset(a, 0, sizeof *a);
  return SIPSPEC_E_BAD_ADDRESS;
}

int sipspec_sockaddr_from_sockaddr(sipspec_sockaddr *a, const struct sockaddr *sa, socklen_t len) {
  memset(a, 0, sizeof *a);
  if (sa->sa_family == AF_INET && len >= (socklen_t)sizeof(struct sockaddr_in)) {
    memcpy(&a->u.sin, sa, sizeof a->u.sin);
    a->len = sizeof a->u.sin;
    return SIPSPEC_OK;
  }
  if (sa->sa_family == AF_INET6 && len >= (socklen_t)sizeof(struct sockaddr_in6)) {
    memcpy(&a->u.sin6, sa, sizeof a->u.sin6);
    a->len = sizeof a->u.sin6;
    return SIPSPEC_OK;
  }
  return SIPSPEC_E_BAD_ADDRESS;
}

int sipspec_sockaddr_family(const sipspec_sockaddr *a) {
  if (!a || a->len == 0) return 0;
  return a->u.sa.sa_family == AF_INET || a->u.sa.sa_family == AF_INET6 ? a->u.sa.sa_family : 0;
}

const char *sipspec_sockaddr_host(const sipspec_sockaddr *a, char *buf, size_t buflen) {
  if (buflen == 0) return buf;
  buf[0] = '\0';
  int fam = sipspec_sockaddr_family(a);
  if (fam == AF_INET && buflen >= 16) {
    /* dotted decimal by hand: inet_ntop goes through sprintf (some 1,700 instructions),
     * and the transaction layer formats the source of every request it receives */
    const unsigned char *b = (const unsigned char *)&a->u.sin.sin_addr;
    char *w = buf;
    for (int i = 0; i < 4; i++) {
      unsigned v = b[i];
      if (v >= 100) *w++ = (char)('0' + v / 100);
      if (v >= 10) *w++ = (char)('0' + v / 10 % 10);
      *w++ = (char)('0' + v % 10);
      *w++ = i < 3 ? '.' : '\0';
    }
    return buf;
  }
  const void *src = fam == AF_INET ? (const void *)&a->u.sin.sin_addr
                                   : (const void *)&a->u.sin6.sin6_addr;
  if (!fam || !inet_ntop(fam, src, buf, (socklen_t)buflen)) snprintf(buf, buflen, "?");
  return buf;
}

unsigned sipspec_sockaddr_port(const sipspec_sockaddr *a) {
  switch (sipspec_sockaddr_family(a)) {
  case AF_INET: return ntohs(a->u.sin.sin_port);
  case AF_INET6: return ntohs(a->u.sin6.sin6_port);
  default: return 0;
  }
}

void sipspec_sockaddr_set_port(sipspec_sockaddr *a, unsigned port) {
  switch (sipspec_sockaddr_family(a)) {
  case AF_INET: a->u.sin.sin_port = htons((uint16_t)port); break;
  case AF_INET6: a->u.sin6.sin6_port = htons((uint16_t)port); break;
  default: break;
  }
}

const char *sipspec_sockaddr_format(const sipspec_sockaddr *a, char *buf, size_t buflen) {
  char host[INET6_ADDRSTRLEN];
  int fam = sipspec_sockaddr_family(a);
  if (buflen == 0) return buf;
  if (!fam) { snprintf(buf, buflen, "?"); return buf; }
  sipspec_sockaddr_host(a, host, sizeof host);
  snprintf(buf, buflen, fam == AF_INET6 ? "[%s]:%u" : "%s:%u", host, sipspec_sockaddr_port(a));
  return buf;
}

int sipspec_sockaddr_equal(const sipspec_sockaddr *a, const sipspec_sockaddr *b) {
  int fam = sipspec_sockaddr_family(a);
  if (fam != sipspec_sockaddr_family(b) || !fam) return 0;
  if (fam == AF_INET)
    return a->u.sin.sin_port == b->u.sin.sin_port &&
           a->u.sin.sin_addr.s_addr == b->u.sin.sin_addr.s_addr;
  return a->u.sin6.sin6_port == b->u.sin6.sin6_port &&
         a->u.sin6.sin6_scope_id == b->u.sin6.sin6_scope_id &&
         memcmp(&a->u.sin6.sin6_addr, &b->u.sin6.sin6_addr, sizeof(struct in6_addr)) == 0;
}

int sipspec_sockaddr_is_any(const sipspec_sockaddr *a) {
  switch (sipspec_sockaddr_family(a)) {
  case AF_INET: return a->u.sin.sin_addr.s_addr == htonl(INADDR_ANY);
  case AF_INET6: return IN6_IS_ADDR_UNSPECIFIED(&a->u.sin6.sin6_addr);
  default: return 0;
  }
}

void sipspec_net_seterr(char *err, size_t errlen, const char *verb, const sipspec_sockaddr *a,
                        const char *proto, const char *reason) {
  char as[SIPSPEC_SOCKADDR_STRLEN];
  if (!err || errlen == 0) return;
  snprintf(err, errlen, "%s %s/%s: %s", verb, a ? sipspec_sockaddr_format(a, as, sizeof as) : "?",
           proto, reason);
}

int sipspec_net_errno_code(int e, int fallback) {
  switch (e) {
  case ECONNREFUSED: return SIPSPEC_E_CONN_REFUSED;
  case ECONNRESET: case EPIPE: case ECONNABORTED: return SIPSPEC_E_CONN_RESET;
  case ETIMEDOUT: return SIPSPEC_E_CONN_TIMEOUT;
  default: return fallback;
  }
}

int sipspec_net_bind_addr(const sipspec_transport_opts *opts, sipspec_sockaddr *a,
                          const char *proto,
                          char *err, size_t errlen) {
  const char *host = opts->bind_host ? opts->bind_host : "0.0.0.0";
  if (opts->bind_port > 65535 || sipspec_sockaddr_set(a, host, opts->bind_port) != SIPSPEC_OK) {
    if (err && errlen)
      snprintf(err, errlen, "bind %s:%u/%s: not an IP address and port", host, opts->bind_port,
               proto);
    return SIPSPEC_E_BAD_ADDRESS;
  }
  return SIPSPEC_OK;
}

/* The source address the kernel picked toward a destination, kept for LOCAL_TOWARD_TTL_MS:
 * learning it costs four system calls (socket, connect, getsockname, close), and a client
 * starting a thousand calls a second toward one server asks a thousand times a second. A
 * route that changes is seen within the lifetime. Per thread, a few destinations. */
enum { LOCAL_TOWARD_SLOTS = 4, LOCAL_TOWARD_TTL_MS = 1000 };
typedef struct local_toward_slot {
  sipspec_sockaddr toward, local; /* local: without the port */
  long long at_ms;                /* when it was learnt; 0: empty */
} local_toward_slot;
static _Thread_local local_toward_slot local_toward_cache[LOCAL_TOWARD_SLOTS];
static _Thread_local unsigned local_toward_next;

static long long local_toward_now_ms(void) {
  struct timespec ts;
#ifdef CLOCK_MONOTONIC_COARSE
  if (clock_gettime(CLOCK_MONOTONIC_COARSE, &ts) != 0)
#endif
    clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 + 1; /* never 0 */
}

int sipspec_net_local_toward(const sipspec_sockaddr *bound, const sipspec_sockaddr *toward,
                             sipspec_sockaddr *out) {
  int fam = sipspec_sockaddr_family(toward);
  if (!fam || fam != sipspec_sockaddr_family(bound)) return SIPSPEC_E_BAD_ADDRESS;
  if (!sipspec_sockaddr_is_any(bound)) { *out = *bound; return SIPSPEC_OK; }
  long long now = local_toward_now_ms();
  for (int i = 0; i < LOCAL_TOWARD_SLOTS; i++) {
    local_toward_slot *c = &local_toward_cache[i];
    if (c->at_ms && now - c->at_ms < LOCAL_TOWARD_TTL_MS && sipspec_sockaddr_equal(&c->toward, toward)) {
      *out = c->local;
      sipspec_sockaddr_set_port(out, sipspec_sockaddr_port(bound));
      return SIPSPEC_OK;
    }
  }
  /* A connected UDP socket sends nothing, but the kernel picks the route and the source
   * address it would use, which getsockname() then reports. */
  int fd = socket(fam, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return SIPSPEC_E_SOCKET;
  sipspec_sockaddr tmp;
  tmp.len = sizeof tmp.u;
  int rc = SIPSPEC_E_CONNECT;
  if (connect(fd, &toward->u.sa, toward->len) == 0 &&
      getsockname(fd, &tmp.u.sa, &tmp.len) == 0 &&
      sipspec_sockaddr_from_sockaddr(out, &tmp.u.sa, tmp.len) == SIPSPEC_OK) {
    local_toward_slot *c = &local_toward_cache[local_toward_next++ % LOCAL_TOWARD_SLOTS];
    c->toward = *toward;
    c->local = *out;
    c->at_ms = now;
    sipspec_sockaddr_set_port(out, sipspec_sockaddr_port(bound));
    rc = SIPSPEC_OK;
  }
  close(fd);
  return rc;
}
