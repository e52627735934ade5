/* net_internal.h: helpers shared by the transport files (not part of the public API). */
#ifndef SIPSPEC_NET_INTERNAL_H
#define SIPSPEC_NET_INTERNAL_H

#include <stddef.h>

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

#endif
