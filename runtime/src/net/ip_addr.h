/* ip_addr.h: an IPv4 or IPv6 address kept in 28 bytes by an object that exists by the
 * thousand (a held session, a server's call), not in a sipspec_sockaddr's 136 (issue 16).
 * The stack's transports are UDP, TCP and TLS over IP; another family is kept as none
 * (AF_UNSPEC), to which nothing can be sent. */
#ifndef SIPSPEC_IP_ADDR_H
#define SIPSPEC_IP_ADDR_H

#include <netinet/in.h>
#include <string.h>

#include "sipspec/transport.h"

typedef union ip_addr {
  struct sockaddr sa;
  struct sockaddr_in sin;
  struct sockaddr_in6 sin6;
} ip_addr;

static inline ip_addr ip_addr_put(const sipspec_sockaddr *s) {
  ip_addr a;
  memset(&a, 0, sizeof a);
  if (s->u.sa.sa_family == AF_INET6 && s->len == sizeof a.sin6) a.sin6 = s->u.sin6;
  else if (s->u.sa.sa_family == AF_INET && s->len == sizeof a.sin) a.sin = s->u.sin;
  else a.sa.sa_family = AF_UNSPEC;
  return a;
}

static inline sipspec_sockaddr ip_addr_get(const ip_addr *a) {
  sipspec_sockaddr s;
  memset(&s, 0, sizeof s);
  if (a->sa.sa_family == AF_INET6) s.u.sin6 = a->sin6, s.len = sizeof a->sin6;
  else if (a->sa.sa_family == AF_INET) s.u.sin = a->sin, s.len = sizeof a->sin;
  else s.u.sa.sa_family = AF_UNSPEC;
  return s;
}

#endif
