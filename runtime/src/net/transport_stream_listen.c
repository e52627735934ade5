/* transport_stream_listen.c: the stream transport's listener (transport_tcp.c): listen on the
 * bound address, accept in batches, close a connection over max_connections at once
 * (docs/limits.md), and pause when accept() runs out of descriptors instead of spinning on a
 * readable backlog. Each accepted connection starts its chart (spec/stream_conn.rl) with
 * CONN_UP or CONN_UP_TLS. */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net/stream_internal.h"

/* How long the listener pauses when accept() runs out of descriptors (EMFILE, ENFILE). */
#define TCP_ACCEPT_PAUSE_MS 100

void stream_accept_resume(sipspec_clock_timer *timer, void *arg) {
  tcp_tp *t = arg;
  (void)timer;
  ev_io_start(t->base.loop, &t->lio);
}

void stream_accept_cb(struct ev_loop *loop, ev_io *w, int revents) {
  (void)loop; (void)revents;
  tcp_tp *t = w->data;
  assert(&t->lio == w);
  for (int i = 0; i < TCP_ACCEPT_BATCH; i++) {
    sipspec_sockaddr from;
    from.len = sizeof from.u;
    int fd = accept(t->lfd, &from.u.sa, &from.len);
    if (fd >= 0 && (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) != 0 ||
                    fcntl(fd, F_SETFD, FD_CLOEXEC) != 0)) {
      close(fd);
      continue;
    }
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      int out_of_fds = errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM;
      if (out_of_fds) {
        /* The pending connection stays in the backlog and the listener stays readable: waiting
         * for it again now would spin. Pause the listener; reported once per pause. */
        ev_io_stop(t->base.loop, &t->lio);
        (void)sipspec_clock_timer_after(t->clock, &t->accept_pause, TCP_ACCEPT_PAUSE_MS);
      }
      if (errno != EAGAIN && errno != EWOULDBLOCK && t->opts.on_error) {
        char msg[SIPSPEC_ERR_LEN];
        int e = errno;
        sipspec_net_seterr(msg, sizeof msg, "accept", &t->bound, t->base.type->name, strerror(e));
        sipspec_tp_error err = {SIPSPEC_E_IO, e, NULL, msg};
        t->depth++;
        t->opts.on_error(&t->base, &err, t->opts.user);
        t->depth--;
      }
      return;
    }
    if (t->opts.max_connections && t->naccepted >= t->opts.max_connections) {
      /* over MRCP_SIP_MAX_CONNECTIONS: accepted (so it leaves the backlog) and closed */
      if (t->opts.tel) t->opts.tel->sipConnectionsRefused++;
      close(fd);
      continue;
    }
    sipspec_sockaddr peer;
    tcp_conn *c = NULL;
    if (sipspec_sockaddr_from_sockaddr(&peer, &from.u.sa, from.len) != SIPSPEC_OK ||
        !(c = stream_conn_new(t, &peer, fd))) {
      close(fd);
      continue;
    }
    c->accepted = 1;
    t->naccepted++;
    if (t->opts.idle_timeout_ms) (void)sipspec_fsm_timers_set(&c->timers, SIPSPEC_EV_TIMER_IDLE, t->opts.idle_timeout_ms);
    (void)sipspec_fsm_timers_off(&c->timers, SIPSPEC_EV_TIMER_PING, 1); /* RFC 5626 4.4.1: the flow's creator pings */
    stream_conn_post(c, t->tls ? SIPSPEC_EV_CONN_UP_TLS : SIPSPEC_EV_CONN_UP);
  }
}


int stream_tp_listen(tcp_tp *t, char *err, size_t errlen) {
  int one = 1;
  t->lfd = socket(sipspec_sockaddr_family(&t->bind), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (t->lfd < 0) {
    sipspec_net_seterr(err, errlen, "socket", &t->bind, t->base.type->name, strerror(errno));
    return SIPSPEC_E_SOCKET;
  }
  (void)setsockopt(t->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (sipspec_sockaddr_family(&t->bind) == AF_INET6)
    (void)setsockopt(t->lfd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  if (bind(t->lfd, &t->bind.u.sa, t->bind.len) != 0) {
    sipspec_net_seterr(err, errlen, "bind", &t->bind, t->base.type->name, strerror(errno));
    return SIPSPEC_E_BIND;
  }
  if (listen(t->lfd, 64) != 0) {
    sipspec_net_seterr(err, errlen, "listen", &t->bind, t->base.type->name, strerror(errno));
    return SIPSPEC_E_LISTEN;
  }
  sipspec_sockaddr got;
  got.len = sizeof got.u;
  if (getsockname(t->lfd, &got.u.sa, &got.len) != 0 ||
      sipspec_sockaddr_from_sockaddr(&t->bound, &got.u.sa, got.len) != SIPSPEC_OK) {
    sipspec_net_seterr(err, errlen, "getsockname", &t->bind, t->base.type->name, strerror(errno));
    return SIPSPEC_E_SOCKET;
  }
  ev_io_init(&t->lio, stream_accept_cb, t->lfd, EV_READ);
  t->lio.data = t;
  ev_io_start(t->base.loop, &t->lio);
  return SIPSPEC_OK;
}
