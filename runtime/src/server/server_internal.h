/* server/server_internal.h: the structures shared by the embedded server's files.
 *
 *   server.c         options, create/destroy, the request dispatcher (RFC 3261 8.2 order),
 *                    OPTIONS, CANCEL, 405/420/481, stats, shutdown
 *   server_call.c    one INVITE and the dialog it forms: ringing, the SDP answer, the 2xx
 *                    sent again until the ACK (13.3.1.4), re-INVITE, BYE both ways; the
 *                    call's phases are the chart spec/uas_call.rl, the dialog a
 *                    sipspec_dialog (session/dialog.h, chart spec/dialog.rl)
 *   server_call_answer.c  the answer, the Contact and the session timer a call grants
 *   server_call_out.c     the requests a call sends in its dialog (our BYE, our refresh)
 *                    and their responses
 *   server_route.c   where the requests of a dialog go (RFC 3261 12.2.1.1, 8.1.2, 18.2.2
 *                    and RFC 3263 4: the next hop, resolved; the flow behind a NAT)
 *   server_auth.c    Digest challenges and verification (RFC 3261 22)
 * The trace is net/transport_trace.c, the transport decorator the UA uses too.
 */
#ifndef SIPSPEC_SERVER_INTERNAL_H
#define SIPSPEC_SERVER_INTERNAL_H

#include <ev.h>
#include <stddef.h>
#include <stdint.h>

#include "fsm/host_timers.h"
#include "net/ip_addr.h"
#include "session/dialog.h"
#include "session/tsx.h"
#include "session/uas_2xx.h"
#include "sipspec/digest.h"
#include "sipspec/fsm.h"
#include "sipspec/resolver.h"
#include "sipspec/server.h"

#define SRV_ALLOW "INVITE, ACK, BYE, CANCEL, OPTIONS, UPDATE"
#define SRV_HOST_MAX 80          /* our host as written in Warning headers */
#define SRV_HEADERS_MAX 1024     /* extra header lines of one response */
#define SRV_CONTACT_MAX (SRV_HOST_MAX + 48) /* our Contact URI */
#define SRV_VIA_MAX (SIPSPEC_SOCKADDR_STRLEN + 32) /* our Via value without branch */

typedef struct srv_call srv_call;
typedef struct srv_call_cur srv_call_cur;

/* Buckets of the calls' Call-ID index: a request inside a dialog, and each new INVITE (the
 * merged-request check of RFC 3261 8.2.2.2), looks at the calls of one bucket only. */
#define SRV_CALL_BUCKETS 4096u

struct sipspec_server {
  struct ev_loop *loop;
  sipspec_server_opts o;           /* strings below replace the caller's */
  char *listen_host, *user_agent, *auth_user, *auth_password, *auth_realm;
  char *server_line, *ua_line;     /* "Server: <user_agent>" / "User-Agent: ..." CRLF, built once */
  char *mrcp_addr, *mrcp_session_id;
  char warn_host[SRV_HOST_MAX];    /* "127.0.0.1" or "[::1]" */
  char contact_host[SRV_HOST_MAX]; /* the host of our Contact: contact_host or warn_host */
  char contact_uri[3][SRV_CONTACT_MAX]; /* our Contact URI on each sipspec_tp_kind ("" until the
                                    * first call on it): the calls' dialogs point to it */
  char via[3][SRV_VIA_MAX];        /* the Via (without branch) of the first call's dialog on
                                    * each kind: the dialogs whose Via is the same point to it */
  sipspec_dialog_local local[3];   /* via, contact_uri and ua_line of each kind, lent to them */
  sipspec_telemetry tel;
  sipspec_server_stats st;
  sipspec_tsx_layer *layer;
  sipspec_resolver *resolver;      /* names in the next hops of our requests */
  sipspec_digest_server_t *auth;   /* NULL when auth_user is not set */
  struct sipspec_digest_msg_scratch *auth_scratch; /* reading credentials (about 12 KB) */
  size_t n_calls;                  /* the calls that are not over ... */
  srv_call *by_call_id[SRV_CALL_BUCKETS]; /* ... by the hash of their Call-ID */
  uint8_t *rtp_used;               /* with rtp_ports > 1: bit k, port mrcp.rtp_port + 2k is a live call's */
  sipspec_clock *clock;            /* o.clock, or own_clock */
  sipspec_clock *own_clock;
  uint64_t dropped_live;           /* BYE transactions left unanswered (drop_bye) */
  uint64_t accepted;               /* INVITEs accepted for an answer (reject_every counts) */
  const srv_call_cur *cur;         /* the request of the call being fed (post(): set and put
                                    * back around each feed, so a feed inside another's finds
                                    * its own), NULL for none */
  int shutting_down;
  int call_kind_ready;
  host_timer_kind call_kind;       /* the calls' chart timer options (host_timers.h), set up with the first call */
};

#define SRV_CALL_QUEUE_MAX 8 /* events a call's actions post while its chart is busy */

/* What a call keeps only once it needs it (issue 16: a held dialog without a session timer
 * that is not ending does without): the session timer and our refresh, our BYE's next hop
 * and Reason. Allocated by srv_call_ext_get() with the first of them, freed with the call. */
typedef struct srv_call_ext {
  /* the session timer (RFC 4028 9, 10): the interval granted (0: none; our 2xx's lines are
   * written from it, srv_call_timer_lines()), who refreshes (1: we do), the largest Min-SE
   * the client said, whether its Allow lists UPDATE, when the last 2xx to a refresh went
   * out (clock ms) */
  uint64_t se_since_ms;
  unsigned se_interval, se_min;
  uint8_t se_uas, peer_update;
  /* our refresh in flight (UPDATE or re-INVITE), its CSeq until its final response, where
   * it goes; NULL / 0 when none */
  uint8_t req_kind;                /* sipspec_tp_kind */
  uint8_t bye_kind;                /* sipspec_tp_kind */
  int refresh_status;              /* its final status (0: none came) */
  uint32_t refresh_cseq;
  sipspec_tsx *refresh_tsx;
  ip_addr req_dest;
  /* our BYE: where it goes (server_route.c), the query resolving its next hop's name (or
   * NULL), the header lines it carries (a Reason, RFC 3326; NULL for none) */
  ip_addr bye_dest;
  sipspec_resolve_query *query;
  char *bye_extra;
  /* our answer as sipspec_server_call_sdp() lent it (valid until the call is answered
   * again or ends), or NULL */
  char *answer;
  uint32_t answer_len;
  /* the offer last answered when it did not fit the call's offer_buf (a larger re-offer) */
  char *offer;
} srv_call_ext;

/* What a call needs only until the final response to its INVITE is out (srv_call_setup_new(),
 * freed by srv_call_drop_setup()): the answer the 2xx carries, the 180s sent, the final
 * response planned and the header lines of both (12.1.1: our Contact, the INVITE's
 * Record-Route lines; the 2xx's go on with the session timer's, Allow and Content-Type:
 * the first ring_len bytes are the 180s'). */
typedef struct srv_call_setup {
  char *answer;                    /* NULL once sipspec_server_call_sdp() took it (ext) */
  uint32_t answer_len;
  uint16_t rings_sent;
  int16_t final_status;
  uint32_t ring_len;
  char headers[];
} srv_call_setup;

/* The request a call's chart is fed with (post(), on its stack), or none. */
struct srv_call_cur {
  sipspec_tsx *tsx;                /* its server transaction */
  const sipspec_msg *msg;          /* RX_BYE, RX_ACK, RX_REQUEST */
};

/* One INVITE that was accepted for an answer and the dialog it forms (UAS side). Which phase
 * the call is in (ringing, cancelled, waiting for the ACK, established, sending BYE, over) is
 * the chart spec/uas_call.rl in fsm, and only there. The dialog itself (id, remote target,
 * route set, CSeq numbers, the chart spec/dialog.rl, the BYE we send) is a sipspec_dialog of
 * session/dialog.h; the call adds the answer, the timers and where its requests go. What a
 * held call keeps is counted (issue 16, docs/limits.md): fields are as narrow as their
 * values, what only the setup needs is freed once the final response to the INVITE is out,
 * the rest of what few calls need is in ext. */
struct srv_call {
  sipspec_server *srv;
  srv_call *hnext;                 /* in srv->by_call_id[hash % SRV_CALL_BUCKETS] */
  sipspec_clock_grave grave;       /* buried: over, freed by the clock at its next step */
  sipspec_fsm fsm;                 /* spec/uas_call.rl */
  host_timers timers;              /* its STEP, RING and BYE timers on the server's clock */
  sipspec_dialog *dlg;             /* UAS role, created from the INVITE */
  sipspec_tsx *ist;                /* the INVITE server transaction, or NULL: it ended, or
                                    * its 2xx handed it to ok (below) */
  srv_call_setup *setup;           /* until the final response to the INVITE is out */
  srv_call_ext *ext;               /* srv_call_ext_get(), or NULL */
  sipspec_uas_2xx ok;              /* the 2xx again until the ACK (13.3.1.4); while it waits
                                    * it owns the (re-)INVITE's transaction and ist is NULL */
  ip_addr peer;                    /* the flow the INVITE came in on: source address ... */
  uint32_t hash;                   /* of the Call-ID */
  uint32_t invite_cseq;            /* CSeq of the INVITE whose final response is pending or
                                    * whose 2xx waits for its ACK */
  uint32_t offer_len;
  uint32_t answers;                /* answers made: the next one's o= version is the
                                    * configured sess_version plus this */
  uint8_t session_id[16];          /* MRCP channel ids "<session_id>@<resource>": these bytes
                                    * in hex (srv_call_session_id()), unless configured */
  uint8_t q[SRV_CALL_QUEUE_MAX];   /* events posted by its actions, fed after the current one */
  uint8_t q_head, q_len, busy;
  uint8_t kind;                    /* ... and transport (sipspec_tp_kind) */
  uint8_t behind_nat;              /* its top Via's sent-by is not its source (RFC 3581) */
  uint16_t rtp_port;               /* the m=audio port of our answers (0: none chosen yet) */
  int16_t ended_status;            /* status reported with SIPSPEC_SERVER_ENDED */
  uint16_t offer_room;             /* bytes of offer_buf: the INVITE's offer and its NUL */
  char offer_buf[];                /* the offer last answered (sipspec_server_call_sdp, and
                                    * our answer written again from it; srv_call_offer()),
                                    * allocated with the call, unless it is ext->offer */
};

/* server.c */
void srv_event(sipspec_server *srv, sipspec_server_event ev, const char *call_id, int status);
/* Responds with the server's Server header plus extra lines (may be NULL); logs nothing. */
int srv_respond(sipspec_server *srv, sipspec_tsx *t, int status, const char *reason, const char *extra,
                const char *body, size_t body_len);
/* Responds with the server's Server header, the typed headers h[0..n) and then the extra
 * lines (may be NULL), all written with the builder (each value under its header's rule). */
/* Responds with the server's Server header and "Retry-After: <seconds>" (RFC 3261 20.33). */
int srv_respond_retry(sipspec_server *srv, sipspec_tsx *t, int status, uint32_t seconds);
int srv_respond_h(sipspec_server *srv, sipspec_tsx *t, int status, const char *reason, const sipspec_ext_header *h,
                  size_t n, const char *extra);
/* Responds status with a Warning: 399 <host> "<text>" (text made printable, quotes dropped). */
int srv_respond_warning(sipspec_server *srv, sipspec_tsx *t, int status, const char *extra,
                        const char *text);
/* Same with a reason phrase (NULL: the default one). */
int srv_respond_warning_reason(sipspec_server *srv, sipspec_tsx *t, int status, const char *reason,
                               const char *extra, const char *text);
/* 200 to an OPTIONS (Allow, Accept, Supported), counted. */
void srv_answer_options(sipspec_server *srv, sipspec_tsx *t);
/* An INVITE refused with status (counted, reported). */
void srv_refused(sipspec_server *srv, const sipspec_msg *req, int status);
/* Copies span s into a fresh NUL-terminated string. */
char *srv_strndup(const char *p, size_t n);
/* Unlinks a call that is over and buries it on the server's clock. */
void srv_call_bury(srv_call *c);
/* The m=audio port call c's answers name: mrcp.rtp_port, or with rtp_ports > 1 the lowest
 * of its even ports no other live call holds (kept across re-INVITEs). */
unsigned srv_rtp_port(sipspec_server *srv, srv_call *c);
/* c's port is free again (it is over, or was never linked). */
void srv_rtp_release(sipspec_server *srv, srv_call *c);
/* The first live call of bucket i or after, from call c's successor (c NULL: from bucket
 * 0): for (c = srv_calls_next(srv, NULL); c; c = srv_calls_next(srv, c)). NULL at the end. */
srv_call *srv_calls_next(const sipspec_server *srv, const srv_call *c);
/* The hash of a Call-ID (FNV-1a) for srv->by_call_id. */
uint32_t srv_call_id_hash(const char *p, size_t len);

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
/* 1 once c's chart reached Terminated: it leaves srv->by_call_id and is buried on the clock. */
int srv_call_over(const srv_call *c);
/* Shutdown: BYE or 503 as sipspec_server_shutdown() says. */
void srv_call_shutdown(srv_call *c);
void srv_call_free(srv_call *c);
/* The next hop of c's BYE is known (server_route.c): build it through the dialog, send it. */
void srv_call_route_ready(srv_call *c);
/* Feeds event ev (no request) to c's chart, after the current one when it is busy. */
void srv_call_post_event(srv_call *c, int ev);

/* server_call_out.c */
/* The dialog's send_ack and send_request callbacks (user: the call): the ACK of a 2xx to
 * our re-INVITE, our BYE and our refresh, to the next hop worked out before. */
void srv_call_dlg_send_ack(sipspec_dialog *d, const char *ack, size_t len, const char *next_hop, void *user);
void srv_call_dlg_send_request(sipspec_dialog *d, const sipspec_request_fields *req, const char *next_hop, void *user);
/* Our refresh's transaction is ours no more (its callbacks cleared). */
void srv_call_detach_refresh(srv_call *c);

/* server_route.c */
/* 1 when the INVITE's top Via names another address than src, the one it came from (what
 * makes a server add received/rport, RFC 3261 18.2.1, RFC 3581 4): a client behind a NAT. */
int srv_route_behind_nat(const sipspec_msg *invite, const sipspec_sockaddr *src);
/* The calls' timer kind (srv->call_kind) from the server's options, once; fire feeds a call. */
int srv_call_kind_init(sipspec_server *srv, host_timers_fire_fn fire);
/* Works out where the next request of c's dialog goes into c->ext->bye_kind / bye_dest (the
 * rules are in sipspec/server.h) and calls srv_call_route_ready(c) once they are set:
 * before returning for an IP literal or the flow, from a later loop iteration when a name
 * is resolved (c->ext->query is set meanwhile). */
void srv_route_next_hop(srv_call *c);
/* Where a session refresh of c goes, at once (c->ext->req_kind, req_dest): the next hop as
 * above when it is the flow or an IP literal; a name (which would need the resolver) and
 * anything else that cannot be used: the flow. */
void srv_route_refresh(srv_call *c);
/* Drops a pending resolution of c (srv_call_route_ready will not run). */
void srv_route_cancel(srv_call *c);
/* The Via value without branch ("SIP/2.0/UDP 127.0.0.1:5060;rport") for a request over
 * kind to dest, from the address the layer's transport sends from. */
int srv_route_via(sipspec_server *srv, sipspec_tp_kind kind, const sipspec_sockaddr *dest, char *out,
                  size_t cap);

/* server_auth.c */
int srv_auth_create(sipspec_server *srv, char *err, size_t errlen);
/* 0 when the request may go on (authenticated, or no auth configured); otherwise the
 * status it was answered with (401/407 challenge, 400, 500). */
int srv_auth_check(sipspec_server *srv, sipspec_tsx *t, const sipspec_msg *req);

/* server_call_answer.c: the answer, the Contact and the session timer a call grants */
/* *dst replaced by a formatted string kept at its size (fmt NULL: freed, NULL). */
void srv_strf(char **dst, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Our Contact URI on the transport of c's flow (contact_host / contact_port when set). */
const char *srv_call_our_contact(const srv_call *c, char *out, size_t cap);
/* The same, kept by the server (srv->contact_uri) for as long as it lives. */
const char *srv_call_shared_contact(srv_call *c);
int srv_call_offer_check(sipspec_server *srv, sipspec_tsx *t, const sipspec_msg *req);
/* The answer to req's offer (our o= version next): the offer kept in c, the answer into
 * *answer (malloc'd, NUL-terminated), *len; the answer sipspec_server_call_sdp() lent
 * before is freed (answered again). 0, or the status answered (488 with a Warning, 500). */
int srv_call_make_answer(srv_call *c, sipspec_tsx *t, const sipspec_msg *req, char **answer, size_t *len);
/* Our last answer written again (the same text: the answer depends only on the offer kept,
 * the configuration, the session id, the o= version and the RTP port), malloc'd and
 * NUL-terminated, *len its length; NULL when there is none or without memory. */
char *srv_call_answer_again(srv_call *c, size_t *len);
/* The offer c answered last (NUL-terminated), *len its length; NULL before any. */
const char *srv_call_offer(const srv_call *c, size_t *len);
/* The MRCP session id of c's channels, NUL-terminated. */
const char *srv_call_session_id(const srv_call *c, char out[33]);
/* c->ext, allocated when c has none; NULL without memory. */
srv_call_ext *srv_call_ext_get(srv_call *c);
char *srv_call_response_headers(srv_call *c, const sipspec_msg *req, int with_sdp);
/* The setup part of c for INVITE req (its headers written: srv_call_response_headers(), the
 * 180s' a prefix of the 2xx's), or NULL without memory or when they cannot be written. */
srv_call_setup *srv_call_setup_new(srv_call *c, const sipspec_msg *req);
/* Writes "Require: timer" and the Session-Expires our 2xx grants (RFC 4028 9), from the
 * interval and refresher c has; nothing when it has none. Returns b's error. */
int srv_call_timer_lines(sipspec_build *b, const srv_call *c);
/* Writes our BYE's Reason (RFC 3326) into c->ext->bye_extra (NULL when it cannot be written). */
void srv_call_bye_reason(srv_call *c, unsigned cause, const char *text);
/* The final response to the INVITE is out: the setup part (the header lines of its 180s
 * and of its final response, the answer unless sipspec_server_call_sdp() took it) is freed
 * (a held dialog keeps only what later requests need). */
void srv_call_drop_setup(srv_call *c);
unsigned srv_call_min_se(const sipspec_server *srv);
int srv_call_supports_timer(const sipspec_msg *req);
int srv_call_lists_update(const sipspec_msg *m);
int srv_call_interval_too_small(sipspec_server *srv, sipspec_tsx *t, const sipspec_msg *req);
int srv_call_timer_grant(srv_call *c, const sipspec_msg *req, int initial);

#endif
