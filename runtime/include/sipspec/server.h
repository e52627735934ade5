/* sipspec/server.h: an embedded user agent server that answers like an MRCPv2 server.
 *
 * It exists so that an MRCP client (and sipspec's own tests, demo and benchmarks) has a
 * peer without an outside server: it answers INVITE with an SDP answer made by
 * sipspec_mrcp_server_answer() (channel identifiers, its MRCP port, the codec and the
 * complementary direction), refuses offers it cannot serve with 488 and a Warning header
 * (RFC 3261 20.43), accepts re-INVITEs that add or remove resources, answers ACK, BYE,
 * CANCEL (487 for the INVITE) and OPTIONS, says 481 to requests for dialogs it does not
 * know, and can demand Digest credentials (401, or 407 as a proxy would). Its dialogs run
 * on spec/dialog.rl, its transactions on spec/ist.rl and spec/nist.rl.
 *
 * A few knobs make it misbehave on purpose (ring many times, reject, answer late, send BYE
 * itself, answer BYE with an error) so that tests and `sipspec serve` can play the peers a
 * client meets.
 *
 * Same rules as sipspec/ua.h: the caller's loop, no threads, no globals; the server is owned
 * by the caller and destroyed with sipspec_server_destroy() (not from its callbacks).
 */
#ifndef SIPSPEC_SERVER_H
#define SIPSPEC_SERVER_H

#include <ev.h>
#include <stddef.h>
#include <stdint.h>

#include "sipspec/config.h"
#include "sipspec/mrcp_sdp.h"
#include "sipspec/telemetry.h"
#include "sipspec/transport.h"
#include "sipspec/ua.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sipspec_server sipspec_server;

/* What happened to one of the server's dialogs, for applications that log it. */
typedef enum sipspec_server_event {
  SIPSPEC_SERVER_INVITED = 1,     /* an INVITE arrived (status: what we answer) */
  SIPSPEC_SERVER_ESTABLISHED = 2, /* the ACK for our 2xx arrived */
  SIPSPEC_SERVER_UPDATED = 3,     /* a re-INVITE was answered */
  SIPSPEC_SERVER_ENDED = 4,       /* the dialog ended (BYE either way, CANCEL, no ACK) */
  SIPSPEC_SERVER_REFUSED = 5      /* answered with a failure (488, 401/407, knob) */
} sipspec_server_event;

typedef struct sipspec_server_opts {
  sipspec_config cfg;            /* timers; cfg.transport is the listening transport */
  const char *listen_host;       /* IP literal (required), e.g. "127.0.0.1" or "::1" */
  unsigned listen_port;          /* 0: ephemeral (read it back with sipspec_server_bound_addr) */
  /* Listen on both UDP and TCP (1, default) or only on cfg.transport (0). */
  int both_transports;
  sipspec_mrcp_server_config mrcp; /* the answers; mrcp.addr NULL: listen_host */
  const char *user_agent;        /* Server header; default "sipspec/<version>" */

  /* Digest (RFC 3261 22): when auth_user is set, every INVITE and BYE must carry valid
   * credentials, challenged with 401 (or 407 when auth_proxy). */
  const char *auth_user;
  const char *auth_password;
  const char *auth_realm;        /* default "sipspec" */
  int auth_proxy;
  sipspec_digest_alg auth_algs[6]; /* offered algorithms; n 0: the digest module's default */
  size_t auth_nalgs;
  unsigned auth_qop_mask;        /* 0: the default (auth) */

  /* Behaviour knobs (defaults: a well-behaved MRCP server). */
  unsigned ring_count;           /* 180 Ringing responses before the final one (default 1) */
  unsigned ring_interval_ms;     /* between 180s and before the final response (default 0) */
  int reject_status;             /* 0: answer; 300..699: reject every INVITE with it */
  unsigned bye_after_ms;         /* 0: never; else send BYE this long after the ACK */
  int bye_status;                /* the status answered to BYE (default 200; e.g. 481) */
  int drop_bye;                  /* 1: never answer BYE (the client's Timer F runs out) */
  int answer_cancel;             /* 1 (default): answer CANCEL 200 and the INVITE 487 */

  void (*on_event)(sipspec_server *srv, sipspec_server_event ev, const char *call_id, int status,
                   void *user);
  void *user;
  sipspec_trace_fn trace;        /* NULL: no trace */
  void *trace_user;
} sipspec_server_opts;

/* Defaults as listed above, sipspec_config_init(), sipspec_mrcp_server_config_init() with
 * MRCP port 1544 and RTP port 4000 (RFC 6787's examples). */
void sipspec_server_opts_init(sipspec_server_opts *o);

/* Creates the server on loop and starts listening. SIPSPEC_E_INVAL (bad options, with a
 * sentence in err), SIPSPEC_E_BIND / SIPSPEC_E_LISTEN, SIPSPEC_E_TLS_UNAVAILABLE. */
int sipspec_server_create(struct ev_loop *loop, const sipspec_server_opts *o, sipspec_server **out,
                          char *err, size_t errlen);
/* Frees everything at once (nothing is sent). */
void sipspec_server_destroy(sipspec_server *srv);
/* Sends BYE on every established dialog and answers 503 to new INVITEs; *done becomes 1
 * after all dialogs have ended (or their BYEs timed out). For SIGTERM handling. */
void sipspec_server_shutdown(sipspec_server *srv);
int sipspec_server_idle(const sipspec_server *srv); /* 1: no dialog or transaction left */

int sipspec_server_bound_addr(const sipspec_server *srv, sipspec_tp_kind kind, sipspec_sockaddr *out);

/* Counters from the server's side. */
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
const sipspec_telemetry *sipspec_server_telemetry(const sipspec_server *srv);

#ifdef __cplusplus
}
#endif
#endif
