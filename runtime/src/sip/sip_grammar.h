/* sip/sip_grammar.h: the functions generated from grammar/sip_message.re.
 *
 * Every function reads [p, lim) and never past lim: past the end the scanners see a CR (a
 * fake sentinel) that no rule accepts inside a value. Functions that match a prefix return
 * the end of what they matched; functions that match a whole value return 0 or -1.
 *
 * The functions declared here are the bounds-checked scanners sipspec_gf_* (compiled by
 * grammar_far.c), which also record in *far the furthest byte they looked at: where an
 * error is reported. Their fast twins sipspec_g_* (same rules, same arguments, no bounds
 * checks: they need lim to be the CR of a CRLF ending an unfolded line) are static inline
 * functions of msg.c, which includes the generated file; the parser runs a sipspec_gf_*
 * scanner on a header value only after its fast twin failed. The fast via and addr
 * twins only check the value: they match the same language but leave *o alone (the
 * parser keeps the value; the accessors read it with the sipspec_gf_* twin).
 */
#ifndef SIPSPEC_SIP_GRAMMAR_H
#define SIPSPEC_SIP_GRAMMAR_H

#include <stdint.h>

#include "sipspec/msg.h"

/* Start line. */
typedef struct sipspec_g_start {
  int is_request;
  sipspec_span method, uri, version, status, reason;
  int uri_kind;    /* sipspec_uri_kind of the Request-URI (start_line_strict only) */
  int uri_headers; /* the Request-URI is a SIP(S) URI with headers (start_line_strict only) */
} sipspec_g_start;

/* Request-Line or Status-Line with its CRLF; returns the byte after the LF, or NULL. The
 * Request-URI is only delimited (any bytes but SP, HTAB, CR, LF and NUL). */
const char *sipspec_gf_start_line(const char *p, const char *lim, sipspec_g_start *o,
                                  const char **far);
/* The same with the Request-URI checked as sipspec_gf_uri does (SIP-URI, SIPS-URI or
 * absoluteURI), which also fills uri_kind and uri_headers: one pass for the parser. */
const char *sipspec_gf_start_line_strict(const char *p, const char *lim, sipspec_g_start *o,
                                         const char **far);

/* header-name HCOLON: returns the sipspec_hdr_id (>= 0) or -1; *name_end is the end of the
 * name, *value the first byte after the colon and any spaces or tabs. */
int sipspec_gf_header_name(const char *p, const char *lim, const char **name_end,
                           const char **value);

/* One via-parm (RFC 3261 20.42) starting at p; fills the span fields of o (not the values
 * taken from params). Returns the end of the via-parm, or NULL. */
const char *sipspec_gf_via(const char *p, const char *lim, sipspec_via *o, const char **far);

/* One name-addr or addr-spec with its header params (From, To, Contact, Route...). Fills
 * display, uri and params. Returns the end, or NULL. */
const char *sipspec_gf_addr(const char *p, const char *lim, sipspec_addr *o, const char **far);

/* A whole Request-URI / addr-spec URI: SIP-URI, SIPS-URI or absoluteURI. */
int sipspec_gf_uri(const char *p, const char *lim, sipspec_uri *o, const char **far);

/* Whole values. */
int sipspec_gf_cseq(const char *p, const char *lim, sipspec_span *num, sipspec_span *method,
                    const char **far);
/* SIP-date (rfc1123-date, "GMT" only). */
int sipspec_gf_date(const char *p, const char *lim, const char **far);
/* callid; on success *far is the end of the callid. */
int sipspec_gf_call_id(const char *p, const char *lim, const char **far);
int sipspec_gf_media_type(const char *p, const char *lim, sipspec_media_type *o,
                          const char **far);
int sipspec_gf_auth(const char *p, const char *lim, sipspec_auth *o, const char **far);

/* A whole token (RFC 3261 25.1): 0 or -1. */
int sipspec_gf_token(const char *p, const char *lim, const char **far);

/* One element of a token list, with its ;params (Allow, Supported, Reason...). */
const char *sipspec_gf_token_elem(const char *p, const char *lim, const char **far);

/* SEMI token [EQUAL gen-value] from p; NULL when p does not start a parameter. */
const char *sipspec_gf_param_next(const char *p, const char *lim, sipspec_span *name,
                                  sipspec_span *value);
/* [COMMA] auth-param from p; NULL when p does not start one. */
const char *sipspec_gf_auth_param_next(const char *p, const char *lim, sipspec_span *name,
                                       sipspec_span *value);

#endif
