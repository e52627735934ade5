/* grammar/sip_message.re: the SIP message grammar of RFC 3261 section 25, as re2c rules.
 *
 * One function per header class: the start line, the header-name dispatch (long and
 * compact names, case-insensitive, one DFA for the known names and one for any other
 * token, instead of string compares), and the typed values (via-parm, name-addr /
 * addr-spec, SIP-URI, CSeq, callid, media-type, credentials and challenges, token lists,
 * generic-param). The C in this file only stores tag positions and makes the checks a
 * regular expression cannot (port ranges, the scheme of a URI that failed SIP-URI); the
 * behaviour is in runtime/src/sip/.
 *
 * Input is [p, lim), where lim is the CR ending the value. `end` (that CR) marks a rule
 * that must match the whole value, and its action checks the CR is lim itself, not a bare
 * CR inside. `far` records the furthest byte looked at: where a failing rule stopped.
 */
#include <stddef.h>
#include <string.h>

#include "sip/sip_grammar.h"

/* This file is compiled twice:
 * - sipspec_gf_* (runtime/src/sip/grammar_far.c): bounds-checked. Past lim, YYPEEK yields
 *   CR (a fake sentinel), so any span can be scanned; these also record in far how far
 *   they looked.
 * - sipspec_g_* (the hot path, included by runtime/src/sip/msg.c as static inline
 *   functions, so that the compiler can inline the small ones into the pass): YYPEEK reads
 *   the buffer as is. The caller guarantees that lim is a real CR followed by LF and a
 *   byte that is not a space or tab (the end of an unfolded header line), which stops
 *   every rule at most two bytes after lim. Scanners the parser only runs bounds-checked
 *   have no fast twin. */
#ifdef SIPSPEC_G_TRACK_FAR
#define G_PEEK() (far = cur > far ? cur : far, cur < lim ? (unsigned char)*cur : 13u)
#define G(name) sipspec_gf_##name
#define G_LINK
#else
#define G_PEEK() ((void)lim, (unsigned char)*cur)
#define G(name) sipspec_g_##name
#define G_LINK static inline
#endif
/* After matching `end`: was that CR the end of the value? */
#define AT_END() (cur - 1 == lim)

#ifndef SIPSPEC_G_TRACK_FAR
/* For the fast twins that only check a list element: its end, from the "," or CR after
 * it back over SWS (no element ends in a space, tab or line break)... */
static inline const char *elem_end(const char *e) {
  for (;;) {
    if (e[-1] == ' ' || e[-1] == '\t') e--;
    else if (e[-1] == '\n' && e[-2] == '\r') e -= 2;
    else return e;
  }
}

/* ...and whether the port digits [d, e) stay within 65535. */
static inline int port_ok(const char *d, const char *e) {
  long v = 0;
  for (; d < e && v <= 65535; d++) v = v * 10 + (*d - '0');
  return v <= 65535;
}
#endif

/*!re2c
  re2c:api = custom;
  re2c:api:style = free-form;
  re2c:define:YYCTYPE = "unsigned char";
  re2c:define:YYPEEK = "G_PEEK()";
  re2c:define:YYSKIP = "++cur;";
  re2c:define:YYBACKUP = "mar = cur;";
  re2c:define:YYRESTORE = "cur = mar;";
  re2c:define:YYSTAGP = "@@{tag} = cur;";
  re2c:define:YYSTAGN = "@@{tag} = NULL;";
  re2c:define:YYSHIFTSTAG = "@@{tag} += @@{shift};";
  re2c:yyfill:enable = 0;
  re2c:flags:tags = 1;

  end            = "\r";
  CRLF           = "\r\n";
  SP             = " ";
  WSP            = [ \t];
  DIGIT          = [0-9];
  HEXDIG         = [0-9A-Fa-f];
  ALPHA          = [A-Za-z];
  alphanum       = [A-Za-z0-9];
  LWS            = (WSP* CRLF)? WSP+;
  SWS            = LWS?;
  HCOLON         = WSP* ":";
  SEMI           = SWS ";" SWS;
  COMMA          = SWS "," SWS;
  SLASH          = SWS "/" SWS;
  EQUAL          = SWS "=" SWS;
  COLON          = SWS ":" SWS;
  LAQUOT         = SWS "<";
  RAQUOT         = ">";
  DQUOTE         = ["];

  mark           = [-_.!~*'()];
  unreserved     = alphanum | mark;
  reserved       = [;/?:@&=+$,];
  escaped        = "%" HEXDIG HEXDIG;
  token          = [A-Za-z0-9.!%*_+`'~-]+;
  word           = [A-Za-z0-9.!%*_+`'~()<>:\\"/[\]?{}-]+;
  UTF8_NONASCII  = [\x80-\xff];
  qdtext         = LWS | [\x21\x23-\x5b\x5d-\x7e] | UTF8_NONASCII;
  quoted_pair    = "\\" [\x00-\x09\x0b\x0c\x0e-\x7f];
  quoted_string  = DQUOTE (qdtext | quoted_pair)* DQUOTE;

  decimal_uchar  = DIGIT{1,3};
  IPv4address    = decimal_uchar "." decimal_uchar "." decimal_uchar "." decimal_uchar;
  h16            = HEXDIG{1,4};
  ls32           = h16 ":" h16 | IPv4address;
  IPv6address    =                                (h16 ":"){6} ls32
                 |                           "::" (h16 ":"){5} ls32
                 | (                   h16)? "::" (h16 ":"){4} ls32
                 | ((h16 ":"){0,1} h16)?     "::" (h16 ":"){3} ls32
                 | ((h16 ":"){0,2} h16)?     "::" (h16 ":"){2} ls32
                 | ((h16 ":"){0,3} h16)?     "::" h16 ":" ls32
                 | ((h16 ":"){0,4} h16)?     "::" ls32
                 | ((h16 ":"){0,5} h16)?     "::" h16
                 | ((h16 ":"){0,6} h16)?     "::";
  IPv6reference  = "[" IPv6address "]";
  domainlabel    = alphanum | alphanum (alphanum | "-")* alphanum;
  toplabel       = ALPHA | ALPHA (alphanum | "-")* alphanum;
  hostname       = (domainlabel ".")* toplabel "."?;
  host           = hostname | IPv4address | IPv6reference;
  port           = DIGIT+;

  user_unreserved = [&=+$,;?/];
  user           = (unreserved | escaped | user_unreserved)+;
  password       = (unreserved | escaped | [&=+$,])*;
  param_unreserved = [[\]/:&+$];
  paramchar      = param_unreserved | unreserved | escaped;
  uri_parameter  = paramchar+ ("=" paramchar+)?;
  uri_parameters = (";" uri_parameter)*;
  hnv_unreserved = [[\]/?:+$];
  hname          = (hnv_unreserved | unreserved | escaped)+;
  hvalue         = (hnv_unreserved | unreserved | escaped)*;
  headers        = "?" hname "=" hvalue ("&" hname "=" hvalue)*;
  scheme         = ALPHA (ALPHA | DIGIT | [+.-])*;
  uric           = reserved | unreserved | escaped | [[\]];

  schar          = [A-Za-z0-9+.-];
  scheme_other   = [A-RT-Za-rt-z] schar*
                 | [sS]
                 | [sS] [A-HJ-Za-hj-z0-9+.-] schar*
                 | [sS] [iI]
                 | [sS] [iI] [A-OQ-Za-oq-z0-9+.-] schar*
                 | [sS] [iI] [pP] [A-RT-Za-rt-z0-9+.-] schar*
                 | [sS] [iI] [pP] [sS] schar+;
  SIP_URI        = ('sip' | 'sips') ":" (user (":" password)? "@")? host (":" DIGIT{1,5})?
                   uri_parameters headers?;
  other_URI      = scheme_other ":" uric+;
  user_plain     = (unreserved | escaped | [&=+$/])+;
  SIP_URI_plain  = ('sip' | 'sips') ":" (user_plain (":" (unreserved | escaped | [&=+$])*)? "@")?
                   host (":" DIGIT{1,5})?;
  other_plain    = scheme_other ":" [^\x00-\x20\x7f<>";,?]+;

  gen_value      = [A-Za-z0-9.!%*_+`'~:[\]-]+ | quoted_string; /* token | host | quoted-string */
  generic_param  = token (EQUAL gen_value)?;
  display_name   = (token (LWS token)*)? | quoted_string;

  Method         = token;
  SIP_Version    = 'SIP' "/" DIGIT+ "." DIGIT+;
  Reason_Phrase  = [^\x00\r\n]*;
  Status_Code    = DIGIT DIGIT DIGIT;

  wkday          = "Mon" | "Tue" | "Wed" | "Thu" | "Fri" | "Sat" | "Sun";
  month          = "Jan" | "Feb" | "Mar" | "Apr" | "May" | "Jun"
                 | "Jul" | "Aug" | "Sep" | "Oct" | "Nov" | "Dec";
  date1          = DIGIT{2} SP month SP DIGIT{4};
  time           = DIGIT{2} ":" DIGIT{2} ":" DIGIT{2};
  rfc1123_date   = wkday "," SP date1 SP time SP "GMT";
*/

#ifdef SIPSPEC_G_TRACK_FAR /* bounds-checked only */
G_LINK const char *G(start_line)(const char *p, const char *lim, sipspec_g_start *o,
                                 const char **farp) {
  const char *cur = p, *mar = NULL, *far = p;
  const char *m0, *m1, *u0, *u1, *v0, *v1, *s0, *s1, *r0, *r1;
  (void)mar;
  /*!stags:re2c format = "const char *@@ = NULL; (void)@@;\n"; */
  /*!re2c
    @m0 Method @m1 SP @u0 [^\x00 \t\r\n]+ @u1 SP @v0 SIP_Version @v1 CRLF {
      o->is_request = 1;
      o->method = (sipspec_span){m0, (size_t)(m1 - m0)};
      o->uri = (sipspec_span){u0, (size_t)(u1 - u0)};
      o->version = (sipspec_span){v0, (size_t)(v1 - v0)};
      return cur;
    }
    @v0 SIP_Version @v1 SP @s0 Status_Code @s1 SP @r0 Reason_Phrase @r1 CRLF {
      o->is_request = 0;
      o->version = (sipspec_span){v0, (size_t)(v1 - v0)};
      o->status = (sipspec_span){s0, (size_t)(s1 - s0)};
      o->reason = (sipspec_span){r0, (size_t)(r1 - r0)};
      return cur;
    }
    * { *farp = far; return NULL; }
  */
}
#endif

/* The start line with its Request-URI checked in the same pass: the same rules as
 * start_line followed by uri (below), which only the error path still runs separately,
 * to tell a bad start line from a bad Request-URI. Also sets o->uri_kind and
 * o->uri_headers. A sip: or sips: URI that is no SIP-URI fails, as in uri. */
G_LINK const char *G(start_line_strict)(const char *p, const char *lim, sipspec_g_start *o,
                                 const char **farp) {
  const char *cur = p, *mar = NULL, *far = p;
  const char *m0, *m1, *u0, *u1, *v0, *v1, *s0, *s1, *r0, *r1, *q0, *q1, *x0;
  (void)mar;
  /*!stags:re2c format = "const char *@@ = NULL; (void)@@;\n"; */
  /*!re2c
    @m0 Method @m1 SP @u0 ('sip' | 'sips') ":" (user (":" password)? "@")? host
      (":" @q0 port @q1)? uri_parameters @x0 headers? @u1 SP @v0 SIP_Version @v1 CRLF {
      if (q0) {
        long v = 0;
        for (const char *d = q0; d < q1 && v <= 65535; d++) v = v * 10 + (*d - '0');
        if (v > 65535) { *farp = q0; return NULL; }
      }
      o->uri_kind = u0[3] == ':' ? SIPSPEC_URI_SIP : SIPSPEC_URI_SIPS;
      o->uri_headers = u1 > x0;
      goto request;
    }
    @m0 Method @m1 SP @u0 scheme @s1 ":" uric+ @u1 SP @v0 SIP_Version @v1 CRLF {
      size_t n = (size_t)(s1 - u0);
      if ((n == 3 || n == 4) && (u0[0] | 0x20) == 's' && (u0[1] | 0x20) == 'i' &&
          (u0[2] | 0x20) == 'p' && (n == 3 || (u0[3] | 0x20) == 's')) {
        *farp = far;
        return NULL;
      }
      o->uri_kind = n == 3 && (u0[0] | 0x20) == 't' && (u0[1] | 0x20) == 'e' &&
                    (u0[2] | 0x20) == 'l' ? SIPSPEC_URI_TEL : SIPSPEC_URI_OTHER;
      o->uri_headers = 0;
      goto request;
    }
    @v0 SIP_Version @v1 SP @s0 Status_Code @s1 SP @r0 Reason_Phrase @r1 CRLF {
      o->is_request = 0;
      o->version = (sipspec_span){v0, (size_t)(v1 - v0)};
      o->status = (sipspec_span){s0, (size_t)(s1 - s0)};
      o->reason = (sipspec_span){r0, (size_t)(r1 - r0)};
      return cur;
    }
    * { *farp = far; return NULL; }
  */
request:
  o->is_request = 1;
  o->method = (sipspec_span){m0, (size_t)(m1 - m0)};
  o->uri = (sipspec_span){u0, (size_t)(u1 - u0)};
  o->version = (sipspec_span){v0, (size_t)(v1 - v0)};
  return cur;
}

G_LINK int G(header_name)(const char *p, const char *lim, const char **name_end,
                          const char **value) {
  const char *cur = p, *mar = NULL, *far = p, *e;
  int id;
  (void)mar;
  /*!stags:re2c format = "const char *@@ = NULL; (void)@@;\n"; */
  /*!re2c
    ('Via' | 'v') @e HCOLON                { id = SIPSPEC_H_VIA; goto done; }
    ('From' | 'f') @e HCOLON               { id = SIPSPEC_H_FROM; goto done; }
    ('To' | 't') @e HCOLON                 { id = SIPSPEC_H_TO; goto done; }
    ('Call-ID' | 'i') @e HCOLON            { id = SIPSPEC_H_CALL_ID; goto done; }
    'CSeq' @e HCOLON                         { id = SIPSPEC_H_CSEQ; goto done; }
    'Max-Forwards' @e HCOLON                 { id = SIPSPEC_H_MAX_FORWARDS; goto done; }
    ('Contact' | 'm') @e HCOLON            { id = SIPSPEC_H_CONTACT; goto done; }
    'Route' @e HCOLON                        { id = SIPSPEC_H_ROUTE; goto done; }
    'Record-Route' @e HCOLON                 { id = SIPSPEC_H_RECORD_ROUTE; goto done; }
    ('Content-Type' | 'c') @e HCOLON       { id = SIPSPEC_H_CONTENT_TYPE; goto done; }
    ('Content-Length' | 'l') @e HCOLON     { id = SIPSPEC_H_CONTENT_LENGTH; goto done; }
    'Expires' @e HCOLON                      { id = SIPSPEC_H_EXPIRES; goto done; }
    'Retry-After' @e HCOLON                  { id = SIPSPEC_H_RETRY_AFTER; goto done; }
    'WWW-Authenticate' @e HCOLON             { id = SIPSPEC_H_WWW_AUTHENTICATE; goto done; }
    'Proxy-Authenticate' @e HCOLON           { id = SIPSPEC_H_PROXY_AUTHENTICATE; goto done; }
    'Authorization' @e HCOLON                { id = SIPSPEC_H_AUTHORIZATION; goto done; }
    'Proxy-Authorization' @e HCOLON          { id = SIPSPEC_H_PROXY_AUTHORIZATION; goto done; }
    'Allow' @e HCOLON                        { id = SIPSPEC_H_ALLOW; goto done; }
    ('Supported' | 'k') @e HCOLON          { id = SIPSPEC_H_SUPPORTED; goto done; }
    'Require' @e HCOLON                      { id = SIPSPEC_H_REQUIRE; goto done; }
    'Proxy-Require' @e HCOLON                { id = SIPSPEC_H_PROXY_REQUIRE; goto done; }
    'Unsupported' @e HCOLON                  { id = SIPSPEC_H_UNSUPPORTED; goto done; }
    'Reason' @e HCOLON                       { id = SIPSPEC_H_REASON; goto done; }
    'User-Agent' @e HCOLON                   { id = SIPSPEC_H_USER_AGENT; goto done; }
    'Server' @e HCOLON                       { id = SIPSPEC_H_SERVER; goto done; }
    ('Content-Encoding' | 'e') @e HCOLON   { id = SIPSPEC_H_CONTENT_ENCODING; goto done; }
    ('Subject' | 's') @e HCOLON            { id = SIPSPEC_H_SUBJECT; goto done; }
    ('Event' | 'o') @e HCOLON              { id = SIPSPEC_H_EVENT; goto done; }
    ('Allow-Events' | 'u') @e HCOLON       { id = SIPSPEC_H_ALLOW_EVENTS; goto done; }
    ('Refer-To' | 'r') @e HCOLON           { id = SIPSPEC_H_REFER_TO; goto done; }
    ('Referred-By' | 'b') @e HCOLON        { id = SIPSPEC_H_REFERRED_BY; goto done; }
    ('Accept-Contact' | 'a') @e HCOLON     { id = SIPSPEC_H_ACCEPT_CONTACT; goto done; }
    ('Reject-Contact' | 'j') @e HCOLON     { id = SIPSPEC_H_REJECT_CONTACT; goto done; }
    ('Request-Disposition' | 'd') @e HCOLON{ id = SIPSPEC_H_REQUEST_DISPOSITION; goto done; }
    ('Session-Expires' | 'x') @e HCOLON    { id = SIPSPEC_H_SESSION_EXPIRES; goto done; }
    ('Identity' | 'y') @e HCOLON           { id = SIPSPEC_H_IDENTITY; goto done; }
    ('Identity-Info' | 'n') @e HCOLON      { id = SIPSPEC_H_IDENTITY_INFO; goto done; }
    'Accept' @e HCOLON                       { id = SIPSPEC_H_ACCEPT; goto done; }
    'Min-Expires' @e HCOLON                  { id = SIPSPEC_H_MIN_EXPIRES; goto done; }
    'Date' @e HCOLON                         { id = SIPSPEC_H_DATE; goto done; }
    *                                      { goto other; }
  */
other:
  /* Not a name above: without a generic token rule beside them, the known names' DFA
   * tests one or two bytes per state. Any other name comes here, from p again. */
  cur = p;
  /*!re2c
    token @e HCOLON                        { id = SIPSPEC_H_OTHER; goto done; }
    *                                      { return -1; }
  */
done:
  /* cur is past the colon; then the spaces and tabs before the value. */
  (void)far;
  *name_end = e;
  for (unsigned char c = G_PEEK(); c == ' ' || c == '\t'; c = G_PEEK()) cur++;
  *value = cur;
  return id;
}

G_LINK const char *G(via)(const char *p, const char *lim, sipspec_via *o, const char **farp) {
  const char *cur = p, *mar = NULL, *far = p, *q0, *q1;
  (void)mar;
  /*!stags:re2c format = "const char *@@ = NULL; (void)@@;\n"; */
#ifndef SIPSPEC_G_TRACK_FAR
  /* The fast twin only checks the via-parm (the parser keeps the value as a span and
   * sipspec_via_parse() reads it with the twin below): the same rule with no tags but
   * the port's, and o left alone. */
  (void)o;
  /*!re2c
    token SLASH token SLASH token LWS host (COLON @q0 port @q1)? (SEMI generic_param)*
      SWS ("," | end) {
      if (q0 && !port_ok(q0, q1)) { *farp = q0; return NULL; }
      return elem_end(cur - 1);
    }
    * { *farp = far; return NULL; }
  */
#else
  const char *n0, *n1, *v0, *v1, *t0, *t1, *h0, *h1, *a0, *e;
  /*!re2c
    @n0 token @n1 SLASH @v0 token @v1 SLASH @t0 token @t1 LWS @h0 host @h1
      (COLON @q0 port @q1)? @a0 (SEMI generic_param)* @e SWS ("," | end) {
      o->protocol = (sipspec_span){n0, (size_t)(n1 - n0)};
      o->version = (sipspec_span){v0, (size_t)(v1 - v0)};
      o->transport = (sipspec_span){t0, (size_t)(t1 - t0)};
      o->host = (sipspec_span){h0, (size_t)(h1 - h0)};
      o->port = -1;
      if (q0) {
        long v = 0;
        if (q1 - q0 <= 5) /* cannot overflow */
          for (const char *d = q0; d < q1; d++) v = v * 10 + (*d - '0');
        else
          for (const char *d = q0; d < q1 && v <= 65535; d++) v = v * 10 + (*d - '0');
        if (v > 65535) { *farp = q0; return NULL; }
        o->port = (int)v;
      }
      o->params = (sipspec_span){a0, (size_t)(e - a0)};
      return e;
    }
    * { *farp = far; return NULL; }
  */
#endif
}

/* name-addr: [ display-name ] LAQUOT addr-spec RAQUOT, then header params. */
static const char *G(name_addr)(const char *p, const char *lim, sipspec_addr *o,
                                const char **farp) {
  const char *cur = p, *mar = NULL, *far = p;
  (void)mar;
  /*!stags:re2c format = "const char *@@ = NULL; (void)@@;\n"; */
#ifndef SIPSPEC_G_TRACK_FAR
  /* The fast twin only checks (the parser keeps the value; sipspec_addr_parse() reads
   * it with the twin below): the same rule without tags, and o left alone. */
  (void)o;
  /*!re2c
    display_name LAQUOT (SIP_URI | other_URI) RAQUOT (SEMI generic_param)* SWS ("," | end) {
      return elem_end(cur - 1);
    }
    * { *farp = far; return NULL; }
  */
#else
  const char *d0, *d1, *u0, *u1, *a0, *e;
  /*!re2c
    @d0 display_name @d1 LAQUOT @u0 (SIP_URI | other_URI) @u1 RAQUOT @a0 (SEMI generic_param)*
      @e SWS ("," | end) {
      while (d1 > d0 && (d1[-1] == ' ' || d1[-1] == '\t' || d1[-1] == '\n' || d1[-1] == '\r'))
        d1--;
      o->display = (sipspec_span){d1 > d0 ? d0 : NULL, (size_t)(d1 - d0)};
      o->uri = (sipspec_span){u0, (size_t)(u1 - u0)};
      o->params = (sipspec_span){a0, (size_t)(e - a0)};
      return e;
    }
    * { *farp = far; return NULL; }
  */
#endif
}

/* addr-spec without angle brackets (no ';', '?' or ',' in the URI), then header params. */
static const char *G(addr_spec)(const char *p, const char *lim, sipspec_addr *o,
                                const char **farp) {
  const char *cur = p, *mar = NULL, *far = p;
  (void)mar;
  /*!stags:re2c format = "const char *@@ = NULL; (void)@@;\n"; */
#ifndef SIPSPEC_G_TRACK_FAR
  (void)o; /* as name_addr: the fast twin only checks */
  /*!re2c
    (SIP_URI_plain | other_plain) (SEMI generic_param)* SWS ("," | end) {
      return elem_end(cur - 1);
    }
    * { *farp = far; return NULL; }
  */
#else
  const char *u1, *a0, *e;
  /*!re2c
    (SIP_URI_plain | other_plain) @u1 @a0 (SEMI generic_param)* @e SWS ("," | end) {
      o->display = (sipspec_span){NULL, 0};
      o->uri = (sipspec_span){p, (size_t)(u1 - p)};
      o->params = (sipspec_span){a0, (size_t)(e - a0)};
      return e;
    }
    * { *farp = far; return NULL; }
  */
#endif
}

/* (The list-element scanners above match up to the "," or CR that follows the element, so
 * that the DFA accepts only there instead of at every byte, and return the element's end.)
 *
 * One name-addr or addr-spec: a value with no '<' can only be an addr-spec, so each of
 * the two smaller DFAs runs alone in the common cases. */
G_LINK const char *G(addr)(const char *p, const char *lim, sipspec_addr *o, const char **farp) {
  const char *e, *far1 = p;
  if (p < lim && (*p == '<' || *p == '"')) { /* no addr-spec starts so */
    if ((e = G(name_addr)(p, lim, o, &far1)) != NULL) return e;
    if (*p == '"' && !memchr(p, '<', (size_t)(lim - p))) far1 = p; /* as if not tried */
  } else if (p < lim && memchr(p, '<', (size_t)(lim - p))) {
    if ((e = G(name_addr)(p, lim, o, &far1)) != NULL) return e;
  }
  if ((e = G(addr_spec)(p, lim, o, farp)) != NULL) return e;
  if (far1 > *farp) *farp = far1;
  return NULL;
}

#ifdef SIPSPEC_G_TRACK_FAR /* bounds-checked only */
G_LINK int G(uri)(const char *p, const char *lim, sipspec_uri *o, const char **farp) {
  const char *cur = p, *mar = NULL, *far = p;
  const char *s1, *us0, *us1, *pw0, *h0, *h1, *q0, *q1, *a0, *a1, *x0;
  (void)mar;
  /*!stags:re2c format = "const char *@@ = NULL; (void)@@;\n"; */
  /*!re2c
    ('sip' | 'sips') @s1 ":" (@us0 user @us1 (":" @pw0 password)? "@")? @h0 host @h1
      (":" @q0 port @q1)? @a0 uri_parameters @a1 @x0 headers? end {
      if (!AT_END()) { *farp = cur - 1; return -1; }
      o->kind = s1 - p == 4 ? SIPSPEC_URI_SIPS : SIPSPEC_URI_SIP;
      o->scheme = (sipspec_span){p, (size_t)(s1 - p)};
      o->user = us0 ? (sipspec_span){us0, (size_t)(us1 - us0)} : (sipspec_span){NULL, 0};
      o->password = pw0 ? (sipspec_span){pw0, (size_t)((h0 - 1) - pw0)} : (sipspec_span){NULL, 0};
      o->host = (sipspec_span){h0, (size_t)(h1 - h0)};
      o->port = -1;
      if (q0) {
        long v = 0;
        for (const char *d = q0; d < q1 && v <= 65535; d++) v = v * 10 + (*d - '0');
        if (v > 65535) { *farp = q0; return -1; }
        o->port = (int)v;
      }
      o->params = (sipspec_span){a0, (size_t)(a1 - a0)};
      o->headers = (sipspec_span){x0, (size_t)((cur - 1) - x0)};
      o->opaque = (sipspec_span){s1 + 1, (size_t)((cur - 1) - (s1 + 1))};
      return 0;
    }
    ('sip' | 'sips') ":" { *farp = far; return -1; }
    'tel' @s1 ":" uric+ end {
      if (!AT_END()) { *farp = cur - 1; return -1; }
      o->kind = SIPSPEC_URI_TEL;
      goto opaque;
    }
    scheme @s1 ":" uric+ end {
      if (!AT_END()) { *farp = cur - 1; return -1; }
      /* A sip: or sips: URI that failed SIP-URI must not pass as an absoluteURI. */
      size_t n = (size_t)(s1 - p);
      if ((n == 3 || n == 4) && (p[0] | 0x20) == 's' && (p[1] | 0x20) == 'i' &&
          (p[2] | 0x20) == 'p' && (n == 3 || (p[3] | 0x20) == 's')) {
        *farp = far;
        return -1;
      }
      o->kind = SIPSPEC_URI_OTHER;
      goto opaque;
    }
    * { *farp = far; return -1; }
  */
opaque:
  o->scheme = (sipspec_span){p, (size_t)(s1 - p)};
  o->opaque = (sipspec_span){s1 + 1, (size_t)((cur - 1) - (s1 + 1))};
  return 0;
}
#endif

G_LINK int G(cseq)(const char *p, const char *lim, sipspec_span *num, sipspec_span *method,
                   const char **farp) {
  const char *cur = p, *mar = NULL, *far = p;
  const char *n1, *m0, *m1;
  (void)mar;
  /*!stags:re2c format = "const char *@@ = NULL; (void)@@;\n"; */
  /*!re2c
    DIGIT+ @n1 LWS @m0 Method @m1 SWS end {
      if (!AT_END()) { *farp = cur - 1; return -1; }
      *num = (sipspec_span){p, (size_t)(n1 - p)};
      *method = (sipspec_span){m0, (size_t)(m1 - m0)};
      return 0;
    }
    * { *farp = far; return -1; }
  */
}

#ifdef SIPSPEC_G_TRACK_FAR /* bounds-checked only */
G_LINK int G(call_id)(const char *p, const char *lim, const char **farp) {
  const char *cur = p, *mar = NULL, *far = p, *e;
  (void)mar;
  /*!stags:re2c format = "const char *@@ = NULL; (void)@@;\n"; */
  /*!re2c
    word ("@" word)? @e SWS end {
      if (!AT_END()) { *farp = cur - 1; return -1; }
      *farp = e;
      return 0;
    }
    *                        { *farp = far; return -1; }
  */
}
#endif

G_LINK int G(media_type)(const char *p, const char *lim, sipspec_media_type *o,
                         const char **farp) {
  const char *cur = p, *mar = NULL, *far = p;
  const char *t1, *s0, *s1;
  (void)mar;
  /*!stags:re2c format = "const char *@@ = NULL; (void)@@;\n"; */
  /*!re2c
    token @t1 SLASH @s0 token @s1 (SEMI generic_param)* SWS end {
      if (!AT_END()) { *farp = cur - 1; return -1; }
      o->type = (sipspec_span){p, (size_t)(t1 - p)};
      o->subtype = (sipspec_span){s0, (size_t)(s1 - s0)};
      const char *e = cur - 1, *b = s1;
      while (e > s1 && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' || e[-1] == '\n')) e--;
      while (b < e && *b != ';') b++;
      o->params = (sipspec_span){b, (size_t)(e - b)};
      return 0;
    }
    * { *farp = far; return -1; }
  */
}

#ifdef SIPSPEC_G_TRACK_FAR /* bounds-checked only */
G_LINK int G(auth)(const char *p, const char *lim, sipspec_auth *o, const char **farp) {
  const char *cur = p, *mar = NULL, *far = p;
  const char *s1, *a0, *a1;
  (void)mar;
  /*!stags:re2c format = "const char *@@ = NULL; (void)@@;\n"; */
  /*!re2c
    token @s1 LWS @a0 token EQUAL (token | quoted_string)
      (COMMA token EQUAL (token | quoted_string))* @a1 SWS end {
      if (!AT_END()) { *farp = cur - 1; return -1; }
      o->scheme = (sipspec_span){p, (size_t)(s1 - p)};
      o->params = (sipspec_span){a0, (size_t)(a1 - a0)};
      return 0;
    }
    * { *farp = far; return -1; }
  */
}
#endif

G_LINK const char *G(token_elem)(const char *p, const char *lim, const char **farp) {
  const char *cur = p, *mar = NULL, *far = p, *e;
  (void)mar;
  /*!stags:re2c format = "const char *@@ = NULL; (void)@@;\n"; */
  /*!re2c
    token (SEMI generic_param)* @e SWS ("," | end) { return e; }
    *                           { *farp = far; return NULL; }
  */
}

#ifdef SIPSPEC_G_TRACK_FAR /* bounds-checked only */
/* A whole token (RFC 3261 25.1), nothing around it: the builder's check of methods, tags,
 * branches, transports and header names (runtime/src/sip/build_fields.c). */
G_LINK int G(token)(const char *p, const char *lim, const char **farp) {
  const char *cur = p, *mar = NULL, *far = p;
  (void)mar;
  /*!re2c
    token end {
      if (!AT_END()) { *farp = cur - 1; return -1; }
      return 0;
    }
    * { *farp = far; return -1; }
  */
}
#endif

#ifdef SIPSPEC_G_TRACK_FAR /* bounds-checked only */
G_LINK const char *G(param_next)(const char *p, const char *lim, sipspec_span *name,
                                 sipspec_span *value) {
  const char *cur = p, *mar = NULL, *far = p;
  const char *n0, *n1, *v0, *v1;
  (void)mar;
  (void)far;
  /*!stags:re2c format = "const char *@@ = NULL; (void)@@;\n"; */
  /*!re2c
    SEMI @n0 token @n1 (EQUAL @v0 gen_value @v1)? {
      *name = (sipspec_span){n0, (size_t)(n1 - n0)};
      *value = v0 ? (sipspec_span){v0, (size_t)(v1 - v0)} : (sipspec_span){n1, 0};
      return cur;
    }
    * { return NULL; }
  */
}
#endif

#ifdef SIPSPEC_G_TRACK_FAR /* bounds-checked only */
G_LINK const char *G(auth_param_next)(const char *p, const char *lim, sipspec_span *name,
                                      sipspec_span *value) {
  const char *cur = p, *mar = NULL, *far = p;
  const char *n0, *n1, *v0, *v1;
  (void)mar;
  (void)far;
  /*!stags:re2c format = "const char *@@ = NULL; (void)@@;\n"; */
  /*!re2c
    COMMA? @n0 token @n1 EQUAL @v0 (token | quoted_string) @v1 {
      *name = (sipspec_span){n0, (size_t)(n1 - n0)};
      *value = (sipspec_span){v0, (size_t)(v1 - v0)};
      return cur;
    }
    * { return NULL; }
  */
}
#endif

G_LINK int G(date)(const char *p, const char *lim, const char **farp) {
  const char *cur = p, *mar = NULL, *far = p;
  (void)mar;
  /*!re2c
    rfc1123_date SWS end {
      if (!AT_END()) { *farp = cur - 1; return -1; }
      return 0;
    }
    *                    { *farp = far; return -1; }
  */
}
