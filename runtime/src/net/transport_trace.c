/* net/transport_trace.c: the traced transports of net/transport_trace.h.
 *
 * open() opens the real transport with its own receive and error callbacks in front of the
 * opener's; send() forwards and, once the real transport accepted the message, traces it.
 * Everything else (addresses, close) is forwarded as is.
 */
#include "net/transport_trace.h"

#include <stdlib.h>

#include "sipspec/msg.h"

typedef struct traced_tp {
  sipspec_transport base;          /* first: callers see a sipspec_transport */
  sipspec_transport *inner;        /* the real transport */
  sipspec_tp_recv_cb on_recv;      /* the opener's callbacks and user */
  sipspec_tp_recv_msg_cb on_recv_msg;
  sipspec_tp_error_cb on_error;
  void *user;
  sipspec_tp_trace_fn trace;       /* NULL: nowhere */
  void *trace_user;
} traced_tp;

static void trace(traced_tp *w, const char *dir, const sipspec_sockaddr *peer, const char *data, size_t len) {
  if (w->trace) w->trace(w->trace_user, dir, w->base.type->kind, peer, data, len);
}

static void tramp_recv(sipspec_transport *tp, const char *data, size_t len, const sipspec_sockaddr *from,
                       void *user) {
  traced_tp *w = user;
  (void)tp;
  trace(w, "recv", from, data, len);
  w->on_recv(&w->base, data, len, from, w->user);
}

static void tramp_recv_msg(sipspec_transport *tp, const struct sipspec_msg *m, const sipspec_sockaddr *from,
                           void *user) {
  traced_tp *w = user;
  sipspec_span raw = sipspec_msg_raw(m);
  (void)tp;
  trace(w, "recv", from, raw.p, raw.len);
  w->on_recv_msg(&w->base, m, from, w->user);
}

static void tramp_error(sipspec_transport *tp, const sipspec_tp_error *e, void *user) {
  traced_tp *w = user;
  (void)tp;
  if (w->on_error) w->on_error(&w->base, e, w->user);
}

static int open_as(const sipspec_transport_type *self, const sipspec_transport_type *real, struct ev_loop *loop,
                   const sipspec_transport_opts *opts, sipspec_transport **out, char *err, size_t errlen) {
  if (!opts || !out || !opts->on_recv) return SIPSPEC_E_INVAL;
  *out = NULL;
  traced_tp *w = calloc(1, sizeof *w);
  if (!w) return SIPSPEC_E_NOMEM;
  w->base.type = self;
  w->base.loop = loop;
  w->on_recv = opts->on_recv;
  w->on_recv_msg = opts->on_recv_msg;
  w->on_error = opts->on_error;
  w->user = opts->user;
  sipspec_transport_opts o = *opts;
  o.on_recv = tramp_recv;
  o.on_recv_msg = opts->on_recv_msg ? tramp_recv_msg : NULL;
  o.on_error = tramp_error;
  o.user = w;
  int rc = sipspec_transport_open(real, loop, &o, &w->inner, err, errlen);
  if (rc) {
    free(w);
    return rc;
  }
  *out = &w->base;
  return SIPSPEC_OK;
}

static int w_send(sipspec_transport *tp, const sipspec_sockaddr *to, const void *data, size_t len) {
  traced_tp *w = (traced_tp *)tp;
  int rc = sipspec_transport_send(w->inner, to, data, len);
  if (rc == SIPSPEC_OK) trace(w, "send", to, data, len);
  return rc;
}

static void w_close(sipspec_transport *tp) {
  traced_tp *w = (traced_tp *)tp;
  /* The real transport defers its own close when called from one of its callbacks and
   * delivers nothing after this call, so the decorator can go at once. */
  sipspec_transport_close(w->inner);
  free(w);
}

static int w_bound(sipspec_transport *tp, sipspec_sockaddr *out) {
  return sipspec_transport_bound_addr(((traced_tp *)tp)->inner, out);
}

static int w_local(sipspec_transport *tp, const sipspec_sockaddr *toward, sipspec_sockaddr *out) {
  return sipspec_transport_local_addr(((traced_tp *)tp)->inner, toward, out);
}

static int w_name(sipspec_transport *tp, const sipspec_sockaddr *peer, const char *name) {
  return sipspec_transport_set_peer_name(((traced_tp *)tp)->inner, peer, name);
}

static int open_udp(struct ev_loop *loop, const sipspec_transport_opts *opts, sipspec_transport **out, char *err,
                    size_t errlen);
static int open_tls(struct ev_loop *loop, const sipspec_transport_opts *opts, sipspec_transport **out, char *err,
                    size_t errlen);
static int open_tcp(struct ev_loop *loop, const sipspec_transport_opts *opts, sipspec_transport **out, char *err,
                    size_t errlen);

static const sipspec_transport_type traced_udp = {"udp", SIPSPEC_TP_UDP, 0, open_udp, w_send, w_close, w_bound, w_local, NULL};
static const sipspec_transport_type traced_tcp = {"tcp", SIPSPEC_TP_TCP, 1, open_tcp, w_send, w_close, w_bound, w_local, NULL};
static const sipspec_transport_type traced_tls = {"tls", SIPSPEC_TP_TLS, 1, open_tls, w_send, w_close, w_bound, w_local, w_name};

static int open_tls(struct ev_loop *loop, const sipspec_transport_opts *opts, sipspec_transport **out, char *err,
                    size_t errlen) {
  return open_as(&traced_tls, &sipspec_transport_tls, loop, opts, out, err, errlen);
}

static int open_udp(struct ev_loop *loop, const sipspec_transport_opts *opts, sipspec_transport **out, char *err,
                    size_t errlen) {
  return open_as(&traced_udp, &sipspec_transport_udp, loop, opts, out, err, errlen);
}

static int open_tcp(struct ev_loop *loop, const sipspec_transport_opts *opts, sipspec_transport **out, char *err,
                    size_t errlen) {
  return open_as(&traced_tcp, &sipspec_transport_tcp, loop, opts, out, err, errlen);
}

const sipspec_transport_type *sipspec_tp_trace_type(sipspec_tp_kind kind) {
  switch (kind) {
  case SIPSPEC_TP_UDP: return &traced_udp;
  case SIPSPEC_TP_TCP: return &traced_tcp;
  case SIPSPEC_TP_TLS: return &traced_tls;
  }
  return NULL;
}

int sipspec_tp_is_traced(const sipspec_transport *tp) {
  return tp && (tp->type == &traced_udp || tp->type == &traced_tcp || tp->type == &traced_tls);
}

int sipspec_tp_trace_set(sipspec_transport *tp, sipspec_tp_trace_fn fn, void *user) {
  if (!sipspec_tp_is_traced(tp)) return SIPSPEC_E_INVAL;
  traced_tp *w = (traced_tp *)tp;
  w->trace = fn;
  w->trace_user = user;
  return SIPSPEC_OK;
}

int sipspec_tp_trace_open(sipspec_tp_kind kind, struct ev_loop *loop, const sipspec_transport_opts *opts,
                          sipspec_tp_trace_fn fn, void *user, sipspec_transport **out, char *err,
                          size_t errlen) {
  const sipspec_transport_type *type = sipspec_tp_trace_type(kind);
  if (out) *out = NULL;
  if (!type || !out) return SIPSPEC_E_INVAL;
  int rc = sipspec_transport_open(type, loop, opts, out, err, errlen);
  if (!rc) sipspec_tp_trace_set(*out, fn, user);
  return rc;
}
