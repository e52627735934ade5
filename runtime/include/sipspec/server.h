/* sipspec/server.h: an embedded user agent server that answers like an MRCPv2 server.
 *
 * It exists so that an MRCP client (and sipspec's own tests, demo and benchmarks) has a
 * peer without an outside server: it answers INVITE with an SDP answer made by
 * sipspec_mrcp_server_answer() (channel identifiers, its MRCP port, the codec and the
 * complementary direction), refuses offers it cannot serve with 488 and a Warning header
 * (RFC 3261 20.43), accepts re-INVITEs that add or remove resources, answers ACK, BYE,
 * CANCEL (487 for the INVITE) and OPTIONS, says 481 to requests for dialogs it does not
 * know, and can demand Digest credentials (401, or 407 as a proxy would). Its dialogs are
 * the dialog layer's (spec/dialog.rl), its transactions run on spec/ist.rl and spec/nist.rl.
 *
 * A few knobs make it misbehave on purpose (ring many times, reject, answer late, send BYE
 * itself, answer BYE with an error) so that tests and `sipspec serve` can play the peers a
 * client meets.
 *
 * Same rules as sipspec/ua.h: the caller's loop, no threads, no globals; the server is owned
 * by the caller and destroyed with sipspec_server_destroy() (not from its callbacks).
 *
 * Behaviour in detail (RFC 3261 sections 8.2, 12, 13.3, 14.2, 15, 22):
 *   - Requests are checked in the order of 8.2: method (405 with Allow for anything but
 *     INVITE, ACK, BYE, CANCEL, OPTIONS), Require (420 with Unsupported: no extension is
 *     supported), the dialog (481 for a request with a To tag that matches no dialog),
 *     credentials (INVITE and BYE, when auth_user is set), then the body (415 with Accept
 *     for a body that is not application/sdp, 488 with a Warning for an INVITE without
 *     one or with an offer sipspec_mrcp_server_answer() refuses).
 *   - Digest (22.1-22.4): a request without credentials, with an unknown or replayed nonce,
 *     or whose credentials are wrong gets a fresh challenge (401, or 407 with auth_proxy);
 *     RFC 3261 22 has the server challenge again and the client stop re-trying credentials
 *     that were just rejected, so a wrong password is a second challenge, not a 403. That
 *     challenge carries a Warning (399) saying why the credentials were refused (never the
 *     password). A right answer with an expired nonce gets a challenge with stale=true;
 *     unreadable credentials get 400 with a Warning.
 *   - The 2xx to an INVITE is sent again T1, 2T1, 4T1 ... (capped at T2) apart, over every
 *     transport, until its ACK arrives (13.3.1.4); without an ACK after 64*T1 the dialog is
 *     ended with a BYE.
 *   - Record-Route (12.1.1): the responses that form or confirm a dialog (the 180s, which
 *     carry our To tag, and the 2xx with its retransmissions) carry every Record-Route line
 *     of the INVITE, as written and in order, so that the client's ACK and BYE go through
 *     the proxies that asked for it. The 2xx to a re-INVITE carries the re-INVITE's own
 *     (RFC 3261 20.30 lists Record-Route in 2xx and 18x; 16.6 step 4), which changes no
 *     route set (12.2). Other responses carry none.
 *   - Dialogs (12, 15): each one is the dialog layer's UAS dialog, the same code and chart
 *     (spec/dialog.rl) the client's sessions use. In-dialog requests with a CSeq lower than
 *     the last one get 500 with a Warning (12.2.2); a BYE in an early dialog (15.1.1) gets
 *     200 and the INVITE still pending 487 (15.2; two transactions, so the 487 may reach
 *     the client first). The server's BYE (bye_after_ms, shutdown, 64*T1 without an ACK)
 *     has the remote target (the INVITE's Contact) as Request-URI, the INVITE's
 *     Record-Route as Route headers, CSeq one above the last one we sent (starting at 1),
 *     and goes to the next hop of 12.2.1.1 / 8.1.2: the first route, else the remote
 *     target, turned into a transport and an address as RFC 3263 4 does without
 *     NAPTR/SRV (transport parameter udp/tcp, else UDP; port, else 5060; a name through
 *     the resolver with hosts_path).
 *     Clients behind a NAT: their Contact names an address the server cannot reach. When
 *     the INVITE's top Via sent-by is not the address it came from (the case of
 *     received/rport, RFC 3261 18.2.1 and RFC 3581) and no proxy Record-Routed the dialog,
 *     the BYE goes back over the flow the INVITE came in on: its transport and source
 *     address, the same connection for TCP, as responses do (18.2.2) and as RFC 5626 does
 *     for requests toward a flow. The flow is also the fallback when the next hop cannot
 *     be used (a name that does not resolve, sips:, a transport not listened on). A TCP
 *     client whose Via names its listening port rather than the connection's port is
 *     seen the same way, so its BYE reuses its connection.
 *   - Each dialog's MRCP channel identifiers are "<session id>@<resource>" with a session
 *     id drawn per dialog (unless mrcp.session_id is set); a re-INVITE keeps them and the
 *     o= version goes up by one per answer (RFC 3264 section 8).
 */
#ifndef SIPSPEC_SERVER_H
#define SIPSPEC_SERVER_H

#include <ev.h>
#include <stddef.h>
#include <stdint.h>

#include "sipspec/config.h"
#include "sipspec/digest.h"
#include "sipspec/mrcp_sdp.h"
#include "sipspec/telemetry.h"
#include "sipspec/tls.h"
#include "sipspec/transport.h"
#include "sipspec/ua.h"

#ifdef __cplusplus
extern "C" {
#endif
#pragma GCC visibility push(default) /* what this header declares is the library's API */

typedef struct sipspec_server sipspec_server;

/* What happened to one of the server's dialogs, for applications that log it. */
typedef enum sipspec_server_event {
  SIPSPEC_SERVER_INVITED = 1,     /* an INVITE arrived (status: what we answer) */
  SIPSPEC_SERVER_ESTABLISHED = 2, /* the ACK for our 2xx arrived */
  SIPSPEC_SERVER_UPDATED = 3,     /* a re-INVITE was answered */
  SIPSPEC_SERVER_ENDED = 4,       /* the dialog ended (BYE either way, CANCEL, no ACK) */
  SIPSPEC_SERVER_REFUSED = 5      /* answered with a failure (488, 401/407, knob) */
} sipspec_server_event;

/* "invited", "established", "updated", "ended", "refused"; "?" for other values. */
const char *sipspec_server_event_name(sipspec_server_event ev);

typedef struct sipspec_server_opts {
  sipspec_config cfg;            /* timers; cfg.transport is the listening transport */
  const char *listen_host;       /* IP literal (required), e.g. "127.0.0.1" or "::1" */
  unsigned listen_port;          /* 0: ephemeral (read it back with sipspec_server_bound_addr) */
  /* Listen on both UDP and TCP (1, default) or only on cfg.transport (0). */
  int both_transports;
  /* TLS (sipspec/tls.h): with tls.cert_file and tls.key_file the server listens on TLS too,
   * on tls_port (0: ephemeral); tls.require_client_cert refuses clients without a
   * certificate that tls.ca_file / ca_dir / the system store verifies. */
  sipspec_tls_config tls;
  unsigned tls_port;
  sipspec_mrcp_server_config mrcp; /* the answers; mrcp.addr NULL: listen_host */
  const char *user_agent;        /* Server header (User-Agent in our BYE); default
                                  * "sipspec/<version>" */
  const char *hosts_path;        /* names in the next hops of our BYEs are looked up here
                                  * (sipspec/resolver.h); NULL: /etc/hosts. Read once at
                                  * creation, not kept. */
  /* Where the server says it is reached in its Contact (and so where the client's ACK,
   * BYE and re-INVITEs go, RFC 3261 12.1.1, 12.2.1.1) when that is not the listening
   * address: a server behind a relay, a NAT or a load balancer. contact_host NULL: the
   * listening address (listen_host); otherwise an IP literal ("::1" is written [::1]) or
   * a host name, at most 64 characters of letters, digits, '-', '.', ':' and '_'.
   * contact_port 0: the port of the transport the INVITE came on; otherwise 1..65535.
   * The transport parameter stays the one the INVITE came over. Our own BYE's Via still
   * names the listening address (it is where responses reach us). */
  const char *contact_host;
  unsigned contact_port;

  /* Digest (RFC 3261 22): when auth_user is set, every INVITE and BYE must carry valid
   * credentials, challenged with 401 (or 407 when auth_proxy). */
  const char *auth_user;
  const char *auth_password;
  const char *auth_realm;        /* default "sipspec" */
  int auth_proxy;
  sipspec_digest_alg auth_algs[6]; /* offered algorithms; n 0: the digest module's default */
  size_t auth_nalgs;
  unsigned auth_qop_mask;        /* 0: the default (auth) */
  unsigned auth_nonce_lifetime_ms; /* 0: the digest module's default (300 s); after it a
                                    * right answer is challenged again with stale=true */

  /* Behaviour knobs (defaults: a well-behaved MRCP server). */
  unsigned ring_count;           /* 180 Ringing responses before the final one (default 1) */
  unsigned ring_interval_ms;     /* between 180s and before the final response (default 0) */
  int reject_status;             /* 0: answer; 300..699: reject every INVITE with it
                                  * (after the 180s, in place of the 200) */
  unsigned reject_every;         /* with reject_status: 0 or 1, every INVITE; N > 1, only
                                  * the Nth, 2Nth ... INVITE accepted for an answer (a
                                  * server refusing a fixed share of calls, for load tests) */
  unsigned bye_after_ms;         /* 0: never; else send BYE this long after the ACK */
  int bye_status;                /* the status answered to BYE (default 200; e.g. 481) */
  int drop_bye;                  /* 1: never answer BYE (the client's Timer F runs out) */
  /* RFC 4028: 0 (default): no session timer of ours (a client's request is not honoured);
   * else the largest session interval (s) our 2xx grants a client that supports 'timer'
   * (its Session-Expires when smaller, never below its Min-SE). refresher_uas: who
   * refreshes when the client leaves it to us (0: the client, 1: the server, which then
   * sends an UPDATE without an offer at half the interval, or a re-INVITE with its SDP
   * unchanged when the client's Allow lacks UPDATE; RFC 4028 9, 10). When the client
   * refreshes and does not, the server sends BYE at SE - min(32 s, SE/3) with
   * Reason: SIP;cause=408 (RFC 4028 10). min_se_s: the smallest interval the server
   * accepts; a request asking for less is answered 422 with Min-SE (RFC 4028 9). 0: 90 s.
   * session_expires_s, when set, must not be below it. */
  unsigned session_expires_s;
  int refresher_uas;
  unsigned min_se_s;
  /* RTP ports of the answers' m=audio: 0 or 1 (default), every call gets mrcp.rtp_port;
   * N > 1, each call the lowest of mrcp.rtp_port, +2, ... +2(N-1) that no other live call
   * holds (kept for its re-INVITEs), so that an application running an RTP endpoint per
   * call (sipspec serve --media) can bind each one. */
  unsigned rtp_ports;
  int answer_cancel;             /* 1 (default): answer CANCEL 200 and the INVITE 487;
                                  * 0: answer CANCEL 200 but go on (ring, then 200), the
                                  * race of RFC 3261 9.1 a client must survive */

  void (*on_event)(sipspec_server *srv, sipspec_server_event ev, const char *call_id, int status,
                   void *user);
  void *user;
  sipspec_trace_fn trace;        /* NULL: no trace */
  void *trace_user;
  /* The clock every timer of the server runs on (sipspec/clock.h), e.g. a virtual one in
   * tests, and the one Digest nonces age on; it must outlive the server. NULL: libev's clock
   * of the loop. */
  struct sipspec_clock *clock;
} sipspec_server_opts;

/* Defaults as listed above, sipspec_config_init(), sipspec_mrcp_server_config_init() with
 * MRCP port 1544 and RTP port 4000 (RFC 6787's examples) and session_id NULL (one drawn
 * per dialog). */
void sipspec_server_opts_init(sipspec_server_opts *o);

/* Creates the server on loop and starts listening. SIPSPEC_E_INVAL (bad options, with a
 * sentence in err), SIPSPEC_E_BIND / SIPSPEC_E_LISTEN, SIPSPEC_E_TLS_UNAVAILABLE,
 * SIPSPEC_E_IO (hosts_path exists but cannot be read, named in err). Strings
 * in *o are copied; err may be NULL. */
int sipspec_server_create(struct ev_loop *loop, const sipspec_server_opts *o, sipspec_server **out,
                          char *err, size_t errlen);
/* Frees everything at once (nothing is sent). */
void sipspec_server_destroy(sipspec_server *srv);
/* Sends BYE on every established dialog (a dialog whose 2xx is not ACKed yet gets it when
 * the ACK comes or its 64*T1 run out), answers 503 to INVITEs still ringing and to new
 * ones; sipspec_server_idle() becomes 1 after all dialogs have ended and their
 * transactions are over (or their BYEs timed out). For SIGTERM handling. */
void sipspec_server_shutdown(sipspec_server *srv);
/* 1: no dialog and no transaction left (BYE transactions deliberately left unanswered by
 * drop_bye, which would wait forever, do not count). */
int sipspec_server_idle(const sipspec_server *srv);

int sipspec_server_bound_addr(const sipspec_server *srv, sipspec_tp_kind kind, sipspec_sockaddr *out);

/* Counters from the server's side. The telemetry (sipspec_server_telemetry) counts as in
 * sipspec/telemetry.h where it applies to a server: sipByeSent, sipByeAcksMissing,
 * sipRetransmissions (2xx sent again included), sipTransportErrors, the responses to the
 * server's BYEs, and sessionsStarted (INVITEs accepted for an answer after the checks and
 * credentials), sessionsEstablished (ACKed), sessionsFailed (accepted but never ACKed:
 * cancelled, rejected by reject_status, or no ACK within 64*T1). */
typedef struct sipspec_server_stats {
  uint64_t invites;        /* INVITEs received (not retransmissions) */
  uint64_t established;    /* dialogs confirmed by an ACK */
  uint64_t ended;          /* dialogs ended */
  uint64_t refused;        /* INVITEs answered with a failure */
  uint64_t challenges;     /* 401/407 sent */
  uint64_t byes_received;
  uint64_t byes_sent;
  uint64_t options;        /* OPTIONS answered */
  uint64_t no_dialog;      /* 481 for requests outside any dialog */
  uint64_t live_dialogs;   /* dialogs now */
} sipspec_server_stats;

void sipspec_server_stats_get(const sipspec_server *srv, sipspec_server_stats *out);

/* The SDP offer of a live call (by Call-ID; the first one when several dialogs share it) and
 * the answer the server made to it, as sent: for an application that runs the call's media
 * (the remote RTP address is the offer's, the local port the answer's m=audio). The texts
 * are the server's, valid until the call is answered again (re-INVITE) or ends: copy them,
 * e.g. from the on_event callback of SIPSPEC_SERVER_INVITED. SIPSPEC_E_NOTFOUND when no
 * live call has this Call-ID or has an answer yet. Any pointer may be NULL. A call keeps
 * the offer and writes its answer again when asked after the 2xx went out (the same text:
 * a held call does not keep it unless asked for it); SIPSPEC_E_NOMEM when it cannot. */
int sipspec_server_call_sdp(const sipspec_server *srv, const char *call_id, const char **offer, size_t *offer_len,
                            const char **answer, size_t *answer_len);
const sipspec_telemetry *sipspec_server_telemetry(const sipspec_server *srv);

#pragma GCC visibility pop
#ifdef __cplusplus
}
#endif
#endif
