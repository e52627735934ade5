/* session/session_internal.h: what the user agent (ua.c) and its MRCP client sessions
 * (session.c) share.
 *
 *   ua.c       the user agent: transports and the transaction layer, the requests and
 *              stray responses that arrive outside a transaction of ours (routed to the
 *              session whose dialog they match, 481 otherwise), sending ACKs, burying ended sessions
 *   session.c  one session on the generated charts spec/uac_session.rl (the session) and
 *              spec/uac_update.rl (its re-INVITEs): their actions by name, its
 *              INVITE/CANCEL/BYE/in-dialog transactions, its dialog (session/dialog.h),
 *              its chart timers, Digest retries
 */
#ifndef SIPSPEC_SESSION_SESSION_INTERNAL_H
#define SIPSPEC_SESSION_SESSION_INTERNAL_H

#include "fsm/host_timers.h"
#include "session/dialog.h"
#include "session/tsx.h"
#include "session/uas_2xx.h"
#include "sipspec/digest_msg.h"
#include "sipspec/fsm.h"
#include "sipspec/resolver.h"
#include "sipspec/ua.h"

#define SESSION_QUEUE_MAX 16
#define SESSION_CALLS_MAX 8

struct sipspec_ua {
  struct ev_loop *loop;
  sipspec_clock *clock;              /* opts.clock, or own_clock */
  sipspec_clock *own_clock;
  sipspec_config cfg;
  char *bind_host, *from_user, *display_name, *user_agent;
  unsigned bind_port;
  sipspec_digest_client_config auth;
  int have_auth;
  sipspec_trace_fn trace;
  void *trace_user;
  sipspec_telemetry tel;
  sipspec_tsx_layer *layer;
  sipspec_resolver *resolver;
  sipspec_msg *scratch;              /* parsing our own messages; never held across a call */
  sipspec_session *live;             /* sessions not yet terminated */
  size_t n_live;
};

/* One pending event of a session's chart and the message it carries (copied). */
typedef struct session_event {
  int ev;
  char *data;                        /* raw message, or NULL */
  size_t len;
} session_event;

/* What a client transaction of the session is for. */
typedef enum session_tsx_role {
  ST_INVITE = 1,
  ST_CANCEL,
  ST_BYE,
  ST_OPTIONS,
  ST_REINVITE,
  ST_FORK_BYE                        /* the BYE ending another fork's dialog (13.2.2.4) */
} session_tsx_role;

/* Another fork's dialog, answered with ACK and ended with BYE (13.2.2.4): its ACK is kept
 * to answer copies of its 2xx. */
#define SESSION_MAX_FORKS 4
typedef struct session_fork {
  char tag[SIPSPEC_DIALOG_TAG_MAX + 1];
  char *ack;
  size_t ack_len;
  sipspec_sockaddr to;
} session_fork;

typedef struct session_tsx {
  sipspec_session *s;
  sipspec_tsx *t;                    /* NULL once terminated */
  session_tsx_role role;
} session_tsx;

#define SESSION_MAX_TSX 8

/* An in-dialog request being sent (TU_REQUEST / TU_BYE), for the duration of the call. */
typedef struct session_req {
  session_tsx_role role;
  const char *method;
  const char *body;
  size_t body_len;
  int rc;                            /* what starting its transaction returned */
  const char *cred;                  /* credentials lines answering a challenge, or NULL:
                                        the digest client's cached ones */
} session_req;

struct sipspec_session {
  sipspec_ua *ua;
  sipspec_session *prev, *next;      /* in ua->live */
  sipspec_clock_grave grave;         /* buried: over, freed by the clock at its next step */
  sipspec_fsm fsm;                   /* spec/uac_session.rl */
  sipspec_fsm upd;                   /* spec/uac_update.rl: our re-INVITEs */
  host_timers timers, upd_timers;    /* the two charts' timers on the user agent's clock */
  /* options, copied */
  char *target, *to_display, *extra_headers;
  char *offer;                       /* the SDP offer text sent with the current INVITE */
  size_t offer_len;
  int opaque;                        /* opts.sdp was used */
  int have_desc;                     /* opts.offer was used: desc (strings copied) */
  sipspec_mrcp_offer_desc desc;
  char *desc_addr, *desc_user;
  sipspec_resolve_query *query;      /* resolving the target's host name */
  sipspec_mrcp_session_t *mrcp;
  unsigned keepalive_ms, answer_timeout_ms;
  sipspec_session_callbacks cb;
  /* addressing */
  sipspec_tp_kind kind;
  sipspec_sockaddr dest;             /* where the INVITE goes */
  char local_host[SIPSPEC_SOCKADDR_STRLEN + 2]; /* IPv6 in brackets */
  unsigned local_port;
  char call_id[128], from_tag[40];
  char via[160];                     /* Via without branch */
  char contact[200];                 /* Contact URI */
  /* the INVITE */
  char *invite;
  size_t invite_len;
  uint32_t cseq;                     /* CSeq of the current INVITE */
  char *auth_headers;                /* credentials lines of the current INVITE, or NULL */
  char *bye_auth;                    /* credentials lines of the BYE sent again, or NULL */
  sipspec_digest_client_t *digest;
  sipspec_dialog *dialog;
  session_tsx tsx[SESSION_MAX_TSX];
  session_fork forks[SESSION_MAX_FORKS];
  int n_forks;
  /* the event being fed */
  int cur_ev;
  const sipspec_msg *cur_msg;
  const sipspec_msg *upd_msg;        /* the response the update chart is being fed, or NULL */
  int upd_rc;                        /* why the update chart's last send failed, or 0 */
  sipspec_mrcp_resource change_res;  /* TU_REQUEST of the update chart: the resource to add */
  /* API calls made while the charts run (from inside the session's callbacks): queued, run
   * from the clock's deferred work once the callbacks have returned */
  struct { int op; sipspec_mrcp_resource res; } calls[SESSION_CALLS_MAX];
  int n_calls, calls_deferred;
  int change_add;                    /* ... (1) or remove (0) */
  char *upd_cred;                    /* AUTH_RETRY of the update chart: its credentials lines */
  sipspec_tsx *cur_srv;              /* RX_BYE: its server transaction */
  session_req *next_req;             /* what send_in_dialog_request sends */
  session_req *cur_req;              /* the request the dialog is building */
  int start_err;                     /* why the first INVITE could not be sent */
  session_event q[SESSION_QUEUE_MAX];
  int q_head, q_len, busy;
  /* outcome */
  sipspec_result result;
  int status;
  char *reinvite_body;               /* the last re-INVITE's offer, for a Digest or 491 retry */
  size_t reinvite_len;
  sipspec_end_reason end_by;
  char reason[300];
  int tls_failed;                    /* the transport error was TLS's (result tls-failed) */
  char warning[160];
  int bye_tried;                     /* a BYE of ours was sent (or tried) */
  int bye_status;                    /* its final status once over, 0 none, -1 no BYE of ours */
  char bye_reason[300];              /* its reason phrase, or a sentence saying what happened */
  sipspec_mrcp_answer answer_copy;
  int have_answer;
  /* the session as negotiated, for a server's refresh re-INVITE (RFC 3264 8) */
  char *local_sdp, *remote_sdp;      /* our last accepted offer, the server's last answer */
  size_t local_len, remote_len;
  /* our 2xx to the server's last re-INVITE, sent again until its ACK (13.3.1.4) */
  sipspec_uas_2xx reinvite_2xx;
};

/* ua.c */
/* Where a URI of the dialog (remote target, route) is: its IP literal and port, or the
 * session's destination when the host is a name. */
void ua_hop_addr(sipspec_session *s, const char *uri, sipspec_sockaddr *out);
void ua_session_link(sipspec_ua *ua, sipspec_session *s);
/* Unlinks a terminated session and buries it on the clock: freed after the callbacks. */
void ua_session_bury(sipspec_ua *ua, sipspec_session *s);

/* session.c */
void session_free(sipspec_session *s);
/* A 2xx to our INVITE that no transaction took (after Timer M): the ACK is sent again. */
void session_stray_2xx(sipspec_session *s, const sipspec_msg *resp);
/* A request of this session's dialog (BYE, OPTIONS, INFO...) on server transaction t. */
void session_rx_request(sipspec_session *s, sipspec_tsx *t, const sipspec_msg *req);
/* An ACK of this session's dialog that no server transaction took: the ACK for our 2xx to
 * a re-INVITE of the server (13.3.1.4). */
void session_rx_ack(sipspec_session *s, const sipspec_msg *ack);
/* 1 when msg (request or response) belongs to this session's dialog. */
int session_matches(const sipspec_session *s, const sipspec_msg *m, int is_request);
/* 1 when resp answers this session's INVITE (Call-ID and From tag), whatever its To tag:
 * another fork's 2xx. */
int session_matches_call(const sipspec_session *s, const sipspec_msg *resp);

#endif
