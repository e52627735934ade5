/* server/server_trace.c: a transport decorator that shows every message to the trace
 * callback.
 *
 * Why a decorator: the transaction layer builds and retransmits responses itself, so the
 * only place that sees every byte the server sends (retransmissions, 100 Trying, stateless
 * 400s) and every byte it receives (before parsing, malformed ones too) is the transport.
 * The decorator is a sipspec_transport_type of its own (sipspec/transport.h): open()
 * opens the real UDP or TCP transport with its own callbacks in front of the layer's,
 * send() forwards and traces. The layer cannot tell the difference: kind, name and
 * reliability are the real transport's.
 */
#include <stdlib.h>
#include <string.h>

#include "server/server_internal.h"

struct srv_tp {
  sipspec_transport base;          /* first: the layer sees a sipspec_transport */
  sipspec_transport *inner;
  sipspec_tp_recv_cb on_recv;      /* the layer's callbacks and user */
  sipspec_tp_error_cb on_error;
  void *user;
  sipspec_server *srv;             /* set right after open (no event can come before) */
};

static void trace(srv_tp *w, const char *dir, const sipspec_sockaddr *peer, const char *data, size_t len) {
  sipspec_server *srv = w->srv;
  if (srv && srv->o.trace) srv->o.trace(srv->o.trace_user, dir, w->base.type->kind, peer, data, len);
}

static void tramp_recv(sipspec_transport *tp, const char *data, size_t len, const sipspec_sockaddr *from,
                       void *user) {
  srv_tp *w = user;
  (void)tp;
  trace(w, "recv", from, data, len);
  w->on_recv(&w->base, data, len, from, w->user);
}

static void tramp_error(sipspec_transport *tp, const sipspec_tp_error *e, void *user) {
  srv_tp *w = user;
  (void)tp;
  if (w->on_error) w->on_error(&w->base, e, w->user);
}

static int open_as(const sipspec_transport_type *self, const sipspec_transport_type *real,
                   struct ev_loop *loop, const sipspec_transport_opts *opts, sipspec_transport **out,
                   char *err, size_t errlen) {
  srv_tp *w = calloc(1, sizeof *w);
  if (!w) return SIPSPEC_E_NOMEM;
  w->base.type = self;
  w->base.loop = loop;
  w->on_recv = opts->on_recv;
  w->on_error = opts->on_error;
  w->user = opts->user;
  sipspec_transport_opts o = *opts;
  o.on_recv = tramp_recv;
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
  srv_tp *w = (srv_tp *)tp;
  int rc = sipspec_transport_send(w->inner, to, data, len);
  if (rc == SIPSPEC_OK) trace(w, "send", to, data, len);
  return rc;
}

static void w_close(sipspec_transport *tp) {
  srv_tp *w = (srv_tp *)tp;
  /* The real transport defers its own close when inside a callback and delivers nothing
   * after this call, so the decorator can go now. */
  sipspec_transport_close(w->inner);
  free(w);
}

static int w_bound(sipspec_transport *tp, sipspec_sockaddr *out) {
  return sipspec_transport_bound_addr(((srv_tp *)tp)->inner, out);
}

static int w_local(sipspec_transport *tp, const sipspec_sockaddr *toward, sipspec_sockaddr *out) {
  return sipspec_transport_local_addr(((srv_tp *)tp)->inner, toward, out);
}

static int open_udp(struct ev_loop *loop, const sipspec_transport_opts *opts, sipspec_transport **out,
                    char *err, size_t errlen);
static int open_tcp(struct ev_loop *loop, const sipspec_transport_opts *opts, sipspec_transport **out,
                    char *err, size_t errlen);

static const sipspec_transport_type traced_udp = {"udp", SIPSPEC_TP_UDP, 0, open_udp, w_send, w_close, w_bound, w_local};
static const sipspec_transport_type traced_tcp = {"tcp", SIPSPEC_TP_TCP, 1, open_tcp, w_send, w_close, w_bound, w_local};

static int open_udp(struct ev_loop *loop, const sipspec_transport_opts *opts, sipspec_transport **out,
                    char *err, size_t errlen) {
  return open_as(&traced_udp, &sipspec_transport_udp, loop, opts, out, err, errlen);
}

static int open_tcp(struct ev_loop *loop, const sipspec_transport_opts *opts, sipspec_transport **out,
                    char *err, size_t errlen) {
  return open_as(&traced_tcp, &sipspec_transport_tcp, loop, opts, out, err, errlen);
}

int srv_trace_open(sipspec_server *srv, sipspec_tp_kind kind, unsigned port, char *err, size_t errlen) {
  if (kind != SIPSPEC_TP_UDP && kind != SIPSPEC_TP_TCP) return SIPSPEC_E_TLS_UNAVAILABLE;
  sipspec_transport_opts o;
  sipspec_transport_opts_init(&o);
  o.bind_host = srv->listen_host;
  o.bind_port = port;
  o.listen = kind == SIPSPEC_TP_TCP;
  /* Responses go back over the transport the request came on (18.2.2) whatever their size;
   * the server's only requests are BYEs. */
  o.max_datagram = 65000;
  sipspec_transport *tp = NULL;
  int rc = sipspec_tsx_layer_open_transport(srv->layer, kind == SIPSPEC_TP_UDP ? &traced_udp : &traced_tcp, &o,
                                            &tp, err, errlen);
  if (rc) return rc;
  srv_tp *w = (srv_tp *)tp;
  w->srv = srv;
  srv->tp[kind] = w;
  return SIPSPEC_OK;
}
