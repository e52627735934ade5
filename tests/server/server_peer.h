/* server_peer.h: a scripted SIP client for the server tests: one raw UDP socket or TCP
 * connection on 127.0.0.1 watched by the test's libev loop. Everything the server sends is
 * kept in order (TCP framed with sipspec_framer); the test sends requests it writes itself
 * and looks for responses by their first line. Every wait is bounded. */
#ifndef SIPSPEC_TEST_SERVER_PEER_H
#define SIPSPEC_TEST_SERVER_PEER_H

#include <ev.h>
#include <stddef.h>
#include <stdint.h>

#include "sipspec/msg.h"
#include "sipspec/transport.h"

#define PEER_MAX 256

typedef struct peer {
  struct ev_loop *loop;
  sipspec_tp_kind kind;
  int fd;
  ev_io io;
  sipspec_sockaddr local, server;
  sipspec_framer *framer;
  sipspec_msg *scratch;
  char *msgs[PEER_MAX];
  size_t lens[PEER_MAX];
  uint64_t at_ms[PEER_MAX]; /* when each arrived: tst_now_ms() of the loop (virtual time) */
  int n;        /* messages received */
  int cursor;   /* next message peer_find() looks at */
  int closed;   /* TCP: the server closed the connection */
} peer;

/* Opens a socket toward server (TCP: connected). 0 on success. */
int peer_open(peer *p, struct ev_loop *loop, sipspec_tp_kind kind, const sipspec_sockaddr *server);
void peer_close(peer *p);
int peer_send(peer *p, const char *data, size_t len);
/* The first message at or after the cursor whose first line starts with prefix, waiting up
 * to max_s; the cursor moves past it. NULL when none came. The text is NUL-terminated. */
const char *peer_find(peer *p, const char *prefix, double max_s);
/* Same, for a message that also contains needle. */
const char *peer_find_with(peer *p, const char *prefix, const char *needle, double max_s);
/* Messages received so far (from the start) whose first line starts with prefix. */
int peer_count(const peer *p, const char *prefix);
/* Index of the first message starting with prefix, or -1. */
int peer_index(const peer *p, const char *prefix);
/* When the message text m (one of p->msgs) arrived, in ms of the loop's clock. */
uint64_t peer_at(const peer *p, const char *m);

/* The value of header name (case-insensitive, first occurrence) in message text, copied
 * into out; NULL when absent. */
const char *msg_header(const char *msg, const char *name, char *out, size_t cap);
/* The tag parameter of the To header of msg into out; NULL when none. */
const char *msg_to_tag(const char *msg, char *out, size_t cap);
/* Occurrences of needle in msg. */
int msg_count(const char *msg, const char *needle);

/* One request of the scripted client. */
typedef struct req_spec {
  const char *method;
  const char *call_id;
  const char *from_tag;
  const char *to_tag;   /* NULL: none */
  unsigned cseq;
  const char *branch;   /* NULL: a fresh one */
  const char *cseq_method; /* NULL: method */
  const char *extra;    /* header lines, or NULL */
  const char *body;     /* NULL: none (Content-Type application/sdp is added for a body
                         * unless extra has a Content-Type) */
  size_t body_len;
  const char *contact;     /* Contact URI; NULL: sip:client@<our address>;transport=<ours>;
                            * "": no Contact header */
  const char *via_sent_by; /* Via sent-by; NULL: our address (a NAT rewrites the source) */
} req_spec;

/* Writes the request into buf; returns its length (0 when it does not fit). out_branch (may
 * be NULL, 64 bytes) receives the branch used. */
size_t peer_request(const peer *p, const req_spec *r, char *buf, size_t cap, char *out_branch);

#endif
