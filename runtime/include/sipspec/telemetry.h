/* sipspec/telemetry.h: counters kept per user agent, readable as a struct and as JSON.
 *
 * The field names are the roadmap's camelCase names and are also the JSON keys, so a
 * dashboard reads the same words in C and in JSON. The struct is plain data owned by the
 * caller (usually embedded in the user agent); the library only increments it.
 */
#ifndef SIPSPEC_TELEMETRY_H
#define SIPSPEC_TELEMETRY_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif
#pragma GCC visibility push(default) /* what this header declares is the library's API */

/* X(field): every counter, in JSON order. Adding a counter here adds it everywhere. */
#define SIPSPEC_TELEMETRY_FIELDS(X) \
  X(sipProvisional)      /* 1xx responses received */                          \
  X(sipInviteTimeouts)   /* INVITE transactions ended by Timer B */            \
  X(sipError4xx)         /* final 4xx other than 401/407 */                    \
  X(sipError5xx)         /* final 5xx */                                       \
  X(sipError6xx)         /* final 6xx */                                       \
  X(sipAuthChallenges)   /* 401 / 407 challenges */                            \
  X(sipByeSent)          /* BYE requests sent */                               \
  X(sipByeAcksMissing)   /* BYE transactions that got no final response */     \
  X(sipRetransmissions)  /* requests and responses retransmitted */            \
  X(sipTransportErrors)  /* transport errors reported to a transaction */      \
  X(sessionsStarted)     /* sessions for which an INVITE was sent */           \
  X(sessionsEstablished) /* sessions that reached a confirmed dialog */        \
  X(sessionsFailed)      /* sessions that ended without being established */      \
  X(sipSessionRefreshes) /* session refreshes that moved the expiration (RFC 4028) */ \
  X(sipSessionExpired)   /* sessions ended because the peer did not refresh */     \
  X(sipDnsQueries)       /* DNS queries sent (the hosts file and the cache are not queries) */ \
  X(sipDnsFailures)      /* DNS queries the servers failed or did not answer */ \
  X(sipFailovers)        /* INVITEs sent again to the next target (RFC 3263 4.3) */ \
  X(sipTlsHandshakes)    /* TLS handshakes completed (either side) */          \
  X(sipTlsFailures)      /* TLS handshakes failed or timed out, checks refused */ \
  X(sipKeepaliveTimeouts) /* stream connections closed for want of a pong (RFC 5626) */ \
  X(rtcpPacketsLost)     /* RFC 3550 A.3 cumulative loss of the received audio (0 when negative) */ \
  X(rtcpFractionLost)    /* A.3 fraction lost in the last RTCP interval, in 1/256 */ \
  X(rtcpJitterMs)        /* A.8 interarrival jitter at the last report, ms */ \
  X(rtcpRttMs)           /* §6.4.1 round-trip time, ms (0 while unknown) */ \
  X(rtpPacketsSent)      /* RTP packets sent */ \
  X(rtpPacketsReceived)  /* RTP packets received from the negotiated source */ \
  X(sipMessagesTooLarge) /* received messages over a size, header-count or header-length limit */ \
  X(sipConnectionsRefused) /* stream connections accepted and closed beyond MRCP_SIP_MAX_CONNECTIONS */ \
  X(sipTransactionsRefused) /* requests answered 503 beyond MRCP_SIP_MAX_TRANSACTIONS */ \
  X(sipIdleClosed)       /* accepted stream connections closed after MRCP_SIP_IDLE_TIMEOUT_MS */ \
  X(sipSlowClosed)       /* stream connections closed: a message not whole within MRCP_SIP_MESSAGE_TIMEOUT_MS */

typedef struct sipspec_telemetry {
#define SIPSPEC_TELEMETRY_FIELD_(f) uint64_t f;
  SIPSPEC_TELEMETRY_FIELDS(SIPSPEC_TELEMETRY_FIELD_)
#undef SIPSPEC_TELEMETRY_FIELD_
} sipspec_telemetry;

/* Zeroes every counter. */
void sipspec_telemetry_init(sipspec_telemetry *t);

/* Counts a received response status into its counter: 100-199 -> sipProvisional,
 * 401 and 407 -> sipAuthChallenges, other 400-499 -> sipError4xx, 500-599 -> sipError5xx,
 * 600-699 -> sipError6xx. 2xx and 3xx have no counter. Returns the JSON key of the counter
 * it incremented, or NULL when none (2xx, 3xx, or a code outside 100..699). */
const char *sipspec_telemetry_count_status(sipspec_telemetry *t, int status);

/* Writes the counters as one JSON object, e.g. {"sipProvisional":3,...}, into buf like
 * snprintf: always NUL-terminated when buflen > 0, returns the length the full text needs
 * (excluding the NUL), so a return >= buflen means it was cut. */
size_t sipspec_telemetry_to_json(const sipspec_telemetry *t, char *buf, size_t buflen);

/* Same JSON text written to a stdio stream, followed by no newline. Returns SIPSPEC_OK or
 * SIPSPEC_E_IO. */
int sipspec_telemetry_write_json(const sipspec_telemetry *t, FILE *out);

#pragma GCC visibility pop
#ifdef __cplusplus
}
#endif
#endif
