/* transport_tcp.c: the TCP transport (RFC 3261 18.1.1, 18.2.2, 18.3) on libev.
 *
 * Connections are kept per peer address and reused: the first send to a peer opens a
 * non-blocking connection (bounded by opts->connect_timeout_ms) and queues the message;
 * later sends to the same peer go on the same connection. Accepted connections (when
 * opts->listen is set) join the same table, so responses to a peer leave on the connection
 * its request came in on. Bytes read are handed to the framer (one state per connection),
 * which cuts them into messages for on_recv.
 *
 * A connection that fails (refused, reset, timed out, closed by the peer, garbage from the
 * framer) is closed at once and leaves the table; the error reaches on_error with the peer
 * address on the next loop iteration (never from inside send), and the next send to that
 * peer opens a new connection. Dead connections are freed by a zero-delay "reaper" timer,
 * never inside their own I/O callbacks; a close requested from inside a user callback runs
 * on the "goodbye" timer.
 */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "net/net_internal.h"

enum { TCP_READ_BUF = 16384, TCP_READ_BATCH = 16, TCP_ACCEPT_BATCH = 16 };

typedef enum { CONN_CONNECTING, CONN_OPEN, CONN_DEAD } conn_state;

typedef struct tcp_tp tcp_tp;

typedef struct tcp_conn {
  tcp_tp *tp;
  struct tcp_conn *next;       /* in tp->live or tp->dead */
  sipspec_sockaddr peer;
  int fd;
  conn_state state;
  int inbound;
  ev_io rio, wio;
  ev_timer ctimer;             /* connect timeout */
  char *out;                   /* queued bytes out[off..len) */
  size_t off, len, cap;
  void *framer;                /* framer state */
  int err_code, err_errno;     /* why it died; err_code 0: nothing to report */
  char err_msg[SIPSPEC_ERR_LEN];
} tcp_conn;

struct tcp_tp {
  sipspec_transport base;      /* first: the public part */
  sipspec_transport_opts opts;
  sipspec_sockaddr bind;           /* requested bind address (port may be 0) */
  sipspec_sockaddr bound;          /* listener's real address when listening */
  int lfd;
  ev_io lio;
  ev_timer reaper, goodbye;
  tcp_conn *live, *dead;
  int depth, closing;
  char rbuf[TCP_READ_BUF];
};

static void conn_free(tcp_conn *c) {
  struct ev_loop *loop = c->tp->base.loop;
  ev_io_stop(loop, &c->rio);
  ev_io_stop(loop, &c->wio);
  ev_timer_stop(loop, &c->ctimer);
  if (c->fd >= 0) close(c->fd);
  if (c->framer) c->tp->opts.framer->destroy(c->framer);
  free(c->out);
  free(c);
}

static void tcp_free(tcp_tp *t) {
  struct ev_loop *loop = t->base.loop;
  ev_io_stop(loop, &t->lio);
  ev_timer_stop(loop, &t->reaper);
  ev_timer_stop(loop, &t->goodbye);
  if (t->lfd >= 0) close(t->lfd);
  for (tcp_conn **list = &t->live; list; list = list == &t->live ? &t->dead : NULL)
    while (*list) {
      tcp_conn *c = *list;
      *list = c->next;
      conn_free(c);
    }
  free(t);
}

static void unlink_live(tcp_tp *t, tcp_conn *c) {
  for (tcp_conn **pp = &t->live; *pp; pp = &(*pp)->next)
    if (*pp == c) { *pp = c->next; return; }
}

/* Kills a connection now (sockets closed, out of the table) and schedules the report and
 * the free. code 0 means a silent close. */
static void conn_fail(tcp_conn *c, int code, int sys_errno, const char *verb, const char *why) {
  tcp_tp *t = c->tp;
  if (c->state == CONN_DEAD) return;
  c->state = CONN_DEAD;
  ev_io_stop(t->base.loop, &c->rio);
  ev_io_stop(t->base.loop, &c->wio);
  ev_timer_stop(t->base.loop, &c->ctimer);
  close(c->fd);
  c->fd = -1;
  c->err_code = code;
  c->err_errno = sys_errno;
  sipspec_net_seterr(c->err_msg, sizeof c->err_msg, verb, &c->peer, "tcp",
                     why ? why : sys_errno ? strerror(sys_errno) : sipspec_strerror(code));
  unlink_live(t, c);
  c->next = t->dead;
  t->dead = c;
  ev_timer_start(t->base.loop, &t->reaper);
}

static void reaper_cb(struct ev_loop *loop, ev_timer *w, int revents) {
  (void)loop; (void)revents;
  tcp_tp *t = w->data;
  assert(&t->reaper == w);
  /* Take the current batch, oldest first. Connections that die while it is reported (a
   * callback sending to a dead peer again) wait for the next run, so a callback that keeps
   * resending cannot hold the loop here. */
  tcp_conn *batch = NULL;
  while (t->dead) {
    tcp_conn *c = t->dead;
    t->dead = c->next;
    c->next = batch;
    batch = c;
  }
  while (batch) {
    tcp_conn *c = batch;
    batch = c->next;
    if (!t->closing && c->err_code && t->opts.on_error) {
      sipspec_tp_error e = {c->err_code, c->err_errno, &c->peer, c->err_msg};
      t->depth++;
      t->opts.on_error(&t->base, &e, t->opts.user);
      t->depth--;
    }
    conn_free(c);
  }
}

static void goodbye_cb(struct ev_loop *loop, ev_timer *w, int revents) {
  (void)loop; (void)revents;
  tcp_tp *t = w->data;
  assert(&t->goodbye == w);
  tcp_free(t);
}

/* Writes as much of the queue as the socket takes. */
static void conn_flush(tcp_conn *c) {
  while (c->off < c->len) {
    ssize_t n = send(c->fd, c->out + c->off, c->len - c->off, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        ev_io_start(c->tp->base.loop, &c->wio);
        return;
      }
      int e = errno;
      conn_fail(c, sipspec_net_errno_code(e, SIPSPEC_E_SEND), e, "send", NULL);
      return;
    }
    c->off += (size_t)n;
  }
  c->off = c->len = 0;
  ev_io_stop(c->tp->base.loop, &c->wio);
}

static int conn_queue(tcp_conn *c, const void *data, size_t len) {
  if (c->len - c->off + len > c->tp->opts.max_queued_bytes) return SIPSPEC_E_AGAIN;
  if (c->off > 0) {
    memmove(c->out, c->out + c->off, c->len - c->off);
    c->len -= c->off;
    c->off = 0;
  }
  if (c->len + len > c->cap) {
    size_t cap = c->cap ? c->cap : 4096;
    while (cap < c->len + len) cap *= 2;
    char *p = realloc(c->out, cap);
    if (!p) return SIPSPEC_E_NOMEM;
    c->out = p;
    c->cap = cap;
  }
  memcpy(c->out + c->len, data, len);
  c->len += len;
  return SIPSPEC_OK;
}

static int emit_cb(void *ctx, const char *msg, size_t len) {
  tcp_conn *c = ctx;
  tcp_tp *t = c->tp;
  t->depth++;
  t->opts.on_recv(&t->base, msg, len, &c->peer, t->opts.user);
  t->depth--;
  return t->closing || c->state == CONN_DEAD;
}

static void conn_read_cb(struct ev_loop *loop, ev_io *w, int revents) {
  (void)loop; (void)revents;
  tcp_conn *c = w->data;
  tcp_tp *t = c->tp;
  assert(&c->rio == w);
  for (int i = 0; i < TCP_READ_BATCH && !t->closing && c->state == CONN_OPEN; i++) {
    ssize_t n = recv(c->fd, t->rbuf, sizeof t->rbuf, 0);
    if (n == 0) {
      conn_fail(c, SIPSPEC_E_CONN_CLOSED, 0, "read", NULL);
      return;
    }
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      int e = errno;
      conn_fail(c, sipspec_net_errno_code(e, SIPSPEC_E_IO), e, "read", NULL);
      return;
    }
    int rc = t->opts.framer->feed(c->framer, t->rbuf, (size_t)n, emit_cb, c);
    if (rc < 0 && !t->closing) {
      conn_fail(c, rc, 0, "read", sipspec_strerror(rc));
      return;
    }
  }
}

static void conn_write_cb(struct ev_loop *loop, ev_io *w, int revents) {
  (void)revents;
  tcp_conn *c = w->data;
  assert(&c->wio == w);
  if (c->state == CONN_CONNECTING) {
    int soerr = 0;
    socklen_t sl = sizeof soerr;
    if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) != 0) soerr = errno;
    if (soerr == EINPROGRESS) return;
    if (soerr) {
      conn_fail(c, sipspec_net_errno_code(soerr, SIPSPEC_E_CONNECT), soerr, "connect", NULL);
      return;
    }
    c->state = CONN_OPEN;
    ev_timer_stop(loop, &c->ctimer);
    ev_io_start(loop, &c->rio);
  }
  conn_flush(c);
}

static void conn_timeout_cb(struct ev_loop *loop, ev_timer *w, int revents) {
  (void)loop; (void)revents;
  tcp_conn *c = w->data;
  char why[64];
  assert(&c->ctimer == w);
  snprintf(why, sizeof why, "timed out after %u ms", c->tp->opts.connect_timeout_ms);
  conn_fail(c, SIPSPEC_E_CONN_TIMEOUT, ETIMEDOUT, "connect", why);
}

static tcp_conn *conn_new(tcp_tp *t, const sipspec_sockaddr *peer, int fd, int inbound) {
  tcp_conn *c = calloc(1, sizeof *c);
  if (!c) return NULL;
  c->framer = t->opts.framer->create(t->opts.framer_arg);
  if (!c->framer) { free(c); return NULL; }
  c->tp = t;
  c->peer = *peer;
  c->fd = fd;
  c->inbound = inbound;
  /* SIP messages are small and each one is a whole unit the peer waits for (an ACK then a
   * BYE, a 200 then its ACK): Nagle's algorithm would hold the second behind the peer's
   * delayed TCP ACK (about 40 ms on Linux). Best effort: a failure only costs latency. */
  int one = 1;
  (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  c->state = inbound ? CONN_OPEN : CONN_CONNECTING;
  ev_io_init(&c->rio, conn_read_cb, fd, EV_READ);
  ev_io_init(&c->wio, conn_write_cb, fd, EV_WRITE);
  ev_timer_init(&c->ctimer, conn_timeout_cb, t->opts.connect_timeout_ms / 1000., 0.);
  c->rio.data = c->wio.data = c->ctimer.data = c;
  c->next = t->live;
  t->live = c;
  return c;
}

static tcp_conn *conn_find(tcp_tp *t, const sipspec_sockaddr *peer) {
  for (tcp_conn *c = t->live; c; c = c->next)
    if (sipspec_sockaddr_equal(&c->peer, peer)) return c;
  return NULL;
}

/* Starts a connection to peer. Failures that happen right away still end in the error
 * callback (through the reaper), like the ones that happen later. */
static int conn_open(tcp_tp *t, const sipspec_sockaddr *peer, tcp_conn **out) {
  int fd = socket(sipspec_sockaddr_family(peer), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return SIPSPEC_E_SOCKET;
  tcp_conn *c = conn_new(t, peer, fd, 0);
  if (!c) { close(fd); return SIPSPEC_E_NOMEM; }
  *out = c;
  if (!sipspec_sockaddr_is_any(&t->bind) &&
      sipspec_sockaddr_family(&t->bind) == sipspec_sockaddr_family(peer)) {
    sipspec_sockaddr src = t->bind;
    sipspec_sockaddr_set_port(&src, 0);
    if (bind(fd, &src.u.sa, src.len) != 0) {
      int e = errno;
      conn_fail(c, SIPSPEC_E_BIND, e, "connect", NULL);
      return SIPSPEC_OK;
    }
  }
  if (connect(fd, &peer->u.sa, peer->len) == 0) {
    c->state = CONN_OPEN;
    ev_io_start(t->base.loop, &c->rio);
    return SIPSPEC_OK;
  }
  if (errno != EINPROGRESS) {
    int e = errno;
    conn_fail(c, sipspec_net_errno_code(e, SIPSPEC_E_CONNECT), e, "connect", NULL);
    return SIPSPEC_OK;
  }
  ev_io_start(t->base.loop, &c->wio);
  ev_timer_start(t->base.loop, &c->ctimer);
  return SIPSPEC_OK;
}

static int tcp_send(sipspec_transport *tp, const sipspec_sockaddr *to, const void *data,
                    size_t len) {
  tcp_tp *t = (tcp_tp *)tp;
  if (t->closing) return SIPSPEC_E_STATE;
  int fam = sipspec_sockaddr_family(to);
  if (!fam || (fam == AF_INET && to->u.sin.sin_port == 0) ||
      (fam == AF_INET6 && to->u.sin6.sin6_port == 0))
    return SIPSPEC_E_BAD_ADDRESS;
  tcp_conn *c = conn_find(t, to);
  if (!c) {
    int rc = conn_open(t, to, &c);
    if (rc != SIPSPEC_OK) return rc;
    if (c->state == CONN_DEAD) return SIPSPEC_OK; /* reported through on_error */
  }
  int rc = conn_queue(c, data, len);
  if (rc != SIPSPEC_OK) return rc;
  if (c->state == CONN_OPEN) conn_flush(c);
  return SIPSPEC_OK;
}

static void accept_cb(struct ev_loop *loop, ev_io *w, int revents) {
  (void)revents;
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
      if (errno != EAGAIN && errno != EWOULDBLOCK && t->opts.on_error) {
        char msg[SIPSPEC_ERR_LEN];
        int e = errno;
        sipspec_net_seterr(msg, sizeof msg, "accept", &t->bound, "tcp", strerror(e));
        sipspec_tp_error err = {SIPSPEC_E_IO, e, NULL, msg};
        t->depth++;
        t->opts.on_error(&t->base, &err, t->opts.user);
        t->depth--;
      }
      return;
    }
    sipspec_sockaddr peer;
    tcp_conn *c = NULL;
    if (sipspec_sockaddr_from_sockaddr(&peer, &from.u.sa, from.len) != SIPSPEC_OK ||
        !(c = conn_new(t, &peer, fd, 1))) {
      close(fd);
      continue;
    }
    ev_io_start(loop, &c->rio);
  }
}

static void tcp_close(sipspec_transport *tp) {
  tcp_tp *t = (tcp_tp *)tp;
  if (t->closing) return;
  t->closing = 1;
  if (t->depth == 0) { tcp_free(t); return; }
  /* Inside one of our callbacks: silence everything now, free after it returns. */
  ev_io_stop(t->base.loop, &t->lio);
  ev_timer_stop(t->base.loop, &t->reaper);
  for (tcp_conn **list = &t->live; list; list = list == &t->live ? &t->dead : NULL)
    for (tcp_conn *c = *list; c; c = c->next) {
      ev_io_stop(t->base.loop, &c->rio);
      ev_io_stop(t->base.loop, &c->wio);
      ev_timer_stop(t->base.loop, &c->ctimer);
    }
  ev_timer_start(t->base.loop, &t->goodbye);
}

static int tcp_bound_addr(sipspec_transport *tp, sipspec_sockaddr *out) {
  tcp_tp *t = (tcp_tp *)tp;
  if (t->lfd < 0) return SIPSPEC_E_STATE; /* not listening: no fixed local port */
  *out = t->bound;
  return SIPSPEC_OK;
}

static int tcp_local_addr(sipspec_transport *tp, const sipspec_sockaddr *toward,
                          sipspec_sockaddr *out) {
  tcp_tp *t = (tcp_tp *)tp;
  tcp_conn *c = conn_find(t, toward);
  if (c && c->state == CONN_OPEN) {
    sipspec_sockaddr got;
    got.len = sizeof got.u;
    if (getsockname(c->fd, &got.u.sa, &got.len) == 0)
      return sipspec_sockaddr_from_sockaddr(out, &got.u.sa, got.len);
  }
  return sipspec_net_local_toward(t->lfd >= 0 ? &t->bound : &t->bind, toward, out);
}

static int tcp_listen(tcp_tp *t, char *err, size_t errlen) {
  int one = 1;
  t->lfd = socket(sipspec_sockaddr_family(&t->bind), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (t->lfd < 0) {
    sipspec_net_seterr(err, errlen, "socket", &t->bind, "tcp", strerror(errno));
    return SIPSPEC_E_SOCKET;
  }
  (void)setsockopt(t->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (sipspec_sockaddr_family(&t->bind) == AF_INET6)
    (void)setsockopt(t->lfd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  if (bind(t->lfd, &t->bind.u.sa, t->bind.len) != 0) {
    sipspec_net_seterr(err, errlen, "bind", &t->bind, "tcp", strerror(errno));
    return SIPSPEC_E_BIND;
  }
  if (listen(t->lfd, 64) != 0) {
    sipspec_net_seterr(err, errlen, "listen", &t->bind, "tcp", strerror(errno));
    return SIPSPEC_E_LISTEN;
  }
  sipspec_sockaddr got;
  got.len = sizeof got.u;
  if (getsockname(t->lfd, &got.u.sa, &got.len) != 0 ||
      sipspec_sockaddr_from_sockaddr(&t->bound, &got.u.sa, got.len) != SIPSPEC_OK) {
    sipspec_net_seterr(err, errlen, "getsockname", &t->bind, "tcp", strerror(errno));
    return SIPSPEC_E_SOCKET;
  }
  ev_io_init(&t->lio, accept_cb, t->lfd, EV_READ);
  t->lio.data = t;
  ev_io_start(t->base.loop, &t->lio);
  return SIPSPEC_OK;
}

static int tcp_open(struct ev_loop *loop, const sipspec_transport_opts *opts,
                    sipspec_transport **out, char *err, size_t errlen) {
  *out = NULL;
  if (!opts || !opts->on_recv || !opts->framer || !opts->framer->create ||
      !opts->framer->feed || !opts->framer->destroy) {
    if (err && errlen) snprintf(err, errlen, "tcp: options need a receive callback and a framer");
    return SIPSPEC_E_INVAL;
  }
  tcp_tp *t = calloc(1, sizeof *t);
  if (!t) return SIPSPEC_E_NOMEM;
  t->base.type = &sipspec_transport_tcp;
  t->base.loop = loop;
  t->opts = *opts;
  t->opts.bind_host = NULL;
  t->lfd = -1;
  ev_init(&t->lio, accept_cb);
  ev_timer_init(&t->reaper, reaper_cb, 0., 0.);
  ev_timer_init(&t->goodbye, goodbye_cb, 0., 0.);
  t->lio.data = t->reaper.data = t->goodbye.data = t;
  int rc = sipspec_net_bind_addr(opts, &t->bind, "tcp", err, errlen);
  if (rc == SIPSPEC_OK && opts->listen) rc = tcp_listen(t, err, errlen);
  if (rc != SIPSPEC_OK) {
    tcp_free(t);
    return rc;
  }
  *out = &t->base;
  return SIPSPEC_OK;
}

const sipspec_transport_type sipspec_transport_tcp = {
  .name = "tcp",
  .kind = SIPSPEC_TP_TCP,
  .reliable = 1,
  .open = tcp_open,
  .send = tcp_send,
  .close = tcp_close,
  .bound_addr = tcp_bound_addr,
  .local_addr = tcp_local_addr,
};
