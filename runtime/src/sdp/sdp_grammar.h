/* sdp_grammar.h: the interface between the re2c grammar (grammar/sdp.re, generated into the
 * build tree) and the hand-written SDP parser (sdp_parse.c).
 *
 * Each sdp_gr_<rule>() matches one whole line value (the text after "x=", without the line
 * end) against the ABNF rule of RFC 8866 section 9 (or of the RFC that defines an
 * attribute) and reports the fields it found as [b, e) offsets into that value. It never
 * reads outside [s, s + n). On failure it returns SDP_GR_FAIL and sets m->far to the offset
 * of the first byte the rule could not accept.
 */
#ifndef SIPSPEC_SDP_GRAMMAR_H
#define SIPSPEC_SDP_GRAMMAR_H

#include <stddef.h>

#define SDP_GR_NOPOS ((size_t)-1)
#define SDP_GR_NSPANS 8

enum {
  SDP_GR_FAIL = -1,
  SDP_GR_OK = 0
};

typedef struct sdp_gr_span {
  size_t b, e;   /* b == SDP_GR_NOPOS when the optional part is absent */
} sdp_gr_span;

typedef struct sdp_gr_match {
  sdp_gr_span f[SDP_GR_NSPANS];
  size_t far;    /* on failure: offset of the first byte not accepted */
  int value;     /* rules that choose among keywords report which one here */
} sdp_gr_match;

/* Address kinds reported by sdp_gr_address() in m->value (same numbers as sipspec_sdp_addr_kind). */
enum { SDP_GR_ADDR_IP4 = 1, SDP_GR_ADDR_IP6 = 2, SDP_GR_ADDR_FQDN = 3, SDP_GR_ADDR_OTHER = 4 };

/* Session and media lines (RFC 8866 section 9). */
int sdp_gr_proto_version(const char *s, size_t n, sdp_gr_match *m);   /* f0 = version */
int sdp_gr_origin(const char *s, size_t n, sdp_gr_match *m);          /* f0..f5 */
int sdp_gr_text(const char *s, size_t n, sdp_gr_match *m);            /* s= i= e= p= */
int sdp_gr_uri(const char *s, size_t n, sdp_gr_match *m);             /* u= */
int sdp_gr_connection(const char *s, size_t n, sdp_gr_match *m);      /* f0 nettype, f1 addrtype, f2 address */
int sdp_gr_address(const char *s, size_t n, sdp_gr_match *m);         /* value = kind; f0 addr, f1 ttl, f2 count */
int sdp_gr_bandwidth(const char *s, size_t n, sdp_gr_match *m);       /* f0 bwtype, f1 bandwidth */
int sdp_gr_time(const char *s, size_t n, sdp_gr_match *m);            /* f0 start, f1 stop */
int sdp_gr_repeat(const char *s, size_t n, sdp_gr_match *m);
int sdp_gr_zone(const char *s, size_t n, sdp_gr_match *m);
int sdp_gr_key(const char *s, size_t n, sdp_gr_match *m);
int sdp_gr_attribute(const char *s, size_t n, sdp_gr_match *m);      /* f0 name, f1 value */
int sdp_gr_media(const char *s, size_t n, sdp_gr_match *m);           /* f0 media, f1 port, f2 nports, f3 proto, f4 fmt list */

/* Attribute values. */
int sdp_gr_rtpmap(const char *s, size_t n, sdp_gr_match *m);          /* f0 pt, f1 encoding, f2 rate, f3 params */
int sdp_gr_fmtp(const char *s, size_t n, sdp_gr_match *m);            /* f0 fmt, f1 params */
int sdp_gr_ptime(const char *s, size_t n, sdp_gr_match *m);           /* f0 integer part */
int sdp_gr_setup(const char *s, size_t n, sdp_gr_match *m);           /* value = sipspec_sdp_setup */
int sdp_gr_connmode(const char *s, size_t n, sdp_gr_match *m);        /* value = sipspec_sdp_connmode */
int sdp_gr_token(const char *s, size_t n, sdp_gr_match *m);           /* a=resource, a=mid */
int sdp_gr_channel(const char *s, size_t n, sdp_gr_match *m);         /* f0 id, f1 resource */
int sdp_gr_digits(const char *s, size_t n, sdp_gr_match *m);          /* a=cmid */
int sdp_gr_fingerprint(const char *s, size_t n, sdp_gr_match *m);     /* f0 hash, f1 fingerprint */
int sdp_gr_flag(const char *s, size_t n, sdp_gr_match *m);            /* property attributes: empty */

#endif
