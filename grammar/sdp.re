/* grammar/sdp.re: the SDP grammar, one rule per line type (RFC 8866 section 9) and per typed
 * attribute value (RFC 8866 section 6, RFC 4145, RFC 4572, RFC 5888, RFC 6787).
 *
 * Each function matches a whole line value, the bytes after "x=" without the line end.
 * Input is indexed, never dereferenced past its end: YYPEEK yields 0 at the end (a fake
 * sentinel), so every rule ends in "\x00" and the action checks that this 0 was the end
 * and not a NUL byte inside the line. `far` records the furthest byte looked at, which is
 * where a failing rule stopped: the column in the error message.
 * Rule names follow the ABNF; the C around the rules only stores the tag offsets.
 */
#include "sdp/sdp_grammar.h"

/*!re2c
  re2c:api = custom;
  re2c:api:style = free-form;
  re2c:define:YYCTYPE = "unsigned char";
  re2c:define:YYPEEK = "(far = cur > far ? cur : far, cur < n ? (unsigned char)s[cur] : 0u)";
  re2c:define:YYSKIP = "++cur;";
  re2c:define:YYBACKUP = "mar = cur;";
  re2c:define:YYRESTORE = "cur = mar;";
  re2c:define:YYSTAGP = "@@{tag} = cur;";
  re2c:define:YYSTAGN = "@@{tag} = SDP_GR_NOPOS;";
  re2c:define:YYSHIFTSTAG = "@@{tag} += @@{shift};";
  re2c:yyfill:enable = 0;
  re2c:flags:tags = 1;

  end            = "\x00";
  SP             = " ";
  DIGIT          = [0-9];
  POS_DIGIT      = [1-9];
  ALPHA          = [A-Za-z];
  HEXDIG         = [0-9A-Fa-f];
  alpha_numeric  = [A-Za-z0-9];
  token_char     = [\x21\x23-\x27\x2A\x2B\x2D\x2E\x30-\x39\x41-\x5A\x5E-\x7E];
  token          = token_char+;
  byte_string    = [\x01-\x09\x0B\x0C\x0E-\xFF]+;
  text           = byte_string;
  non_ws_string  = [\x21-\xFF]+;
  VCHAR          = [\x21-\x7E];
  integer        = POS_DIGIT DIGIT*;

  decimal_uchar  = DIGIT | POS_DIGIT DIGIT | "1" DIGIT DIGIT | "2" [0-4] DIGIT | "25" [0-5];
  IP4_address    = decimal_uchar "." decimal_uchar "." decimal_uchar "." decimal_uchar;
  h16            = HEXDIG{1,4};
  ls32           = h16 ":" h16 | IP4_address;
  IP6_address    =                                (h16 ":"){6} ls32
                 |                           "::" (h16 ":"){5} ls32
                 | (                   h16)? "::" (h16 ":"){4} ls32
                 | ((h16 ":"){0,1} h16)?     "::" (h16 ":"){3} ls32
                 | ((h16 ":"){0,2} h16)?     "::" (h16 ":"){2} ls32
                 | ((h16 ":"){0,3} h16)?     "::" h16 ":" ls32
                 | ((h16 ":"){0,4} h16)?     "::" ls32
                 | ((h16 ":"){0,5} h16)?     "::" h16
                 | ((h16 ":"){0,6} h16)?     "::";
  FQDN           = (alpha_numeric | "-" | "."){4,};

  username       = non_ws_string;
  sess_id        = DIGIT+;
  sess_version   = DIGIT+;
  nettype        = token;
  addrtype       = token;
  unicast_address = non_ws_string;
  bwtype         = token;
  bandwidth      = DIGIT+;
  time           = DIGIT+;
  fixed_len_time_unit = [dhms];
  typed_time     = DIGIT+ fixed_len_time_unit?;
  repeat_interval = POS_DIGIT DIGIT* fixed_len_time_unit?;
  uri            = VCHAR+;
  media          = token;
  port           = DIGIT+;
  proto          = token ("/" token)*;
  fmt            = token;
  att_field      = token;
  att_value      = byte_string;
*/

static void gr_reset(sdp_gr_match *m) {
  for (int i = 0; i < SDP_GR_NSPANS; i++) {
    m->f[i].b = SDP_GR_NOPOS;
    m->f[i].e = SDP_GR_NOPOS;
  }
  m->far = 0;
  m->value = 0;
}

static void gr_span(sdp_gr_match *m, int i, size_t b, size_t e) {
  if (b == SDP_GR_NOPOS || e == SDP_GR_NOPOS) return;
  m->f[i].b = b;
  m->f[i].e = e;
}

/* The rule matched up to a 0 byte: success only when that 0 was the end of the value. */
static int gr_done(sdp_gr_match *m, size_t cur, size_t n) {
  if (cur != n + 1) {
    m->far = cur - 1;
    return SDP_GR_FAIL;
  }
  return SDP_GR_OK;
}

static int gr_fail(sdp_gr_match *m, size_t far, size_t n) {
  m->far = far > n ? n : far;
  return SDP_GR_FAIL;
}

#define GR_BEGIN size_t cur = 0, mar = 0, far = 0; (void)mar; gr_reset(m)

/* proto-version = %s"v" "=" 1*DIGIT CRLF */
int sdp_gr_proto_version(const char *s, size_t n, sdp_gr_match *m) {
  GR_BEGIN; size_t a, b;
  /*!stags:re2c format = "size_t @@ = SDP_GR_NOPOS; (void)@@;\n"; */
  /*!re2c
    @a DIGIT+ @b end { gr_span(m, 0, a, b); return gr_done(m, cur, n); }
    *                { return gr_fail(m, far, n); }
  */
}

/* origin-field = username SP sess-id SP sess-version SP nettype SP addrtype SP unicast-address */
int sdp_gr_origin(const char *s, size_t n, sdp_gr_match *m) {
  GR_BEGIN; size_t u0, u1, i0, i1, v0, v1, n0, n1, t0, t1, a0;
  /*!stags:re2c format = "size_t @@ = SDP_GR_NOPOS; (void)@@;\n"; */
  /*!re2c
    @u0 username @u1 SP @i0 sess_id @i1 SP @v0 sess_version @v1 SP
    @n0 nettype @n1 SP @t0 addrtype @t1 SP @a0 unicast_address end {
      gr_span(m, 0, u0, u1); gr_span(m, 1, i0, i1); gr_span(m, 2, v0, v1);
      gr_span(m, 3, n0, n1); gr_span(m, 4, t0, t1); gr_span(m, 5, a0, n);
      return gr_done(m, cur, n);
    }
    * { return gr_fail(m, far, n); }
  */
}

/* session-name-field, information-field, email-field, phone-field: text */
int sdp_gr_text(const char *s, size_t n, sdp_gr_match *m) {
  GR_BEGIN;
  /*!re2c
    text end { gr_span(m, 0, 0, n); return gr_done(m, cur, n); }
    *        { return gr_fail(m, far, n); }
  */
}

/* uri-field = %s"u" "=" uri CRLF (URI-reference: no spaces, no controls) */
int sdp_gr_uri(const char *s, size_t n, sdp_gr_match *m) {
  GR_BEGIN;
  /*!re2c
    uri end { gr_span(m, 0, 0, n); return gr_done(m, cur, n); }
    *       { return gr_fail(m, far, n); }
  */
}

/* connection-field = %s"c" "=" nettype SP addrtype SP connection-address CRLF */
int sdp_gr_connection(const char *s, size_t n, sdp_gr_match *m) {
  GR_BEGIN; size_t n0, n1, t0, t1, a0;
  /*!stags:re2c format = "size_t @@ = SDP_GR_NOPOS; (void)@@;\n"; */
  /*!re2c
    @n0 nettype @n1 SP @t0 addrtype @t1 SP @a0 non_ws_string end {
      gr_span(m, 0, n0, n1); gr_span(m, 1, t0, t1); gr_span(m, 2, a0, n);
      return gr_done(m, cur, n);
    }
    * { return gr_fail(m, far, n); }
  */
}

/* connection-address = multicast-address / unicast-address, told apart by form:
 * IP4-address ["/" ttl ["/" numaddr]], IP6-address ["/" numaddr], FQDN, extn-addr. */
int sdp_gr_address(const char *s, size_t n, sdp_gr_match *m) {
  GR_BEGIN; size_t a1, t0, t1, c0, c1;
  /*!stags:re2c format = "size_t @@ = SDP_GR_NOPOS; (void)@@;\n"; */
  /*!re2c
    IP4_address @a1 ("/" @t0 DIGIT{1,3} @t1 ("/" @c0 DIGIT{1,5} @c1)?)? end {
      m->value = SDP_GR_ADDR_IP4; gr_span(m, 0, 0, a1); gr_span(m, 1, t0, t1);
      gr_span(m, 2, c0, c1); return gr_done(m, cur, n);
    }
    IP6_address @a1 ("/" @c0 DIGIT{1,5} @c1)? end {
      m->value = SDP_GR_ADDR_IP6; gr_span(m, 0, 0, a1); gr_span(m, 2, c0, c1);
      return gr_done(m, cur, n);
    }
    FQDN end          { m->value = SDP_GR_ADDR_FQDN; gr_span(m, 0, 0, n); return gr_done(m, cur, n); }
    non_ws_string end { m->value = SDP_GR_ADDR_OTHER; gr_span(m, 0, 0, n); return gr_done(m, cur, n); }
    *                 { return gr_fail(m, far, n); }
  */
}

/* bandwidth-fields = *(%s"b" "=" bwtype ":" bandwidth CRLF) */
int sdp_gr_bandwidth(const char *s, size_t n, sdp_gr_match *m) {
  GR_BEGIN; size_t t1, v0;
  /*!stags:re2c format = "size_t @@ = SDP_GR_NOPOS; (void)@@;\n"; */
  /*!re2c
    bwtype @t1 ":" @v0 bandwidth end { gr_span(m, 0, 0, t1); gr_span(m, 1, v0, n); return gr_done(m, cur, n); }
    *                                { return gr_fail(m, far, n); }
  */
}

/* time-field = %s"t" "=" start-time SP stop-time (start-time = time / "0") */
int sdp_gr_time(const char *s, size_t n, sdp_gr_match *m) {
  GR_BEGIN; size_t a1, b0;
  /*!stags:re2c format = "size_t @@ = SDP_GR_NOPOS; (void)@@;\n"; */
  /*!re2c
    time @a1 SP @b0 time end { gr_span(m, 0, 0, a1); gr_span(m, 1, b0, n); return gr_done(m, cur, n); }
    *                        { return gr_fail(m, far, n); }
  */
}

/* repeat-field = %s"r" "=" repeat-interval SP typed-time 1*(SP typed-time) */
int sdp_gr_repeat(const char *s, size_t n, sdp_gr_match *m) {
  GR_BEGIN;
  /*!re2c
    repeat_interval SP typed_time (SP typed_time)+ end { gr_span(m, 0, 0, n); return gr_done(m, cur, n); }
    *                                                  { return gr_fail(m, far, n); }
  */
}

/* zone-adjustments = %s"z" "=" time SP ["-"] typed-time *(SP time SP ["-"] typed-time) */
int sdp_gr_zone(const char *s, size_t n, sdp_gr_match *m) {
  GR_BEGIN;
  /*!re2c
    time SP "-"? typed_time (SP time SP "-"? typed_time)* end { gr_span(m, 0, 0, n); return gr_done(m, cur, n); }
    *                                                         { return gr_fail(m, far, n); }
  */
}

/* key-field = %s"k" "=" key-type: "prompt" / "clear:" text / "base64:" base64 / "uri:" uri
 * / key-method [":" text]; all of these are token [":" text]. */
int sdp_gr_key(const char *s, size_t n, sdp_gr_match *m) {
  GR_BEGIN;
  /*!re2c
    token (":" text)? end { gr_span(m, 0, 0, n); return gr_done(m, cur, n); }
    *                     { return gr_fail(m, far, n); }
  */
}

/* attribute = (attribute-name ":" attribute-value) / attribute-name */
int sdp_gr_attribute(const char *s, size_t n, sdp_gr_match *m) {
  GR_BEGIN; size_t a1, v0;
  /*!stags:re2c format = "size_t @@ = SDP_GR_NOPOS; (void)@@;\n"; */
  /*!re2c
    att_field @a1 (":" @v0 att_value)? end {
      gr_span(m, 0, 0, a1); gr_span(m, 1, v0, n); return gr_done(m, cur, n);
    }
    * { return gr_fail(m, far, n); }
  */
}

/* media-field = %s"m" "=" media SP port ["/" integer] SP proto 1*(SP fmt) */
int sdp_gr_media(const char *s, size_t n, sdp_gr_match *m) {
  GR_BEGIN; size_t m1, p0, p1, q0, q1, r0, r1;
  /*!stags:re2c format = "size_t @@ = SDP_GR_NOPOS; (void)@@;\n"; */
  /*!re2c
    media @m1 SP @p0 port @p1 ("/" @q0 integer @q1)? SP @r0 proto @r1 (SP fmt)+ end {
      gr_span(m, 0, 0, m1); gr_span(m, 1, p0, p1); gr_span(m, 2, q0, q1);
      gr_span(m, 3, r0, r1); gr_span(m, 4, r1 + 1, n); return gr_done(m, cur, n);
    }
    * { return gr_fail(m, far, n); }
  */
}

/* rtpmap-value = payload-type SP encoding-name "/" clock-rate ["/" encoding-params] */
int sdp_gr_rtpmap(const char *s, size_t n, sdp_gr_match *m) {
  GR_BEGIN; size_t p1, e0, e1, r0, r1, x0;
  /*!stags:re2c format = "size_t @@ = SDP_GR_NOPOS; (void)@@;\n"; */
  /*!re2c
    DIGIT{1,3} @p1 SP @e0 token @e1 "/" @r0 integer @r1 ("/" @x0 token)? end {
      gr_span(m, 0, 0, p1); gr_span(m, 1, e0, e1); gr_span(m, 2, r0, r1);
      gr_span(m, 3, x0, n); return gr_done(m, cur, n);
    }
    * { return gr_fail(m, far, n); }
  */
}

/* fmtp-value = fmt SP format-specific-params */
int sdp_gr_fmtp(const char *s, size_t n, sdp_gr_match *m) {
  GR_BEGIN; size_t f1, v0;
  /*!stags:re2c format = "size_t @@ = SDP_GR_NOPOS; (void)@@;\n"; */
  /*!re2c
    fmt @f1 SP @v0 byte_string end { gr_span(m, 0, 0, f1); gr_span(m, 1, v0, n); return gr_done(m, cur, n); }
    *                              { return gr_fail(m, far, n); }
  */
}

/* ptime-value / maxptime-value = 1*DIGIT ["." 1*DIGIT] (milliseconds) */
int sdp_gr_ptime(const char *s, size_t n, sdp_gr_match *m) {
  GR_BEGIN; size_t i1;
  /*!stags:re2c format = "size_t @@ = SDP_GR_NOPOS; (void)@@;\n"; */
  /*!re2c
    DIGIT{1,9} @i1 ("." DIGIT+)? end { gr_span(m, 0, 0, i1); return gr_done(m, cur, n); }
    *                                { return gr_fail(m, far, n); }
  */
}

/* setup-value (RFC 4145 section 4) = "active" / "passive" / "actpass" / "holdconn" */
int sdp_gr_setup(const char *s, size_t n, sdp_gr_match *m) {
  GR_BEGIN;
  /*!re2c
    "active" end   { m->value = 1; return gr_done(m, cur, n); }
    "passive" end  { m->value = 2; return gr_done(m, cur, n); }
    "actpass" end  { m->value = 3; return gr_done(m, cur, n); }
    "holdconn" end { m->value = 4; return gr_done(m, cur, n); }
    *              { return gr_fail(m, far, n); }
  */
}

/* conn-value (RFC 4145 section 5) = "new" / "existing" */
int sdp_gr_connmode(const char *s, size_t n, sdp_gr_match *m) {
  GR_BEGIN;
  /*!re2c
    "new" end      { m->value = 1; return gr_done(m, cur, n); }
    "existing" end { m->value = 2; return gr_done(m, cur, n); }
    *              { return gr_fail(m, far, n); }
  */
}

/* resource (RFC 6787 section 4.2), identification-tag (RFC 5888 section 4) = token */
int sdp_gr_token(const char *s, size_t n, sdp_gr_match *m) {
  GR_BEGIN;
  /*!re2c
    token end { gr_span(m, 0, 0, n); return gr_done(m, cur, n); }
    *         { return gr_fail(m, far, n); }
  */
}

/* channel-id (RFC 6787 section 6.2.1) = 1*alphanum "@" 1*alphanum */
int sdp_gr_channel(const char *s, size_t n, sdp_gr_match *m) {
  GR_BEGIN; size_t i1, r0;
  /*!stags:re2c format = "size_t @@ = SDP_GR_NOPOS; (void)@@;\n"; */
  /*!re2c
    alpha_numeric+ @i1 "@" @r0 alpha_numeric+ end {
      gr_span(m, 0, 0, i1); gr_span(m, 1, r0, n); return gr_done(m, cur, n);
    }
    * { return gr_fail(m, far, n); }
  */
}

/* cmid-attribute (RFC 6787 section 4.2) = "a=cmid:" identification-tag; MRCPv2 uses 1*DIGIT */
int sdp_gr_digits(const char *s, size_t n, sdp_gr_match *m) {
  GR_BEGIN;
  /*!re2c
    DIGIT{1,9} end { gr_span(m, 0, 0, n); return gr_done(m, cur, n); }
    *              { return gr_fail(m, far, n); }
  */
}

/* fingerprint-attribute (RFC 4572 section 5) = hash-func SP fingerprint;
 * fingerprint = 2UHEX *(":" 2UHEX) */
int sdp_gr_fingerprint(const char *s, size_t n, sdp_gr_match *m) {
  GR_BEGIN; size_t h1, f0;
  /*!stags:re2c format = "size_t @@ = SDP_GR_NOPOS; (void)@@;\n"; */
  /*!re2c
    token @h1 SP @f0 [0-9A-F]{2} (":" [0-9A-F]{2})* end {
      gr_span(m, 0, 0, h1); gr_span(m, 1, f0, n); return gr_done(m, cur, n);
    }
    * { return gr_fail(m, far, n); }
  */
}

/* Property attributes (a=sendrecv, ...) take no value: only the end matches. */
int sdp_gr_flag(const char *s, size_t n, sdp_gr_match *m) {
  GR_BEGIN;
  /*!re2c
    end { return gr_done(m, cur, n); }
    *   { return gr_fail(m, far, n); }
  */
}
