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
#define TSX_BUCKETS 1024 /* power of two */

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
  char to_tag[TSX_TAG_SIZE];  /* server: the To tag of its responses (new_server() sets it) */
  char text[];              /* VIA and ROUTE: whole "Name: value\r\n" lines; the rest values */
} tsx_rec;

/* An address as a transaction keeps it, at the end of its allocation: an IPv4 one in 8
 * bytes (family, port, address), an IPv6 one as its sockaddr_in6 (28); the family first. */
typedef struct tsx_addr4 {
  sa_family_t family;
  in_port_t port;
  struct in_addr addr;
} tsx_addr4;

static inline size_t tsx_addr_size(const sipspec_sockaddr *s) {
  return s->u.sa.sa_family == AF_INET6 && s->len == sizeof(struct sockaddr_in6) ? sizeof(struct sockaddr_in6)
                                                                                : sizeof(tsx_addr4);
}

/* Writes s at p (tsx_addr_size(s) bytes); another family than IPv4 or IPv6 as none. */
static inline void tsx_addr_put(char *p, const sipspec_sockaddr *s) {
  tsx_addr4 a4;
  memset(&a4, 0, sizeof a4);
  if (tsx_addr_size(s) == sizeof(struct sockaddr_in6)) {
    memcpy(p, &s->u, sizeof(struct sockaddr_in6));
    return;
  }
  if (s->u.sa.sa_family == AF_INET && s->len == sizeof(struct sockaddr_in)) {
    a4.family = AF_INET;
    a4.port = s->u.sin.sin_port;
    a4.addr = s->u.sin.sin_addr;
  }
  memcpy(p, &a4, sizeof a4);
}

static inline sipspec_sockaddr tsx_addr_take(const char *p) {
  sipspec_sockaddr s;
  sa_family_t fam;
  memset(&s, 0, sizeof s);
  memcpy(&fam, p, sizeof fam);
  if (fam == AF_INET6) {
    memcpy(&s.u, p, sizeof(struct sockaddr_in6));
    s.len = sizeof(struct sockaddr_in6);
  } else if (fam == AF_INET) {
    tsx_addr4 a4;
    memcpy(&a4, p, sizeof a4);
    s.u.sin.sin_family = AF_INET;
    s.u.sin.sin_port = a4.port;
    s.u.sin.sin_addr = a4.addr;
    s.len = sizeof(struct sockaddr_in);
  }
  return s;
}

/* The four transaction charts, by tsx->kind. */
enum { TSX_ICT, TSX_NICT, TSX_IST, TSX_NIST, TSX_KINDS };
extern const sipspec_chart *const tsx_charts[TSX_KINDS];
/* Most timers a transaction chart may declare (a transaction keeps a slot for each). */
#define TSX_TIMERS 4

/* What a transaction weighs is what thousands of them waiting out Timers K, J, I, D, M and L
 * cost (issue 16: at most 256 bytes each beyond the message a retransmission needs), so it
 * keeps only what differs between transactions: what all share is the layer's (the chart
 * and its timer options, the transport, the callback functions), what matters only while an
 * event is fed is on the stack (tsx_feed), its machine state is 3 bytes, its timers 8 bytes
 * each behind one clock timer, and its messages go as soon as the chart no longer needs them
 * (drop_*() in tsx_run.c). */
struct sipspec_tsx {
  sipspec_tsx_layer *layer;
  sipspec_tsx *hnext;              /* in layer->bucket[hash of the branch] while live, then in
                                    * layer->reap_list until freed */
  void *user;                      /* the TU's callbacks' argument */
  union {
    char *req;                     /* client: the request, while Timer A or E may resend it */
    char *last;                    /* server: last response, while it may be resent */
  };
  tsx_rec *rec;                    /* server: while the TU may answer; ICT: until a 2xx or the end */
  sipspec_clock_timer timer;       /* at the earliest running chart timer */
  sipspec_fsm_timer_run trun;      /* the chart's timers (conf: layer->tconf[kind][reliable]) */
  union {
    uint32_t req_len, last_len;
  };
  int16_t last_status;             /* sent (server) or received (client) */
  uint16_t src_port;               /* server: the request came from peer's address, this port */
  uint16_t cbi;                    /* callback functions: layer->cbs[cbi - 1], 0: none */
  uint16_t cs;                     /* the compiled machine's state */
  uint8_t state;                   /* the chart's named state */
  uint8_t acks_sent;               /* saturates */
  uint8_t tpk;                     /* transport: layer->tp[tpk] */
  unsigned kind : 2;               /* TSX_ICT ... */
  unsigned server : 1;
  unsigned reliable : 1;           /* its transport is (timers: 17.1.1.2 ...) */
  unsigned feeding : 1;            /* inside its machine or draining its queue */
  unsigned starting : 1;           /* inside sipspec_tsx_client_start */
  unsigned buried : 1;             /* over: unlinked, freed by the clock at its next step */
  unsigned key_is_ack : 1;
  int16_t start_err;               /* a send failed while starting */
  uint16_t key_port;
  uint8_t key_at;                  /* where the key starts after the slots */
  uint8_t key_method, key_host;    /* offsets in the key */
  /* Allocated with the transaction, sized by what it is:
   *  - a slot per timer of its chart (fsm_timers.h), conf: layer->tconf[kind][reliable];
   *  - the peer (client: destination; server: where responses go), tsx_addr_put();
   *  - the key (17.1.3, 17.2.3), compact: branch, method and (server) host, each
   *    NUL-terminated. */
  sipspec_fsm_timer_slot tslot[];
};

/* The event being fed to a transaction and its payload, on the stack while it is (the
 * layer's innermost in layer->feed: a TU called from an action may feed another one). */
typedef struct tsx_feed {
  sipspec_tsx *t;
  int ev;
  int err;                         /* TRANSPORT_ERR: the error */
  const sipspec_msg *msg;          /* RX_* events */
  tsx_event *tu;                   /* TU_* events */
  struct tsx_feed *up;
} tsx_feed;

static inline const sipspec_chart *tsx_chart(const sipspec_tsx *t) { return tsx_charts[t->kind]; }

struct sipspec_tsx_layer {
  struct ev_loop *loop;
  sipspec_clock *clock;            /* the timers' time (sipspec_tsx_layer_use_clock) */
  sipspec_clock *own_clock;        /* libev's, made by the layer when none was given */
  sipspec_timer_values values;
  unsigned invite_max_retrans;     /* Timer A firings allowed before giving up (config) */
  sipspec_fsm_timer_conf tconf[TSX_KINDS][2]; /* by chart and reliable */
  sipspec_telemetry *tel;
  sipspec_tsx_layer_callbacks cb;
  sipspec_tsx_callbacks *cbs;      /* the distinct callback functions transactions use (user NULL) */
  unsigned n_cbs, cap_cbs;
  sipspec_transport *tp[3];        /* by sipspec_tp_kind */
  sipspec_tsx *reap_list;          /* buried, to be freed by reap() (through hnext) */
  int reap_queued;                 /* reap() is deferred on the clock */
  tsx_feed *feed;                  /* the innermost event being fed */
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

static inline sipspec_transport *tsx_tp(const sipspec_tsx *t) { return t->layer->tp[t->tpk]; }
static inline const char *tsx_key(const sipspec_tsx *t) { return (const char *)t->tslot + t->key_at; }
static inline sipspec_sockaddr tsx_peer(const sipspec_tsx *t) {
  return tsx_addr_take((const char *)t->tslot + tsx_chart(t)->n_timers * sizeof t->tslot[0]);
}
static inline sipspec_sockaddr tsx_src(const sipspec_tsx *t) {
  sipspec_sockaddr s = tsx_peer(t);
  if (s.len) sipspec_sockaddr_set_port(&s, t->src_port);
  return s;
}

/* tsx.c */
/* Links t (with its key set) into the branch index. */
void tsx_layer_link(sipspec_tsx_layer *l, sipspec_tsx *t);
/* The live client transaction matching key k (17.1.3), or NULL. */
sipspec_tsx *tsx_layer_find_client(sipspec_tsx_layer *l, const sipspec_tsx_key *k);
/* Unlinks a terminated transaction and buries it: freed at the clock's next step. */
void tsx_layer_bury(sipspec_tsx_layer *l, sipspec_tsx *t);
/* Calls fn on every live transaction (fn must not end any). */
void tsx_layer_each(sipspec_tsx_layer *l, void (*fn)(sipspec_tsx *t, void *arg), void *arg);
uint64_t tsx_now_ms(const sipspec_tsx_layer *l);

/* tsx_run.c */
/* Allocates a transaction with key k and peer in state Idle with its chart and timers (not
 * linked); tp is one of the layer's. */
int tsx_new(sipspec_tsx_layer *l, const sipspec_chart *chart, int server, sipspec_transport *tp,
            const sipspec_tsx_key *k, const sipspec_sockaddr *peer, sipspec_tsx **out);
void tsx_free(sipspec_tsx *t);
/* The transaction layer's shared parts: the timer confs, checks of the charts. */
int tsx_layer_init_charts(sipspec_tsx_layer *l);
/* The callback functions of t (a table with every member NULL when it has none). */
const sipspec_tsx_callbacks *tsx_cbs(const sipspec_tsx *t);
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
/* Allocates a transaction (zeroed) with n_timers slots, peer and key k (a client's without
 * the host). NULL when out of memory or the key does not fit the compact form. */
sipspec_tsx *tsx_alloc(const sipspec_tsx_key *k, int server, int n_timers, const sipspec_sockaddr *peer);
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
