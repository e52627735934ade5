/* net/transport_trace.h: a transport decorator that shows every message sent or received
 * to a trace callback (internal header, not installed).
 *
 * Why a decorator: the transaction layer sends retransmissions, ACKs for non-2xx finals,
 * 100 Trying and stateless responses itself, and it drops what it absorbs (retransmitted
 * requests and responses) before anyone above sees it. The transport is the one place that
 * sees every byte going out and every message coming in, so the trace hangs there. A
 * traced transport is a sipspec_transport_type of its own (sipspec/transport.h) in front of
 * the real UDP or TCP one: whoever opens transports (sipspec_tsx_layer_open_transport())
 * cannot tell the difference, kind, name and reliability being the real transport's.
 *
 * What is traced: "send" for each message a send accepted (sent or queued), "recv" for each
 * message the real transport delivers (a whole datagram, or one framed message of a stream),
 * before anything parses it. data/len/peer are valid during the call only.
 */
#ifndef SIPSPEC_NET_TRANSPORT_TRACE_H
#define SIPSPEC_NET_TRANSPORT_TRACE_H

#include <ev.h>
#include <stddef.h>

#include "sipspec/transport.h"

/* Same shape as sipspec_trace_fn (sipspec/ua.h) and the server's trace: dir is "send" or
 * "recv". */
typedef void (*sipspec_tp_trace_fn)(void *user, const char *dir, sipspec_tp_kind kind,
                                    const sipspec_sockaddr *peer, const char *data, size_t len);

/* The traced twin of the transport of kind (UDP or TCP; NULL for any other kind). Its open()
 * opens the real transport with the decorator in front and traces nowhere until
 * sipspec_tp_trace_set() names a callback: call it right after the open, before the loop
 * runs again (nothing is sent or received in between). */
const sipspec_transport_type *sipspec_tp_trace_type(sipspec_tp_kind kind);

/* Opens a traced transport of kind directly, tracing to fn/user from the start (fn may be
 * NULL). Errors and err as sipspec_transport_open(); SIPSPEC_E_INVAL for a kind without a
 * traced twin. The transport is closed with sipspec_transport_close() like any other. */
int sipspec_tp_trace_open(sipspec_tp_kind kind, struct ev_loop *loop, const sipspec_transport_opts *opts,
                          sipspec_tp_trace_fn fn, void *user, sipspec_transport **out, char *err,
                          size_t errlen);

/* Sets where tp traces (fn NULL: nowhere). SIPSPEC_E_INVAL when tp was not opened through
 * a type of sipspec_tp_trace_type(). */
int sipspec_tp_trace_set(sipspec_transport *tp, sipspec_tp_trace_fn fn, void *user);

/* 1 when tp is a traced transport, else 0. */
int sipspec_tp_is_traced(const sipspec_transport *tp);

#endif
