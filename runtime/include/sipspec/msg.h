/* sipspec/msg.h: SIP messages: parse (datagram or stream), inspect, build.
 *
 * The parser is zero-copy: a parsed message refers to slices (sipspec_span) of the caller's
 * buffer, which must stay unchanged while the message is used. A sipspec_msg is reusable:
 * create it once with its limits, then parse message after message into it; each parse
 * forgets the previous message. Parsing allocates nothing: every table is sized at create
 * time from sipspec_msg_limits.
 *
 * Grammar: RFC 3261 section 25 (rule names in error reports are the ABNF names). Framing:
 * RFC 3261 section 18.3 (datagram and stream), RFC 5626 section 3.5.1 (CRLF keep-alives).
 *
 * All functions returning int return SIPSPEC_OK or a negative code from sipspec/error.h.
 * Accessors of absent single values return SIPSPEC_E_NOTFOUND (or -1 / an empty span where
 * documented).
 */
#ifndef SIPSPEC_MSG_H
#define SIPSPEC_MSG_H

#include <stddef.h>
#include <stdint.h>

#include "sipspec/span.h"

#ifdef __cplusplus
extern "C" {
#endif
#pragma GCC visibility push(default) /* what this header declares is the library's API */

/* ---- limits and errors --------------------------------------------------------------- */

typedef struct sipspec_msg_limits {
  size_t max_message_size; /* whole message, head and body (default 65535) */
  size_t max_headers;      /* header lines (default 128) */
  size_t max_values;       /* comma-separated values over all headers (default 256) */
  size_t max_line_length;  /* one header line, folding included (default 8192) */
} sipspec_msg_limits;

/* Fills the defaults above. */
void sipspec_msg_limits_init(sipspec_msg_limits *limits);

/* Why a message was rejected: the code, where (byte offset from the start of the message,
 * 1-based line and column) and the RFC 3261 ABNF rule that failed (e.g. "Request-Line",
 * "via-parm", "Content-Length"). rule points to a static string. */
typedef struct sipspec_parse_error {
  int code;
  size_t offset;
  unsigned line;
  unsigned column;
  const char *rule;
} sipspec_parse_error;

/* ---- identifiers ---------------------------------------------------------------------- */

/* Known methods; extension methods are SIPSPEC_METHOD_OTHER (their text is still kept). */
typedef enum sipspec_method {
  SIPSPEC_METHOD_OTHER = 0,
  SIPSPEC_METHOD_INVITE = 1,
  SIPSPEC_METHOD_ACK = 2,
  SIPSPEC_METHOD_BYE = 3,
  SIPSPEC_METHOD_CANCEL = 4,
  SIPSPEC_METHOD_OPTIONS = 5,
  SIPSPEC_METHOD_REGISTER = 6,
  SIPSPEC_METHOD_PRACK = 7,
  SIPSPEC_METHOD_SUBSCRIBE = 8,
  SIPSPEC_METHOD_NOTIFY = 9,
  SIPSPEC_METHOD_PUBLISH = 10,
  SIPSPEC_METHOD_INFO = 11,
  SIPSPEC_METHOD_REFER = 12,
  SIPSPEC_METHOD_MESSAGE = 13,
  SIPSPEC_METHOD_UPDATE = 14
} sipspec_method;

/* Header identities. Long and compact names map to the same id; any other header is
 * SIPSPEC_H_OTHER and is kept by name and raw value. Numbers are stable. */
typedef enum sipspec_hdr_id {
  SIPSPEC_H_OTHER = 0,
  SIPSPEC_H_VIA = 1,                 /* v */
  SIPSPEC_H_FROM = 2,                /* f */
  SIPSPEC_H_TO = 3,                  /* t */
  SIPSPEC_H_CALL_ID = 4,             /* i */
  SIPSPEC_H_CSEQ = 5,
  SIPSPEC_H_MAX_FORWARDS = 6,
  SIPSPEC_H_CONTACT = 7,             /* m */
  SIPSPEC_H_ROUTE = 8,
  SIPSPEC_H_RECORD_ROUTE = 9,
  SIPSPEC_H_CONTENT_TYPE = 10,       /* c */
  SIPSPEC_H_CONTENT_LENGTH = 11,     /* l */
  SIPSPEC_H_EXPIRES = 12,
  SIPSPEC_H_RETRY_AFTER = 13,
  SIPSPEC_H_WWW_AUTHENTICATE = 14,
  SIPSPEC_H_PROXY_AUTHENTICATE = 15,
  SIPSPEC_H_AUTHORIZATION = 16,
  SIPSPEC_H_PROXY_AUTHORIZATION = 17,
  SIPSPEC_H_ALLOW = 18,
  SIPSPEC_H_SUPPORTED = 19,          /* k */
  SIPSPEC_H_REQUIRE = 20,
  SIPSPEC_H_PROXY_REQUIRE = 21,
  SIPSPEC_H_UNSUPPORTED = 22,
  SIPSPEC_H_REASON = 23,
  SIPSPEC_H_USER_AGENT = 24,
  SIPSPEC_H_SERVER = 25,
  SIPSPEC_H_CONTENT_ENCODING = 26,   /* e */
  SIPSPEC_H_SUBJECT = 27,            /* s */
  SIPSPEC_H_EVENT = 28,              /* o */
  SIPSPEC_H_ALLOW_EVENTS = 29,       /* u */
  SIPSPEC_H_REFER_TO = 30,           /* r */
  SIPSPEC_H_REFERRED_BY = 31,        /* b */
  SIPSPEC_H_ACCEPT_CONTACT = 32,     /* a */
  SIPSPEC_H_REJECT_CONTACT = 33,     /* j */
  SIPSPEC_H_REQUEST_DISPOSITION = 34,/* d */
  SIPSPEC_H_SESSION_EXPIRES = 35,    /* x */
  SIPSPEC_H_IDENTITY = 36,           /* y */
  SIPSPEC_H_IDENTITY_INFO = 37,      /* n */
  SIPSPEC_H_ACCEPT = 38,
  SIPSPEC_H_MIN_EXPIRES = 39,
  SIPSPEC_H_DATE = 40,
  SIPSPEC_H_COUNT_ = 41
} sipspec_hdr_id;

/* Canonical long name ("Via") of an id; "" for SIPSPEC_H_OTHER or an unknown id. */
const char *sipspec_hdr_name(sipspec_hdr_id id);
/* Canonical name of a method id ("INVITE"); "" for SIPSPEC_METHOD_OTHER. */
const char *sipspec_method_name(sipspec_method m);

/* ---- the message object --------------------------------------------------------------- */

typedef struct sipspec_msg sipspec_msg;

/* Creates a message object sized by limits (NULL: defaults). *out is owned by the caller
 * and freed with sipspec_msg_destroy(). */
int sipspec_msg_create(sipspec_msg **out, const sipspec_msg_limits *limits);
void sipspec_msg_destroy(sipspec_msg *m);

/* Datagram mode (RFC 3261 18.3): buf holds exactly one datagram. Content-Length is
 * optional (absent: the body runs to the end); a body shorter than Content-Length is
 * SIPSPEC_E_MSG_BODY_SHORT; bytes after Content-Length are discarded. buf is borrowed: it
 * must outlive every use of m's spans. On failure, sipspec_msg_error() says why. */
int sipspec_msg_parse(sipspec_msg *m, const char *buf, size_t len);

/* The reason of the last failed parse (code SIPSPEC_OK after a success). */
const sipspec_parse_error *sipspec_msg_error(const sipspec_msg *m);

/* The whole message as parsed (head and body, without the discarded tail). */
sipspec_span sipspec_msg_raw(const sipspec_msg *m);

/* ---- start line ----------------------------------------------------------------------- */

int sipspec_msg_is_request(const sipspec_msg *m);      /* 1 request, 0 response */
sipspec_method sipspec_msg_method(const sipspec_msg *m); /* requests */
sipspec_span sipspec_msg_method_text(const sipspec_msg *m);
sipspec_span sipspec_msg_request_uri(const sipspec_msg *m);
int sipspec_msg_status(const sipspec_msg *m);           /* responses: 100..699; 0 for requests */
sipspec_span sipspec_msg_reason(const sipspec_msg *m);  /* responses' Reason-Phrase */
sipspec_span sipspec_msg_version(const sipspec_msg *m); /* "SIP/2.0" */

/* ---- frequently used headers: O(1) ---------------------------------------------------- */

sipspec_span sipspec_msg_call_id(const sipspec_msg *m);     /* {NULL,0} when absent */
uint32_t sipspec_msg_cseq(const sipspec_msg *m);            /* 0 when absent */
sipspec_method sipspec_msg_cseq_method(const sipspec_msg *m);
sipspec_span sipspec_msg_cseq_method_text(const sipspec_msg *m);
int sipspec_msg_max_forwards(const sipspec_msg *m);         /* -1 when absent */
long sipspec_msg_content_length(const sipspec_msg *m);      /* -1 when absent */
sipspec_span sipspec_msg_body(const sipspec_msg *m);        /* {ptr, 0} when empty */
long sipspec_msg_expires(const sipspec_msg *m);             /* -1 when absent */

/* ---- every header, in order ----------------------------------------------------------- */

typedef struct sipspec_header {
  sipspec_hdr_id id;
  sipspec_span name;  /* as written ("v", "VIA", "X-Foo") */
  sipspec_span value; /* raw, without leading/trailing whitespace; folding kept as written */
} sipspec_header;

size_t sipspec_msg_header_count(const sipspec_msg *m);
/* The i-th header line (0-based). */
int sipspec_msg_header(const sipspec_msg *m, size_t i, sipspec_header *out);
/* Index of the first header at or after from whose name equals name (case-insensitive,
 * compact forms match their long names for known headers); -1 when none. */
long sipspec_msg_find(const sipspec_msg *m, const char *name, size_t from);
/* 1 when a list header id of m (Allow, Supported, Require, ...: see sipspec_msg_value())
 * has the element `token` (case-insensitive, ";params" after it ignored), 0 when such headers
 * exist but none has it, -1 when m has no such header. */
int sipspec_msg_has_token(const sipspec_msg *m, sipspec_hdr_id id, const char *token);

/* Values of a known header: list headers (Via, Contact, Route, Record-Route, Allow,
 * Supported, Require, Proxy-Require, Unsupported, Reason, Accept, Allow-Events,
 * Content-Encoding, Accept-Contact, Reject-Contact, Request-Disposition) give one value per
 * comma-separated element over all their lines, in order (commas inside quoted strings and
 * <...> do not separate); other headers give one value per line. */
size_t sipspec_msg_value_count(const sipspec_msg *m, sipspec_hdr_id id);
int sipspec_msg_value(const sipspec_msg *m, sipspec_hdr_id id, size_t i, sipspec_span *out);

/* ---- typed values --------------------------------------------------------------------- */

typedef enum sipspec_uri_kind {
  SIPSPEC_URI_SIP = 1,
  SIPSPEC_URI_SIPS = 2,
  SIPSPEC_URI_TEL = 3,  /* kept opaque */
  SIPSPEC_URI_OTHER = 4 /* any other absolute URI, kept opaque */
} sipspec_uri_kind;

typedef enum sipspec_host_kind {
  SIPSPEC_HOST_NAME = 1,
  SIPSPEC_HOST_IPV4 = 2,
  SIPSPEC_HOST_IPV6 = 3 /* host span includes the brackets */
} sipspec_host_kind;

typedef struct sipspec_uri {
  sipspec_uri_kind kind;
  sipspec_span scheme;
  sipspec_span user;     /* escapes kept; see sipspec_unescape() */
  sipspec_span password;
  sipspec_span host;
  sipspec_host_kind host_kind;
  int port;              /* -1 when absent */
  sipspec_span params;   /* ";transport=tcp;lr" (leading ';' included), or empty */
  sipspec_span headers;  /* "?a=b&c=d" (leading '?' included), or empty */
  sipspec_span opaque;   /* tel/other URIs: everything after "scheme:" */
  sipspec_span transport, user_param, method, maddr; /* well-known uri-parameters */
  int ttl;               /* -1 when absent */
  int lr;                /* 1 when the lr parameter is present */
} sipspec_uri;

/* Parses an absolute URI (SIP/SIPS in full, others opaque). SIPSPEC_E_MSG_SYNTAX on error;
 * err (may be NULL) gets the offset and rule. */
int sipspec_uri_parse(const char *p, size_t len, sipspec_uri *out, sipspec_parse_error *err);

typedef struct sipspec_via {
  sipspec_span protocol;  /* "SIP" */
  sipspec_span version;   /* "2.0" */
  sipspec_span transport; /* "UDP", "TCP", "TLS", ... */
  sipspec_span host;      /* sent-by host (IPv6 with brackets) */
  int port;               /* -1 when absent */
  sipspec_span branch, received, maddr;
  long rport;             /* -1 absent, 0 present without value, else the value */
  int ttl;                /* -1 when absent */
  sipspec_span params;    /* all via-params, leading ';' included */
} sipspec_via;

/* name-addr or addr-spec, as in From, To, Contact, Route, Record-Route. */
typedef struct sipspec_addr {
  int star;             /* Contact: "*" */
  sipspec_span display; /* as written: quotes included when quoted; see sipspec_unquote() */
  sipspec_span uri;     /* without the angle brackets */
  sipspec_span tag;     /* From/To */
  long expires;         /* Contact: -1 when absent */
  int q;                /* Contact: q times 1000, -1 when absent */
  sipspec_span params;  /* header params after the address, leading ';' included */
} sipspec_addr;

typedef struct sipspec_media_type {
  sipspec_span type, subtype;
  sipspec_span params; /* leading ';' included, or empty */
} sipspec_media_type;

/* Challenge or credentials: auth-scheme and its auth-params. */
typedef struct sipspec_auth {
  sipspec_span scheme; /* "Digest" */
  sipspec_span params; /* raw, comma-separated auth-params */
} sipspec_auth;

size_t sipspec_msg_via_count(const sipspec_msg *m);
int sipspec_msg_via(const sipspec_msg *m, size_t i, sipspec_via *out); /* 0 is the top Via */
int sipspec_msg_from(const sipspec_msg *m, sipspec_addr *out);
int sipspec_msg_to(const sipspec_msg *m, sipspec_addr *out);
int sipspec_msg_contact(const sipspec_msg *m, size_t i, sipspec_addr *out);
int sipspec_msg_route(const sipspec_msg *m, size_t i, sipspec_addr *out);
int sipspec_msg_record_route(const sipspec_msg *m, size_t i, sipspec_addr *out);
int sipspec_msg_content_type(const sipspec_msg *m, sipspec_media_type *out);
/* Retry-After: delta-seconds; the comment and params are left in the raw value. */
long sipspec_msg_retry_after(const sipspec_msg *m); /* -1 when absent */
/* Session-Expires (RFC 4028 4): its delta-seconds, 0 when absent, not a number, 0 or above
 * one day; *refresher (may be NULL) gets 'c' for refresher=uac, 's' for uas, 0 for none. */
unsigned sipspec_msg_session_expires(const sipspec_msg *m, int *refresher);
/* Min-SE (RFC 4028 5): its delta-seconds, 0 when absent, not a number or above one day. */
unsigned sipspec_msg_min_se(const sipspec_msg *m);
/* id: SIPSPEC_H_WWW_AUTHENTICATE, _PROXY_AUTHENTICATE, _AUTHORIZATION, _PROXY_AUTHORIZATION.
 * The parser checks only the auth-scheme; the auth-params are checked here, on access
 * (SIPSPEC_E_MSG_SYNTAX when they are malformed). */
int sipspec_msg_auth(const sipspec_msg *m, sipspec_hdr_id id, size_t i, sipspec_auth *out);

/* Parsers of single values, for values obtained with sipspec_msg_value(). */
int sipspec_via_parse(sipspec_span value, sipspec_via *out);
int sipspec_addr_parse(sipspec_span value, sipspec_addr *out);

/* Iterates auth-params: *cursor starts as auth->params; each call yields one name and value
 * (quoted values keep their quotes; see sipspec_unquote()). SIPSPEC_E_NOTFOUND at the end,
 * SIPSPEC_E_MSG_SYNTAX on a malformed list. */
int sipspec_auth_param_next(sipspec_span *cursor, sipspec_span *name, sipspec_span *value);
/* The value of auth-param name (case-insensitive), or SIPSPEC_E_NOTFOUND. */
int sipspec_auth_param(const sipspec_auth *a, const char *name, sipspec_span *value);

/* Finds parameter name (case-insensitive) in ";a=b;c" style params; a parameter without a
 * value gives an empty span with a non-NULL pointer. SIPSPEC_E_NOTFOUND when absent. */
int sipspec_param(sipspec_span params, const char *name, sipspec_span *value);

/* Copies a quoted-string's content without the quotes and with quoted-pairs resolved (a
 * value that is not quoted is copied as is). Returns the length written, or -1 when it
 * does not fit in cap bytes. No NUL is added. */
long sipspec_unquote(sipspec_span s, char *out, size_t cap);
/* Copies s with %XX escapes decoded; -1 on a bad escape or when cap is too small. */
long sipspec_unescape(sipspec_span s, char *out, size_t cap);

/* ---- semantic checks (RFC 4475 sections 3.3 and 3.4) ---------------------------------- */

/* Messages that are well-formed but semantically wrong still parse; these flags say why a
 * transaction layer should refuse them. Numbers are stable. */
#define SIPSPEC_CHECKS(X)                                                                   \
  X(MISSING_VIA,          0x0001u, "no Via header")                                         \
  X(MISSING_FROM,         0x0002u, "no From header")                                        \
  X(MISSING_TO,           0x0004u, "no To header")                                          \
  X(MISSING_CALL_ID,      0x0008u, "no Call-ID header")                                     \
  X(MISSING_CSEQ,         0x0010u, "no CSeq header")                                        \
  X(MISSING_MAX_FORWARDS, 0x0020u, "request without Max-Forwards")                          \
  X(CSEQ_METHOD_MISMATCH, 0x0040u, "CSeq method differs from the request method")           \
  X(MAX_FORWARDS_ZERO,    0x0080u, "Max-Forwards is 0")                                     \
  X(UNKNOWN_URI_SCHEME,   0x0100u, "Request-URI scheme is not sip, sips or tel")            \
  X(DUPLICATE_HEADER,     0x0200u, "a single-valued header appears more than once")         \
  X(BAD_VERSION,          0x0400u, "SIP version is not SIP/2.0")                            \
  X(REQUEST_URI_HEADERS,  0x0800u, "Request-URI carries URI headers (?...)")                \
  X(BAD_CONTACT,          0x1000u, "Contact is '*' with other values or a non-zero expires")

typedef enum sipspec_check {
#define SIPSPEC_CHECK_ENUM_(name, bit, text) SIPSPEC_CHECK_##name = bit,
  SIPSPEC_CHECKS(SIPSPEC_CHECK_ENUM_)
#undef SIPSPEC_CHECK_ENUM_
} sipspec_check;

/* The bit set of SIPSPEC_CHECK_* flags of a parsed message (0: nothing wrong found). */
uint32_t sipspec_msg_check(const sipspec_msg *m);
/* "MAX_FORWARDS_ZERO" for one flag; "" for 0 or a value that is not exactly one flag. */
const char *sipspec_check_name(uint32_t flag);
/* A sentence for one flag; "" otherwise. */
const char *sipspec_check_text(uint32_t flag);

/* ---- stream framing (TCP/TLS) --------------------------------------------------------- */

/* A framer turns a byte stream into messages: Content-Length is mandatory, CRLF keep-alives
 * between messages are skipped (RFC 5626 3.5.1). Once it reports an error the stream can
 * never frame again (garbage, oversize): the transport should close the connection. */
typedef struct sipspec_framer sipspec_framer;

int sipspec_framer_create(sipspec_framer **out, const sipspec_msg_limits *limits);
void sipspec_framer_destroy(sipspec_framer *f);
/* Copies len bytes in. The framer holds at most twice the message size limit: call
 * sipspec_framer_next() until SIPSPEC_E_AGAIN before feeding more. SIPSPEC_E_MSG_OVERSIZE
 * (sticky) when the bytes would not fit, or the stream's error once it is broken. */
int sipspec_framer_feed(sipspec_framer *f, const char *data, size_t len);
/* Parses the next complete message into m: SIPSPEC_OK (m refers to the framer's buffer and
 * stays valid until the next feed/next call), SIPSPEC_E_AGAIN when more bytes are needed,
 * or a sticky error (details in sipspec_framer_error()). */
int sipspec_framer_next(sipspec_framer *f, sipspec_msg *m);
const sipspec_parse_error *sipspec_framer_error(const sipspec_framer *f);
/* Bytes fed but not yet returned as messages. */
size_t sipspec_framer_pending(const sipspec_framer *f);

/* ---- building ------------------------------------------------------------------------- */

/* A builder writes a message into caller storage. Errors are sticky: after the first
 * failure every call returns it, so a sequence of calls can be checked once at
 * sipspec_build_finish(); `what` then names the field or header that was wrong (e.g.
 * "From tag", "Request-URI", "X-Foo: header value"), "" after a success.
 *
 * Every value is checked as it is written, with the rules the parser applies to it (the
 * grammar of grammar/sip_message.re, one rule for writing and reading): URIs with the URI
 * grammar (SIPSPEC_E_BUILD_URI), methods, tags, branches, transports and header names as
 * tokens (SIPSPEC_E_BUILD_TOKEN), every header value with its header's rule
 * (SIPSPEC_E_BUILD_VALUE); a CR, LF or NUL anywhere is SIPSPEC_E_BUILD_CRLF (the builder
 * writes no folded lines), a missing required field SIPSPEC_E_BUILD_FIELD, a full buffer
 * SIPSPEC_E_MSG_NOSPACE. */
typedef struct sipspec_build {
  char *buf;
  size_t cap;
  size_t len;
  int err;
  char what[64];
} sipspec_build;

void sipspec_build_init(sipspec_build *b, char *buf, size_t cap);
/* A builder that writes nothing and counts the bytes (b->len) a message would take; it
 * checks nothing (the size does not depend on the checks): the message is checked when it
 * is written into a buffer. */
void sipspec_build_init_measure(sipspec_build *b);
int sipspec_build_request_line(sipspec_build *b, sipspec_span method, sipspec_span uri);
int sipspec_build_status_line(sipspec_build *b, int status, sipspec_span reason);
/* Appends "name: value\r\n": name must be a token, value must pass the rule the parser
 * applies to that header (an extension header: no CR/LF, the parser's raw-value rule).
 * Content-Length is written by finish(); it is refused here (SIPSPEC_E_BUILD_FIELD). */
int sipspec_build_header(sipspec_build *b, sipspec_span name, sipspec_span value);
/* Appends "Name: value\r\n" lines (e.g. a user's extra headers), each checked as
 * sipspec_build_header() does; every line ends in CRLF (SIPSPEC_E_BUILD_FIELD), none is
 * empty (SIPSPEC_E_BUILD_CRLF). */
int sipspec_build_header_lines(sipspec_build *b, sipspec_span lines);
/* Appends Content-Length (the body's exact length), the empty line and the body. */
int sipspec_build_finish(sipspec_build *b, sipspec_span body);
/* Content-Type (when the body is not empty; type must be a media-type) then finish(). */
int sipspec_build_body(sipspec_build *b, sipspec_span content_type, sipspec_span body);

/* ---- typed fields ---------------------------------------------------------------------- */

/* A NUL-terminated string as a span ({NULL, 0} for NULL). */
static inline sipspec_span sipspec_span_z(const char *s) {
  sipspec_span r = {s, 0};
  if (s)
    while (s[r.len]) r.len++;
  return r;
}

/* One Via (RFC 3261 20.42, 18.2.1; RFC 3581): "SIP/2.0/<transport> <host>[:<port>]
 * [;rport];branch=<branch>[;received=<received>]". */
typedef struct sipspec_via_fields {
  sipspec_span transport; /* "UDP", "TCP", "TLS" (a token) */
  sipspec_span host;      /* sent-by host: hostname, IPv4 address or [IPv6] reference */
  int port;               /* 1..65535, 0 for none */
  sipspec_span branch;    /* a token, "z9hG4bK..." (8.1.1.7); required */
  int rport;              /* 1: ";rport" without a value */
  sipspec_span received;  /* an address, or empty */
} sipspec_via_fields;

/* A name-addr (From, To, Contact, Route, Record-Route): ["display" ]<uri>[;tag=..][params]. */
typedef struct sipspec_addr_fields {
  sipspec_span display; /* plain text, written as a quoted-string ('"' and '\\' escaped);
                         * empty: none */
  sipspec_span uri;     /* checked with the URI grammar */
  sipspec_span tag;     /* a token, or empty */
  sipspec_span params;  /* more header params, ";name=value" each (generic-param), or empty */
} sipspec_addr_fields;

/* An extension (or any other) header: name a token, value under the header's rule. */
typedef struct sipspec_ext_header {
  sipspec_span name;
  sipspec_span value;
} sipspec_ext_header;

int sipspec_build_via(sipspec_build *b, const sipspec_via_fields *v);
/* id: SIPSPEC_H_FROM, _TO, _CONTACT, _ROUTE, _RECORD_ROUTE (else SIPSPEC_E_INVAL). */
int sipspec_build_addr(sipspec_build *b, sipspec_hdr_id id, const sipspec_addr_fields *a);
/* One line per URI ("<uri>"), in order: a Route or Record-Route set. */
int sipspec_build_route_set(sipspec_build *b, sipspec_hdr_id id, const sipspec_span *uris, size_t n);
int sipspec_build_cseq(sipspec_build *b, uint32_t number, sipspec_span method);
int sipspec_build_call_id(sipspec_build *b, sipspec_span call_id);
int sipspec_build_max_forwards(sipspec_build *b, int hops); /* 0..255 */

/* A header whose value is a number (delta-seconds: Retry-After, Min-SE, Expires...): name
 * a header-name token whose rule takes 1*DIGIT (SIPSPEC_E_BUILD_VALUE otherwise). */
int sipspec_build_uint(sipspec_build *b, sipspec_span name, uint32_t value);
/* RFC 4028 4: "Session-Expires: <delta>[;refresher=uac|uas]"; delta > 0; refresher 0 (none),
 * 'c' (uac) or 's' (uas), as sipspec_msg_session_expires() reports it. */
int sipspec_build_session_expires(sipspec_build *b, uint32_t delta, int refresher);
/* RFC 3326 2: "Reason: <protocol>;cause=<cause>[;text=\"<text>\"]"; protocol a token ("SIP",
 * "Q.850"); text plain (quoted and escaped here; empty: none). */
int sipspec_build_reason(sipspec_build *b, sipspec_span protocol, unsigned cause, sipspec_span text);
/* RFC 3261 20.43: "Warning: <code> <agent> \"<text>\""; code 300..399; agent a hostport
 * ("192.0.2.1:5060", "[::1]") or a pseudonym token; text plain (quoted and escaped here). */
int sipspec_build_warning(sipspec_build *b, int code, sipspec_span agent, sipspec_span text);

/* A request, from its fields. Written in the order RFC 3261 shows (7, 8.1.1): Via,
 * Max-Forwards, Route, From, To, Call-ID, CSeq, Contact, the headers, the extra lines,
 * Content-Type, Content-Length, then the body. */
typedef struct sipspec_request_fields {
  sipspec_span method;                /* a token: "INVITE", "BYE", ...; CSeq's method too */
  sipspec_span request_uri;
  sipspec_via_fields via;
  int max_forwards;                   /* < 0: 70 */
  const sipspec_span *routes;         /* route set URIs, one Route line each */
  size_t n_routes;
  sipspec_addr_fields from, to;
  sipspec_span call_id;
  uint32_t cseq;
  const sipspec_addr_fields *contact; /* NULL: none */
  const sipspec_ext_header *headers;  /* typed or extension headers, in order */
  size_t n_headers;
  sipspec_span extra_lines;           /* "Name: value\r\n" lines (user extra headers, auth) */
  sipspec_span content_type;          /* with a body */
  sipspec_span body;
} sipspec_request_fields;

/* Writes the whole request. parse(build(f)) gives f's fields back. */
int sipspec_build_request(sipspec_build *b, const sipspec_request_fields *f);
/* The exact size sipspec_build_request() would write when f passes its checks (measured,
 * not checked: see sipspec_build_init_measure()). */
size_t sipspec_request_fields_size(const sipspec_request_fields *f);

/* Writes m's start line and every header except Content-Length, in order (then add headers
 * or finish with sipspec_msg_body(m)); parse(build(m)) gives m's fields back. */
int sipspec_build_copy(sipspec_build *b, const sipspec_msg *m);
/* Starts a response to request req (RFC 3261 8.2.6): every Via in order, From, To (with
 * ";tag=" to_tag appended when To has no tag and to_tag is not NULL), Call-ID, CSeq. */
int sipspec_build_response(sipspec_build *b, const sipspec_msg *req, int status,
                           const char *reason, const char *to_tag);
/* Starts the ACK for a non-2xx final response to invite (RFC 3261 17.1.1.3): the INVITE's
 * Request-URI, its top Via only, From, Call-ID, Route headers and Max-Forwards, the
 * response's To (with its tag), CSeq with the INVITE's number and method ACK. */
int sipspec_build_ack(sipspec_build *b, const sipspec_msg *invite, const sipspec_msg *response);
/* Starts the CANCEL for request req (RFC 3261 9.1): same Request-URI, top Via only, From,
 * To, Call-ID, Route headers, Max-Forwards, and CSeq with req's number and method CANCEL. */
int sipspec_build_cancel(sipspec_build *b, const sipspec_msg *req);

#pragma GCC visibility pop
#ifdef __cplusplus
}
#endif
#endif
