/* sipspec/transport.h: the one interface every SIP transport (UDP, TCP, TLS) offers.
 *
 * Why a vtable: the transaction layer sends and receives through sipspec_transport_*()
 * wrappers only, so a new transport is one new file (transport_<name>.c) and one new
 * sipspec_transport_type, with no change to callers (Redis ConnectionType, Sofia tport).
 *
 * Event loop: every transport runs on the caller's libev loop and owns no thread and no
 * global state. Nothing blocks: sends that cannot complete are queued and flushed when the
 * socket is writable. Failures after a send was accepted (connection refused, reset, timed
 * out, garbage on a stream) arrive through the error callback with the peer address, so a
 * transaction can turn them into its transport-error event.
 *
 * Callbacks may call sipspec_transport_close() on their own transport: the close is carried
 * out once the callback has returned; nothing is delivered after the close call.
 */
#ifndef SIPSPEC_TRANSPORT_H
#define SIPSPEC_TRANSPORT_H

#include <ev.h>
#include <netinet/in.h>
#include <stddef.h>
#include <sys/socket.h>

#include "sipspec/config.h"
#include "sipspec/error.h"

struct sipspec_msg; /* sipspec/msg.h */

#ifdef __cplusplus
extern "C" {
#endif
#pragma GCC visibility push(default) /* what this header declares is the library's API */

/* ---- addresses ------------------------------------------------------------------------ */

/* An IPv4 or IPv6 socket address, by value. len == 0 means "no address". */
typedef struct sipspec_sockaddr {
  union {
    struct sockaddr sa;
    struct sockaddr_in sin;
    struct sockaddr_in6 sin6;
    struct sockaddr_storage ss;
  } u;
  socklen_t len;
} sipspec_sockaddr;

/* Room for "[" IPv6 "]:" port and the NUL. */
#define SIPSPEC_SOCKADDR_STRLEN 64

/* Sets *a from an IP literal ("127.0.0.1", "::1", "[::1]") and a port. Host names are not
 * accepted here (use the resolver). Returns SIPSPEC_OK or SIPSPEC_E_BAD_ADDRESS. */
int sipspec_sockaddr_set(sipspec_sockaddr *a, const char *ip_literal, unsigned port);
/* Copies a kernel sockaddr (AF_INET / AF_INET6 only); SIPSPEC_E_BAD_ADDRESS otherwise. */
int sipspec_sockaddr_from_sockaddr(sipspec_sockaddr *a, const struct sockaddr *sa, socklen_t len);
/* "127.0.0.1:5060" or "[::1]:5060" into buf; returns buf ("?" for an empty address). */
const char *sipspec_sockaddr_format(const sipspec_sockaddr *a, char *buf, size_t buflen);
/* The IP alone ("127.0.0.1", "::1", no brackets) into buf, as a Via sent-by host needs
 * after bracketing; returns buf. */
const char *sipspec_sockaddr_host(const sipspec_sockaddr *a, char *buf, size_t buflen);
unsigned sipspec_sockaddr_port(const sipspec_sockaddr *a);
void sipspec_sockaddr_set_port(sipspec_sockaddr *a, unsigned port);
int sipspec_sockaddr_family(const sipspec_sockaddr *a);         /* AF_INET, AF_INET6 or 0 */
/* Same family, IP and port. */
int sipspec_sockaddr_equal(const sipspec_sockaddr *a, const sipspec_sockaddr *b);
int sipspec_sockaddr_is_any(const sipspec_sockaddr *a);          /* 0.0.0.0 or :: */

/* ---- stream framing ------------------------------------------------------------------- */

/* Called by a framer once per complete message. msg is only valid during the call.
 * Return 0 to go on, nonzero to make the framer stop at once (the connection is closing). */
typedef int (*sipspec_framer_emit_fn)(void *ctx, const char *msg, size_t len);

/* Cuts a byte stream into messages. One framer state exists per stream connection.
 * The SIP stream framer (Content-Length based) plugs in here; tests use their own. */
typedef struct sipspec_framer_type {
  const char *name;
  /* Returns a fresh per-connection state, or NULL when out of memory. */
  void *(*create)(void *arg);
  /* Consumes data[0..len) (any split of the stream), calls emit for each complete message,
   * keeps the incomplete tail. Returns SIPSPEC_OK, or a negative code (typically
   * SIPSPEC_E_FRAMING) when the stream is garbage; the transport then closes the
   * connection and reports the error. If emit returns nonzero, feed returns SIPSPEC_OK
   * at once. */
  int (*feed)(void *state, const char *data, size_t len, sipspec_framer_emit_fn emit, void *ctx);
  void (*destroy)(void *state);
  /* Bytes held of a message not yet complete (0: between messages). Optional: without it
   * the transport cannot tell RFC 5626 CRLF keep-alives from message bytes. */
  size_t (*pending)(void *state);
  /* The message being emitted, as the framer parsed it (valid during emit), or NULL.
   * Optional: a framer that parses SIP (sipspec_sip_stream_framer) hands its parse up
   * through it, so the receiver does not parse the message again. */
  const struct sipspec_msg *(*parsed)(void *state);
} sipspec_framer_type;

/* The SIP stream framer of sipspec/msg.h (Content-Length framing, RFC 3261 18.3) for
 * opts.framer; opts.framer_arg is a const sipspec_msg_limits * or NULL for the defaults.
 * Each on_recv gets one whole SIP message; a stream that breaks the grammar or the limits
 * ends with the sipspec_msg error code (e.g. SIPSPEC_E_MSG_NO_CONTENT_LENGTH). */
extern const sipspec_framer_type sipspec_sip_stream_framer;

/* ---- transports ----------------------------------------------------------------------- */

typedef struct sipspec_transport sipspec_transport;
typedef struct sipspec_transport_type sipspec_transport_type;

/* One received message: a whole UDP datagram, or one framed message from a stream.
 * data is only valid during the call; copy what you keep. */
typedef void (*sipspec_tp_recv_cb)(sipspec_transport *tp, const char *data, size_t len,
                                   const sipspec_sockaddr *from, void *user);
/* One received message its framer already parsed (sipspec/msg.h; valid during the call). */
typedef void (*sipspec_tp_recv_msg_cb)(sipspec_transport *tp, const struct sipspec_msg *msg,
                                       const sipspec_sockaddr *from, void *user);

/* An asynchronous failure. All pointers are only valid during the call. */
typedef struct sipspec_tp_error {
  int code;                  /* SIPSPEC_E_CONN_REFUSED, _CONN_RESET, _CONN_TIMEOUT, ... */
  int sys_errno;             /* the errno behind it, 0 when none */
  const sipspec_sockaddr *peer;  /* the peer concerned, NULL for socket-wide errors */
  const char *message;       /* "connect 127.0.0.1:5090/tcp: Connection refused" */
} sipspec_tp_error;
typedef void (*sipspec_tp_error_cb)(sipspec_transport *tp, const sipspec_tp_error *e, void *user);

typedef struct sipspec_transport_opts {
  const char *bind_host;         /* IP literal to bind; NULL means "0.0.0.0" */
  unsigned bind_port;            /* 0: an ephemeral port */
  int listen;                    /* stream transports: accept connections on the bound port */
  unsigned connect_timeout_ms;   /* stream transports: give up connecting after this (32000) */
  size_t max_datagram;           /* UDP: larger sends fail with SIPSPEC_E_MSG_TOO_BIG (1300) */
  size_t max_queued_bytes;       /* bytes queued per socket before send says E_AGAIN (1 MiB) */
  const sipspec_framer_type *framer; /* stream transports: required */
  void *framer_arg;              /* passed to framer->create */
  sipspec_tp_recv_cb on_recv;    /* required */
  sipspec_tp_recv_msg_cb on_recv_msg; /* stream transports: when set, and the framer parses
                                  * (framer->parsed), called instead of on_recv with the
                                  * parsed message: one parse per message and hop */
  sipspec_tp_error_cb on_error;  /* may be NULL (errors are then only counted by the caller) */
  void *user;                    /* handed back to both callbacks */
  struct sipspec_clock *clock;   /* the time of its timers (sipspec/clock.h; must live as long
                                  * as the transport); NULL: libev's clock of the loop */
  const struct sipspec_tls_config *tls; /* TLS: verification, files, pins (sipspec/tls.h),
                                  * copied at open; NULL: the defaults (verify, system store) */
  struct sipspec_telemetry *tel; /* TLS counts handshakes and failures here, stream transports
                                  * keep-alive timeouts; NULL: nowhere */
  unsigned keepalive_ms;         /* stream transports: RFC 5626 4.4.1 CRLF ping on a connection
                                  * we opened after this long idle, closed and reported when
                                  * no pong comes within 10 s; 0 (default): no pings. A peer's
                                  * ping is always answered. */
  /* Limits on what peers do (docs/limits.md); 0: none. */
  unsigned max_connections;      /* listening stream transports: accepted connections open at
                                  * once; one more is accepted and closed at once, counted in
                                  * tel->sipConnectionsRefused */
  unsigned idle_timeout_ms;      /* stream transports: an accepted connection with no message
                                  * sent or received for this long, and that in_use says no
                                  * transaction needs, is closed (tel->sipIdleClosed) */
  unsigned message_timeout_ms;   /* stream transports: a message must arrive whole within this
                                  * after its first byte, else the connection is closed and
                                  * reported with SIPSPEC_E_MSG_TIMEOUT (tel->sipSlowClosed) */
  /* 1 when something (a transaction) still needs the connection to peer; NULL: nothing does.
   * Asked when an accepted connection's idle timeout runs out. */
  int (*in_use)(sipspec_transport *tp, const sipspec_sockaddr *peer, void *user);
} sipspec_transport_opts;

/* Defaults shown above; callbacks and framer NULL. */
void sipspec_transport_opts_init(sipspec_transport_opts *opts);

struct sipspec_transport_type {
  const char *name;              /* "udp", "tcp" */
  sipspec_tp_kind kind;
  int reliable;                  /* 1 for stream transports: no retransmission timers A/E/G */
  /* Creates the transport and binds (and listens). On failure returns a negative code and
   * writes e.g. "bind 127.0.0.1:5060/udp: Address already in use" into err. */
  int (*open)(struct ev_loop *loop, const sipspec_transport_opts *opts,
              sipspec_transport **out, char *err, size_t errlen);
  /* Sends one message. SIPSPEC_OK means accepted (sent or queued); later failures come
   * through on_error. The data is copied when it has to be queued. */
  int (*send)(sipspec_transport *tp, const sipspec_sockaddr *to, const void *data, size_t len);
  /* Closes every socket and frees the transport (deferred when called from a callback). */
  void (*close)(sipspec_transport *tp);
  /* The address this transport is bound to (the port is the real one, never 0). */
  int (*bound_addr)(sipspec_transport *tp, sipspec_sockaddr *out);
  /* The local address a message to `toward` leaves from, for Via and Contact. */
  int (*local_addr)(sipspec_transport *tp, const sipspec_sockaddr *toward, sipspec_sockaddr *out);
  /* TLS: the name the peer at this address must prove (RFC 5922 §7.3: the domain of the URI
   * asked for, not the address it resolved to). Connections are kept per (address, name):
   * one verified for a name never carries messages for another. NULL for other transports. */
  int (*set_peer_name)(sipspec_transport *tp, const sipspec_sockaddr *peer, const char *name);
};

/* The part of every transport the inline wrappers read. Implementations embed it first.
 * Fields are read-only for callers. */
struct sipspec_transport {
  const sipspec_transport_type *type; /* ro */
  struct ev_loop *loop;               /* ro */
};

extern const sipspec_transport_type sipspec_transport_udp;
extern const sipspec_transport_type sipspec_transport_tcp;
extern const sipspec_transport_type sipspec_transport_tls; /* TCP with TLS (net/transport_tcp.c) */

/* The implementation of a kind. */
const sipspec_transport_type *sipspec_transport_type_for(sipspec_tp_kind kind);

static inline int sipspec_transport_open(const sipspec_transport_type *type,
                                         struct ev_loop *loop,
                                         const sipspec_transport_opts *opts,
                                         sipspec_transport **out, char *err, size_t errlen) {
  return type->open(loop, opts, out, err, errlen);
}
static inline int sipspec_transport_send(sipspec_transport *tp, const sipspec_sockaddr *to,
                                         const void *data, size_t len) {
  return tp->type->send(tp, to, data, len);
}
static inline void sipspec_transport_close(sipspec_transport *tp) {
  if (tp) tp->type->close(tp);
}
static inline int sipspec_transport_bound_addr(sipspec_transport *tp, sipspec_sockaddr *out) {
  return tp->type->bound_addr(tp, out);
}
static inline int sipspec_transport_local_addr(sipspec_transport *tp,
                                               const sipspec_sockaddr *toward,
                                               sipspec_sockaddr *out) {
  return tp->type->local_addr(tp, toward, out);
}
/* Later sends to peer must reach a peer proving name (TLS); SIPSPEC_OK and nothing else for
 * transports without names. */
static inline int sipspec_transport_set_peer_name(sipspec_transport *tp, const sipspec_sockaddr *peer,
                                                  const char *name) {
  return tp->type->set_peer_name ? tp->type->set_peer_name(tp, peer, name) : SIPSPEC_OK;
}
static inline const char *sipspec_transport_name(const sipspec_transport *tp) {
  return tp->type->name;
}
static inline int sipspec_transport_reliable(const sipspec_transport *tp) {
  return tp->type->reliable;
}

/* RFC 3261 18.1.1: chooses the transport for a request of msg_len bytes. With UDP
 * configured, a request larger than cfg->udp_max_size goes over TCP; if cfg->tcp_enabled
 * is 0 the call fails with SIPSPEC_E_MSG_TOO_BIG and a sentence in err naming both sizes.
 * TCP and TLS stay as they are (a TLS request never falls back to anything else). */
int sipspec_transport_pick(const sipspec_config *cfg, size_t msg_len, sipspec_tp_kind *out,
                           char *err, size_t errlen);

#pragma GCC visibility pop
#ifdef __cplusplus
}
#endif
#endif
