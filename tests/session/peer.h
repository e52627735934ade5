/* peer.h: a scripted SIP peer for the session tests: a raw UDP socket or a TCP listener on
 * 127.0.0.1 that records every message the user agent sends (framed by Content-Length on
 * TCP) and sends back exactly what the test writes. No SIP stack of ours runs on this side:
 * the test asserts the bytes the client put on the wire. */
#ifndef SIPSPEC_TEST_PEER_H
#define SIPSPEC_TEST_PEER_H

#include <ev.h>
#include <stddef.h>
#include <stdint.h>

#include "sipspec/msg.h"
#include "sipspec/transport.h"

#define PEER_MAX_MSGS 128
#define PEER_MSG_MAX 8192

typedef struct peer {
  struct ev_loop *loop;
  int tcp;
  int fd;                       /* UDP socket, or TCP listener */
  int conn;                     /* TCP: the accepted connection, -1 before */
  ev_io w_main, w_conn;
  unsigned port;
  sipspec_sockaddr last_from;   /* UDP: where the client sends from */
  sipspec_framer *framer;       /* TCP */
  int n;
  char *msgs[PEER_MAX_MSGS];
  size_t lens[PEER_MAX_MSGS];
  uint64_t at_ms[PEER_MAX_MSGS]; /* tst_now_ms() when it arrived: the clock of the test */
  int closed;                   /* TCP: the client closed the connection */
  sipspec_msg *m;               /* parse target of peer_parse() */
} peer;

void peer_open(peer *p, struct ev_loop *loop, int tcp);
/* The same on a given port (0: any); p->port says whether the bind took it. */
void peer_open_port(peer *p, struct ev_loop *loop, int tcp, unsigned port);
void peer_close(peer *p);
/* Runs the loop until n messages arrived (1) or max_s passed (0). */
int peer_wait(peer *p, int n, double max_s);
/* Parses message i into p->m (valid until the next call). */
const sipspec_msg *peer_parse(peer *p, int i);
/* Index of the k-th (0-based) message starting with prefix ("ACK ", "SIP/2.0 200"), or -1. */
int peer_find(peer *p, const char *prefix, int k);
int peer_count(peer *p, const char *prefix);
/* Sends raw bytes to the client (UDP: to where it last sent from; TCP: on the connection). */
void peer_send(peer *p, const char *data, size_t len);
/* Answers request i: its Via/From/To(+to_tag)/Call-ID/CSeq, then extra lines and body. */
void peer_reply(peer *p, int i, int status, const char *to_tag, const char *extra, const char *body);
/* TCP: resets the connection (SO_LINGER 0). */
void peer_reset(peer *p);

/* The value of header name in message i ("" when absent), copied into a static buffer. */
const char *peer_header(peer *p, int i, const char *name);

#endif
