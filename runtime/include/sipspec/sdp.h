/* sipspec/sdp.h: SDP (RFC 8866) parsing into a zero-copy model, and canonical writing.
 *
 * Parsing: sipspec_sdp_parse() checks every line against the grammar in grammar/sdp.re
 * (the ABNF of RFC 8866 section 9, plus the attributes MRCPv2 sessions use) and the line
 * order of RFC 8866 section 5, then returns a model whose strings are slices into the
 * caller's buffer: nothing is copied, so the buffer must outlive the model. The model is
 * one allocation, released with sipspec_sdp_free().
 *
 * Writing: sipspec_sdp_write() turns a model (parsed, or filled in by hand by the caller
 * with arrays the caller owns) into canonical SDP: CRLF line ends, the order of RFC 8866
 * section 5, one space between fields. Parsing canonical output gives back the same model.
 *
 * Errors carry the line number, the column, the name of the ABNF rule that failed and a
 * sentence; bad input never crashes nor reads past the buffer.
 */
#ifndef SIPSPEC_SDP_H
#define SIPSPEC_SDP_H

#include <stddef.h>
#include <stdint.h>

#include "sipspec/span.h"

#ifdef __cplusplus
extern "C" {
#endif
#pragma GCC visibility push(default) /* what this header declares is the library's API */

/* Slices of text are sipspec_span (sipspec/span.h). p == NULL means "absent"; a present
 * slice has len > 0, except session_name, which is empty (p set, len 0) for a bare "s=" line. */

/* What a connection or origin address is (RFC 8866 section 9, connection-address). */
typedef enum sipspec_sdp_addr_kind {
  SIPSPEC_SDP_ADDR_NONE = 0,
  SIPSPEC_SDP_ADDR_IP4 = 1,   /* dotted quad */
  SIPSPEC_SDP_ADDR_IP6 = 2,   /* RFC 4291 text form */
  SIPSPEC_SDP_ADDR_FQDN = 3,  /* 4*(alpha-numeric / "-" / ".") */
  SIPSPEC_SDP_ADDR_OTHER = 4  /* extn-addr of another address type */
} sipspec_sdp_addr_kind;

/* o= (RFC 8866 section 5.2). */
typedef struct sipspec_sdp_origin {
  sipspec_span username, sess_id, sess_version, nettype, addrtype, address;
  sipspec_sdp_addr_kind addr_kind;
} sipspec_sdp_origin;

/* c= (RFC 8866 section 5.7). ttl and num_addrs are 0 when absent from the line. */
typedef struct sipspec_sdp_conn {
  sipspec_span nettype, addrtype, address;
  sipspec_sdp_addr_kind addr_kind;
  unsigned ttl;
  unsigned num_addrs;
} sipspec_sdp_conn;

/* b= (RFC 8866 section 5.8). */
typedef struct sipspec_sdp_bw {
  sipspec_span type;
  uint64_t value;
} sipspec_sdp_bw;

/* t= and its r= lines (RFC 8866 sections 5.9, 5.10); r= values are kept as validated text. */
typedef struct sipspec_sdp_time {
  uint64_t start, stop;
  const sipspec_span *repeats;
  size_t nrepeats;
} sipspec_sdp_time;

/* Attributes with a typed reading. Everything else is SIPSPEC_SDP_ATTR_OTHER, kept in order. */
typedef enum sipspec_sdp_attr_kind {
  SIPSPEC_SDP_ATTR_OTHER = 0,
  SIPSPEC_SDP_ATTR_RTPMAP = 1,      /* RFC 8866 6.6 */
  SIPSPEC_SDP_ATTR_FMTP = 2,        /* RFC 8866 6.15 */
  SIPSPEC_SDP_ATTR_PTIME = 3,       /* RFC 8866 6.4 */
  SIPSPEC_SDP_ATTR_MAXPTIME = 4,    /* RFC 8866 6.5 */
  SIPSPEC_SDP_ATTR_SENDRECV = 5,    /* RFC 8866 6.7 */
  SIPSPEC_SDP_ATTR_SENDONLY = 6,
  SIPSPEC_SDP_ATTR_RECVONLY = 7,
  SIPSPEC_SDP_ATTR_INACTIVE = 8,
  SIPSPEC_SDP_ATTR_SETUP = 9,       /* RFC 4145 4 */
  SIPSPEC_SDP_ATTR_CONNECTION = 10, /* RFC 4145 5 */
  SIPSPEC_SDP_ATTR_RESOURCE = 11,   /* RFC 6787 4.2 */
  SIPSPEC_SDP_ATTR_CHANNEL = 12,    /* RFC 6787 4.2 */
  SIPSPEC_SDP_ATTR_CMID = 13,       /* RFC 6787 4.2 */
  SIPSPEC_SDP_ATTR_MID = 14,        /* RFC 5888 4 */
  SIPSPEC_SDP_ATTR_FINGERPRINT = 15 /* RFC 4572 5 */
} sipspec_sdp_attr_kind;

typedef enum sipspec_sdp_setup {
  SIPSPEC_SDP_SETUP_NONE = 0,
  SIPSPEC_SDP_SETUP_ACTIVE = 1,
  SIPSPEC_SDP_SETUP_PASSIVE = 2,
  SIPSPEC_SDP_SETUP_ACTPASS = 3,
  SIPSPEC_SDP_SETUP_HOLDCONN = 4
} sipspec_sdp_setup;

typedef enum sipspec_sdp_connmode {
  SIPSPEC_SDP_CONN_NONE = 0,
  SIPSPEC_SDP_CONN_NEW = 1,
  SIPSPEC_SDP_CONN_EXISTING = 2
} sipspec_sdp_connmode;

/* Media direction as two bits, seen from the side that wrote the SDP (RFC 3264 5.1). */
typedef enum sipspec_sdp_dir {
  SIPSPEC_SDP_INACTIVE = 0,
  SIPSPEC_SDP_SENDONLY = 1,
  SIPSPEC_SDP_RECVONLY = 2,
  SIPSPEC_SDP_SENDRECV = 3
} sipspec_sdp_dir;

typedef struct sipspec_sdp_attr {
  sipspec_span name;
  sipspec_span value;        /* absent for a property attribute such as a=recvonly */
  sipspec_sdp_attr_kind kind;   /* the parser fills it; the writer ignores it */
  unsigned line;                /* 1-based line number when parsed, 0 when built */
  union {
    struct { unsigned pt; sipspec_span encoding; unsigned rate; sipspec_span params; } rtpmap;
    struct { sipspec_span fmt; sipspec_span params; } fmtp;
    unsigned ptime_ms;          /* ptime and maxptime, integer milliseconds */
    sipspec_sdp_setup setup;
    sipspec_sdp_connmode connection;
    sipspec_span resource;
    struct { sipspec_span id; sipspec_span resource; } channel; /* id excludes "@resource" */
    unsigned cmid;
    sipspec_span mid;
    struct { sipspec_span hash; sipspec_span fingerprint; } fingerprint;
  } u;
} sipspec_sdp_attr;

/* One media description: m= and the lines below it. */
typedef struct sipspec_sdp_media {
  sipspec_span media;        /* "audio", "application", ... */
  unsigned port;
  unsigned nports;              /* 0 when the "/<number of ports>" part is absent */
  sipspec_span proto;        /* "RTP/AVP", "TCP/MRCPv2", ... */
  const sipspec_span *fmts;
  size_t nfmts;
  sipspec_span info;         /* i= */
  const sipspec_sdp_conn *conns;
  size_t nconns;
  const sipspec_sdp_bw *bws;
  size_t nbws;
  sipspec_span key;          /* k= */
  const sipspec_sdp_attr *attrs;
  size_t nattrs;
  unsigned line;                /* line number of the m= line when parsed */
} sipspec_sdp_media;

/* A session description. A parsed one is read-only and owned by the library. */
typedef struct sipspec_sdp {
  unsigned version;             /* v=, always 0 */
  sipspec_sdp_origin origin;
  sipspec_span session_name;
  sipspec_span info;
  sipspec_span uri;
  const sipspec_span *emails;
  size_t nemails;
  const sipspec_span *phones;
  size_t nphones;
  const sipspec_sdp_conn *conn; /* NULL when there is no session-level c= */
  const sipspec_sdp_bw *bws;
  size_t nbws;
  const sipspec_sdp_time *times;
  size_t ntimes;
  sipspec_span zone;         /* z=, validated text */
  sipspec_span key;
  const sipspec_sdp_attr *attrs;
  size_t nattrs;
  const sipspec_sdp_media *media;
  size_t nmedia;
} sipspec_sdp;

/* Limits applied while parsing; a description beyond them fails with SIPSPEC_E_SDP_LIMIT. */
typedef struct sipspec_sdp_limits {
  size_t max_bytes;     /* default 65536 */
  size_t max_line_len;  /* default 4096 bytes, without the line end */
  unsigned max_lines;   /* default 1024 */
  unsigned max_media;   /* default 64 */
} sipspec_sdp_limits;

void sipspec_sdp_limits_init(sipspec_sdp_limits *lim);

/* Where and why parsing (or a negotiation step) failed. line and column are 1-based (0 when
 * the failure is not tied to one line); rule names the ABNF rule or the check that failed. */
typedef struct sipspec_sdp_error {
  int code;
  unsigned line;
  unsigned column;
  const char *rule;
  char reason[200];
} sipspec_sdp_error;

/* Parses len bytes at buf (no terminating NUL needed; NUL bytes are errors). On success
 * *out receives a model whose slices point into buf; free it with sipspec_sdp_free() and
 * keep buf alive until then. lim may be NULL for the defaults; err may be NULL.
 * Returns SIPSPEC_OK, SIPSPEC_E_INVAL, SIPSPEC_E_NOMEM or an SDP error code (-600..-699). */
int sipspec_sdp_parse(const char *buf, size_t len, const sipspec_sdp_limits *lim,
                      sipspec_sdp **out, sipspec_sdp_error *err);

/* Releases a model returned by sipspec_sdp_parse(). NULL is allowed. */
void sipspec_sdp_free(sipspec_sdp *sdp);

/* Writes canonical SDP for sdp into buf (cap bytes, NUL-terminated when it fits) and sets
 * *len to the number of bytes written (without the NUL). Fails with SIPSPEC_E_SDP_NOSPACE
 * when cap is too small (*len then holds the size needed), or SIPSPEC_E_INVAL when a
 * required field (origin, session name, at least one time) is missing. */
int sipspec_sdp_write(const sipspec_sdp *sdp, char *buf, size_t cap, size_t *len);

/* Look-ups on a model. They return NULL / 0 / default when nothing matches. */
const sipspec_sdp_attr *sipspec_sdp_media_attr(const sipspec_sdp_media *m, sipspec_sdp_attr_kind kind);
const sipspec_sdp_attr *sipspec_sdp_media_attr_named(const sipspec_sdp_media *m, const char *name);
/* The connection in force for m: its first c= line, else the session's, else NULL. */
const sipspec_sdp_conn *sipspec_sdp_media_conn(const sipspec_sdp *sdp, const sipspec_sdp_media *m);
/* The direction attribute of m, else the session's, else sendrecv (RFC 8866 6.7). */
sipspec_sdp_dir sipspec_sdp_media_dir(const sipspec_sdp *sdp, const sipspec_sdp_media *m);
/* The a=rtpmap of m for payload type pt, or NULL. */
const sipspec_sdp_attr *sipspec_sdp_media_rtpmap(const sipspec_sdp_media *m, unsigned pt);

/* 1 when the slice equals the NUL-terminated string s (case-sensitive), else 0. */
int sipspec_sdp_str_eq(sipspec_span a, const char *s);
/* "sendrecv", "sendonly", "recvonly", "inactive". */
const char *sipspec_sdp_dir_name(sipspec_sdp_dir dir);

#pragma GCC visibility pop
#ifdef __cplusplus
}
#endif
#endif
