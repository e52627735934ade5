/* grammar/digest.re: the Digest authentication grammar of RFC 3261 section 25.1 (challenge,
 * digest-cln, credentials, dig-resp, other-challenge, other-response, auth-param) with the
 * parameters of RFC 7616 sections 3.3 and 3.4 (charset, userhash, username*, the SHA-256
 * and SHA-512-256 algorithm tokens) as re2c rules.
 *
 * One function per element of a WWW-Authenticate / Proxy-Authenticate / Authorization /
 * Proxy-Authorization value: the auth-scheme, one digest-cln, one dig-resp, one auth-param
 * of another scheme, and the separator after a param (which sees where one challenge ends
 * and the next begins: RFC 7235 section 4.1 lets one line carry several). The loop over
 * the elements, duplicate and required parameters are in runtime/src/auth/digest_msg.c.
 *
 * Values: RFC 7235 section 2.2 asks recipients to take both token and quoted-string
 * forms, so every parameter accepts both; the parameters with a defined form check it
 * (stale and userhash true/false, nc 8LHEX, response *LHEX, qop, charset, username*,
 * domain and uri), and a value of the wrong form is an error naming the parameter.
 * Names are case-insensitive ('...' strings). token68 is not part of the Digest
 * productions (RFC 3261 has none); it is only recognised as the whole content of a
 * challenge of another scheme, so that "Negotiate YIIB..." beside a Digest challenge can
 * be skipped.
 *
 * Input is [p, lim). Bytes at and past lim read as CR (a fake sentinel: no rule takes a
 * CR that is not followed by LF and white space), so no rule reads outside the value;
 * `end` matches that CR and AT_END() checks it was lim, not a bare CR inside the value.
 */
#include "auth/digest_grammar.h"

#define DG_PEEK() (cur < lim ? (unsigned char)*cur : 13u)
#define AT_END() (cur - 1 == lim)

/*!re2c
  re2c:api = custom;
  re2c:api:style = free-form;
  re2c:define:YYCTYPE = "unsigned char";
  re2c:define:YYPEEK = "DG_PEEK()";
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
  WSP            = [ \t];
  SP             = " ";
  DIGIT          = [0-9];
  ALPHA          = [A-Za-z];
  HEXDIG         = [0-9A-Fa-f];
  LHEX           = [0-9a-f];
  LWS            = (WSP* CRLF)? WSP+;
  SWS            = LWS?;
  COMMA          = SWS "," SWS;
  EQUAL          = SWS "=" SWS;
  DQUOTE         = ["];

  token          = [A-Za-z0-9.!%*_+`'~-]+;
  UTF8_NONASCII  = [\x80-\xff];
  qdtext         = LWS | [\x21\x23-\x5b\x5d-\x7e] | UTF8_NONASCII;
  quoted_pair    = "\\" [\x00-\x09\x0b\x0c\x0e-\x7f];
  quoted_string  = DQUOTE (qdtext | quoted_pair)* DQUOTE;
  value          = token | quoted_string;

  // RFC 7235 section 2.1
  token68        = [A-Za-z0-9._~+/-]+ "="*;

  // Value forms (RFC 3261 25.1, RFC 7616 3.3 and 3.4). A URI inside quotes: visible
  // characters other than DQUOTE and backslash (absoluteURI / abs-path / Request-URI).
  uri_text       = [\x21\x23-\x5b\x5d-\x7e]+;
  bool_v         = 'true' | 'false' | DQUOTE ('true' | 'false') DQUOTE;
  domain_v       = DQUOTE SP* (uri_text (SP+ uri_text)* SP*)? DQUOTE;
  qop_options_v  = token | DQUOTE SWS token (SWS "," SWS token)* SWS DQUOTE;
  algorithm_v    = token | DQUOTE token DQUOTE;
  charset_v      = 'UTF-8' | DQUOTE 'UTF-8' DQUOTE;
  digest_uri_v   = DQUOTE uri_text DQUOTE;
  response_v     = DQUOTE LHEX* DQUOTE | LHEX+;
  nc_v           = LHEX{8} | DQUOTE LHEX{8} DQUOTE;
  qop_v          = token | DQUOTE token DQUOTE;

  // RFC 5987 section 3.2 ext-value, for username*
  attr_char      = [A-Za-z0-9!#$&+.^_`|~-];
  pct_encoded    = "%" HEXDIG HEXDIG;
  mime_charsetc  = [A-Za-z0-9!#$%&+^_`{}~-];
  language       = ALPHA{1,8} ("-" [A-Za-z0-9]{1,8})*;
  ext_value      = mime_charsetc+ "'" language? "'" (pct_encoded | attr_char)*;
*/

static dg_kind dg_fail(dg_match *m, dg_err err, const char *at) {
  m->kind = DG_ERROR;
  m->err = err;
  m->at = at;
  return DG_ERROR;
}

static dg_kind dg_param(dg_match *m, dg_param_id id, const char *n0, const char *n1,
                        const char *v0, const char *v1) {
  m->kind = DG_PARAM;
  m->err = DG_E_NONE;
  m->id = id;
  m->name = (sipspec_span){n0, (size_t)(n1 - n0)};
  m->value = (sipspec_span){v0, (size_t)(v1 - v0)};
  m->end = v1;
  return DG_PARAM;
}

/* Why the auth-param at p does not parse: the first of the checks an auth-param makes in
 * order (a name, "=", a value, a closed quoted-string) that fails, and where. */
static dg_kind dg_param_error(const char *p, const char *lim, dg_match *m) {
  const char *cur = p, *mar = NULL;
  const char *n1, *v0;
  (void)mar;
  /*!stags:re2c format = "const char *@@ = NULL; (void)@@;\n"; */
  /*!re2c
    token @n1 EQUAL @v0 DQUOTE {
      m->name = (sipspec_span){p, (size_t)(n1 - p)};
      return dg_fail(m, DG_E_QUOTE, v0);
    }
    token @n1 EQUAL {
      m->name = (sipspec_span){p, (size_t)(n1 - p)};
      return dg_fail(m, DG_E_VALUE, cur);
    }
    token @n1 SWS {
      m->name = (sipspec_span){p, (size_t)(n1 - p)};
      return dg_fail(m, DG_E_EQUAL, cur);
    }
    * { return dg_fail(m, DG_E_NAME, p); }
  */
}

dg_kind sipspec_dg_scheme(const char *p, const char *lim, dg_match *m) {
  const char *cur = p, *mar = NULL;
  const char *s0, *s1, *e;
  (void)mar;
  /*!stags:re2c format = "const char *@@ = NULL; (void)@@;\n"; */
  /*!re2c
    SWS @s0 'Digest' @s1 LWS {
      m->kind = DG_SCHEME_DIGEST;
      m->name = (sipspec_span){s0, (size_t)(s1 - s0)};
      m->end = cur;
      return m->kind;
    }
    SWS @s0 token @s1 LWS {
      m->kind = DG_SCHEME_OTHER;
      m->name = (sipspec_span){s0, (size_t)(s1 - s0)};
      m->end = cur;
      return m->kind;
    }
    SWS @s0 token @s1 SWS @e end {
      m->name = (sipspec_span){s0, (size_t)(s1 - s0)};
      return dg_fail(m, AT_END() ? DG_E_NO_PARAMS : DG_E_SCHEME_WS, AT_END() ? e : s1);
    }
    SWS @s0 token @s1 { return dg_fail(m, DG_E_SCHEME_WS, s1); }
    SWS @e [^]       { return dg_fail(m, DG_E_SCHEME, e); }
    *                { return dg_fail(m, DG_E_SCHEME, p); }
  */
}

dg_kind sipspec_dg_cln(const char *p, const char *lim, dg_match *m) {
  const char *cur = p, *mar = NULL;
  const char *n1, *v0;
  (void)mar;
  /*!stags:re2c format = "const char *@@ = NULL; (void)@@;\n"; */
  /*!re2c
    'realm'     @n1 EQUAL @v0 value         { return dg_param(m, DG_P_REALM, p, n1, v0, cur); }
    'nonce'     @n1 EQUAL @v0 value         { return dg_param(m, DG_P_NONCE, p, n1, v0, cur); }
    'opaque'    @n1 EQUAL @v0 value         { return dg_param(m, DG_P_OPAQUE, p, n1, v0, cur); }
    'domain'    @n1 EQUAL @v0 domain_v      { return dg_param(m, DG_P_DOMAIN, p, n1, v0, cur); }
    'stale'     @n1 EQUAL @v0 bool_v        { return dg_param(m, DG_P_STALE, p, n1, v0, cur); }
    'algorithm' @n1 EQUAL @v0 algorithm_v   { return dg_param(m, DG_P_ALGORITHM, p, n1, v0, cur); }
    'qop'       @n1 EQUAL @v0 qop_options_v { return dg_param(m, DG_P_QOP, p, n1, v0, cur); }
    'charset'   @n1 EQUAL @v0 charset_v     { return dg_param(m, DG_P_CHARSET, p, n1, v0, cur); }
    'userhash'  @n1 EQUAL @v0 bool_v        { return dg_param(m, DG_P_USERHASH, p, n1, v0, cur); }

    // A known name whose value is a token or quoted-string of the wrong form: longer
    // than (or as long as, then listed after) the rule of the right form.
    'domain'    @n1 EQUAL @v0 value { dg_param(m, DG_P_DOMAIN, p, n1, v0, cur); return dg_fail(m, DG_E_SHAPE, v0); }
    'stale'     @n1 EQUAL @v0 value { dg_param(m, DG_P_STALE, p, n1, v0, cur); return dg_fail(m, DG_E_SHAPE, v0); }
    'algorithm' @n1 EQUAL @v0 value { dg_param(m, DG_P_ALGORITHM, p, n1, v0, cur); return dg_fail(m, DG_E_SHAPE, v0); }
    'qop'       @n1 EQUAL @v0 value { dg_param(m, DG_P_QOP, p, n1, v0, cur); return dg_fail(m, DG_E_SHAPE, v0); }
    'charset'   @n1 EQUAL @v0 value { dg_param(m, DG_P_CHARSET, p, n1, v0, cur); return dg_fail(m, DG_E_SHAPE, v0); }
    'userhash'  @n1 EQUAL @v0 value { dg_param(m, DG_P_USERHASH, p, n1, v0, cur); return dg_fail(m, DG_E_SHAPE, v0); }
    token       @n1 EQUAL @v0 value         { return dg_param(m, DG_P_EXT, p, n1, v0, cur); }
    * { return dg_param_error(p, lim, m); }
  */
}

dg_kind sipspec_dg_resp(const char *p, const char *lim, dg_match *m) {
  const char *cur = p, *mar = NULL;
  const char *n1, *v0;
  (void)mar;
  /*!stags:re2c format = "const char *@@ = NULL; (void)@@;\n"; */
  /*!re2c
    'username'  @n1 EQUAL @v0 value        { return dg_param(m, DG_P_USERNAME, p, n1, v0, cur); }
    'username*' @n1 EQUAL @v0 ext_value    { return dg_param(m, DG_P_USERNAME_EXT, p, n1, v0, cur); }
    'realm'     @n1 EQUAL @v0 value        { return dg_param(m, DG_P_REALM, p, n1, v0, cur); }
    'nonce'     @n1 EQUAL @v0 value        { return dg_param(m, DG_P_NONCE, p, n1, v0, cur); }
    'uri'       @n1 EQUAL @v0 digest_uri_v { return dg_param(m, DG_P_URI, p, n1, v0, cur); }
    'response'  @n1 EQUAL @v0 response_v   { return dg_param(m, DG_P_RESPONSE, p, n1, v0, cur); }
    'algorithm' @n1 EQUAL @v0 algorithm_v  { return dg_param(m, DG_P_ALGORITHM, p, n1, v0, cur); }
    'cnonce'    @n1 EQUAL @v0 value        { return dg_param(m, DG_P_CNONCE, p, n1, v0, cur); }
    'opaque'    @n1 EQUAL @v0 value        { return dg_param(m, DG_P_OPAQUE, p, n1, v0, cur); }
    'qop'       @n1 EQUAL @v0 qop_v        { return dg_param(m, DG_P_QOP, p, n1, v0, cur); }
    'nc'        @n1 EQUAL @v0 nc_v         { return dg_param(m, DG_P_NC, p, n1, v0, cur); }
    'userhash'  @n1 EQUAL @v0 bool_v       { return dg_param(m, DG_P_USERHASH, p, n1, v0, cur); }

    'username*' @n1 EQUAL @v0 value { dg_param(m, DG_P_USERNAME_EXT, p, n1, v0, cur); return dg_fail(m, DG_E_SHAPE, v0); }
    'uri'       @n1 EQUAL @v0 value { dg_param(m, DG_P_URI, p, n1, v0, cur); return dg_fail(m, DG_E_SHAPE, v0); }
    'response'  @n1 EQUAL @v0 value { dg_param(m, DG_P_RESPONSE, p, n1, v0, cur); return dg_fail(m, DG_E_SHAPE, v0); }
    'algorithm' @n1 EQUAL @v0 value { dg_param(m, DG_P_ALGORITHM, p, n1, v0, cur); return dg_fail(m, DG_E_SHAPE, v0); }
    'qop'       @n1 EQUAL @v0 value { dg_param(m, DG_P_QOP, p, n1, v0, cur); return dg_fail(m, DG_E_SHAPE, v0); }
    'nc'        @n1 EQUAL @v0 value { dg_param(m, DG_P_NC, p, n1, v0, cur); return dg_fail(m, DG_E_SHAPE, v0); }
    'userhash'  @n1 EQUAL @v0 value { dg_param(m, DG_P_USERHASH, p, n1, v0, cur); return dg_fail(m, DG_E_SHAPE, v0); }
    token       @n1 EQUAL @v0 value        { return dg_param(m, DG_P_EXT, p, n1, v0, cur); }
    * { return dg_param_error(p, lim, m); }
  */
}

dg_kind sipspec_dg_other(const char *p, const char *lim, int first, dg_match *m) {
  const char *cur = p, *mar = NULL;
  const char *n1, *v0, *t1;
  (void)mar;
  /*!stags:re2c format = "const char *@@ = NULL; (void)@@;\n"; */
  /*!re2c
    token @n1 EQUAL @v0 value { return dg_param(m, DG_P_EXT, p, n1, v0, cur); }
    token68 @t1 SWS (end | ",") {
      if (!first) return dg_param_error(p, lim, m);
      m->kind = DG_TOKEN68;
      m->value = (sipspec_span){p, (size_t)(t1 - p)};
      m->end = t1;
      return DG_TOKEN68;
    }
    * { return dg_param_error(p, lim, m); }
  */
}

dg_kind sipspec_dg_sep(const char *p, const char *lim, dg_match *m) {
  const char *cur = p, *mar = NULL;
  const char *s0, *e;
  (void)mar;
  /*!stags:re2c format = "const char *@@ = NULL; (void)@@;\n"; */
  /*!re2c
    SWS end {
      if (!AT_END()) return dg_fail(m, DG_E_COMMA, cur - 1);
      m->kind = DG_END;
      m->end = lim;
      return DG_END;
    }
    // A new challenge: "," auth-scheme LWS and then no "=" (which would make the token
    // an auth-param name) nor "," (RFC 3261 has no bare auth-scheme).
    COMMA @s0 token LWS [^=,\r] {
      m->kind = DG_NEXT_SCHEME;
      m->at = s0;
      m->end = s0;
      return DG_NEXT_SCHEME;
    }
    COMMA {
      m->kind = DG_NEXT_PARAM;
      m->end = cur;
      return DG_NEXT_PARAM;
    }
    SWS @e [^] { return dg_fail(m, DG_E_COMMA, e); }
    *          { return dg_fail(m, DG_E_COMMA, p); }
  */
}

size_t sipspec_dg_unquote(const char *p, const char *lim, char *dst) {
  const char *cur = p + 1, *mar = NULL;
  size_t n = 0;
  (void)mar;
  lim--; /* the closing DQUOTE */
  while (cur < lim) {
    /*!re2c
      "\\" [^] { if (dst) dst[n] = (char)cur[-1]; n++; continue; }
      CRLF     { continue; }
      [^]      { if (dst) dst[n] = (char)cur[-1]; n++; continue; }
    */
  }
  return n;
}
