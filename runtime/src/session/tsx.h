/* session/tsx.h: the SIP transaction layer (RFC 3261 section 17, RFC 6026).
 *
 * Why it exists: retransmissions, timeouts and the matching of responses to requests are
 * the same for every SIP user; the dialog and session layers above only see requests,
 * final/provisional responses and the transaction's end. The four transaction machines are
 * the generated charts of spec/{ict,nict,ist,nist}.rl; this layer implements their actions
 * by name (send_request, send_ack, pass_to_tu, ...), runs their timers from the charts' own
 * timer tables on one libev ev_timer per transaction, and connects them to the transports.
 *
 * Internal header: the dialog and session layers in this folder build on it; it is not
 * installed. All functions returning int return SIPSPEC_OK or a negative sipspec/error.h
 * code.
 *
 * Objects and ownership:
 *   - sipspec_tsx_layer: created on the caller's loop, owned by the caller, destroyed with
 *     sipspec_tsx_layer_destroy() (never from inside one of its callbacks). It owns the
 *     transports opened through it and every transaction. No globals: several layers may
 *     live in one process and one loop.
 *   - sipspec_tsx: owned by the layer. A handle stays valid until the transaction's
 *     on_terminated callback has returned (every transaction gets exactly one, unless the
 *     layer is destroyed first); the memory is released later on a zero-delay timer, never
 *     inside the transaction's own callbacks. A TU that keeps a server transaction handle
 *     must therefore set callbacks with on_terminated (sipspec_tsx_set_callbacks()).
 *   - Messages handed to callbacks (const sipspec_msg *) are valid during the call only.
 *
 * Re-entrancy: callbacks may call into the layer (respond, start a client transaction,
 * send). Events for the transaction whose callback is running are queued and fed after
 * the current event's actions have run, in order (a machine is never re-entered).
 *
 * Telemetry (sipspec/telemetry.h, caller-owned struct): this layer counts
 * sipRetransmissions (requests, ACKs and responses it sends again, and 2xx the TU sends
 * again), sipTransportErrors (each transport error reported to a transaction),
 * sipInviteTimeouts (Timer B), and classifies every response a client transaction passes
 * to its TU with sipspec_telemetry_count_status() (sipProvisional, sipAuthChallenges,
 * sipError4xx/5xx/6xx). Layers above must not count those again.
 */
#ifndef SIPSPEC_SESSION_TSX_H
#define SIPSPEC_SESSION_TSX_H

#include <ev.h>

#include "sipspec/clock.h"
#include <stddef.h>
#include <stdint.h>

#include "sipspec/config.h"
#include "sipspec/error.h"
#include "sipspec/msg.h"
#include "sipspec/telemetry.h"
#include "sipspec/transport.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sipspec_tsx_layer sipspec_tsx_layer;
typedef struct sipspec_tsx sipspec_tsx;

/* ---- branches and matching keys (RFC 3261 8.1.1.7, 17.1.3, 17.2.3) ------------------ */

/* "z9hG4bK" + 32 hex digits (128 bits from OpenSSL RAND_bytes) + NUL. */
#define SIPSPEC_TSX_BRANCH_SIZE 40
/* Longest branch, method and sent-by host a key holds (longer: SIPSPEC_E_RANGE). */
#define SIPSPEC_TSX_KEY_BRANCH_MAX 128
#define SIPSPEC_TSX_KEY_METHOD_MAX 32
#define SIPSPEC_TSX_KEY_HOST_MAX 128

/* Writes a fresh branch into buf (cap >= SIPSPEC_TSX_BRANCH_SIZE). SIPSPEC_E_INVAL when cap
 * is too small, SIPSPEC_E_IO when the random generator fails. */
int sipspec_tsx_new_branch(char *buf, size_t cap);

/* What identifies a transaction. NUL-terminated strings. */
typedef struct sipspec_tsx_key {
  char branch[SIPSPEC_TSX_KEY_BRANCH_MAX + 1]; /* top Via branch, compared exactly */
  char method[SIPSPEC_TSX_KEY_METHOD_MAX + 1]; /* the transaction's method; ACK keys say INVITE */
  char host[SIPSPEC_TSX_KEY_HOST_MAX + 1];     /* top Via sent-by host (requests only) */
  unsigned port;                               /* sent-by port, 5060 when absent (5061 for TLS) */
  int is_ack;                                  /* the key was taken from an ACK */
} sipspec_tsx_key;

/* Key of a request: top Via branch and sent-by, the method (ACK gives INVITE and is_ack).
 * SIPSPEC_E_NOTFOUND without a top Via or without a branch, SIPSPEC_E_RANGE when a part
 * is longer than the key holds, SIPSPEC_E_INVAL for a response. */
int sipspec_tsx_key_of_request(const sipspec_msg *req, sipspec_tsx_key *out);
/* Key of a response: top Via branch and the CSeq method (no sent-by). Errors as above. */
int sipspec_tsx_key_of_response(const sipspec_msg *resp, sipspec_tsx_key *out);
/* 17.1.3: a response (key of the response) belongs to a client transaction (key of its
 * request) when the branches are equal and the CSeq method is the request's method (so a
 * CANCEL response never matches the INVITE transaction with the same branch). 1 or 0. */
int sipspec_tsx_match_client(const sipspec_tsx_key *tsx, const sipspec_tsx_key *resp);
/* 17.2.3: a request belongs to a server transaction when branch, sent-by (host compared
 * without case, port with 5060 for an absent one) and method are equal, an ACK matching
 * the INVITE. 1 or 0. */
int sipspec_tsx_match_server(const sipspec_tsx_key *tsx, const sipspec_tsx_key *req);

/* ---- callbacks ------------------------------------------------------------------------ */

/* Per transaction. Every member may be NULL. */
typedef struct sipspec_tsx_callbacks {
  /* Client transactions: a response the chart passes to the TU (pass_to_tu): 1xx, the
   * final response, and 2xx retransmissions in the Accepted state (RFC 6026). */
  void (*on_response)(sipspec_tsx *t, const sipspec_msg *resp, void *user);
  /* Timer B / F (client) or Timer H (server: no ACK came for a final response). */
  void (*on_timeout)(sipspec_tsx *t, void *user);
  /* The transport could not deliver (code: SIPSPEC_E_CONN_REFUSED, SIPSPEC_E_SEND, ...). */
  void (*on_transport_error)(sipspec_tsx *t, int code, void *user);
  /* The machine reached Terminated; last callback; the handle dies when it returns. */
  void (*on_terminated)(sipspec_tsx *t, void *user);
  void *user;
} sipspec_tsx_callbacks;

/* Per layer. Every member may be NULL. */
typedef struct sipspec_tsx_layer_callbacks {
  /* A request that created a new server transaction (IST for INVITE, NIST otherwise).
   * Answer with sipspec_tsx_respond(), now or later. */
  void (*on_request)(sipspec_tsx *t, const sipspec_msg *req, void *user);
  /* An ACK that matches no transaction in the Completed state: the ACK for a 2xx (RFC 3261
   * 17.2.3, RFC 6026 8.7), for the dialog layer. tp/from: where it came from. */
  void (*on_ack)(sipspec_tsx_layer *l, const sipspec_msg *ack, sipspec_transport *tp,
                 const sipspec_sockaddr *from, void *user);
  /* A response that matches no client transaction (17.1.3): e.g. a retransmitted 2xx
   * after the INVITE transaction ended, which the dialog layer must ACK again. */
  void (*on_stray_response)(sipspec_tsx_layer *l, const sipspec_msg *resp, sipspec_transport *tp,
                            const sipspec_sockaddr *from, void *user);
  void *user;
} sipspec_tsx_layer_callbacks;

/* What the layer dropped or refused (not in sipspec_telemetry: these are about peers'
 * messages, not about our transactions). */
typedef struct sipspec_tsx_stats {
  uint64_t rx_malformed;   /* messages that did not parse: dropped */
  uint64_t rx_rejected;    /* requests answered statelessly with 400/416/483/505 (8.2) */
  uint64_t rx_dropped;     /* parsed but unusable: no Via, semantically wrong ACKs/responses */
  uint64_t rx_stray;       /* responses matching no client transaction */
  uint64_t client_started; /* client transactions started */
  uint64_t server_started; /* server transactions created */
  uint64_t live;           /* transactions not yet terminated */
} sipspec_tsx_stats;

/* ---- the layer ------------------------------------------------------------------------ */

/* Creates a layer on loop. cfg gives T1/T2/T4 (NULL: RFC defaults); telemetry (may be
 * NULL) is the caller's struct the layer increments and must outlive the layer; cb is
 * copied. cfg->invite_max_retrans bounds the INVITE retransmissions: once Timer A has fired
 * that many times, its next firing ends the transaction as Timer B does. SIPSPEC_E_INVAL for
 * a bad timer set (zero, or T2 < T1) or invite_max_retrans 0. */
int sipspec_tsx_layer_create(struct ev_loop *loop, const sipspec_config *cfg,
                             sipspec_telemetry *telemetry, const sipspec_tsx_layer_callbacks *cb,
                             sipspec_tsx_layer **out);
/* The clock the layer's timers run on: c (on the layer's loop; the caller keeps it alive
 * until the layer is destroyed), or with NULL the libev clock the layer made. Only while no
 * transaction is live: SIPSPEC_E_STATE otherwise, SIPSPEC_E_INVAL for a clock of another
 * loop. */
int sipspec_tsx_layer_use_clock(sipspec_tsx_layer *l, sipspec_clock *c);
sipspec_clock *sipspec_tsx_layer_clock(const sipspec_tsx_layer *l);
/* Stops every timer, frees every transaction (no callbacks), closes the transports opened
 * through the layer. Must not be called from inside a callback of the layer. */
void sipspec_tsx_layer_destroy(sipspec_tsx_layer *l);

/* Opens a transport of type (sipspec_transport_udp / _tcp) that delivers to this layer: the
 * layer sets opts' on_recv, on_error and user, and for stream transports the SIP stream
 * framer. One transport per kind; SIPSPEC_E_STATE when that kind is already open. Other
 * errors and err as sipspec_transport_open(). *out (may be NULL) stays owned by the layer. */
int sipspec_tsx_layer_open_transport(sipspec_tsx_layer *l, const sipspec_transport_type *type,
                                     const sipspec_transport_opts *opts, sipspec_transport **out,
                                     char *err, size_t errlen);
/* The sentence of the transport error being reported to on_transport_error ("handshake
 * 127.0.0.1:5061/tls: certificate expired: ..."); valid during that callback. */
const char *sipspec_tsx_layer_transport_error(const sipspec_tsx_layer *l);
/* The layer's transport of that kind (for Via sent-by: sipspec_transport_local_addr()), or
 * NULL. */
sipspec_transport *sipspec_tsx_layer_transport(sipspec_tsx_layer *l, sipspec_tp_kind kind);

/* Sends bytes outside any transaction (the ACK for a 2xx, RFC 3261 13.2.2.4; stateless
 * responses). SIPSPEC_E_TSX_NO_TRANSPORT when that kind is not open. */
int sipspec_tsx_layer_send(sipspec_tsx_layer *l, sipspec_tp_kind kind, const sipspec_sockaddr *dest,
                           const void *data, size_t len);

void sipspec_tsx_layer_stats(const sipspec_tsx_layer *l, sipspec_tsx_stats *out);

/* ---- client transactions (17.1) ------------------------------------------------------- */

/* Starts a client transaction for the request described by f: ICT for INVITE, NICT for any
 * other method (ACK is no transaction: use sipspec_tsx_layer_send()). f's Via carries a
 * branch from sipspec_tsx_new_branch(). The transaction takes its key (the Via's branch and
 * sent-by, the method) and, for an INVITE, what it keeps for the ACK and CANCEL straight
 * from the fields; the text is written once with the builder (sipspec_build_request()),
 * and sent to dest over the layer's transport of that kind; the chart's timers run
 * (reliable transports: no retransmissions). Errors, after which nothing was started and
 * no callback comes: SIPSPEC_E_BUILD_* (a field the builder refuses),
 * SIPSPEC_E_TSX_BAD_REQUEST (an ACK, CSeq 0), SIPSPEC_E_TSX_NO_BRANCH,
 * SIPSPEC_E_TSX_EXISTS (a live client transaction has that branch and method),
 * SIPSPEC_E_TSX_NO_TRANSPORT, or the transport's send error (e.g. SIPSPEC_E_MSG_TOO_BIG).
 * Later failures arrive through cb. f is read during the call only; cb is copied; *out
 * (may be NULL) as described above. */
int sipspec_tsx_client_start(sipspec_tsx_layer *l, sipspec_tp_kind kind, const sipspec_sockaddr *dest,
                             const sipspec_request_fields *f, const sipspec_tsx_callbacks *cb,
                             sipspec_tsx **out);
/* sipspec_tsx_client_start() that also gives the length of the request it built (*len,
 * when it started: what a measuring pass over f would say, without that pass). */
int sipspec_tsx_client_start_len(sipspec_tsx_layer *l, sipspec_tp_kind kind, const sipspec_sockaddr *dest,
                                 const sipspec_request_fields *f, const sipspec_tsx_callbacks *cb,
                                 sipspec_tsx **out, size_t *len);

/* Starts the CANCEL (a non-INVITE client transaction) of pending INVITE client transaction
 * inv (sipspec_tsx_build_cancel(), with headers), with inv's branch and sent-by, to where
 * the INVITE went. Errors as sipspec_tsx_build_cancel() and sipspec_tsx_client_start(). */
int sipspec_tsx_cancel_start(sipspec_tsx *inv, const char *headers, const sipspec_tsx_callbacks *cb,
                             sipspec_tsx **out);

/* The CANCEL of the request of INVITE client transaction t (RFC 3261 9.1: its Request-URI,
 * top Via, Route set, From, To, Call-ID and CSeq number, method CANCEL), built from what t
 * kept of its request, with extra header lines (NULL, or "Name: value\r\n" lines, never
 * Content-Length), into a malloc'd buffer. SIPSPEC_E_STATE when t is no INVITE client
 * transaction or no longer pending (no final response may have come: Calling, Proceeding);
 * SIPSPEC_E_BUILD_* for header lines the builder refuses (sipspec_build_header_lines()). */
int sipspec_tsx_build_cancel(const sipspec_tsx *t, const char *headers, char **out, size_t *out_len);

/* ---- server transactions (17.2) ------------------------------------------------------- */

/* Sets the callbacks of a server transaction (usually from on_request); NULL removes them.
 * cb is copied (the functions into a table of the layer's, shared by the transactions that
 * use the same ones). SIPSPEC_E_NOMEM when that table could not grow (the callbacks are
 * then unchanged). */
int sipspec_tsx_set_callbacks(sipspec_tsx *t, const sipspec_tsx_callbacks *cb);

/* Answers the request of server transaction t (RFC 3261 8.2.6): status 101..699, reason
 * (NULL: the RFC's phrase), extra header lines (NULL, or "Name: value\r\n" lines, e.g.
 * Contact and Content-Type; never Content-Length) and a body. Responses above 100 carry
 * the transaction's To tag (generated once, see sipspec_tsx_to_tag()) when the request's
 * To had none; the top Via gets received/rport (RFC 3261 18.2.1, RFC 3581). The response
 * goes where the request came from. Feeds TU_1XX / TU_2XX / TU_300_699: from inside a
 * callback of t the event is queued and SIPSPEC_OK returned; otherwise the chart's answer
 * is returned (SIPSPEC_E_FSM_IGNORED for a final response in Completed, ...).
 * SIPSPEC_E_INVAL for a client transaction or a bad status; SIPSPEC_E_BUILD_* for header
 * lines the builder refuses (sipspec_build_header_lines(): the rule the parser applies to
 * each header). */
int sipspec_tsx_respond(sipspec_tsx *t, int status, const char *reason, const char *headers,
                        const char *body, size_t body_len);

/* The INVITE server transaction a CANCEL request targets (RFC 3261 9.2: same branch,
 * sent-by, and method INVITE), or NULL. */
sipspec_tsx *sipspec_tsx_layer_find_cancelled(sipspec_tsx_layer *l, const sipspec_msg *cancel);

/* ---- inspection ----------------------------------------------------------------------- */

int sipspec_tsx_is_server(const sipspec_tsx *t);
/* The chart state (SIPSPEC_ICT_CALLING, ... of the transaction's chart) and its name. */
int sipspec_tsx_state(const sipspec_tsx *t);
const char *sipspec_tsx_state_name(const sipspec_tsx *t);
/* "ict", "nict", "ist" or "nist". */
const char *sipspec_tsx_kind_name(const sipspec_tsx *t);
/* The To tag this server transaction puts in its responses; kept with its response fields,
 * while the TU may still answer ("" after, and for a client transaction). */
const char *sipspec_tsx_to_tag(const sipspec_tsx *t);
/* Where the transaction sends: the destination (client) or the response address (server). */
sipspec_sockaddr sipspec_tsx_peer(const sipspec_tsx *t);
sipspec_transport *sipspec_tsx_transport(const sipspec_tsx *t);
/* The status of the last response sent (server) or received (client); 0 when none. */
int sipspec_tsx_last_status(const sipspec_tsx *t);

#ifdef __cplusplus
}
#endif
#endif
