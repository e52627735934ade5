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
#include "net/ip_addr.h"
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
  /* RFC 3263 4.3: targets that failed lately (a 503, no response, a transport error) are
   * tried last until `until` (a 503's Retry-After, else UA_AVOID_MS) */
  struct ua_avoided {
    sipspec_sockaddr addr;
    sipspec_tp_kind tp;
    uint64_t until;
  } avoided[16];
  /* the sessions' callback functions, each distinct set kept once (session_cbs_get()) */
  struct session_cbs *cbs;
  /* what the sessions' chart timer sets share (host_timers.h), set up with the first session */
  int kinds_ready;
  host_timer_kind k_session, k_update, k_st;
};

/* How long a target that failed is tried last when no Retry-After says (as long as a
 * transaction's Timer B with the default T1: 64*T1 = 32 s). */
#define UA_AVOID_MS 32000u

/* What a client transaction of the session is for. */
typedef enum session_tsx_role {
  ST_INVITE = 1,
  ST_CANCEL,
  ST_BYE,
  ST_OPTIONS,
  ST_REINVITE,
  ST_FORK_BYE,                       /* the BYE ending another fork's dialog (13.2.2.4) */
  ST_REFRESH                         /* our session refresh: UPDATE or re-INVITE (RFC 4028 10) */
} session_tsx_role;

/* Another fork's dialog, answered with ACK and ended with BYE (13.2.2.4): its ACK is kept
 * to answer copies of its 2xx. A session has none until a fork shows up. */
#define SESSION_MAX_FORKS 4
typedef struct session_fork {
  char tag[SIPSPEC_DIALOG_TAG_MAX + 1];
  char *ack;
  size_t ack_len;
  sipspec_sockaddr to;
} session_fork;

/* A client transaction of the session: allocated when it starts, freed when it ends (its
 * on_terminated) or with the session; an established session without a transaction keeps
 * none. */
typedef struct session_tsx {
  sipspec_session *s;
  sipspec_tsx *t;                    /* NULL once terminated (or released) */
  struct session_tsx *next;          /* in s->tsx */
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
  const char *extra;                 /* more header lines (Session-Expires, Reason), or NULL */
} session_req;

struct session_target {
  sipspec_sockaddr addr;
  sipspec_tp_kind tp;
  char left[96];                     /* why the INVITE left it ("" for the one in use) */
};

/* A session's memory (issue 16: an established session at most 1 KiB): what only setting
 * up needs (the INVITE's offer, the offer description, the forks' table) is allocated when
 * needed and freed once the session is established; strings are kept at their size (reason,
 * warning: NULL for ""; the addressing strings in one block); the SDP is not kept as text
 * (session_local_sdp()); what only the update chart uses is allocated with it; the fields
 * are ordered by size (no padding between them) and flags and small counts are bytes. */
/* A set of callback functions (opts.cb without its user pointer) that sessions share: an
 * application gives most of its sessions the same ones (issue 16: 48 bytes a session). */
typedef struct session_cbs {
  struct session_cbs *next;          /* in ua->cbs */
  unsigned refs;                     /* the sessions using it; freed with the last */
  sipspec_session_callbacks fn;      /* fn.user unused (NULL) */
} session_cbs;

/* The update chart of a session, its timers and what only it uses: allocated on first use
 * (session_upd_ensure()), as most sessions never re-INVITE nor are re-INVITEd. */
typedef struct session_upd {
  sipspec_fsm fsm;
  host_timers timers;
  /* our 2xx to the server's last re-INVITE, sent again until its ACK (13.3.1.4) */
  sipspec_uas_2xx reinvite_2xx;
  const sipspec_msg *msg;            /* the response the chart is being fed, or NULL */
  char *cred;                        /* AUTH_RETRY: its credentials lines */
  char *body;                        /* the re-INVITE's offer, for a Digest or 491 retry */
  size_t body_len;
  int rc;                            /* why the chart's last send failed, or 0 */
  sipspec_mrcp_resource change_res;  /* TU_REQUEST: the resource to add ... */
  unsigned char change_add;          /* ... (1) or remove (0) */
} session_upd;

/* What only setting the session up uses: allocated with the session, freed once it is
 * established (session_drop_setup()) or with it. */
typedef struct session_setup {
  char *offer;                       /* the SDP offer text sent with the current INVITE */
  size_t offer_len;
  sipspec_mrcp_offer_desc *desc;     /* opts.offer (strings copied after it) until the MRCP
                                      * session is made from it, else NULL */
  sipspec_resolve_query *query;      /* resolving the target's host name */
  size_t invite_len;                 /* the length of the INVITE as last built */
  int fail_ev;                       /* the event of the INVITE's last failure */
  int start_err;                     /* why the first INVITE could not be sent */
} session_setup;

struct sipspec_session {
  sipspec_ua *ua;
  sipspec_session *prev, *next;      /* in ua->live */
  sipspec_clock_grave grave;         /* buried: over, freed by the clock at its next step */
  sipspec_fsm fsm;                   /* spec/uac_session.rl */
  host_timers timers;                /* the chart's timers on the user agent's clock */
  /* the session timer (spec/session_timer.rl, RFC 4028): its chart and timers, and the
   * values it negotiates (data; who refreshes is the chart's state, refresher is what the
   * last 2xx said, kept to report it) */
  sipspec_fsm st;
  host_timers st_timers;
  const session_cbs *cbs;            /* opts.cb's functions (never NULL once started) */
  void *user;                        /* opts.cb.user */
  /* RFC 3263 4.3: the targets the INVITE may go to, in order (none for an IP literal), the
   * one in use (target_i) and, for the ones left, why */
  struct session_target *targets;
  /* spec/uac_update.rl (our re-INVITEs, the server's refreshes), its timers and data:
   * allocated when the chart is first fed (most sessions never re-INVITE), NULL until then */
  struct session_upd *updx;
  /* options, copied */
  char *target, *to_display, *extra_headers;
  struct session_setup *setup;       /* what only setting up uses; NULL once established */
  sipspec_mrcp_session_t *mrcp;
  /* call_id, local_host (IPv6 in brackets): in one block, set by session_set_addressing();
   * our Via and Contact are written from local_host, local_port and kind when needed
   * (session_via(), session_contact()) */
  char *call_id, *local_host;
  char *auth_headers;                /* credentials lines of the current INVITE, or NULL */
  char *bye_auth;                    /* credentials lines of the BYE sent again, or NULL */
  sipspec_digest_client_t *digest;
  sipspec_dialog *dialog;
  session_tsx *tsx;                  /* at most SESSION_MAX_TSX, newest first */
  session_fork *forks;               /* SESSION_MAX_FORKS once a fork shows up, else NULL */
  /* the event being fed */
  const sipspec_msg *cur_msg;
  sipspec_tsx *cur_srv;              /* RX_BYE: its server transaction */
  session_req *next_req;             /* what send_in_dialog_request sends */
  session_req *cur_req;              /* the request the dialog is building */
  /* outcome */
  char *reason;                      /* at most SESSION_REASON_MAX - 1 bytes; NULL: "" */
  char *warning;                     /* the last final response's Warning text, or NULL */
  char *bye_reason;                  /* its reason phrase, or a sentence saying what happened */
  /* the session as negotiated, for refreshes (RFC 3264 8, RFC 4028 10): our SDP is the MRCP
   * session's negotiated offer, written again when it is sent (session_local_sdp()); a
   * session started with opaque SDP keeps its text. Of the server's answer only its origin
   * is kept: a refresh offer must carry the same (RFC 3264 8). */
  char *local_sdp;                   /* opaque SDP only: our last accepted offer, or NULL */
  size_t local_len;
  char *remote_o;                    /* the o= value of the server's last answer, or NULL */
  const sipspec_msg *st_msg;         /* the message the timer chart is fed, or NULL */
  sipspec_tsx *st_srv;               /* the peer's UPDATE being answered, or NULL */
  char *st_cred;                     /* credentials of the refresh sent again after a 401/407 */
  char *st_hdrs;                     /* Session-Expires lines of our 200 to the peer's refresh, or NULL */
  char *bye_extra;                   /* header lines of our BYE (Reason), or NULL */
  /* 4 bytes */
  ip_addr dest;                      /* where the INVITE goes (session_dest()) */
  unsigned ntargets, target_i;
  unsigned keepalive_ms;
  sipspec_tp_kind kind;
  unsigned local_port;
  uint32_t cseq;                     /* CSeq of the current INVITE */
  int cur_ev;
  sipspec_result result;
  int status;
  sipspec_end_reason end_by;
  int bye_status;                    /* its final status once over, 0 none, -1 no BYE of ours */
  unsigned st_ask;                   /* Session-Expires the INVITE asks for (s), 0: none */
  unsigned st_min_se;                /* Min-SE the INVITE and refreshes carry (s) */
  unsigned st_interval;              /* the session interval negotiated (s), 0: none */
  int st_next;                       /* what the timer chart has the session chart do next */
  int st_rc;                         /* why the timer chart's refresh could not be sent */
  /* bytes */
  char from_tag[20];
  char st_refresher[4];              /* "uac" (we refresh), "uas" (the server does), "" */
  /* API calls made while the charts run (from inside the session's callbacks): queued, run
   * from the clock's deferred work once the callbacks have returned */
  struct { unsigned char op, res; } calls[SESSION_CALLS_MAX]; /* an op (CALL_*), a sipspec_mrcp_resource */
  unsigned char q[SESSION_QUEUE_MAX]; /* events posted while the chart runs (all below 256) */
  unsigned char q_head, q_len, busy;
  unsigned char n_calls, calls_deferred;
  unsigned char n_forks;
  unsigned char upd_started;         /* TU_START came while updx was NULL (Ready, no action) */
  unsigned char dns_failed;          /* the transport error is the target's name: no address */
  unsigned char tls_failed;          /* the transport error was TLS's (result tls-failed) */
  unsigned char bye_tried;           /* a BYE of ours was sent (or tried) */
  unsigned char answer_asked;        /* the application asked for it: the state read is kept */
  unsigned char st_peer_update;      /* the peer's Allow listed UPDATE (RFC 4028 7.4) */
};

/* ua.c */
/* Where a URI of the dialog (remote target, route) is: its IP literal and port, or the
 * session's destination when the host is a name. */
void ua_hop_addr(sipspec_session *s, const char *uri, sipspec_sockaddr *out);
void ua_session_link(sipspec_ua *ua, sipspec_session *s);
/* Unlinks a terminated session and buries it on the clock: freed after the callbacks. */
void ua_session_bury(sipspec_ua *ua, sipspec_session *s);

/* What a session answers in Allow (RFC 3261 20.5). */
#define SESSION_ALLOW "INVITE, ACK, CANCEL, BYE, OPTIONS, UPDATE"
/* ua.c: responds to t with status and our Allow (RFC 3261 20.5), with accept: and Accept
 * (11.2: what an OPTIONS answer lists), written with the builder. */
void session_respond_allow(sipspec_tsx *t, int status, int accept);

/* session.c: the session chart (spec/uac_session.rl), its actions and its feeding */
/* Feeds the session's chart one event (queued while it runs). */
int session_post(sipspec_session *s, int ev, const sipspec_msg *msg);
int session_fire(void *owner, int event);
void session_on_action(void *ctx, const sipspec_chart *chart, int action);
void session_rearm(sipspec_session *s);
/* The reason of a failure or an end into s->reason (fmt with one %s). */
void session_set_reason(sipspec_session *s, const char *fmt, const char *a);
#define SESSION_REASON_MAX 300
/* s->reason from a format (cut at SESSION_REASON_MAX - 1 bytes). */
void session_reasonf(sipspec_session *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* *dst replaced by a copy of src (NULL or "" frees it: NULL). */
void session_set_str(char **dst, const char *src);
/* *dst replaced by a formatted string (cut at SESSION_REASON_MAX - 1 bytes). */
void session_strf(char **dst, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* s->reason, "" when none. */
const char *session_reason_str(const sipspec_session *s);
/* The addressing strings (either may be NULL: kept as it is), in one block. */
int session_set_addressing(sipspec_session *s, const char *call_id, const char *local_host);
/* Our Via value without branch (RFC 3261 18.1.1, ;rport RFC 3581) and our Contact URI
 * (8.1.1.8: sips: over TLS, RFC 5630 3.1.3; ;transport=tcp over TCP), written from the local
 * host, port and transport into buf (cap bytes: SESSION_VIA_MAX, SESSION_CONTACT_MAX). */
#define SESSION_VIA_MAX (SIPSPEC_SOCKADDR_STRLEN + 48)
#define SESSION_CONTACT_MAX (SIPSPEC_SOCKADDR_STRLEN + 300)
void session_via(const sipspec_session *s, char *buf, size_t cap);
void session_contact(const sipspec_session *s, char *buf, size_t cap);
/* session_update.c: the update chart's block, allocated (SIPSPEC_E_NOMEM) or there; freed. */
int session_upd_ensure(sipspec_session *s);
void session_upd_free(sipspec_session *s);
/* Once established: what only the setup needed is freed. */
void session_drop_setup(sipspec_session *s);
/* session_api.c: frees s->setup (cancelling a name resolution still running). */
void session_setup_free(sipspec_session *s);
/* v into dst as a C string, bytes outside printable ASCII as '?'. */
void session_copy_span_z(char *dst, size_t cap, sipspec_span v);
/* The status, reason phrase and Warning text of a final response into the session. */
void session_note_response(sipspec_session *s, const sipspec_msg *resp);
sipspec_response_info session_info_of(const sipspec_session *s);
/* After on_answered / on_updated: the answer read for it is dropped unless asked for. */
void session_answer_done(sipspec_session *s);
/* Reported once: every chart transition that reports a failure ends in Terminated. */
void session_report_failed(sipspec_session *s, sipspec_result r);
/* The dialog ACKs a 2xx to our INVITE (first: the one that establishes) or re-INVITE. */
int session_ack_2xx(sipspec_session *s, const sipspec_msg *resp, int first);
/* Keeps the session as negotiated: our offer (a copy when the session has no MRCP session,
 * whose negotiated offer it is otherwise) and the origin of the server's answer. */
void session_keep_negotiated(sipspec_session *s, const char *local, size_t local_len, sipspec_span remote);
/* Our negotiated SDP: the opaque text, or the MRCP session's offer written into buf (cap
 * bytes); *len its length. NULL when there is none. */
const char *session_local_sdp(const sipspec_session *s, char *buf, size_t cap, size_t *len);
/* The room session_local_sdp() is given (an offer of 12 resources takes about 2 KB). */
#define SESSION_SDP_ROOM 8192
/* Sends an in-dialog request through the dialog (which calls session_dlg_send_request). */
int session_send_in_dialog(sipspec_session *s, session_req *p);
/* 64*T1 and no ACK for our 2xx to the server's re-INVITE (13.3.1.4). */
void session_reinvite_2xx_give_up(sipspec_uas_2xx *r, void *user);

/* session_api.c: joins the n strings into dst (cap bytes) as snprintf(dst, cap, "%s%s...")
 * would, truncated the same way, and returns the joined length (>= cap: truncated); without
 * printf's format parsing, for what is written once or more per call. */
size_t session_join(char *dst, size_t cap, const char *const *parts, size_t n);

/* session_tsx.c: the session's client transactions */
/* Frees every slot (with the session), clearing the callbacks of transactions still live. */
void session_tsx_release_all(sipspec_session *s);
/* Starts a client transaction for the request f describes; a slot keeps it until its
 * on_terminated. */
int session_start_tsx(sipspec_session *s, session_tsx_role role, const sipspec_request_fields *f,
                      const sipspec_sockaddr *dest);
/* session_start_tsx() that also gives the length of the request sent (*len, when it started). */
int session_start_tsx_len(sipspec_session *s, session_tsx_role role, const sipspec_request_fields *f,
                          const sipspec_sockaddr *dest, size_t *len);
/* Starts the CANCEL of pending INVITE transaction inv (9.1) in a slot of role ST_CANCEL. */
int session_start_cancel(sipspec_session *s, sipspec_tsx *inv, const char *headers);

/* session_send.c: the INVITE, the dialog's sends, the move to TCP (RFC 3261 18.1.1) */
int session_needs_tcp(sipspec_session *s, size_t len, const sipspec_sockaddr *dest, sipspec_sockaddr *tl);
void session_move_to_tcp(sipspec_session *s, const sipspec_sockaddr *tl);
/* A UAC dialog for the session's INVITE, from the fields it was written with. */
int session_dialog_for_invite(sipspec_session *s, const sipspec_dialog_local *local, const sipspec_dialog_callbacks *cb,
                              sipspec_dialog **out);

/* 1 when the INVITE as it would be written now must go over TCP (18.1.1). */
int session_invite_needs_tcp(sipspec_session *s, sipspec_sockaddr *tl);
/* Sends the INVITE: its dialog, then its client transaction (from typed fields). */
int session_send_invite(sipspec_session *s);
/* A (new) UAC dialog for the INVITE just built (recreated after an auth retry). */
int session_new_dialog(sipspec_session *s);
void session_dlg_send_ack(sipspec_dialog *d, const char *ack, size_t len, const char *hop, void *user);
void session_dlg_send_request(sipspec_dialog *d, const sipspec_request_fields *req, const char *hop, void *user);
void session_dlg_respond(sipspec_dialog *d, const sipspec_msg *req, int status, const char *reason, void *user);

/* session_auth.c: Digest (RFC 3261 22.2) */
/* Starts the digest bookkeeping of a new request: its credentials lines (malloc'd) or NULL. */
int session_digest_begin(sipspec_session *s, const char *method, const char *uri, const char *body,
                         size_t body_len, char **lines);
/* A 401/407 to the INVITE: AUTH_RETRY with fresh credentials, or AUTH_FAILED. */
void session_on_challenge(sipspec_session *s, const sipspec_msg *resp);
/* The credentials lines to retry with (malloc'd), or NULL with why in s->reason. */
char *session_answer_challenge(sipspec_session *s, const sipspec_msg *resp, const char *method, const char *uri,
                               const char *body, size_t body_len);
void session_reinvite_challenged(sipspec_session *s, const sipspec_msg *resp);
void session_bye_challenged(sipspec_session *s, const sipspec_msg *resp);

/* session_fork.c: other forks (RFC 3261 13.2.2.4) */
/* 1 when resp, a 2xx to our INVITE, comes from another fork than the session's dialog. */
int session_other_fork(const sipspec_session *s, const sipspec_msg *resp);
/* The chart's end_fork: ACK that fork's 2xx and end its dialog with BYE. */
void session_fork_end(sipspec_session *s);

/* session_update.c: the update chart (spec/uac_update.rl), the server's re-INVITE and UPDATE */
int session_fire_update(void *owner, int event);
void session_update_on_action(void *ctx, const sipspec_chart *chart, int action);
/* Feeds the update chart one event; a send that failed inside it is fed as NOT_SENT. */
int session_update_post(sipspec_session *s, int ev, const sipspec_msg *msg);
/* The re-INVITE's outcome to the application. */
void session_reinvite_done(sipspec_session *s, const sipspec_msg *resp, const char *why);
/* The peer's UPDATE (RFC 3311). */
void session_rx_update(sipspec_session *s, const sipspec_msg *req);
/* A request within the dialog from the server (ACK, OPTIONS, re-INVITE, INFO, UPDATE). */
void session_dlg_on_request(sipspec_dialog *d, const sipspec_msg *req, void *user);

/* session_api.c: the public API */
void session_free(sipspec_session *s);
/* The user agent's set equal to cb's functions (made, or one more user); NULL without
 * memory. Given back with session_cbs_put(). */
const session_cbs *session_cbs_get(sipspec_ua *ua, const sipspec_session_callbacks *cb);
void session_cbs_put(sipspec_ua *ua, const session_cbs *c);
/* A set with no function: a session's callbacks while they are held back. */
extern const session_cbs session_cbs_none;
/* Where the INVITE goes, as the transport layer takes it. */
static inline sipspec_sockaddr session_dest(const sipspec_session *s) { return ip_addr_get(&s->dest); }

/* The local address toward s->dest over s->kind: Via and Contact. */
int session_address(sipspec_session *s, char *ip, size_t iplen);
/* TU_REQUEST through the session chart: an in-dialog request, with credentials or not. */
int session_in_dialog_cred(sipspec_session *s, session_tsx_role role, const char *method, const char *body,
                           size_t body_len, const char *cred);
/* Sends an in-dialog request of role ST_REFRESH with extra header lines (and a body). */
int session_send_refresh(sipspec_session *s, const char *method, const char *body, size_t len, const char *extra,
                         const char *cred);
/* A 401/407 to the session timer's refresh: cred the credentials lines for it (malloc'd,
 * kept in st_cred), or NULL when the challenge cannot be answered (session_timer.c). */
void session_timer_challenged(sipspec_session *s, const sipspec_msg *resp, char *cred);
/* Answers the peer's UPDATE s->st_srv with 200: Session-Expires lines s->st_hdrs, and our
 * SDP when it carried an offer (a refresh of the session, RFC 3311 5.2). */
void session_answer_update(sipspec_session *s, const sipspec_msg *req);

/* session_timer.c: the session timer (spec/session_timer.rl) */
/* The user agent's session timer kind (with its first session); a session's timer chart. */
int session_timer_kind_init(sipspec_ua *ua);
void session_timer_init(sipspec_session *s);
/* Feeds the timer chart one event with the message it is about (or NULL). */
int session_timer_feed(sipspec_session *s, int ev, const sipspec_msg *m);
/* The timer chart's event for a 2xx to our INVITE or refresh: SE_US, SE_PEER or SE_NONE. */
int session_timer_classify_2xx(sipspec_session *s, const sipspec_msg *resp);
/* The timer chart's event for a request of the peer answered 200: RX_REFRESH, _US, _PEER. */
int session_timer_classify_request(const sipspec_msg *req);
/* 1 when a 422 carries a Min-SE the INVITE can ask for (RFC 4028 7.3). */
int session_timer_422_usable(const sipspec_session *s, const sipspec_msg *resp);
/* Same for a 422 to a refresh: its Min-SE is larger than the Session-Expires the refresh
 * asked for (RFC 4028 7.3, 10). */
int session_timer_refresh_422_usable(const sipspec_session *s, const sipspec_msg *resp);
/* The INVITE's session timer lines: Supported, and Session-Expires / Min-SE when asked. */
/* The session timer's INVITE headers (RFC 4028 7.1) into h (3 at most; num holds their
 * numbers); returns how many. */
size_t session_timer_invite_headers(const sipspec_session *s, sipspec_ext_header *h, char num[2][16]);
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
