/* transport_tcp.c: the TCP and TLS transports (RFC 3261 18.1.1, 18.2.2, 18.3, 26.2.1) on libev.
 *
 * Connections are kept per peer address and reused: the first send to a peer opens a
 * non-blocking connection (bounded by opts->connect_timeout_ms) and queues the message;
 * later sends to the same peer go on the same connection. Accepted connections (when
 * opts->listen is set) join the same table, so responses to a peer leave on the connection
 * its request came in on. Bytes read are handed to the framer (one state per connection),
 * which cuts them into messages for on_recv.
 *
 * Each connection's life is the chart spec/stream_conn.rl (New, Connecting, Open, Idle,
 * Closing, Closed): the libev I/O callbacks and sends turn what the socket says into the
 * chart's events (conn_post), and the chart's actions are the stream_act_* functions below.
 * Events posted while an action runs (a send from inside on_recv, the outcome of a write)
 * wait in the connection's small queue, so a machine is never re-entered. The chart's timers
 * (CONNECT, IDLE, LINGER) run on one ev_timer per connection through the chart timer layer.
 *
 * A connection that fails (refused, reset, timed out, closed by the peer, garbage from the
 * framer) is closed at once and leaves the table; the error reaches on_error with the peer
 * address on the next loop iteration (never from inside send), and the next send to that
 * peer opens a new connection. A connection idle for the idle timeout (by default out of
 * reach, see tcp_idle_default_ms) is closed by us without a report: FIN, then the peer's FIN
 * or the LINGER timer. Dead connections are buried on the clock (sipspec/clock.h), which
 * reports and frees them after the callbacks on the stack, never inside their own I/O
 * callbacks; a transport closed from inside a user callback is buried the same way.
 *
 * Limits (docs/limits.md): a listener accepts at most opts->max_connections at once (one more
 * is accepted and closed); an accepted connection idle for opts->idle_timeout_ms is closed
 * unless opts->in_use says a transaction needs it (the chart's check_idle); a message must
 * arrive whole within opts->message_timeout_ms of its first byte (the chart's MESSAGE timer,
 * driven by CONN_PARTIAL / CONN_WHOLE after each read); the framer's limits close the
 * connection. Each is counted in opts->tel.
 *
 * TLS (sipspec_transport_tls) is the same transport with OpenSSL between the socket and the
 * framer: a connection that is up posts CONN_UP_TLS instead of CONN_UP, the chart's
 * Handshaking state runs the non-blocking handshake (SSL_ERROR_WANT_READ / _WANT_WRITE on
 * the same watchers, bounded by the HANDSHAKE timer), and the checks of net/tls.c decide
 * TLS_DONE or TLS_FAILED. Reads and writes then go through SSL_read / SSL_write (partial
 * writes, a write that wants a read waits for the next read). Connections are kept per
 * (address, name): the name a connection was verified for (RFC 5922 §7.3, set by
 * set_peer_name) is part of its key, so a connection never serves another name; accepted
 * connections have no name and carry what is sent back to their peer.
 *
 * Beside this file: transport_stream_listen.c (the listener and accept),
 * transport_stream_tls.c (TLS reads, writes and handshake), net/stream_internal.h.
 */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>

#include "fsm/fsm_timers.h"
#include "sipspec/clock.h"
#include "net/net_internal.h"
#include "net/tls_internal.h"
#include "sipspec/chart_stream_conn.h"
#include "sipspec/telemetry.h"

#include "net/stream_internal.h"

/* The idle timeout when nobody sets one: the longest the chart timer layer can count
 * (2^32-1 ms, 49.7 days), i.e. connections are closed by the peer or an error, as this
 * transport always did. A shorter default would cut connections that a transaction still
 * needs: a UAC rings for up to 3 minutes with nothing on the wire, and a peer that sees our
 * FIN ends its transactions on that connection (RFC 3261 18: keep a connection at least as
 * long as the longest transaction). sipspec_tcp_set_idle_timeout() sets another value. */
static const uint32_t tcp_idle_default_ms = UINT32_MAX;

/* The chart's T-values: the transport knows no T1 of its own, so the RFC 3261 defaults
 * (CONNECT is given connect_timeout_ms, IDLE the idle timeout; LINGER is T4). */
static const sipspec_timer_values tcp_timer_values = {500, 4000, 5000};


/* ---- lists, freeing ----------------------------------------------------------------------- */

static void conn_silence(tcp_conn *c) {
  struct ev_loop *loop = c->tp->base.loop;
  ev_io_stop(loop, &c->rio);
  ev_io_stop(loop, &c->wio);
  ev_io_stop(loop, &c->cio);
  sipspec_clock_timer_stop(c->tp->clock, &c->timer);
}

static void conn_free(tcp_conn *c) {
  conn_silence(c);
  if (c->accepted) c->tp->naccepted--;
  SSL_free(c->ssl);
  if (c->fd >= 0) close(c->fd);
  if (c->framer) c->tp->opts.framer->destroy(c->framer);
  free(c->out);
  free(c);
}

static void free_list(tcp_conn **list) {
  while (*list) {
    tcp_conn *c = *list;
    *list = c->next;
    conn_free(c);
  }
}

static void tcp_free(tcp_tp *t) {
  ev_io_stop(t->base.loop, &t->lio);
  sipspec_clock_timer_stop(t->clock, &t->accept_pause);
  if (t->lfd >= 0) close(t->lfd);
  free_list(&t->live);
  free_list(&t->closing_list);
  t->opts.on_error = NULL; /* the dead connections go unreported with the transport */
  sipspec_clock_reap_owner(t->clock, t);
  sipspec_clock_free(t->own_clock);
  SSL_CTX_free(t->cctx);
  SSL_CTX_free(t->sctx);
  free(t->names);
  free(t);
}

static int unlink_from(tcp_conn **list, tcp_conn *c) {
  for (tcp_conn **pp = list; *pp; pp = &(*pp)->next)
    if (*pp == c) { *pp = c->next; return 1; }
  return 0;
}

static void unlink_conn(tcp_tp *t, tcp_conn *c) {
  if (!unlink_from(&t->live, c)) unlink_from(&t->closing_list, c);
}

/* Closed: sipspec_transport_close() was called (the rest of a callback's work is dropped). */
int stream_tp_closed(const tcp_tp *t) { return sipspec_clock_buried(&t->grave); }

/* A dead connection, after the callbacks: its error (if any) goes to on_error, then it is
 * freed. Connections that die while it is reported (a callback sending to a dead peer again)
 * are buried behind it and wait for the clock's next step, so a callback that keeps resending
 * cannot hold the loop here. */
static void conn_grave_free(sipspec_clock_grave *g) {
  tcp_conn *c = (tcp_conn *)((char *)g - offsetof(tcp_conn, grave));
  tcp_tp *t = c->tp;
  if (!stream_tp_closed(t) && c->err_code && t->opts.on_error) {
    sipspec_tp_error e = {c->err_code, c->err_errno, &c->peer, c->err_msg};
    t->depth++;
    t->opts.on_error(&t->base, &e, t->opts.user);
    t->depth--;
  }
  conn_free(c);
}

static void tcp_grave_free(sipspec_clock_grave *g) { tcp_free((tcp_tp *)((char *)g - offsetof(tcp_tp, grave))); }

/* ---- the machine: events, timers ------------------------------------------------------------ */

static void conn_rearm(tcp_conn *c) {
  uint64_t due;
  if (stream_tp_closed(c->tp) || sipspec_fsm_timers_next(&c->timers, &due) < 0) {
    sipspec_clock_timer_stop(c->tp->clock, &c->timer);
    return;
  }
  sipspec_clock_timer_at(c->tp->clock, &c->timer, due);
}

/* Feeds ev to the connection's machine, then whatever its actions posted meanwhile. A
 * CONN_PENDING already waiting covers a second one (the bytes are in the queue). */
void stream_conn_post(tcp_conn *c, int ev) {
  if (ev == SIPSPEC_EV_CONN_PENDING)
    for (int i = 0; i < c->q_len; i++)
      if (c->q[(c->q_head + i) % CONN_QUEUE_MAX] == ev) return;
  assert(c->q_len < CONN_QUEUE_MAX); /* at most one failure, one outcome and a pending send */
  if (c->q_len == CONN_QUEUE_MAX) return;
  c->q[(c->q_head + c->q_len++) % CONN_QUEUE_MAX] = ev;
  if (c->feeding) return;
  c->feeding = 1;
  while (c->q_len && !stream_tp_closed(c->tp)) {
    int e = c->q[c->q_head];
    c->q_head = (c->q_head + 1) % CONN_QUEUE_MAX;
    c->q_len--;
    (void)sipspec_fsm_feed(&c->fsm, e);
  }
  c->q_len = 0;
  c->feeding = 0;
  conn_rearm(c);
}

static void conn_timer_cb(sipspec_clock_timer *w, void *arg) {
  tcp_conn *c = arg;
  assert(&c->timer == w);
  (void)w;
  for (int guard = 0; guard < SIPSPEC_FSM_MAX_TIMERS; guard++) {
    int ev = sipspec_fsm_timers_expire(&c->timers, sipspec_clock_now_ms(c->tp->clock));
    if (ev < 0) break;
    stream_conn_post(c, ev);
  }
  conn_rearm(c);
}

/* The socket's failure that the next report_error describes. */
void stream_conn_cause(tcp_conn *c, int code, int sys_errno, const char *verb, const char *why) {
  c->cause_code = code;
  c->cause_errno = sys_errno;
  c->cause_verb = verb;
  snprintf(c->cause_why, sizeof c->cause_why, "%s", why ? why : "");
}

static void conn_report(tcp_conn *c, int code, int sys_errno, const char *verb, const char *why) {
  c->err_code = code;
  c->err_errno = sys_errno;
  sipspec_net_seterr(c->err_msg, sizeof c->err_msg, verb, &c->peer, c->tp->base.type->name,
                     why && *why ? why : sys_errno ? strerror(sys_errno) : sipspec_strerror(code));
}

/* ---- I/O -------------------------------------------------------------------------------- */

/* Writes as much of the queue as the socket takes: CONN_SENT when all of it went,
 * TRANSPORT_ERR when the socket failed, otherwise waits for the socket to be writable. */

static void conn_flush(tcp_conn *c) {
  if (c->ssl) {
    stream_tls_flush(c);
    return;
  }
  while (c->off < c->len) {
    ssize_t n = send(c->fd, c->out + c->off, c->len - c->off, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        ev_io_start(c->tp->base.loop, &c->wio);
        return;
      }
      int e = errno;
      ev_io_stop(c->tp->base.loop, &c->wio);
      stream_conn_cause(c, sipspec_net_errno_code(e, SIPSPEC_E_SEND), e, "send", NULL);
      stream_conn_post(c, SIPSPEC_EV_TRANSPORT_ERR);
      return;
    }
    c->off += (size_t)n;
  }
  c->off = c->len = 0;
  ev_io_stop(c->tp->base.loop, &c->wio);
  stream_conn_post(c, SIPSPEC_EV_CONN_SENT);
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
  const sipspec_framer_type *f = t->opts.framer;
  const struct sipspec_msg *m = t->opts.on_recv_msg && f->parsed ? f->parsed(c->framer) : NULL;
  c->rx_msgs++;
  t->depth++;
  if (m) t->opts.on_recv_msg(&t->base, m, &c->peer, t->opts.user);
  else t->opts.on_recv(&t->base, msg, len, &c->peer, t->opts.user);
  t->depth--;
  return stream_tp_closed(t);
}


/* RFC 5626 4.4.1 keep-alive bytes, between messages only: a double CRLF is a ping (answered
 * with a single CRLF, queued like any message), a single CRLF the pong to our ping. 1 when
 * the bytes were that and nothing else (the framer never sees them). */
int stream_conn_keepalive(tcp_conn *c, const char *p, size_t n) {
  const sipspec_framer_type *f = c->tp->opts.framer;
  if (!f->pending || f->pending(c->framer) != 0) return 0;
  if (n == 2 && p[0] == '\r' && p[1] == '\n') {
    stream_conn_post(c, SIPSPEC_EV_CONN_PONG);
    return 1;
  }
  if (n == 4 && !memcmp(p, "\r\n\r\n", 4)) {
    if (conn_queue(c, "\r\n", 2) == SIPSPEC_OK) stream_conn_post(c, SIPSPEC_EV_CONN_PENDING);
    return 1;
  }
  return 0;
}



/* Reads while the read watcher runs (the chart stops it when the connection ends). */
static void conn_read_cb(struct ev_loop *loop, ev_io *w, int revents) {
  (void)loop; (void)revents;
  tcp_conn *c = w->data;
  tcp_tp *t = c->tp;
  assert(&c->rio == w);
  if (c->ssl) {
    if (!SSL_is_init_finished(c->ssl)) stream_tls_handshake_step(c);
    else stream_tls_read(c);
    return;
  }
  for (int i = 0; i < TCP_READ_BATCH && !stream_tp_closed(t) && ev_is_active(&c->rio); i++) {
    ssize_t n = recv(c->fd, t->rbuf, sizeof t->rbuf, 0);
    if (n == 0) {
      stream_conn_post(c, SIPSPEC_EV_CONN_EOF);
      return;
    }
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      int e = errno;
      stream_conn_cause(c, sipspec_net_errno_code(e, SIPSPEC_E_IO), e, "read", NULL);
      stream_conn_post(c, SIPSPEC_EV_CONN_RESET);
      return;
    }
    if (stream_conn_keepalive(c, t->rbuf, (size_t)n)) continue;
    c->rx = t->rbuf;
    c->rx_len = (size_t)n;
    stream_conn_post(c, SIPSPEC_EV_CONN_RX);
    c->rx = NULL;
    c->rx_len = 0;
  }
}

static void conn_write_cb(struct ev_loop *loop, ev_io *w, int revents) {
  (void)revents;
  tcp_conn *c = w->data;
  assert(&c->wio == w);
  if (c->ssl && !SSL_is_init_finished(c->ssl)) {
    stream_tls_handshake_step(c);
  } else if (c->ssl && c->off == c->len) { /* a read wanted to write (nothing queued) */
    ev_io_stop(loop, &c->wio);
    stream_tls_read(c);
  } else {
    conn_flush(c);
  }
}

/* The non-blocking connect finished: CONN_UP or CONN_REFUSED. */
static void conn_connect_cb(struct ev_loop *loop, ev_io *w, int revents) {
  (void)revents;
  tcp_conn *c = w->data;
  assert(&c->cio == w);
  int soerr = 0;
  socklen_t sl = sizeof soerr;
  if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) != 0) soerr = errno;
  if (soerr == EINPROGRESS) return;
  ev_io_stop(loop, &c->cio);
  if (soerr) {
    stream_conn_cause(c, sipspec_net_errno_code(soerr, SIPSPEC_E_CONNECT), soerr, "connect", NULL);
    stream_conn_post(c, SIPSPEC_EV_CONN_REFUSED);
    return;
  }
  stream_conn_post(c, c->tp->tls ? SIPSPEC_EV_CONN_UP_TLS : SIPSPEC_EV_CONN_UP);
}


/* ---- the chart's actions (spec/stream_conn.rl) ------------------------------------------- */

#include "chart_stream_conn_actions.h"

/* Binds to the transport's address (when it names one) and starts connecting. */
static void stream_act_connect(tcp_conn *c) {
  tcp_tp *t = c->tp;
  if (!sipspec_sockaddr_is_any(&t->bind) &&
      sipspec_sockaddr_family(&t->bind) == sipspec_sockaddr_family(&c->peer)) {
    sipspec_sockaddr src = t->bind;
    sipspec_sockaddr_set_port(&src, 0);
    if (bind(c->fd, &src.u.sa, src.len) != 0) {
      int e = errno;
      stream_conn_cause(c, SIPSPEC_E_BIND, e, "connect", NULL);
      stream_conn_post(c, SIPSPEC_EV_CONN_REFUSED);
      return;
    }
  }
  if (connect(c->fd, &c->peer.u.sa, c->peer.len) == 0) {
    stream_conn_post(c, t->tls ? SIPSPEC_EV_CONN_UP_TLS : SIPSPEC_EV_CONN_UP);
    return;
  }
  if (errno != EINPROGRESS) {
    int e = errno;
    stream_conn_cause(c, sipspec_net_errno_code(e, SIPSPEC_E_CONNECT), e, "connect", NULL);
    stream_conn_post(c, SIPSPEC_EV_CONN_REFUSED);
    return;
  }
  ev_io_start(t->base.loop, &c->cio);
}

/* The connection is up: read from it, and note our address on it for Via and Contact. */
static void stream_act_watch_read(tcp_conn *c) {
  sipspec_sockaddr got;
  got.len = sizeof got.u;
  if (getsockname(c->fd, &got.u.sa, &got.len) != 0 ||
      sipspec_sockaddr_from_sockaddr(&c->local, &got.u.sa, got.len) != SIPSPEC_OK)
    c->local.len = 0;
  ev_io_start(c->tp->base.loop, &c->rio);
}

static void stream_act_flush(tcp_conn *c) { conn_flush(c); }

/* The bytes read go to the framer. Then, for the MESSAGE bound (docs/limits.md): a message
 * begun and not whole, when none was before or one was completed meanwhile, is CONN_PARTIAL
 * (its bound starts); nothing begun after a message was, CONN_WHOLE. A message over a limit
 * of the framer is counted (the connection is then reset: the stream cannot frame on). */
static void stream_act_deliver(tcp_conn *c) {
  tcp_tp *t = c->tp;
  const sipspec_framer_type *f = t->opts.framer;
  if (!c->rx) return;
  size_t before = f->pending ? f->pending(c->framer) : 0;
  uint64_t msgs = c->rx_msgs;
  int rc = f->feed(c->framer, c->rx, c->rx_len, emit_cb, c);
  if (stream_tp_closed(t)) return;
  if (rc < 0) {
    if (t->opts.tel && (rc == SIPSPEC_E_MSG_OVERSIZE || rc == SIPSPEC_E_MSG_TOO_MANY_HEADERS || rc == SIPSPEC_E_MSG_LINE_TOO_LONG))
      t->opts.tel->sipMessagesTooLarge++;
    stream_conn_cause(c, rc, 0, "read", sipspec_strerror(rc));
    stream_conn_post(c, SIPSPEC_EV_CONN_RESET);
    return;
  }
  if (!f->pending) return;
  size_t after = f->pending(c->framer);
  if (after && (!before || c->rx_msgs != msgs)) stream_conn_post(c, SIPSPEC_EV_CONN_PARTIAL);
  else if (!after && (before || c->rx_msgs != msgs)) stream_conn_post(c, SIPSPEC_EV_CONN_WHOLE);
}

/* IDLE ran out: an accepted connection a transaction still uses stays (in_use); any other
 * closes, counted when accepted. */
static void stream_act_check_idle(tcp_conn *c) {
  tcp_tp *t = c->tp;
  if (t->opts.in_use && t->opts.in_use(&t->base, &c->peer, t->opts.user)) {
    stream_conn_post(c, SIPSPEC_EV_CONN_IDLE_BUSY);
    return;
  }
  if (c->accepted && t->opts.tel) t->opts.tel->sipIdleClosed++;
  stream_conn_post(c, SIPSPEC_EV_CONN_IDLE_FREE);
}

static void stream_act_report_slow_sender(tcp_conn *c) {
  char why[128];
  if (c->tp->opts.tel) c->tp->opts.tel->sipSlowClosed++;
  snprintf(why, sizeof why, "a message did not arrive whole within %u ms of its first byte (MRCP_SIP_MESSAGE_TIMEOUT_MS)",
           c->tp->opts.message_timeout_ms);
  conn_report(c, SIPSPEC_E_MSG_TIMEOUT, 0, "read", why);
}

static void stream_act_report_error(tcp_conn *c) {
  conn_report(c, c->cause_code, c->cause_errno, c->cause_verb ? c->cause_verb : "read", c->cause_why);
}

static void stream_act_report_connect_timeout(tcp_conn *c) {
  char why[64];
  snprintf(why, sizeof why, "timed out after %u ms", c->tp->opts.connect_timeout_ms);
  conn_report(c, SIPSPEC_E_CONN_TIMEOUT, ETIMEDOUT, "connect", why);
}

/* Handshaking: a TLS session on the socket, the checks of net/tls.c as its verify callback,
 * and the first step (the client's ClientHello, or the server's wait for it). */
static void stream_act_handshake(tcp_conn *c) {
  tcp_tp *t = c->tp;
  c->chk.cfg = &t->tlscfg;
  c->chk.verify = c->accepted ? t->tlscfg.require_client_cert : t->tlscfg.verify;
  SSL_CTX *ctx = c->accepted ? t->sctx : t->cctx;
  if (!ctx || !(c->ssl = tls_ssl_new(ctx, c->fd, c->accepted, &c->chk))) {
    stream_conn_cause(c, ctx ? SIPSPEC_E_NOMEM : SIPSPEC_E_TLS_CERT, 0, "handshake",
               ctx ? "out of memory" : "no certificate configured for incoming TLS connections");
    stream_conn_post(c, SIPSPEC_EV_TLS_FAILED);
    return;
  }
  stream_tls_handshake_step(c);
}

/* Open after the handshake: counted; a client that did not verify says so each time. */
static void stream_act_report_handshake(tcp_conn *c) {
  tcp_tp *t = c->tp;
  if (t->opts.tel) t->opts.tel->sipTlsHandshakes++;
  if (!c->accepted && !t->tlscfg.verify) {
    char a[SIPSPEC_SOCKADDR_STRLEN];
    fprintf(stderr, "sipspec: warning: TLS connection to %s (%s) is not verified (MRCP_SIP_TLS_VERIFY=0)\n",
            sipspec_sockaddr_format(&c->peer, a, sizeof a), c->chk.name[0] ? c->chk.name : "no name");
  }
}

static void stream_act_report_tls_failure(tcp_conn *c) {
  if (c->tp->opts.tel) c->tp->opts.tel->sipTlsFailures++;
  stream_act_report_error(c);
}

static void stream_act_report_handshake_timeout(tcp_conn *c) {
  char why[96];
  if (c->tp->opts.tel) c->tp->opts.tel->sipTlsFailures++;
  snprintf(why, sizeof why, "handshake timeout: no TLS handshake within %u ms (MRCP_SIP_TLS_HANDSHAKE_MS)",
           c->tp->tlscfg.handshake_timeout_ms);
  conn_report(c, SIPSPEC_E_TLS_TIMEOUT, 0, "handshake", why);
}

/* Pinging: the double-CRLF ping goes out (its completion is ignored by the chart). */
static void stream_act_send_ping(tcp_conn *c) {
  if (conn_queue(c, "\r\n\r\n", 4) == SIPSPEC_OK) conn_flush(c);
}

static void stream_act_report_keepalive_timeout(tcp_conn *c) {
  if (c->tp->opts.tel) c->tp->opts.tel->sipKeepaliveTimeouts++;
  conn_report(c, SIPSPEC_E_KEEPALIVE, 0, "keep-alive",
              "no pong within 10 s of the CRLF ping (RFC 5626 4.4.1): the connection is dead");
}

static void stream_act_report_closed_by_peer(tcp_conn *c) {
  conn_report(c, SIPSPEC_E_CONN_CLOSED, 0, "read", NULL);
}

/* Idle: our side is done (FIN); the connection leaves the table, so a new message to the
 * peer opens a new one, and waits for the peer's FIN. */
static void stream_act_shutdown(tcp_conn *c) {
  tcp_tp *t = c->tp;
  if (c->ssl) (void)SSL_shutdown(c->ssl); /* close_notify; the peer's answer is read as EOF */
  (void)shutdown(c->fd, SHUT_WR);
  if (unlink_from(&t->live, c)) {
    c->next = t->closing_list;
    t->closing_list = c;
  }
}

/* Closed: the socket is closed now, the connection leaves the table and is buried: the
 * clock reports what the report_* action noted (if any) and frees it. */
static void stream_act_drop(tcp_conn *c) {
  tcp_tp *t = c->tp;
  conn_silence(c);
  sipspec_fsm_timers_stop_all(&c->timers);
  close(c->fd);
  c->fd = -1;
  unlink_conn(t, c);
  c->next = NULL;
  sipspec_clock_bury(t->clock, &c->grave, t, conn_grave_free);
}

static void on_action(void *ctx, const sipspec_chart *chart, int action) {
  tcp_conn *c = ctx;
  (void)chart;
  if (sipspec_fsm_timers_apply(&c->timers, action, sipspec_clock_now_ms(c->tp->clock))) return;
  sipspec_stream_conn_dispatch(&sipspec_stream_conn_impl, c, action);
}

/* ---- connections -------------------------------------------------------------------------- */

tcp_conn *stream_conn_new(tcp_tp *t, const sipspec_sockaddr *peer, int fd) {
  tcp_conn *c = calloc(1, sizeof *c);
  if (!c) return NULL;
  if (sipspec_fsm_timers_init(&c->timers, &sipspec_chart_stream_conn, &tcp_timer_values, 1) != SIPSPEC_OK) {
    free(c);
    return NULL;
  }
  (void)sipspec_fsm_timers_set(&c->timers, SIPSPEC_EV_TIMER_CONNECT, t->opts.connect_timeout_ms);
  (void)sipspec_fsm_timers_set(&c->timers, SIPSPEC_EV_TIMER_IDLE, t->idle_ms);
  (void)sipspec_fsm_timers_set(&c->timers, SIPSPEC_EV_TIMER_HANDSHAKE, t->tlscfg.handshake_timeout_ms);
  (void)sipspec_fsm_timers_set(&c->timers, SIPSPEC_EV_TIMER_PING, t->opts.keepalive_ms);
  (void)sipspec_fsm_timers_off(&c->timers, SIPSPEC_EV_TIMER_PING, t->opts.keepalive_ms == 0);
  (void)sipspec_fsm_timers_set(&c->timers, SIPSPEC_EV_TIMER_MESSAGE, t->opts.message_timeout_ms);
  (void)sipspec_fsm_timers_off(&c->timers, SIPSPEC_EV_TIMER_MESSAGE, t->opts.message_timeout_ms == 0);
  c->framer = t->opts.framer->create(t->opts.framer_arg);
  if (!c->framer) { free(c); return NULL; }
  c->tp = t;
  c->peer = *peer;
  c->fd = fd;
  /* SIP messages are small and each one is a whole unit the peer waits for (an ACK then a
   * BYE, a 200 then its ACK): Nagle's algorithm would hold the second behind the peer's
   * delayed TCP ACK (about 40 ms on Linux). Best effort: a failure only costs latency. */
  int one = 1;
  (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  sipspec_fsm_init(&c->fsm, &sipspec_chart_stream_conn, on_action, c);
  ev_io_init(&c->rio, conn_read_cb, fd, EV_READ);
  ev_io_init(&c->wio, conn_write_cb, fd, EV_WRITE);
  ev_io_init(&c->cio, conn_connect_cb, fd, EV_WRITE);
  sipspec_clock_timer_init(&c->timer, conn_timer_cb, c);
  c->rio.data = c->wio.data = c->cio.data = c;
  c->next = t->live;
  t->live = c;
  return c;
}

/* The name set for a peer address (set_peer_name), or NULL. */
static const char *name_for(const tcp_tp *t, const sipspec_sockaddr *peer) {
  for (size_t i = 0; i < t->nnames; i++)
    if (sipspec_sockaddr_equal(&t->names[i].addr, peer)) return t->names[i].name;
  return NULL;
}

/* The connection for a message to peer. TCP: any to that address. TLS: the key is
 * (address, name): with a name set for the address, a connection verified for that name;
 * without one, a connection the peer opened (a response goes back on it), else one of ours
 * checked against the address itself (*name_out says which name a new one must prove). */
static tcp_conn *conn_find_named(tcp_tp *t, const sipspec_sockaddr *peer, const char **name_out, char *ipbuf,
                                 size_t ipcap) {
  if (name_out) *name_out = "";
  if (!t->tls) {
    for (tcp_conn *c = t->live; c; c = c->next)
      if (sipspec_sockaddr_equal(&c->peer, peer)) return c;
    return NULL;
  }
  const char *name = name_for(t, peer);
  if (!name) {
    for (tcp_conn *c = t->live; c; c = c->next)
      if (c->accepted && sipspec_sockaddr_equal(&c->peer, peer)) return c;
    name = sipspec_sockaddr_host(peer, ipbuf, ipcap);
  }
  if (name_out) *name_out = name;
  for (tcp_conn *c = t->live; c; c = c->next)
    if (!c->accepted && sipspec_sockaddr_equal(&c->peer, peer) && !strcasecmp(c->chk.name, name)) return c;
  return NULL;
}

static tcp_conn *conn_find(tcp_tp *t, const sipspec_sockaddr *peer) {
  char ip[SIPSPEC_SOCKADDR_STRLEN];
  return conn_find_named(t, peer, NULL, ip, sizeof ip);
}

static int tcp_send(sipspec_transport *tp, const sipspec_sockaddr *to, const void *data,
                    size_t len) {
  tcp_tp *t = (tcp_tp *)tp;
  if (stream_tp_closed(t)) return SIPSPEC_E_STATE;
  int fam = sipspec_sockaddr_family(to);
  if (!fam || (fam == AF_INET && to->u.sin.sin_port == 0) ||
      (fam == AF_INET6 && to->u.sin6.sin6_port == 0))
    return SIPSPEC_E_BAD_ADDRESS;
  char ip[SIPSPEC_SOCKADDR_STRLEN];
  const char *name = "";
  tcp_conn *c = conn_find_named(t, to, &name, ip, sizeof ip);
  int fresh = 0;
  if (!c) {
    /* A new connection; failures after the socket exists (bind, connect) are reported
     * through on_error like the ones that happen later. */
    int fd = socket(fam, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return SIPSPEC_E_SOCKET;
    c = stream_conn_new(t, to, fd);
    if (!c) { close(fd); return SIPSPEC_E_NOMEM; }
    snprintf(c->chk.name, sizeof c->chk.name, "%s", name);
    fresh = 1;
  }
  int rc = conn_queue(c, data, len);
  if (rc != SIPSPEC_OK) {
    if (fresh) { /* nothing started on it yet */
      unlink_from(&t->live, c);
      conn_free(c);
    }
    return rc;
  }
  stream_conn_post(c, SIPSPEC_EV_CONN_PENDING);
  return SIPSPEC_OK;
}

static void tcp_close(sipspec_transport *tp) {
  tcp_tp *t = (tcp_tp *)tp;
  if (stream_tp_closed(t)) return;
  if (t->depth == 0) { tcp_free(t); return; }
  /* Inside one of our callbacks: silence everything now, free after it returns. */
  ev_io_stop(t->base.loop, &t->lio);
  tcp_conn *lists[] = {t->live, t->closing_list};
  for (size_t i = 0; i < sizeof lists / sizeof lists[0]; i++)
    for (tcp_conn *c = lists[i]; c; c = c->next) conn_silence(c);
  sipspec_clock_bury(t->clock, &t->grave, t, tcp_grave_free);
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
  if (c && c->local.len) { /* noted when the connection came up */
    *out = c->local;
    return SIPSPEC_OK;
  }
  return sipspec_net_local_toward(t->lfd >= 0 ? &t->bound : &t->bind, toward, out);
}


static int stream_open(const sipspec_transport_type *type, struct ev_loop *loop, const sipspec_transport_opts *opts,
                       sipspec_transport **out, char *err, size_t errlen) {
  *out = NULL;
  if (!opts || !opts->on_recv || !opts->framer || !opts->framer->create ||
      !opts->framer->feed || !opts->framer->destroy) {
    if (err && errlen) snprintf(err, errlen, "tcp: options need a receive callback and a framer");
    return SIPSPEC_E_INVAL;
  }
  tcp_tp *t = calloc(1, sizeof *t);
  if (!t) return SIPSPEC_E_NOMEM;
  t->base.type = type;
  t->tls = type == &sipspec_transport_tls;
  sipspec_tls_config_init(&t->tlscfg);
  if (opts->tls) t->tlscfg = *opts->tls;
  t->base.loop = loop;
  t->opts = *opts;
  t->opts.bind_host = NULL;
  t->lfd = -1;
  t->idle_ms = tcp_idle_default_ms;
  ev_init(&t->lio, stream_accept_cb);
  t->lio.data = t;
  sipspec_clock_timer_init(&t->accept_pause, stream_accept_resume, t);
  t->clock = opts->clock;
  if (!t->clock && !(t->clock = t->own_clock = sipspec_clock_libev_new(loop))) {
    free(t);
    return SIPSPEC_E_NOMEM;
  }
  int rc = sipspec_net_bind_addr(opts, &t->bind, type->name, err, errlen);
  if (rc == SIPSPEC_OK && t->tls) {
    /* Client side always; server side when there is a certificate (a listener without one
     * still gives a fixed port for Via and Contact, and refuses handshakes). */
    rc = tls_ctx_new(&t->tlscfg, 0, &t->cctx, err, errlen);
    if (rc == SIPSPEC_OK && t->tlscfg.cert_file[0]) rc = tls_ctx_new(&t->tlscfg, 1, &t->sctx, err, errlen);
    if (rc == SIPSPEC_OK) {
      SSL_CTX_set_options(t->cctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
      if (t->sctx) SSL_CTX_set_options(t->sctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
    }
  }
  if (rc == SIPSPEC_OK && opts->listen) rc = stream_tp_listen(t, err, errlen);
  if (rc != SIPSPEC_OK) {
    tcp_free(t);
    return rc;
  }
  *out = &t->base;
  return SIPSPEC_OK;
}

static int tcp_open(struct ev_loop *loop, const sipspec_transport_opts *opts, sipspec_transport **out, char *err,
                    size_t errlen) {
  return stream_open(&sipspec_transport_tcp, loop, opts, out, err, errlen);
}

static int tls_open(struct ev_loop *loop, const sipspec_transport_opts *opts, sipspec_transport **out, char *err,
                    size_t errlen) {
  return stream_open(&sipspec_transport_tls, loop, opts, out, err, errlen);
}


const sipspec_transport_type sipspec_transport_tls = {
  .name = "tls",
  .kind = SIPSPEC_TP_TLS,
  .reliable = 1,
  .open = tls_open,
  .send = tcp_send,
  .close = tcp_close,
  .bound_addr = tcp_bound_addr,
  .local_addr = tcp_local_addr,
  .set_peer_name = stream_tls_set_peer_name,
};

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

int sipspec_tcp_set_idle_timeout(sipspec_transport *tp, uint32_t ms) {
  if (!tp || (tp->type != &sipspec_transport_tcp && tp->type != &sipspec_transport_tls)) return SIPSPEC_E_INVAL;
  tcp_tp *t = (tcp_tp *)tp;
  t->idle_ms = ms ? ms : tcp_idle_default_ms;
  return SIPSPEC_OK;
}
