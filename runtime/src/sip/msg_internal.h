/* sip/msg_internal.h: the message object shared by the parser, the framer and the builder.
 *
 * A parsed message is a set of spans into the caller's buffer plus two tables sized once at
 * create time: header lines, and values (comma-separated elements of list headers, one per
 * line otherwise). Values of one header id are chained in order, so sipspec_msg_value()
 * walks only that header's values.
 */
#ifndef SIPSPEC_SIP_MSG_INTERNAL_H
#define SIPSPEC_SIP_MSG_INTERNAL_H

#include <stdint.h>

#include "sip/sip_grammar.h"
#include "sipspec/msg.h"

enum { SIPSPEC_MODE_DATAGRAM = 0, SIPSPEC_MODE_STREAM = 1 };

typedef struct sipspec_hline {
  sipspec_hdr_id id;
  sipspec_span name;
  sipspec_span value;
} sipspec_hline;

typedef struct sipspec_hval {
  sipspec_span v;
  int32_t next; /* next value of the same id, -1 at the end */
} sipspec_hval;

struct sipspec_msg {
  sipspec_msg_limits limits;
  sipspec_hline *lines;
  sipspec_hval *vals;

  const char *buf;
  size_t len;
  sipspec_parse_error err;

  sipspec_g_start start;
  sipspec_method method;
  int status;
  int uri_kind;
  int uri_has_headers;

  size_t nlines, nvals;
  int32_t first[SIPSPEC_H_COUNT_], last[SIPSPEC_H_COUNT_];
  uint16_t nval_of[SIPSPEC_H_COUNT_];
  uint16_t nline_of[SIPSPEC_H_COUNT_];

  sipspec_span call_id;
  uint32_t cseq;
  sipspec_span cseq_method;
  int max_forwards;
  long content_length;
  long expires;
  int contact_star;
  sipspec_span body;
  uint32_t checks;

  /* The top Via, From and To as sipspec_msg_via(m, 0), _from and _to gave them first: the
   * transaction, dialog and server layers each ask for them, and each parse of a Via or a
   * name-addr costs a thousand instructions or more. Filled on first access (the accessors
   * take a const message: this is a cache, not part of its value), emptied by each parse
   * and when the framer moves the bytes. */
  unsigned cached; /* MSG_CACHED_* */
  sipspec_via via0;
  sipspec_addr from, to;
};

enum { MSG_CACHED_VIA0 = 1u, MSG_CACHED_FROM = 2u, MSG_CACHED_TO = 4u };

/* Parses buf in the given mode. Stream mode requires Content-Length and takes exactly the
 * head and Content-Length bytes of body (the caller has made sure they are there). */
int sipspec_msg_parse_mode(sipspec_msg *m, const char *buf, size_t len, int mode);

/* Completes a stream-mode parse of a head alone (SIPSPEC_E_MSG_INCOMPLETE at the body, with
 * Content-Length known) once the body is there: the head's head bytes and the body now start
 * at base (the same bytes, possibly moved), so the head is not parsed a second time. */
int sipspec_msg_stream_complete(sipspec_msg *m, const char *base, size_t head);

/* The rule the parser applies to a value of header id (sipspec_hdr_id), for the builder:
 * [v, lim) where lim is a CR followed by LF and a byte that is not a space or tab. m is a
 * scratch message (its value table receives the elements). 0 or an error with *fail and
 * *rule set. */
int sipspec_msg_value_rule(sipspec_msg *m, sipspec_hdr_id id, const char *v, const char *lim, const char **fail,
                           const char **rule);

/* Sets b's sticky error (when it has none) and what names: "what" or "what: detail". Returns
 * b's error. */
int sipspec_build_fail(sipspec_build *b, int code, const char *what, const char *detail);
/* Checks s as a whole token / URI (the grammar's rules); on failure sets b's error
 * (SIPSPEC_E_BUILD_TOKEN / _URI, SIPSPEC_E_BUILD_CRLF for CR, LF or NUL, SIPSPEC_E_BUILD_FIELD
 * when empty) naming what. Returns b's error. */
int sipspec_build_check_token(sipspec_build *b, sipspec_span s, const char *what);
int sipspec_build_check_uri(sipspec_build *b, sipspec_span s, const char *what);

/* Appends "name: value\r\n" with no check: values copied from a parsed message (the parser
 * checked them) or written by the typed field functions (checked as they were written). */
int sipspec_build_line_trusted(sipspec_build *b, sipspec_span name, sipspec_span value);

/* Where sipspec_build_request_layout() wrote each part, as offsets into the builder's buffer
 * (for the transaction layer's record of an INVITE, session/tsx_msg.c). */
typedef struct sipspec_request_layout {
  size_t uri, uri_len;            /* Request-URI */
  size_t via, via_len;            /* the whole Via line, "Via: " to CRLF included */
  size_t route, route_len;        /* every Route line, CRLFs included */
  size_t from, from_len, to, to_len, call_id, call_id_len, cseq, cseq_len; /* values */
} sipspec_request_layout;

/* An upper bound of what sipspec_build_request() writes for f (no check, no pass). */
size_t sipspec_request_fields_cap(const sipspec_request_fields *f);

/* sipspec_build_request() that also says where each part went (lay may be NULL). */
int sipspec_build_request_layout(sipspec_build *b, const sipspec_request_fields *f, sipspec_request_layout *lay);

/* Appends bytes as they are (header lines already rendered, "\r\n" included). */
int sipspec_build_raw(sipspec_build *b, sipspec_span bytes);

/* Fills err for a failure at `at` inside the message starting at base. */
void sipspec_msg_set_error(sipspec_parse_error *err, const char *base, const char *at, int code,
                           const char *rule);

/* RFC 3261 25.1: WSP, and SWS (spaces, tabs and CRLF followed by a space or tab). */
static inline int is_wsp(char c) { return c == ' ' || c == '\t'; }

/* Skips SWS. */
static inline const char *skip_sws(const char *p, const char *lim) {
  if (p < lim && (unsigned char)*p > ' ') return p; /* the usual case */
  for (;;) {
    while (p < lim && is_wsp(*p)) p++;
    if (lim - p >= 3 && p[0] == '\r' && p[1] == '\n' && is_wsp(p[2])) p += 3;
    else return p;
  }
}

/* The i-th value of header id (lists split into their elements), or NULL. */
static inline const sipspec_hval *value_at(const sipspec_msg *m, sipspec_hdr_id id, size_t i) {
  if ((unsigned)id >= SIPSPEC_H_COUNT_ || id == SIPSPEC_H_OTHER) return NULL;
  int32_t k = m->first[id];
  while (k >= 0 && i--) k = m->vals[k].next;
  return k >= 0 ? &m->vals[k] : NULL;
}

#endif
