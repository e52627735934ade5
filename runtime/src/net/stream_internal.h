/* net/stream_internal.h: what the stream transport's files (transport_tcp.c, the TCP and TLS
 * transports; transport_stream_tls.c, its TLS reads, writes and handshake) share: a
 * connection, a transport, and the functions that post the connection chart's events. */
#ifndef SIPSPEC_NET_STREAM_INTERNAL_H
#define SIPSPEC_NET_STREAM_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "fsm/fsm_timers.h"
#include "net/net_internal.h"
#include "net/tls_internal.h"
#include "sipspec/clock.h"
#include "sipspec/telemetry.h"

enum { TCP_READ_BUF = 16384, TCP_READ_BATCH = 16, TCP_ACCEPT_BATCH = 16, CONN_QUEUE_MAX = 8 };



typedef struct tcp_tp tcp_tp;

typedef struct tcp_conn {
  tcp_tp *tp;
  struct tcp_conn *next;       /* in tp->live or tp->closing_list */
  sipspec_clock_grave grave;   /* dead: reported and freed by the clock */
  sipspec_sockaddr peer;
  sipspec_sockaddr local;      /* our address on the connection once it is up (len 0 before) */
  int fd;
  sipspec_fsm fsm;             /* spec/stream_conn.rl */
  sipspec_fsm_timers timers;
  sipspec_clock_timer timer;   /* at the earliest running chart timer */
  int q[CONN_QUEUE_MAX];       /* events posted while the machine runs an action */
  int q_head, q_len, feeding;
  ev_io rio, wio, cio;         /* read, write (queue), connect completion */
  char *out;                   /* queued bytes out[off..len) */
  size_t off, len, cap;
  const char *rx;              /* bytes of the CONN_RX being handled */
  size_t rx_len;
  void *framer;                /* framer state */
  int cause_code, cause_errno; /* the socket's last failure, for report_error */
  const char *cause_verb;
  char cause_why[SIPSPEC_ERR_LEN]; /* reason text when not strerror(cause_errno) */
  SSL *ssl;                    /* TLS: the session (NULL for TCP, and before the handshake) */
  tls_check chk;               /* TLS: the name asked for (chk.name, the key with peer), results */
  int accepted;                /* accepted from the listener (the server's side) */
  int write_wants_read;        /* TLS: SSL_write asked for a read first */
  size_t rx_bytes;             /* bytes received on the connection so far */
  uint64_t rx_msgs;            /* messages framed on the connection so far */
  int err_code, err_errno;     /* what is reported when it is freed; 0: nothing */
  char err_msg[SIPSPEC_ERR_LEN];
} tcp_conn;

struct tcp_tp {
  sipspec_transport base;      /* first: the public part */
  sipspec_transport_opts opts;
  sipspec_sockaddr bind;           /* requested bind address (port may be 0) */
  sipspec_sockaddr bound;          /* listener's real address when listening */
  int lfd;
  ev_io lio;
  sipspec_clock_timer accept_pause; /* out of descriptors: the listener waits, then tries again */
  sipspec_clock_grave grave;       /* closed inside a callback: freed by the clock after it */
  sipspec_clock *clock;            /* opts.clock, or own_clock */
  sipspec_clock *own_clock;
  tcp_conn *live, *closing_list;
  uint32_t idle_ms;
  unsigned naccepted;              /* accepted connections not yet freed (max_connections) */
  int depth;
  int tls;                         /* sipspec_transport_tls */
  SSL_CTX *cctx, *sctx;            /* TLS: client and server contexts (sctx: with a certificate) */
  sipspec_tls_config tlscfg;
  struct tls_name { sipspec_sockaddr addr; char name[256]; } *names; /* set_peer_name */
  size_t nnames;
  char rbuf[TCP_READ_BUF];
};

/* transport_tcp.c */
tcp_conn *stream_conn_new(tcp_tp *t, const sipspec_sockaddr *peer, int fd);
int stream_tp_closed(const tcp_tp *t);
void stream_conn_post(tcp_conn *c, int ev);
void stream_conn_cause(tcp_conn *c, int code, int sys_errno, const char *verb, const char *why);
int stream_conn_keepalive(tcp_conn *c, const char *p, size_t n);

/* transport_stream_listen.c */
void stream_accept_resume(sipspec_clock_timer *timer, void *arg);
void stream_accept_cb(struct ev_loop *loop, ev_io *w, int revents);
int stream_tp_listen(tcp_tp *t, char *err, size_t errlen);

/* transport_stream_tls.c */
void stream_tls_flush(tcp_conn *c);
int stream_tls_refused_client(tcp_conn *c);
void stream_tls_read(tcp_conn *c);
void stream_tls_handshake_step(tcp_conn *c);
int stream_tls_set_peer_name(sipspec_transport *tp, const sipspec_sockaddr *peer, const char *name);

#endif
