/* session/tsx_internal.h: the structures shared by the transaction layer's files.
 *
 *   tsx.c      the layer: transports, receiving, matching incoming messages, stateless
 *              rejection of bad requests, freeing terminated transactions
 *   tsx_run.c  one transaction: the event queue around its chart, its ev_timer, the chart
 *              actions by name, client start and server respond
 *   tsx_msg.c  message work: keys and matching, branches and tags, Via received/rport,
 *              building responses and ACKs
 */
#ifndef SIPSPEC_SESSION_TSX_INTERNAL_H
#define SIPSPEC_SESSION_TSX_INTERNAL_H

#include <string.h>

#include "fsm/host_timers.h"
#include "sipspec/clock.h"
#include "session/tsx.h"
#include "sipspec/fsm.h"

/* Events queued while the transaction's machine is busy (a TU call from its callback, a
 * send error inside an action), in one queue of the layer for all its transactions. More
 * than this many at once is a TU bug: refused. */
#define TSX_QUEUE_MAX 64
#define TSX_TAG_SIZE 17 /* 16 hex digits and the NUL */
/* power of two; at 1,000 calls/s some 40,000 transactions wait out Timers D, J and K at
 * once: 8192 buckets keep their chains short (64 KB per layer) */
#define TSX_BUCKETS 8192

typedef struct tsx_event {
  sipspec_tsx *t;    /* the transaction it is for */
  int ev;
  int status;        /* TU_* events: the response's status */
  char *data;        /* TU_* events: the built response (owned) */
  size_t len;
} tsx_event;

/* What a transaction keeps of its request to build the messages RFC 3261 derives from it:
 * responses (8.2.6: every Via, the top one with received/rport as 18.2.1 and RFC 3581 say,
 * From, To, Call-ID, CSeq) for a server transaction, the ACK of a non-2xx (17.1.1.3:
 * Request-URI, top Via, Max-Forwards, Route set, From, Call-ID, CSeq number) for an INVITE
 * client transaction. Taken once from the parsed request (tsx_rec_new()), in one
 * allocation: field i is text[off[i] .. off[i+1]). */
enum { TSX_REC_VIA, TSX_REC_ROUTE, TSX_REC_FROM, TSX_REC_TO, TSX_REC_CALL_ID, TSX_REC_CSEQ, TSX_REC_URI,
       TSX_REC_N };
typedef struct tsx_rec {
  uint32_t cseq;            /* the CSeq number */
  int16_t max_forwards;     /* -1: none */
  uint8_t to_tagged;        /* the To value has a tag */
  uint8_t present;          /* bit f: the request had header field f (an absent one is not
                             * written, as the builder copies only what is there) */
  uint16_t off[TSX_REC_N + 1];
  char text[];              /* VIA and ROUTE: whole "Name: value\r\n" lines; the rest values */
} tsx_rec;

/* An address as a transaction keeps it: IPv4 or IPv6 only (sipspec_sockaddr holds a
 * sockaddr_storage: 136 bytes; this 32). */
typedef struct tsx_addr {
  union {
    struct sockaddr_in sin;
    struct sockaddr_in6 sin6;
  } u;
  socklen_t len;
} tsx_addr;

static inline void tsx_addr_set(tsx_addr *a, const sipspec_sockaddr *s) {
  a->len = s->len <= sizeof a->u ? s->len : 0;
  memcpy(&a->u, &s->u, a->len);
}

static inline sipspec_sockaddr tsx_addr_get(const tsx_addr *a) {
  sipspec_sockaddr s;
  memset(&s, 0, sizeof s);
  memcpy(&s.u, &a->u, a->len);
  s.len = a->len;
  return s;
}

struct sipspec_tsx {
  sipspec_tsx_layer *layer;
  sipspec_tsx *prev, *next;        /* in layer->live */
  sipspec_tsx *hnext;              /* in layer->bucket[hash of the branch] while live */
  const sipspec_chart *chart;
  sipspec_fsm fsm;
  host_timers timers;              /* the chart's timers on the layer's clock */
  sipspec_transport *tp;
  tsx_addr peer;                   /* client: destination; server: where responses go */
  tsx_addr src;                    /* server: where the request came from */
  sipspec_tsx_callbacks cb;
  /* Each of the three is kept only while the chart can still need it (drop_*()
   * in tsx_run.c): */
  char *req;                       /* client: the request, while Timer A or E may resend it */
  tsx_rec *rec;                    /* server: while the TU may answer; ICT: until a 2xx or the end */
  char *last;                      /* server: last response, while it may be resent */
  uint32_t req_len, last_len;
  int16_t last_status;             /* sent (server) or received (client) */
  uint8_t server;
  uint8_t acks_sent;               /* saturates */
  uint8_t feeding;                 /* inside sipspec_fsm_feed or draining */
  uint8_t starting;                /* inside sipspec_tsx_client_start */
  int16_t cur_ev;
  int err_code;                    /* for report_transport_error */
  int start_err;                   /* a send failed while starting */
  /* the event being fed and its payload */
  const sipspec_msg *cur_msg;      /* RX_* events */
  tsx_event *cur_tu;               /* TU_* events */
  sipspec_clock_grave grave;       /* buried: over, freed by the clock at its next step */
  char to_tag[TSX_TAG_SIZE];
  /* The key (17.1.3, 17.2.3), compact: branch, method and host, each NUL-terminated, in
   * key[] (allocated with the transaction). */
  uint8_t key_is_ack;
  uint32_t key_port;
  uint16_t key_method, key_host;   /* offsets in key[] */
  char key[];
};

struct sipspec_tsx_layer {
  struct ev_loop *loop;
  sipspec_clock *clock;            /* the timers' time (sipspec_tsx_layer_use_clock) */
  sipspec_clock *own_clock;        /* libev's, made by the layer when none was given */
  sipspec_timer_values values;
  unsigned invite_max_retrans;     /* Timer A firings allowed before giving up (config) */
  sipspec_telemetry *tel;
  sipspec_tsx_layer_callbacks cb;
  sipspec_transport *tp[3];        /* by sipspec_tp_kind */
  sipspec_tsx *live;
  char tp_error[SIPSPEC_ERR_LEN];  /* the sentence of the transport error being reported */
  sipspec_tsx *bucket[TSX_BUCKETS]; /* live transactions by branch, for matching */
  sipspec_msg *rx;                 /* a datagram being received */
  sipspec_msg *scratch;            /* a request a client transaction starts with */
  tsx_event q[TSX_QUEUE_MAX];      /* events waiting for busy transactions, in order */
  int q_len;
  sipspec_tsx_stats stats;
  /* limits (tsx_limits.c, from sipspec_config) */
  sipspec_msg_limits msg_limits;   /* of rx and of the stream transports' framers */
  sipspec_msg *lenient;            /* reads the headers of a message over them; NULL until used */
  unsigned max_transactions, retry_after_s, max_connections, idle_timeout_ms, message_timeout_ms;
};

/* tsx.c */
/* Links t (with its key set) into the live list and the branch index. */
void tsx_layer_link(sipspec_tsx_layer *l, sipspec_tsx *t);
/* The live client transaction matching key k (17.1.3), or NULL. */
sipspec_tsx *tsx_layer_find_client(sipspec_tsx_layer *l, const sipspec_tsx_key *k);
/* Unlinks a terminated transaction and buries it on the layer's clock. */
void tsx_layer_bury(sipspec_tsx_layer *l, sipspec_tsx *t);
uint64_t tsx_now_ms(const sipspec_tsx_layer *l);

/* tsx_run.c */
/* Allocates a transaction with key k in state Idle with its chart and timers (not linked). */
int tsx_new(sipspec_tsx_layer *l, const sipspec_chart *chart, int server, sipspec_transport *tp,
            const sipspec_tsx_key *k, sipspec_tsx **out);
void tsx_free(sipspec_tsx *t);
/* Feeds ev with an incoming message (RX_*) or none; queues it when t is busy. Returns the
 * machine's answer for a direct feed, SIPSPEC_OK when queued. */
int tsx_post(sipspec_tsx *t, int ev, const sipspec_msg *msg);
/* The transport reported an error toward t's peer. */
void tsx_transport_error(sipspec_tsx *t, int code);

/* tsx_limits.c */
/* Takes the limits of cfg (before rx is made with l->msg_limits). */
void tsx_limits_init(sipspec_tsx_layer *l, const sipspec_config *cfg);
/* The limits of the scratch message, which parses the requests client transactions start
 * with: the received ones' with room to spare. Returns out. */
const sipspec_msg_limits *tsx_limits_scratch(const sipspec_tsx_layer *l, sipspec_msg_limits *out);
/* A transport's options get the framer's limits, in_use and the stream limits. */
void tsx_limits_transport_opts(sipspec_tsx_layer *l, sipspec_transport_opts *o);
/* 1 for the parse errors of a message over a limit. */
int tsx_limits_is_limit(int parse_rc);
/* A message over a limit (parse_rc): counted; a request over UDP answered 513, else dropped. */
void tsx_limits_oversize(sipspec_tsx_layer *l, sipspec_transport *tp, const char *data, size_t len,
                         const sipspec_sockaddr *from, int parse_rc);
/* 1 when req would create a server transaction beyond max_transactions: answered 503 with
 * Retry-After and counted. */
int tsx_limits_full(sipspec_tsx_layer *l, sipspec_transport *tp, const sipspec_msg *req, const sipspec_sockaddr *from);

/* tsx_msg.c */
int tsx_random_hex(char *buf, size_t nbytes);
/* The key of t as a sipspec_tsx_key (for matching against a message's key). */
int tsx_key_match_client(const sipspec_tsx *t, const sipspec_tsx_key *resp);
int tsx_key_match_server(const sipspec_tsx *t, const sipspec_tsx_key *req);
/* Allocates a transaction with room for key k (zeroed, key copied). */
sipspec_tsx *tsx_alloc(const sipspec_tsx_key *k);
/* The record of request req (parsed): with src (a server transaction's request, received
 * from src), the response fields with the top Via given received= and rport=; without, the
 * ACK fields. *out is malloc'd. */
int tsx_rec_new(const sipspec_msg *req, const sipspec_sockaddr *src, tsx_rec **out);
/* Where responses to req (received from src over a transport, reliable or not) go
 * (RFC 3261 18.2.2, RFC 3581 4). */
void tsx_response_addr(const sipspec_msg *req, const sipspec_sockaddr *src, int reliable,
                       sipspec_sockaddr *out);
/* Builds a response from a server record into a malloc'd buffer (8.2.6). */
int tsx_build_response(const tsx_rec *r, int status, const char *reason, const char *to_tag,
                       const char *headers, const char *body, size_t body_len, char **out,
                       size_t *out_len);
/* Builds the CANCEL of an ICT record's INVITE (9.1), with TU header lines (or NULL). */
int tsx_build_cancel(const tsx_rec *r, const char *headers, char **out, size_t *out_len);
/* Builds the ACK for the non-2xx final response resp from an ICT record (17.1.1.3). */
int tsx_build_ack(const tsx_rec *r, const sipspec_msg *resp, char **out, size_t *out_len);
const char *tsx_reason_phrase(int status);

#endif
