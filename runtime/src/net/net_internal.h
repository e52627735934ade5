/* net_internal.h: helpers shared by the transport files (not part of the public API). */
#ifndef SIPSPEC_NET_INTERNAL_H
#define SIPSPEC_NET_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "sipspec/transport.h"

/* Writes "<verb> <addr>/<proto>: <reason>" into err (err may be NULL). */
void sipspec_net_seterr(char *err, size_t errlen, const char *verb, const sipspec_sockaddr *a,
                        const char *proto, const char *reason);
/* Maps a connect/read/write errno to the transport error code that names it. */
int sipspec_net_errno_code(int sys_errno, int fallback);
/* Resolves opts->bind_host/bind_port into *a ("0.0.0.0" when NULL). */
int sipspec_net_bind_addr(const sipspec_transport_opts *opts, sipspec_sockaddr *a,
                          const char *proto,
                          char *err, size_t errlen);
/* Local address toward a peer, using a scratch connected UDP socket (sends nothing).
 * bound: the transport's bound address, whose port is kept. */
int sipspec_net_local_toward(const sipspec_sockaddr *bound, const sipspec_sockaddr *toward,
                             sipspec_sockaddr *out);

/* TCP: close a connection after ms without a message sent or received (the IDLE timer of
 * spec/stream_conn.rl; RFC 3261 18 recommends at least 64*T1). Applies to connections
 * opened or accepted afterwards; 0 restores the default, which never closes an idle
 * connection in practice (2^32-1 ms). SIPSPEC_E_INVAL when tp is no TCP transport. */
int sipspec_tcp_set_idle_timeout(sipspec_transport *tp, uint32_t ms);

#endif
