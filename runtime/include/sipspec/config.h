/* sipspec/config.h: the per-user-agent configuration (SIP timers, transport choice) and the
 * one call that overrides it from MRCP_SIP_* environment variables.
 *
 * Why a struct and not globals: every stack instance carries its own timers, so two user
 * agents in one process can run with different values. Fill defaults with
 * sipspec_config_init(), then apply sipspec_config_from_env(). A bad value is never replaced
 * by a silent default: the call fails and writes a sentence naming the variable and the
 * value into the caller's buffer.
 */
#ifndef SIPSPEC_CONFIG_H
#define SIPSPEC_CONFIG_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif
#pragma GCC visibility push(default) /* what this header declares is the library's API */

/* Transport kinds. Explicit numbers: they index tables elsewhere. */
typedef enum sipspec_tp_kind {
  SIPSPEC_TP_UDP = 0,
  SIPSPEC_TP_TCP = 1,
  SIPSPEC_TP_TLS = 2
} sipspec_tp_kind;

/* "udp", "tcp", "tls"; "?" for a value outside the enum. */
const char *sipspec_tp_kind_name(sipspec_tp_kind kind);

/* Longest error sentence the config and transport setup calls write (Redis ANET_ERR_LEN). */
#define SIPSPEC_ERR_LEN 256

/* Defaults (RFC 3261 17.1.1.1 and Table 4; 18.1.1 for the UDP size limit). */
#define SIPSPEC_DEFAULT_T1_MS 500u
#define SIPSPEC_DEFAULT_T2_MS 4000u
#define SIPSPEC_DEFAULT_T4_MS 5000u
#define SIPSPEC_DEFAULT_INVITE_MAX_RETRANS 7u
#define SIPSPEC_DEFAULT_UDP_MAX_SIZE 1300u
#define SIPSPEC_DEFAULT_SESSION_EXPIRES 1800u
#define SIPSPEC_DEFAULT_MIN_SE 90u
/* Limits on what peers send (docs/limits.md). The first three are sipspec_msg_limits'
 * defaults; 0 for connections and transactions means no limit. */
#define SIPSPEC_DEFAULT_MAX_MESSAGE_SIZE 65535u
#define SIPSPEC_DEFAULT_MAX_HEADERS 128u
#define SIPSPEC_DEFAULT_MAX_HEADER_LENGTH 8192u
#define SIPSPEC_DEFAULT_MAX_CONNECTIONS 0u
#define SIPSPEC_DEFAULT_MAX_TRANSACTIONS 0u
#define SIPSPEC_DEFAULT_IDLE_TIMEOUT_MS 0u
#define SIPSPEC_DEFAULT_MESSAGE_TIMEOUT_MS 32000u
#define SIPSPEC_DEFAULT_RETRY_AFTER_S 5u
/* Upper bound accepted for any millisecond value (one hour). */
#define SIPSPEC_CONFIG_MAX_MS 3600000u
/* Upper bound for MRCP_SIP_INVITE_MAX_RETRANS: 2^20 * T1 backoff is already absurd. */
#define SIPSPEC_CONFIG_MAX_RETRANS 20u

typedef struct sipspec_config {
  sipspec_tp_kind transport;   /* MRCP_SIP_TRANSPORT: udp | tcp | tls (sipspec/tls.h) */
  unsigned t1_ms;              /* MRCP_SIP_RETRANS_T1_MS: RTT estimate, Timer A start (500) */
  unsigned t2_ms;              /* MRCP_SIP_RETRANS_T2_MS: retransmit interval cap (4000), >= T1 */
  unsigned t4_ms;              /* MRCP_SIP_RETRANS_T4_MS: max message lifetime (5000) */
  /* MRCP_SIP_INVITE_MAX_RETRANS (7): how many times Timer A may fire before the INVITE
   * client transaction gives up. With T1 doubling, Timer A fires at T1, 3T1, 7T1, 15T1,
   * 31T1, 63T1 and 127T1; Timer B (64*T1) ends the transaction first under the default
   * T1, so 7 is "never cut short before Timer B". A smaller value gives up earlier. */
  unsigned invite_max_retrans;
  int transport_explicit;      /* 1: MRCP_SIP_TRANSPORT (or the caller) chose the transport;
                                * 0: the default, and RFC 3263 4.1 may choose another */
  int dns_srv;                 /* MRCP_SIP_DNS_SRV: 1: NAPTR and SRV (RFC 3263); 0: A/AAAA only (0) */
  char dns_servers[256];       /* MRCP_SIP_DNS_SERVERS: "HOST[:PORT],..."; "": the system's;
                                * "none": no DNS, the hosts file only */
  unsigned udp_max_size;       /* MRCP_SIP_UDP_MAX_SIZE: bigger requests go over TCP (1300) */
  int tcp_enabled;             /* 1: a too-big message may switch to TCP (RFC 3261 18.1.1) */
  /* MRCP_SIP_SESSION_EXPIRES (1800): the session interval the INVITE asks for (RFC 4028), 0:
   * ask for none (Supported: timer all the same). MRCP_SIP_MIN_SE (90): the Min-SE sent;
   * RFC 4028 5 says at least 90 s, lower values are for tests. Session-Expires >= Min-SE. */
  unsigned session_expires_s;
  unsigned min_se_s;
  unsigned keepalive_ms;       /* MRCP_SIP_KEEPALIVE_MS: RFC 5626 4.4.1 CRLF ping on idle TCP/TLS
                                * connections we opened; 0 (default): none */
  /* Limits on what peers send (docs/limits.md). A received message over one of the first
   * three is answered 513 Message Too Large (RFC 3261 21.5.14) when it is a request whose
   * headers can be read (UDP), else dropped, or its stream connection closed; counted in
   * sipMessagesTooLarge. */
  unsigned max_message_size;   /* MRCP_SIP_MAX_MESSAGE_SIZE: head and body, bytes (65535) */
  unsigned max_headers;        /* MRCP_SIP_MAX_HEADERS: header lines (128) */
  unsigned max_header_length;  /* MRCP_SIP_MAX_HEADER_LENGTH: one header line, bytes (8192) */
  unsigned max_connections;    /* MRCP_SIP_MAX_CONNECTIONS: stream connections accepted and open
                                * at once per listening transport; more are closed at once
                                * (sipConnectionsRefused); 0 (default): no limit */
  unsigned max_transactions;   /* MRCP_SIP_MAX_TRANSACTIONS: live transactions; a new request
                                * beyond it is answered 503 with Retry-After
                                * (sipTransactionsRefused); 0 (default): no limit */
  unsigned retry_after_s;      /* MRCP_SIP_RETRY_AFTER_S: the Retry-After of those 503s (5) */
  unsigned idle_timeout_ms;    /* MRCP_SIP_IDLE_TIMEOUT_MS: an accepted TCP/TLS connection with no
                                * message for this long and no transaction is closed
                                * (sipIdleClosed); 0 (default): never */
  unsigned message_timeout_ms; /* MRCP_SIP_MESSAGE_TIMEOUT_MS: a message must arrive whole this
                                * long after its first byte on a TCP/TLS connection, else the
                                * connection is closed (sipSlowClosed; 32000) */
} sipspec_config;

/* Fills *cfg with the defaults above. */
void sipspec_config_init(sipspec_config *cfg);

/* A getenv-like lookup: returns the value of `name` or NULL when unset. The returned
 * string only needs to live until the lookup is called again. */
typedef const char *(*sipspec_getenv_fn)(const char *name, void *arg);

/* Overrides *cfg from the MRCP_SIP_* variables that are set. lookup == NULL means the
 * process environment (getenv). Unset variables keep the value already in *cfg.
 * Returns SIPSPEC_OK, or SIPSPEC_E_CONFIG (bad value) with a sentence like
 *   MRCP_SIP_RETRANS_T1_MS="12x": trailing characters after the number
 * in err (err may be NULL; errlen includes the terminating NUL). On error *cfg is left
 * exactly as it was: the call validates everything before it writes anything. */
int sipspec_config_from_env(sipspec_config *cfg, sipspec_getenv_fn lookup, void *arg,
                            char *err, size_t errlen);

#pragma GCC visibility pop
#ifdef __cplusplus
}
#endif
#endif
