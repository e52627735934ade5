/* sipspec/ua.h: the user agent and the MRCPv2 client session API.
 *
 * A sipspec_ua is one SIP user agent on the caller's libev loop: its configuration, its
 * transports, its transaction and dialog layers and its telemetry. An MRCPv2 client opens
 * sessions through it: sipspec_session_start() sends an INVITE carrying the SDP offer
 * (RFC 6787 section 4), reports provisional responses, the answer (parsed into channels,
 * MRCP endpoint, audio endpoint and codec) or the failure, keeps the session (OPTIONS
 * keep-alives, re-INVITE to add or remove a resource) and ends it (CANCEL while early, BYE
 * once confirmed). Each session runs on the generated chart spec/uac_session.rl, its
 * re-INVITEs on spec/uac_update.rl and its dialog on spec/dialog.rl. A re-INVITE from the server is answered without the
 * application: a session refresh (its SDP equal to the server's current one, same o=
 * version, RFC 3264 8) gets 200 with the client's current SDP, its control m-lines saying
 * a=connection:existing (the MRCP connection is kept, RFC 4145 5.1, RFC 6787 4.2; the o=
 * version one up when that changed it); anything else gets 488 with
 * a Warning (the client changes the session, RFC 6787 4.2). A 2xx from another fork is
 * ACKed and that fork's dialog ended with BYE (RFC 3261 13.2.2.4).
 *
 * Threads and the loop: no threads, no blocking call. Everything runs from the loop the
 * caller passes (sipspec never calls ev_run itself). No globals: several user agents may
 * live in one process and one loop.
 *
 * Ownership:
 *   - sipspec_ua: created by sipspec_ua_create(), owned by the caller, destroyed with
 *     sipspec_ua_destroy() (never from inside one of its callbacks). Destroying a user agent
 *     frees its sessions without any callback and without sending anything; end sessions
 *     first and run the loop until their on_terminated when a clean end matters.
 *   - sipspec_session: owned by its user agent. The handle is valid from
 *     sipspec_session_start() until its on_terminated callback returns (every session gets
 *     exactly one on_terminated, unless the user agent is destroyed first).
 *   - Strings and structs handed to callbacks are valid during the call only.
 *   - Strings in option structs are copied by the call that takes them.
 *
 * Errors: functions returning int return SIPSPEC_OK or a negative code from sipspec/error.h
 * (sipspec_errname() / sipspec_strerror() name them).
 */
#ifndef SIPSPEC_UA_H
#define SIPSPEC_UA_H

#include <ev.h>
#include <stddef.h>
#include <stdint.h>

#include "sipspec/config.h"
#include "sipspec/digest.h"
#include "sipspec/error.h"
#include "sipspec/mrcp_sdp.h"
#include "sipspec/telemetry.h"
#include "sipspec/tls.h"
#include "sipspec/transport.h"

#ifdef __cplusplus
extern "C" {
#endif
#pragma GCC visibility push(default) /* what this header declares is the library's API */

typedef struct sipspec_ua sipspec_ua;
typedef struct sipspec_session sipspec_session;

/* ---- the user agent ------------------------------------------------------------------- */

/* One message of the exchange, for applications that print or log it (`sipspec demo`).
 * dir is "send" or "recv"; data is the whole message. Credentials in it are the
 * Authorization header's digest response, never a password. The trace sits on the
 * transports, so it sees every message on the wire: retransmissions (ours and the peer's),
 * the ACKs and responses the transaction layer sends by itself (the 200 to a BYE, 100,
 * 481), and received messages the stack drops. */
typedef void (*sipspec_trace_fn)(void *user, const char *dir, sipspec_tp_kind kind,
                                 const sipspec_sockaddr *peer, const char *data, size_t len);

typedef struct sipspec_ua_opts {
  sipspec_config cfg;          /* timers and transport (sipspec_config_init + _from_env) */
  sipspec_tls_config tls;      /* TLS (cfg.transport tls or a sips: target): sipspec/tls.h */
  const char *bind_host;       /* IP literal to bind; NULL: "0.0.0.0" */
  unsigned bind_port;          /* 0: ephemeral */
  const char *from_user;       /* user part of From and Contact; default "sipspec" */
  const char *display_name;    /* From display name; NULL: none */
  const char *user_agent;      /* User-Agent header value; default "sipspec/<version>", the
                                  project version (the embedded server's Server header
                                  says the same) */
  /* Digest credentials (RFC 3261 22.2): used when not NULL / not empty. */
  sipspec_digest_client_config auth;
  sipspec_trace_fn trace;      /* NULL: no trace */
  void *trace_user;
  /* Added with the implementation: the hosts file the resolver reads target host names
   * from (sipspec/resolver.h); NULL: /etc/hosts. */
  const char *hosts_path;
  /* The clock every timer of the user agent runs on (sipspec/clock.h), e.g. a virtual one in
   * tests; it must outlive the user agent. NULL: libev's clock of the loop. */
  struct sipspec_clock *clock;
} sipspec_ua_opts;

/* Defaults: sipspec_config_init(), ephemeral bind on 0.0.0.0, from_user "sipspec", no
 * credentials (auth.max_challenges 2), no trace. */
void sipspec_ua_opts_init(sipspec_ua_opts *o);

/* Creates a user agent on loop and opens its transport (cfg.transport; UDP also opens TCP
 * when cfg.tcp_enabled so that big requests can switch, RFC 3261 18.1.1). Returns
 * SIPSPEC_OK, SIPSPEC_E_INVAL (bad options), SIPSPEC_E_CONFIG, SIPSPEC_E_TLS_UNAVAILABLE,
 * a transport error (SIPSPEC_E_BIND, ...) with a sentence in err (err may be NULL). */
int sipspec_ua_create(struct ev_loop *loop, const sipspec_ua_opts *o, sipspec_ua **out, char *err,
                      size_t errlen);
void sipspec_ua_destroy(sipspec_ua *ua);

/* The user agent's counters (sipspec/telemetry.h), live. */
const sipspec_telemetry *sipspec_ua_telemetry(const sipspec_ua *ua);
/* The address the user agent's transport of that kind is bound to. */
int sipspec_ua_bound_addr(const sipspec_ua *ua, sipspec_tp_kind kind, sipspec_sockaddr *out);
struct ev_loop *sipspec_ua_loop(const sipspec_ua *ua);
/* Sessions not yet terminated. */
size_t sipspec_ua_live_sessions(const sipspec_ua *ua);

/* ---- sessions ------------------------------------------------------------------------- */

/* How a session attempt ended. Explicit numbers; the names are the CLI's `result`. */
typedef enum sipspec_result {
  SIPSPEC_RESULT_OK = 0,              /* "ok": established (and later ended) */
  SIPSPEC_RESULT_REJECTED = 1,        /* "rejected": a final response 300..699 */
  SIPSPEC_RESULT_TIMEOUT = 2,         /* "timeout": Timer B, or no answer before the
                                         answer timer (then CANCELled) */
  SIPSPEC_RESULT_TRANSPORT_ERROR = 3, /* "transport-error": refused, reset, unreachable */
  SIPSPEC_RESULT_AUTH_FAILED = 4,     /* "auth-failed": credentials refused or missing */
  SIPSPEC_RESULT_CANCELLED = 5,       /* "cancelled": the application ended it while early */
  SIPSPEC_RESULT_BAD_ANSWER = 6,      /* "bad-answer": a 2xx whose SDP does not fit the
                                         offer (the session is ACKed and BYEd) */
  SIPSPEC_RESULT_TLS_FAILED = 7,      /* "tls-failed": the TLS handshake failed or the server's
                                         certificate failed a check (the reason says which) */
  SIPSPEC_RESULT_DNS_FAILED = 8       /* "dns-failed": the target's name has no address, or the
                                         DNS failed or did not answer (RFC 3263) */
} sipspec_result;

/* "ok", "rejected", "timeout", "transport-error", "auth-failed", "cancelled",
 * "bad-answer", "dns-failed"; "?" otherwise. */
const char *sipspec_result_name(sipspec_result r);

/* Who ended an established session. */
typedef enum sipspec_end_reason {
  SIPSPEC_END_NONE = 0,       /* never established (see the result) */
  SIPSPEC_END_LOCAL = 1,      /* we sent BYE */
  SIPSPEC_END_PEER = 2,       /* the peer sent BYE */
  SIPSPEC_END_ERROR = 3       /* 481/408, no response to an in-dialog request (12.2.1.2)
                                 or a transport error on one (17.1.4), or no ACK within
                                 64*T1 for our 2xx to the server's re-INVITE: we sent BYE
                                 (13.3.1.4) */
} sipspec_end_reason;

const char *sipspec_end_reason_name(sipspec_end_reason r); /* "none", "local", "peer", "error" */

/* What a final response said, for failures and for in-dialog requests. */
typedef struct sipspec_response_info {
  int status;                 /* 0 when there was no response (timeout, transport) */
  const char *reason;         /* reason phrase or a sentence saying what happened */
  const char *warning;        /* the Warning header's text (488 answers), or NULL */
} sipspec_response_info;

typedef struct sipspec_session_callbacks {
  /* A 1xx (other than 100) arrived. */
  void (*on_provisional)(sipspec_session *s, int status, const char *reason, void *user);
  /* The 2xx arrived and its SDP answer fits the offer; the session is established. answer
   * is the parsed MRCP answer (NULL when the session was started with an opaque offer),
   * valid during the callback (sipspec_session_answer() keeps one for later); sdp/sdp_len
   * the answer text. */
  void (*on_answered)(sipspec_session *s, const sipspec_mrcp_answer *answer, const char *sdp,
                      size_t sdp_len, void *user);
  /* The attempt failed before being established (result != OK); info says why. Followed
   * by on_terminated. */
  void (*on_failed)(sipspec_session *s, sipspec_result result, const sipspec_response_info *info,
                    void *user);
  /* A re-INVITE (add/remove resource) ended: status 2xx with the new state in answer (valid
   * during the callback), or a failure (the previous state stays, RFC 3261 14.1). */
  void (*on_updated)(sipspec_session *s, const sipspec_response_info *info,
                     const sipspec_mrcp_answer *answer, void *user);
  /* An OPTIONS keep-alive got its final response (status) or none (status 0). */
  void (*on_keepalive)(sipspec_session *s, const sipspec_response_info *info, void *user);
  /* Last callback: the session is over (by says who ended an established session). The
   * handle dies when it returns. */
  void (*on_terminated)(sipspec_session *s, sipspec_end_reason by, void *user);
  void *user;
} sipspec_session_callbacks;

typedef struct sipspec_session_opts {
  const char *target;         /* Request-URI: "sip:mresources@host:port" (required) */
  const char *to_display;     /* To display name (plain text, quoted when written), NULL: none */
  /* The offer: a typed MRCP description (its addr may be NULL: the local address toward
   * the target is used) ... */
  const sipspec_mrcp_offer_desc *offer;
  /* ... or opaque SDP text (used when offer is NULL; then on_answered gets answer NULL). */
  const char *sdp;
  size_t sdp_len;
  unsigned keepalive_ms;      /* OPTIONS in the dialog every keepalive_ms; 0: none */
  unsigned answer_timeout_ms; /* CANCEL when still ringing after this; 0: the chart's 180 s */
  const char *extra_headers;  /* "Name: value\r\n" lines added to the INVITE, or NULL */
  sipspec_session_callbacks cb;
} sipspec_session_opts;

void sipspec_session_opts_init(sipspec_session_opts *o);

/* Starts a session: resolves the target (never blocking), builds the offer and sends the
 * INVITE. SIPSPEC_E_INVAL for bad options (no target, a target that is not a SIP URI, no
 * offer), SIPSPEC_E_BUILD_* for extra_headers or a to_display the message builder refuses
 * (lines that are not "Name: value\r\n", a header name that is no token, a value its
 * header's rule refuses, CR/LF inside a value, Content-Length: sipspec_build_header_lines()
 * on a measuring builder names the header in its `what`), SIPSPEC_E_SDP_* when the offer
 * description is invalid, SIPSPEC_E_RESOLVE, or a
 * transport error; after an error nothing was sent and no callback comes. Later failures
 * arrive through on_failed.
 * Target hosts: an IP literal is used at once and the INVITE is sent before this returns;
 * a host name is looked up through the resolver and the INVITE goes out from a later loop
 * iteration (a name that is not found then ends the session with on_failed
 * transport-error, status 0, reason "cannot resolve the target: ..."). Over UDP, an
 * INVITE bigger than cfg.udp_max_size goes over TCP when TCP is open (RFC 3261 18.1.1).
 * A target's ;transport=tcp / ;transport=udp parameter overrides cfg.transport. */
int sipspec_session_start(sipspec_ua *ua, const sipspec_session_opts *o, sipspec_session **out);

/* Ends the session: CANCEL while early (or as soon as a provisional arrives, RFC 3261
 * 9.1), BYE once established. on_terminated follows (after the BYE's final response or its
 * timeout). A 401/407 to the BYE (a nonce gone stale, a realm the BYE had no credentials
 * for) sends it again with the digest client's credentials, CSeq + 1 and a new branch
 * (RFC 3261 22.2), within auth.max_challenges; without credentials, or when the client
 * gives up, the session ends all the same (local) with that status in
 * sipspec_session_status(). SIPSPEC_E_STATE when already ending or ended. */
int sipspec_session_end(sipspec_session *s);

/* Re-INVITE (RFC 6787 section 4): add a resource channel (a=connection:existing) or remove
 * one (port 0). Only in an established session with no re-INVITE pending, else
 * SIPSPEC_E_STATE; SIPSPEC_E_INVAL with an opaque offer. The result comes in on_updated.
 * These and sipspec_session_keepalive() may be called from anywhere, the session's own
 * callbacks included: from inside a callback the call is queued (SIPSPEC_OK, or
 * SIPSPEC_E_AGAIN when 8 calls already wait) and runs once the callbacks have returned, in
 * order; if the session refuses it by then, on_updated / on_keepalive report it with status
 * 0 and a reason saying why (nothing once the session is over: on_terminated says so).
 * sipspec_session_end() may be called from anywhere too (an end from inside a callback
 * waits in the chart's queue). A re-INVITE that
 * fails (a final response 300..699, none at all, or a 2xx whose answer does not fit) keeps
 * the negotiated state (sipspec_session_answer()) and forgets the change: the next offer
 * is built from the negotiated state again (RFC 3261 14.1). So does a call that returns an
 * error. A 491 is answered as RFC 3261 14.1 says: after a random 2.1 to 4 s the same offer
 * goes once more; a second 491 is the update's failure. */
int sipspec_session_add_resource(sipspec_session *s, sipspec_mrcp_resource r);
int sipspec_session_remove_resource(sipspec_session *s, sipspec_mrcp_resource r);

/* Sends one OPTIONS in the dialog now (the keep-alive does this periodically). */
int sipspec_session_keepalive(sipspec_session *s);

/* Inspection. */
sipspec_result sipspec_session_result(const sipspec_session *s);
/* The final status of the INVITE (the last one after auth retries), 0 when none; once a
 * BYE of ours got a final response, that response's status. */
int sipspec_session_status(const sipspec_session *s);
/* The i-th target the INVITE went to (RFC 3263 4.3: a 503, no response or a transport error
 * sends it to the next one), with why it was left ("" for the one in use). SIPSPEC_E_RANGE
 * past the last one tried, and for a target given as an IP literal (no list). */
int sipspec_session_target(const sipspec_session *s, unsigned i, sipspec_sockaddr *addr, sipspec_tp_kind *tp,
                           const char **left);
/* The reason phrase of the response sipspec_session_status() reports (e.g. "OK" in
 * on_answered), or a sentence saying what happened; "" when none. Valid until the next call
 * into the session or the end of on_terminated. */
const char *sipspec_session_reason(const sipspec_session *s);
/* Our BYE's outcome, once the session is over (from on_terminated on): the BYE's final
 * status (the last one after a challenge), 0 when it got none (Timer F, a transport error,
 * not even sent), -1 when we sent no BYE (never established, or the peer ended the
 * session) and before the end. reason (may be NULL) gets its reason phrase or a sentence
 * saying what happened ("" with -1), valid until on_terminated returns. Unlike
 * sipspec_session_status(), the INVITE's outcome is never mixed in. */
int sipspec_session_bye_status(const sipspec_session *s, const char **reason);
/* The negotiated MRCP state after on_answered / on_updated, NULL before (or opaque). Read
 * from the negotiated SDP on the first call (about 5 KB, not kept by sessions nobody asks);
 * the pointer stays valid, and follows later re-INVITEs, until the session is freed. */
const sipspec_mrcp_answer *sipspec_session_answer(const sipspec_session *s);
/* The session timer negotiated (RFC 4028): the session interval in seconds, 0 when none,
 * and in *refresher (may be NULL) who refreshes: "uac" (this client), "uas" (the server),
 * "" when none. Follows the last 2xx to a session refresh request and the server's refreshes. */
unsigned sipspec_session_expires(const sipspec_session *s, const char **refresher);
/* The chart state name ("Inviting", "Proceeding", "Established", ...). */
const char *sipspec_session_state_name(const sipspec_session *s);
const char *sipspec_session_call_id(const sipspec_session *s);
sipspec_ua *sipspec_session_ua(const sipspec_session *s);

#pragma GCC visibility pop
#ifdef __cplusplus
}
#endif
#endif
