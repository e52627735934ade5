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

#include "fsm/host_timers.h"
#include "sipspec/clock.h"
#include "session/tsx.h"
#include "sipspec/fsm.h"

/* Events queued while the transaction's machine is busy (a TU call from its callback, a
 * send error inside an action). More than this many at once is a TU bug: refused. */
#define TSX_QUEUE_MAX 16
#define TSX_TAG_SIZE 24
#define TSX_BUCKETS 1024 /* power of two */

typedef struct tsx_event {
  int ev;
  int status;        /* TU_* events: the response's status */
  char *data;        /* TU_* events: the built response (owned) */
  size_t len;
} tsx_event;

struct sipspec_tsx {
  sipspec_tsx_layer *layer;
  sipspec_tsx *prev, *next;        /* in layer->live */
  sipspec_tsx *hnext;              /* in layer->bucket[hash of the branch] while live */
  const sipspec_chart *chart;
  int server;
  sipspec_fsm fsm;
  host_timers timers;              /* the chart's timers on the layer's clock */
  sipspec_transport *tp;
  sipspec_sockaddr peer;           /* client: destination; server: where responses go */
  sipspec_sockaddr src;            /* server: where the request came from */
  sipspec_tsx_key key;
  sipspec_tsx_callbacks cb;
  char *req;                       /* the request (server: with the Via rewritten) */
  size_t req_len;
  char *last;                      /* last response sent (server) */
  size_t last_len;
  int last_status;                 /* sent (server) or received (client) */
  char to_tag[TSX_TAG_SIZE];
  int acks_sent;
  /* the event being fed and its payload */
  int cur_ev;
  const sipspec_msg *cur_msg;      /* RX_* events */
  tsx_event *cur_tu;               /* TU_* events */
  int err_code;                    /* for report_transport_error */
  /* queue of events fed after the current one */
  tsx_event q[TSX_QUEUE_MAX];
  int q_head, q_len;
  int feeding;                     /* inside sipspec_fsm_feed or draining */
  int starting;                    /* inside sipspec_tsx_client_start */
  int start_err;                   /* a send failed while starting */
  sipspec_clock_grave grave;       /* buried: over, freed by the clock at its next step */
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
  sipspec_msg *rx;                 /* the message being received */
  sipspec_msg *scratch;            /* re-parsing stored requests; never held across a callback */
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
/* Allocates a transaction in state Idle with its chart and timers (not linked). */
int tsx_new(sipspec_tsx_layer *l, const sipspec_chart *chart, int server, sipspec_transport *tp,
            sipspec_tsx **out);
void tsx_free(sipspec_tsx *t);
/* Feeds ev with an incoming message (RX_*) or none; queues it when t is busy. Returns the
 * machine's answer for a direct feed, SIPSPEC_OK when queued. */
int tsx_post(sipspec_tsx *t, int ev, const sipspec_msg *msg);
/* The transport reported an error toward t's peer. */
void tsx_transport_error(sipspec_tsx *t, int code);

/* tsx_limits.c */
/* Takes the limits of cfg (before rx is made with l->msg_limits). */
void tsx_limits_init(sipspec_tsx_layer *l, const sipspec_config *cfg);
/* The limits of the scratch message, which re-parses stored requests: the received ones'
 * with room for the Via's received= and rport=. Returns out. */
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
/* Copies request req (parsed from its raw bytes) with its top Via given received= and
 * rport= as RFC 3261 18.2.1 and RFC 3581 say for a request from src. *out is malloc'd. */
int tsx_via_received(const sipspec_msg *req, const sipspec_sockaddr *src, char **out, size_t *out_len);
/* Where responses to req (received from src over a transport, reliable or not) go
 * (RFC 3261 18.2.2, RFC 3581 4). */
void tsx_response_addr(const sipspec_msg *req, const sipspec_sockaddr *src, int reliable,
                       sipspec_sockaddr *out);
/* Builds a response to req into a malloc'd buffer. */
int tsx_build_response(const sipspec_msg *req, int status, const char *reason, const char *to_tag,
                       const char *headers, const char *body, size_t body_len, char **out,
                       size_t *out_len);
/* Builds the ACK for the non-2xx final response resp to invite (17.1.1.3). */
int tsx_build_ack(const sipspec_msg *invite, const sipspec_msg *resp, char **out, size_t *out_len);
const char *tsx_reason_phrase(int status);

#endif
