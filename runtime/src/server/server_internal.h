/* server/server_internal.h: the structures shared by the embedded server's files.
 *
 *   server.c         options, create/destroy, the request dispatcher (RFC 3261 8.2 order),
 *                    OPTIONS, CANCEL, 405/420/481, stats, shutdown
 *   server_call.c    one INVITE and the dialog it forms: ringing, the SDP answer, the 2xx
 *                    sent again until the ACK (13.3.1.4), re-INVITE, BYE both ways; the
 *                    dialog runs on the generated chart spec/dialog.rl
 *   server_auth.c    Digest challenges and verification (RFC 3261 22)
 *   server_trace.c   a transport decorator that shows every message sent and received to
 *                    the trace callback before the transaction layer sees it
 */
#ifndef SIPSPEC_SERVER_INTERNAL_H
#define SIPSPEC_SERVER_INTERNAL_H

#include <ev.h>
#include <stddef.h>
#include <stdint.h>

#include "session/tsx.h"
#include "sipspec/digest.h"
#include "sipspec/fsm.h"
#include "sipspec/server.h"

#define SRV_ALLOW "INVITE, ACK, BYE, CANCEL, OPTIONS"
#define SRV_HOST_MAX 80          /* our host as written in Warning headers */
#define SRV_HEADERS_MAX 1024     /* extra header lines of one response */

typedef struct srv_call srv_call;
typedef struct srv_tp srv_tp;

struct sipspec_server {
  struct ev_loop *loop;
  sipspec_server_opts o;           /* strings below replace the caller's */
  char *listen_host, *user_agent, *auth_user, *auth_password, *auth_realm;
  char *mrcp_addr, *mrcp_session_id;
  char warn_host[SRV_HOST_MAX];    /* "127.0.0.1" or "[::1]" */
  sipspec_telemetry tel;
  sipspec_server_stats st;
  sipspec_tsx_layer *layer;
  srv_tp *tp[2];                   /* by sipspec_tp_kind (UDP, TCP) */
  sipspec_digest_server_t *auth;   /* NULL when auth_user is not set */
  struct sipspec_digest_msg_scratch *auth_scratch; /* reading credentials (about 12 KB) */
  srv_call *calls;                 /* every call not yet freed */
  ev_timer reaper;                 /* zero delay: frees calls marked dead */
  uint64_t dropped_live;           /* BYE transactions left unanswered (drop_bye) */
  int shutting_down;
};

/* One INVITE that was accepted for an answer and the dialog it forms (UAS side). */
struct srv_call {
  sipspec_server *srv;
  srv_call *next;
  sipspec_fsm dialog;              /* spec/dialog.rl */
  sipspec_tsx *ist;                /* the INVITE (or re-INVITE) server transaction, or NULL */
  sipspec_tp_kind kind;
  sipspec_sockaddr peer;           /* where the INVITE came from: the client's flow */
  char *call_id, *local_tag, *remote_tag;
  char *local_uri;                 /* the INVITE's To value: our From in requests we send */
  char *remote_uri;                /* the INVITE's From value (with its tag): our To */
  char *request_uri;               /* the INVITE's Contact URI (remote target), or From URI */
  char *route;                     /* "Route: ...\r\n" lines from Record-Route, or NULL */
  uint32_t remote_cseq;            /* highest CSeq number received in the dialog */
  uint32_t local_cseq;
  uint32_t invite_cseq;            /* CSeq of the INVITE whose final response is pending or
                                    * whose 2xx waits for its ACK */
  char session_id[33];             /* MRCP channel ids: "<session_id>@<resource>" */
  uint64_t sess_version;
  char *answer;                    /* the SDP answer of the pending 2xx */
  size_t answer_len;
  char *final_headers;             /* the extra header lines of the pending final response */
  int final_status;                /* planned final response of the pending INVITE */
  unsigned rings_sent;
  ev_timer progress;               /* 180s ring_interval_ms apart, then the final response */
  ev_timer retx;                   /* the 2xx again until the ACK (13.3.1.4) */
  double retx_interval;
  double retx_deadline;            /* ev_now() + 64*T1 at the first 2xx */
  ev_timer bye_timer;              /* bye_after_ms after the ACK */
  int awaiting_ack;
  int established;                 /* the ACK of the first 2xx arrived */
  int final_sent;                  /* the initial INVITE got its final response */
  int cancelled;                   /* a CANCEL came: 487 from the progress timer */
  int ended_status;                /* status reported with SIPSPEC_SERVER_ENDED */
  int pending_bye;                 /* a BYE to send once the current dialog event is done */
  int passed;                      /* pass_to_tu ran for the current RX_REQUEST */
  /* the event being fed to the dialog chart and its payload */
  sipspec_tsx *cur_tsx;            /* the server transaction of RX_BYE / RX_REQUEST */
  const sipspec_msg *cur_msg;
  int cseq_bad;                    /* check_remote_cseq refused the request */
  int dead;                        /* ended: freed by the reaper */
};

/* server.c */
void srv_event(sipspec_server *srv, sipspec_server_event ev, const char *call_id, int status);
/* Responds with the server's Server header plus extra lines (may be NULL); logs nothing. */
int srv_respond(sipspec_server *srv, sipspec_tsx *t, int status, const char *reason, const char *extra,
                const char *body, size_t body_len);
/* Responds status with a Warning: 399 <host> "<text>" (text made printable, quotes dropped). */
int srv_respond_warning(sipspec_server *srv, sipspec_tsx *t, int status, const char *extra,
                        const char *text);
/* An INVITE refused with status (counted, reported). */
void srv_refused(sipspec_server *srv, const sipspec_msg *req, int status);
/* Copies span s into a fresh NUL-terminated string. */
char *srv_strndup(const char *p, size_t n);
void srv_schedule_reap(sipspec_server *srv);

/* server_call.c */
/* An INVITE without a To tag that passed the method, Require and credentials checks. */
void srv_call_invite(sipspec_server *srv, sipspec_tsx *t, const sipspec_msg *req);
/* The call an initial INVITE repeats (same Call-ID, From tag and CSeq: a retransmission
 * that outlived its transaction, or a merged request, RFC 3261 8.2.2.2), or NULL. */
srv_call *srv_call_find_merged(sipspec_server *srv, const sipspec_msg *req);
/* The call (dialog) an in-dialog request belongs to: Call-ID, To tag (ours), From tag. */
srv_call *srv_call_find(sipspec_server *srv, const sipspec_msg *req);
/* An in-dialog request for call c (credentials already checked). */
void srv_call_request(srv_call *c, sipspec_tsx *t, const sipspec_msg *req);
/* ACK outside any transaction (the ACK of a 2xx). */
void srv_call_ack(sipspec_server *srv, const sipspec_msg *ack);
/* CANCEL for a pending INVITE of call c (RFC 3261 9.2): 487 when not answered yet. */
void srv_call_cancel(srv_call *c);
srv_call *srv_call_of_ist(sipspec_server *srv, const sipspec_tsx *ist);
/* Shutdown: BYE or 503 as sipspec_server_shutdown() says. */
void srv_call_shutdown(srv_call *c);
void srv_call_free(srv_call *c);

/* server_auth.c */
int srv_auth_create(sipspec_server *srv, char *err, size_t errlen);
/* 0 when the request may go on (authenticated, or no auth configured); otherwise the
 * status it was answered with (401/407 challenge, 400, 500). */
int srv_auth_check(sipspec_server *srv, sipspec_tsx *t, const sipspec_msg *req);

/* server_trace.c */
/* Opens the layer's transport of kind on listen_host:port through the tracing decorator. */
int srv_trace_open(sipspec_server *srv, sipspec_tp_kind kind, unsigned port, char *err, size_t errlen);

#endif
