/* sipspec/error.h: the one error space of the library.
 *
 * Every function that can fail returns an int: SIPSPEC_OK (0) or a negative code below.
 * Codes have explicit numbers that are never reused or renumbered (new codes take new
 * numbers in their owner's range), so the ABI stays stable. sipspec_errname() and
 * sipspec_strerror() are built from the same table as the enum, so they cannot drift;
 * an unknown code gives "SIPSPEC_E_UNKNOWN" / "unknown error", never a crash.
 *
 * Ranges: -1..-99 general, -100..-199 charts and generated machines, -200..-299 SIP
 * message parsing and building, -300..-399 configuration and transports, -400..-499
 * transactions, dialogs and sessions, -500..-599 authentication, -600..-699 SDP.
 */
#ifndef SIPSPEC_ERROR_H
#define SIPSPEC_ERROR_H

#ifdef __cplusplus
extern "C" {
#endif
#pragma GCC visibility push(default) /* what this header declares is the library's API */

#define SIPSPEC_ERRORS(X)                                                              \
  X(OK,                   0,   "success")                                              \
  X(E_NOMEM,             -1,   "out of memory")                                        \
  X(E_INVAL,             -2,   "invalid argument")                                     \
  X(E_RANGE,             -3,   "value out of range")                                   \
  X(E_IO,                -4,   "input/output error")                                   \
  X(E_NOTFOUND,          -5,   "not found")                                            \
  X(E_STATE,             -6,   "operation not allowed in the current state")           \
  X(E_UNSUPPORTED,       -7,   "not supported")                                        \
  X(E_TIMEOUT,           -8,   "timed out")                                            \
  X(E_AGAIN,             -9,   "try again later")                                      \
  /* charts (-100..-199) */                                                            \
  X(E_FSM_IGNORED,      -100,  "event ignored in this state, as the chart specifies")  \
  X(E_FSM_REFUSED,      -101,  "event refused in this state, as the chart specifies")  \
  X(E_FSM_TERMINATED,   -102,  "the machine has terminated")                           \
  X(E_FSM_BAD_EVENT,    -103,  "not an event of this chart's alphabet")                \
  /* SIP message parsing and building (-200..-299) */                                  \
  X(E_MSG_SYNTAX,       -200,  "malformed SIP message")                                \
  X(E_MSG_OVERSIZE,     -201,  "SIP message exceeds the size limit")                   \
  X(E_MSG_TOO_MANY_HEADERS, -202, "SIP message has too many headers or values")        \
  X(E_MSG_LINE_TOO_LONG, -203, "SIP header line exceeds the length limit")             \
  X(E_MSG_BODY_SHORT,   -204,  "body shorter than Content-Length")                     \
  X(E_MSG_NO_CONTENT_LENGTH, -205, "stream message without Content-Length")            \
  X(E_MSG_INCOMPLETE,   -206,  "SIP message ends before the end of its header")        \
  X(E_MSG_NOSPACE,      -207,  "output buffer too small for the SIP message")          \
  /* configuration and transports (-300..-399) */                                      \
  X(E_CONFIG,          -300,  "bad configuration value")                             \
  X(E_TLS_UNAVAILABLE, -301,  "TLS transport is not available (no TLS transport open)") \
  X(E_BIND,            -302,  "cannot bind the local address")                        \
  X(E_LISTEN,          -303,  "cannot listen on the local address")                   \
  X(E_SOCKET,          -304,  "cannot create or configure a socket")                  \
  X(E_CONN_REFUSED,    -305,  "connection refused by the peer")                       \
  X(E_CONN_RESET,      -306,  "connection reset by the peer")                         \
  X(E_CONN_TIMEOUT,    -307,  "connection attempt timed out")                         \
  X(E_CONN_CLOSED,     -308,  "connection closed by the peer")                        \
  X(E_CONNECT,         -309,  "cannot connect to the peer")                           \
  X(E_FRAMING,         -310,  "malformed data on a stream connection")                \
  X(E_MSG_TOO_BIG,     -311,  "message too big for the transport")                    \
  X(E_SEND,            -312,  "cannot send to the peer")                              \
  X(E_RESOLVE,         -313,  "host name not found")                                  \
  X(E_BAD_ADDRESS,     -314,  "not a valid address")                                  \
  X(E_TLS_UNTRUSTED,   -315,  "TLS: the peer's certificate is not signed by a trusted CA") \
  X(E_TLS_EXPIRED,     -316,  "TLS: the peer's certificate has expired or is not yet valid") \
  X(E_TLS_NAME,        -317,  "TLS: the peer's certificate is not for the name asked for") \
  X(E_TLS_PIN,         -318,  "TLS: no key of the peer's chain matches a pin")        \
  X(E_TLS_TIMEOUT,     -319,  "TLS: the handshake timed out")                         \
  X(E_TLS_PROTOCOL,    -320,  "TLS: no protocol version in common (TLS 1.2 at least)") \
  X(E_TLS_HANDSHAKE,   -321,  "TLS: the handshake failed")                            \
  X(E_TLS_CERT,        -322,  "TLS: a certificate, key or CA file cannot be used")    \
  X(E_TLS_VERIFY,      -323,  "TLS: the peer's certificate failed verification")      \
  X(E_KEEPALIVE,       -324,  "no pong to a keep-alive ping: the connection is dead")  \
  X(E_DNS,             -325,  "the DNS failed or did not answer")                     \
  X(E_MSG_TIMEOUT,     -330,  "a message did not arrive whole within the message timeout") \
  /* the message builder's typed fields (-340..-349) */                                 \
  X(E_BUILD_URI,       -340,  "builder: a URI its grammar refuses (Request-URI, From, To, Contact, Route)") \
  X(E_BUILD_TOKEN,     -341,  "builder: not a token (method, tag, branch, transport, header name)") \
  X(E_BUILD_CRLF,      -342,  "builder: CR, LF or NUL inside a header value or field")   \
  X(E_BUILD_VALUE,     -343,  "builder: a header value its grammar refuses")           \
  X(E_BUILD_FIELD,     -344,  "builder: a required field is missing or out of range") \
  /* transactions, dialogs, sessions (-400..-499) */                                   \
  X(E_TSX_EXISTS,       -400,  "a transaction with this branch and method already exists") \
  X(E_TSX_NO_BRANCH,    -401,  "top Via has no branch parameter")                      \
  X(E_TSX_NO_TRANSPORT, -402,  "no transport of that kind is open")                    \
  X(E_TSX_BAD_REQUEST,  -403,  "message cannot start a client transaction")            \
  /* authentication (-500..-599) */                                                    \
  X(E_AUTH_MALFORMED,   -500,  "malformed digest authentication parameters")          \
  X(E_AUTH_UNSUPPORTED, -501,  "no supported digest algorithm or qop offered")        \
  X(E_AUTH_FAILED,      -502,  "authentication failed: credentials rejected")         \
  X(E_AUTH_NO_CREDENTIALS, -503, "no credentials for the challenging realm")          \
  X(E_AUTH_LIMIT,       -504,  "too many authentication challenges for one request")  \
  X(E_AUTH_STALE,       -505,  "valid credentials but the nonce has expired")         \
  X(E_AUTH_REPLAY,      -506,  "nonce count did not increase (replayed request)")     \
  X(E_AUTH_NONCE_UNKNOWN, -507, "nonce was not issued by this server")                \
  X(E_AUTH_CRYPTO,      -508,  "digest computation failed in the crypto library")     \
  /* SDP (-600..-699) */                                                               \
  X(E_SDP_SYNTAX,       -600,  "SDP line does not match its grammar")                  \
  X(E_SDP_ORDER,        -601,  "SDP line out of the order of RFC 8866 section 5")      \
  X(E_SDP_MISSING,      -602,  "required SDP line missing")                            \
  X(E_SDP_LIMIT,        -603,  "SDP exceeds a size or line-count limit")               \
  X(E_SDP_VERSION,      -604,  "unsupported SDP version (v= must be 0)")               \
  X(E_SDP_ATTR,         -605,  "malformed value of a known SDP attribute")             \
  X(E_SDP_NOSPACE,      -606,  "output buffer too small for the SDP")                  \
  X(E_SDP_MISMATCH,     -610,  "SDP answer does not fit the offer")                    \
  X(E_SDP_NO_CODEC,     -611,  "no codec in common with the offer")                    \
  X(E_SDP_DIRECTION,    -612,  "answered direction cannot answer the offered one")     \
  X(E_SDP_NO_CHANNEL,   -613,  "accepted MRCP resource without a=channel")             \
  X(E_SDP_REFUSED,      -614,  "the offer cannot be served")                          \
  /* dialogs and sessions: -700..-749 */                                               \
  X(E_DIALOG_CSEQ_ORDER, -700, "in-dialog request with a CSeq lower than the last one") \
  X(E_DIALOG_MISMATCH,  -701,  "message does not belong to this dialog")               \
  X(E_DIALOG_BAD_MESSAGE, -702, "message lacks what a dialog needs (tag, Contact, Call-ID, CSeq)") \
  X(E_CHART_ACTION,     -703,  "a chart action has no implementation (no longer returned: the build checks it)")

typedef enum sipspec_err {
#define SIPSPEC_ERR_ENUM_(name, num, text) SIPSPEC_##name = num,
  SIPSPEC_ERRORS(SIPSPEC_ERR_ENUM_)
#undef SIPSPEC_ERR_ENUM_
} sipspec_err;

/* "SIPSPEC_E_NOMEM" for SIPSPEC_E_NOMEM; "SIPSPEC_E_UNKNOWN" for a code not in the table. */
const char *sipspec_errname(int code);
/* A human sentence for the code; "unknown error" for a code not in the table. */
const char *sipspec_strerror(int code);

#pragma GCC visibility pop
#ifdef __cplusplus
}
#endif
#endif
