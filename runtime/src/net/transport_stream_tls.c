/* transport_stream_tls.c: the TLS side of the stream transport (transport_tcp.c): writes
 * through SSL_write (partial writes, a write that wants a read), reads through SSL_read,
 * one non-blocking handshake step, a server that refused our missing client certificate, and
 * the name each peer's certificate must prove (RFC 5922 7.3). The connection's life is the
 * chart spec/stream_conn.rl, whose events these post. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>

#include "net/stream_internal.h"

/* TLS: as conn_flush, through SSL_write (partial writes on, the buffer may move: only its
 * unsent tail is ever moved to the front, so a retry sees the same bytes). */
void stream_tls_flush(tcp_conn *c) {
  struct ev_loop *loop = c->tp->base.loop;
  c->write_wants_read = 0;
  while (c->off < c->len) {
    ERR_clear_error();
    int n = SSL_write(c->ssl, c->out + c->off, (int)(c->len - c->off > INT32_MAX ? INT32_MAX : c->len - c->off));
    if (n > 0) {
      c->off += (size_t)n;
      continue;
    }
    int e = SSL_get_error(c->ssl, n);
    if (e == SSL_ERROR_WANT_WRITE) {
      ev_io_start(loop, &c->wio);
      return;
    }
    if (e == SSL_ERROR_WANT_READ) { /* the next read retries the write */
      ev_io_stop(loop, &c->wio);
      c->write_wants_read = 1;
      return;
    }
    int sys = e == SSL_ERROR_SYSCALL ? errno : 0;
    ev_io_stop(loop, &c->wio);
    if (!c->chk.code && stream_tls_refused_client(c)) { /* our request met the refusal's reset */
      ERR_clear_error();
      return;
    }
    char why[SIPSPEC_ERR_LEN];
    int code = sys ? sipspec_net_errno_code(sys, SIPSPEC_E_SEND) : tls_failure(&c->chk, c->ssl, e, why, sizeof why);
    stream_conn_cause(c, code, sys, "send", sys ? NULL : why);
    stream_conn_post(c, SIPSPEC_EV_TRANSPORT_ERR);
    return;
  }
  c->off = c->len = 0;
  ev_io_stop(loop, &c->wio);
  stream_conn_post(c, SIPSPEC_EV_CONN_SENT);
}

/* A client whose server asked for a certificate we lack, and which ended the connection before
 * saying anything: the server refused us (it may reset the connection before its alert is
 * read). */
int stream_tls_refused_client(tcp_conn *c) {
  if (c->accepted || !c->chk.cert_requested || c->rx_bytes) return 0;
  if (c->tp->opts.tel) c->tp->opts.tel->sipTlsFailures++;
  stream_conn_cause(c, SIPSPEC_E_TLS_HANDSHAKE, 0, "read",
             "the server requires a client certificate (set MRCP_SIP_TLS_CERT and MRCP_SIP_TLS_KEY) and closed the connection");
  stream_conn_post(c, SIPSPEC_EV_CONN_RESET);
  return 1;
}

/* TLS: reads through SSL_read while the read watcher runs; bytes OpenSSL already holds
 * (SSL_pending) get another round from the loop rather than waiting for the socket. */
void stream_tls_read(tcp_conn *c) {
  tcp_tp *t = c->tp;
  for (int i = 0; i < TCP_READ_BATCH && !stream_tp_closed(t) && ev_is_active(&c->rio); i++) {
    ERR_clear_error();
    int n = SSL_read(c->ssl, t->rbuf, (int)sizeof t->rbuf);
    if (n > 0) {
      c->rx_bytes += (size_t)n;
      if (stream_conn_keepalive(c, t->rbuf, (size_t)n)) continue;
      c->rx = t->rbuf;
      c->rx_len = (size_t)n;
      stream_conn_post(c, SIPSPEC_EV_CONN_RX);
      c->rx = NULL;
      c->rx_len = 0;
      continue;
    }
    int e = SSL_get_error(c->ssl, n);
    unsigned long peek = ERR_peek_error();
    if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE && !c->chk.code &&
        (!peek || ERR_GET_REASON(peek) != SSL_R_TLSV13_ALERT_CERTIFICATE_REQUIRED) && stream_tls_refused_client(c)) {
      ERR_clear_error();
      return;
    }
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
      if (e == SSL_ERROR_WANT_WRITE) ev_io_start(t->base.loop, &c->wio);
      if (c->write_wants_read && c->off < c->len) stream_tls_flush(c);
      return;
    }
    if (e == SSL_ERROR_ZERO_RETURN) { /* close_notify, or the TCP FIN (SSL_OP_IGNORE_UNEXPECTED_EOF) */
      stream_conn_post(c, SIPSPEC_EV_CONN_EOF);
      return;
    }
    char why[SIPSPEC_ERR_LEN];
    if (e == SSL_ERROR_SYSCALL && errno) {
      int se = errno; /* nothing ran since SSL_read but the error peek */
      stream_conn_cause(c, sipspec_net_errno_code(se, SIPSPEC_E_IO), se, "read", NULL);
    } else {
      int code = tls_failure(&c->chk, c->ssl, e, why, sizeof why);
      stream_conn_cause(c, code, 0, "read", why);
    }
    stream_conn_post(c, SIPSPEC_EV_CONN_RESET);
    return;
  }
  if (!stream_tp_closed(t) && ev_is_active(&c->rio) && SSL_pending(c->ssl) > 0) ev_feed_event(t->base.loop, &c->rio, EV_READ);
}

/* One step of the TLS handshake: TLS_DONE, TLS_FAILED, or wait for the socket. */
void stream_tls_handshake_step(tcp_conn *c) {
  struct ev_loop *loop = c->tp->base.loop;
  ERR_clear_error();
  int r = SSL_do_handshake(c->ssl);
  if (r == 1) {
    ev_io_stop(loop, &c->wio);
    stream_conn_post(c, SIPSPEC_EV_TLS_DONE);
    /* the peer's first message may already sit in OpenSSL's buffer */
    if (!stream_tp_closed(c->tp) && ev_is_active(&c->rio)) ev_feed_event(loop, &c->rio, EV_READ);
    return;
  }
  int e = SSL_get_error(c->ssl, r);
  if (e == SSL_ERROR_WANT_READ) {
    ev_io_stop(loop, &c->wio);
    return;
  }
  if (e == SSL_ERROR_WANT_WRITE) {
    ev_io_start(loop, &c->wio);
    return;
  }
  char why[SIPSPEC_ERR_LEN];
  int code = tls_failure(&c->chk, c->ssl, e, why, sizeof why);
  stream_conn_cause(c, code, 0, "handshake", why);
  stream_conn_post(c, SIPSPEC_EV_TLS_FAILED);
}

/* RFC 5922 §7.3: the name later sends to peer must find in its certificate. */
int stream_tls_set_peer_name(sipspec_transport *tp, const sipspec_sockaddr *peer, const char *name) {
  tcp_tp *t = (tcp_tp *)tp;
  if (!peer || !name || !*name || strlen(name) >= sizeof t->names[0].name) return SIPSPEC_E_INVAL;
  for (size_t i = 0; i < t->nnames; i++)
    if (sipspec_sockaddr_equal(&t->names[i].addr, peer)) {
      snprintf(t->names[i].name, sizeof t->names[i].name, "%s", name);
      return SIPSPEC_OK;
    }
  struct tls_name *n = realloc(t->names, (t->nnames + 1) * sizeof *n);
  if (!n) return SIPSPEC_E_NOMEM;
  t->names = n;
  n[t->nnames].addr = *peer;
  snprintf(n[t->nnames].name, sizeof n[t->nnames].name, "%s", name);
  t->nnames++;
  return SIPSPEC_OK;
}

