/* digest_msg.c: Digest authentication on parsed SIP messages (see sipspec/digest_msg.h).
 *
 * Reads WWW-Authenticate / Proxy-Authenticate / Authorization / Proxy-Authorization
 * values with the Digest grammar (grammar/digest.re: RFC 3261 section 25.1, RFC 7616
 * sections 3.3 and 3.4, several challenges per line as RFC 7235 section 4.1 allows),
 * element by element: this file keeps the list (which offer a param belongs to), refuses
 * duplicate parameters (RFC 7235 section 2.1) and Digest challenges or credentials without
 * a required parameter, unquotes the values into a caller scratch, and writes the Digest
 * module's header values back.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "auth/digest_grammar.h"
#include "auth/digest_internal.h"
#include "sipspec/digest_msg.h"
#include "sipspec/error.h"

/* One header value being split: what to say in reasons. */
typedef struct hdr_ctx {
  const char *name;                    /* "WWW-Authenticate" */
  size_t line;                         /* 1-based among the headers of that name */
  const char *v0;                      /* start of the value, for byte positions */
  char *why;
  size_t why_len;
} hdr_ctx;

static int fail_at(const hdr_ctx *h, const char *at, int code, const char *what) {
  auth_reason(h->why, h->why_len, "%s header %zu, byte %zu: %s", h->name, h->line,
              (size_t)(at - h->v0) + 1, what);
  return code;
}

/* The parameter names of dg_param_id, as the RFCs spell them. */
static const char *const k_param_names[DG_P_COUNT] = {
  [DG_P_EXT] = "auth-param", [DG_P_REALM] = "realm", [DG_P_DOMAIN] = "domain",
  [DG_P_NONCE] = "nonce", [DG_P_OPAQUE] = "opaque", [DG_P_STALE] = "stale",
  [DG_P_ALGORITHM] = "algorithm", [DG_P_QOP] = "qop", [DG_P_CHARSET] = "charset",
  [DG_P_USERHASH] = "userhash", [DG_P_USERNAME] = "username", [DG_P_USERNAME_EXT] = "username*",
  [DG_P_URI] = "uri", [DG_P_RESPONSE] = "response", [DG_P_CNONCE] = "cnonce", [DG_P_NC] = "nc"};

/* What form a known parameter must have (DG_E_SHAPE), RFC 3261 25.1 / RFC 7616 3.3-3.4. */
static const char *shape_text(dg_param_id id, bool credentials) {
  switch (id) {
  case DG_P_DOMAIN: return "a quoted, space-separated list of URIs";
  case DG_P_STALE:
  case DG_P_USERHASH: return "true or false";
  case DG_P_ALGORITHM: return "a token (MD5, SHA-256, SHA-512-256, ...[-sess])";
  case DG_P_QOP: return credentials ? "one token (auth or auth-int)"
                                    : "a quoted, comma-separated list of tokens";
  case DG_P_CHARSET: return "UTF-8";
  case DG_P_USERNAME_EXT: return "an RFC 5987 ext-value (charset'language'value, unquoted)";
  case DG_P_URI: return "a quoted Request-URI";
  case DG_P_RESPONSE: return "a quoted string of lowercase hex digits";
  case DG_P_NC: return "8 lowercase hex digits";
  default: return "a token or a quoted-string";
  }
}

/* Reason for a grammar error. */
static int grammar_error(const hdr_ctx *h, const dg_match *m, bool credentials) {
  char peer[48], msg[200];
  switch (m->err) {
  case DG_E_SCHEME: return fail_at(h, m->at, SIPSPEC_E_AUTH_MALFORMED, "expected an auth-scheme");
  case DG_E_SCHEME_WS:
    return fail_at(h, m->at, SIPSPEC_E_AUTH_MALFORMED, "expected whitespace after the auth-scheme");
  case DG_E_NO_PARAMS:
    return fail_at(h, m->at, SIPSPEC_E_AUTH_MALFORMED, "expected auth-params after the auth-scheme");
  case DG_E_NAME:
    return fail_at(h, m->at, SIPSPEC_E_AUTH_MALFORMED, "expected an auth-param name (a token)");
  case DG_E_EQUAL:
    snprintf(msg, sizeof msg, "expected '=' after the auth-param name \"%s\"",
             auth_peer_text(peer, sizeof peer, m->name.p, m->name.len));
    return fail_at(h, m->at, SIPSPEC_E_AUTH_MALFORMED, msg);
  case DG_E_VALUE:
    return fail_at(h, m->at, SIPSPEC_E_AUTH_MALFORMED,
                   "expected a token or a quoted-string as the auth-param value");
  case DG_E_QUOTE:
    return fail_at(h, m->at, SIPSPEC_E_AUTH_MALFORMED,
                   "quoted-string not terminated (or holding a bare CR, LF or another "
                   "control character outside a quoted-pair)");
  case DG_E_SHAPE:
    snprintf(msg, sizeof msg, "bad %s value \"%s\": expected %s", k_param_names[m->id],
             auth_peer_text(peer, sizeof peer, m->value.p, m->value.len),
             shape_text(m->id, credentials));
    return fail_at(h, m->at, SIPSPEC_E_AUTH_MALFORMED, msg);
  default: return fail_at(h, m->at, SIPSPEC_E_AUTH_MALFORMED, "expected ',' between auth-params");
  }
}

/* Stores one value: a token as is, a quoted-string without its quotes; quoted-pairs and
 * folds (CRLF before whitespace, RFC 3261 section 7.3.1) need a copy into s->text. */
static int store_value(sipspec_digest_msg_scratch *s, const hdr_ctx *h, sipspec_span v,
                       sipspec_digest_param *out) {
  if (v.len < 2 || v.p[0] != '"') {
    out->value = v;
    return SIPSPEC_OK;
  }
  if (!memchr(v.p, '\\', v.len) && !memchr(v.p, '\r', v.len)) {
    out->value = (sipspec_span){v.p + 1, v.len - 2};
    return SIPSPEC_OK;
  }
  if (v.len - 2 > sizeof s->text - s->text_len &&
      sipspec_dg_unquote(v.p, v.p + v.len, NULL) > sizeof s->text - s->text_len) {
    auth_reason(h->why, h->why_len, "%s header %zu: unquoted values exceed %d bytes in all",
                h->name, h->line, SIPSPEC_DIGEST_MSG_TEXT_MAX);
    return SIPSPEC_E_RANGE;
  }
  char *dst = s->text + s->text_len;
  size_t n = sipspec_dg_unquote(v.p, v.p + v.len, dst);
  s->text_len += n;
  out->value = (sipspec_span){dst, n};
  return SIPSPEC_OK;
}

/* The parameters a Digest challenge (RFC 7616 3.3: realm, nonce) or Digest credentials
 * (RFC 7616 3.4: username or username*, realm, nonce, uri, response; cnonce and nc with
 * qop) must carry. Names the first one missing. */
static int check_required(const hdr_ctx *h, const char *scheme, uint32_t seen, bool credentials) {
  static const dg_param_id cln[] = {DG_P_REALM, DG_P_NONCE};
  static const dg_param_id resp[] = {DG_P_USERNAME, DG_P_REALM, DG_P_NONCE, DG_P_URI,
                                     DG_P_RESPONSE};
  const dg_param_id *need = credentials ? resp : cln;
  size_t n = credentials ? sizeof resp / sizeof resp[0] : sizeof cln / sizeof cln[0];
  char msg[120];
  if (credentials && (seen & (1u << DG_P_USERNAME)) && (seen & (1u << DG_P_USERNAME_EXT)))
    return fail_at(h, scheme, SIPSPEC_E_AUTH_MALFORMED,
                   "Digest credentials carry both username and username* (RFC 7616 section 3.4)");
  if (seen & (1u << DG_P_USERNAME_EXT)) seen |= 1u << DG_P_USERNAME;
  for (size_t i = 0; i < n; i++) {
    if (seen & (1u << need[i])) continue;
    snprintf(msg, sizeof msg, "Digest %s without the required %s parameter",
             credentials ? "credentials" : "challenge", k_param_names[need[i]]);
    return fail_at(h, scheme, SIPSPEC_E_AUTH_MALFORMED, msg);
  }
  if (credentials && (seen & (1u << DG_P_QOP))) {
    dg_param_id with_qop[] = {DG_P_CNONCE, DG_P_NC};
    for (size_t i = 0; i < 2; i++) {
      if (seen & (1u << with_qop[i])) continue;
      snprintf(msg, sizeof msg, "Digest credentials with qop but without the required %s parameter",
               k_param_names[with_qop[i]]);
      return fail_at(h, scheme, SIPSPEC_E_AUTH_MALFORMED, msg);
    }
  }
  return SIPSPEC_OK;
}

/* RFC 7235 section 2.1: each parameter name only once per challenge (case-insensitive). */
static bool is_duplicate(const sipspec_digest_offer *o, const dg_match *m, uint32_t seen) {
  if (m->id != DG_P_EXT) return (seen & (1u << m->id)) != 0;
  for (size_t i = 0; i < o->n_params; i++) {
    sipspec_span n = o->params[i].name;
    if (n.len == m->name.len && strncasecmp(n.p, m->name.p, n.len) == 0)
      return true;
  }
  return false;
}

/* Splits one header value into offers appended to s, element by element with the Digest
 * grammar (grammar/digest.re). `credentials`: one Authorization-type value (dig-resp,
 * one scheme per line); else challenges (digest-cln, several per line). */
static int split_value(sipspec_digest_msg_scratch *s, sipspec_auth_kind kind, sipspec_span v,
                       const hdr_ctx *h, bool credentials) {
  const char *lim = v.p + v.len;
  dg_match m;
  memset(&m, 0, sizeof m);
  sipspec_dg_scheme(v.p, lim, &m);
  for (;;) {
    if (m.kind == DG_ERROR) return grammar_error(h, &m, credentials);
    if (s->n_offers == SIPSPEC_DIGEST_MSG_MAX_OFFERS) {
      auth_reason(h->why, h->why_len, "%s header %zu: more than %d challenges in all",
                  h->name, h->line, SIPSPEC_DIGEST_MSG_MAX_OFFERS);
      return SIPSPEC_E_RANGE;
    }
    sipspec_digest_offer *o = &s->offers[s->n_offers++];
    *o = (sipspec_digest_offer){kind, m.name, s->params + s->n_params, 0};
    bool digest = m.kind == DG_SCHEME_DIGEST;
    const char *p = m.end;
    uint32_t seen = 0;
    for (bool first = true;; first = false) {
      dg_kind k = !digest      ? sipspec_dg_other(p, lim, first, &m)
                  : credentials ? sipspec_dg_resp(p, lim, &m)
                                : sipspec_dg_cln(p, lim, &m);
      if (k == DG_ERROR) return grammar_error(h, &m, credentials);
      if (k == DG_PARAM) {
        if (is_duplicate(o, &m, seen)) {
          char msg[96], peer[48];
          snprintf(msg, sizeof msg, "duplicate %s parameter",
                   auth_peer_text(peer, sizeof peer, m.name.p, m.name.len));
          return fail_at(h, m.name.p, SIPSPEC_E_AUTH_MALFORMED, msg);
        }
        seen |= 1u << m.id;
        if (s->n_params == SIPSPEC_DIGEST_MSG_MAX_PARAMS) {
          auth_reason(h->why, h->why_len, "%s header %zu: more than %d auth-params in all",
                      h->name, h->line, SIPSPEC_DIGEST_MSG_MAX_PARAMS);
          return SIPSPEC_E_RANGE;
        }
        sipspec_digest_param *pp = &s->params[s->n_params];
        pp->name = m.name;
        int rc = store_value(s, h, m.value, pp);
        if (rc != SIPSPEC_OK) return rc;
        s->n_params++;
        o->n_params++;
      }
      const char *t68_end = k == DG_TOKEN68 ? m.end : NULL;
      dg_kind sep = sipspec_dg_sep(m.end, lim, &m);
      if (t68_end && (sep == DG_NEXT_PARAM || sep == DG_ERROR)) { /* RFC 7235 2.1 */
        const char *at = sep == DG_ERROR ? m.at : memchr(t68_end, ',', (size_t)(lim - t68_end));
        return fail_at(h, at, SIPSPEC_E_AUTH_MALFORMED,
                       "after a token68 value, expected ',' and the next auth-scheme");
      }
      if (sep == DG_ERROR) return grammar_error(h, &m, credentials);
      if (sep == DG_NEXT_PARAM) {
        p = m.end;
        continue;
      }
      if (sep == DG_NEXT_SCHEME && credentials)
        return fail_at(h, m.at, SIPSPEC_E_AUTH_MALFORMED,
                       "a second auth-scheme: one credentials per header line");
      if (digest) {
        int rc = check_required(h, o->scheme.p, seen, credentials);
        if (rc != SIPSPEC_OK) return rc;
      }
      if (sep == DG_END) return SIPSPEC_OK;
      sipspec_dg_scheme(m.at, lim, &m); /* DG_NEXT_SCHEME */
      break;
    }
  }
}

static void scratch_reset(sipspec_digest_msg_scratch *s) {
  s->n_offers = 0;
  s->n_params = 0;
  s->text_len = 0;
}

int sipspec_digest_read_value(sipspec_digest_msg_scratch *s, sipspec_auth_kind kind,
                              bool credentials, sipspec_span value, char *why, size_t why_len) {
  auth_reason(why, why_len, "%s", "");
  if (!s || (!value.p && value.len)) return SIPSPEC_E_INVAL;
  scratch_reset(s);
  const char *name = credentials ? sipspec_auth_credentials_header(kind)
                                 : sipspec_auth_challenge_header(kind);
  hdr_ctx h = {name, 1, value.p, why, why_len};
  int rc = split_value(s, kind, value, &h, credentials);
  if (rc != SIPSPEC_OK) scratch_reset(s);
  return rc;
}

int sipspec_digest_offers_from_msg(const sipspec_msg *resp, sipspec_digest_msg_scratch *s,
                                   const sipspec_digest_offer **offers, size_t *n,
                                   char *why, size_t why_len) {
  auth_reason(why, why_len, "%s", "");
  if (!resp || !s || !offers || !n) {
    auth_reason(why, why_len, "a NULL argument");
    return SIPSPEC_E_INVAL;
  }
  *offers = s->offers;
  *n = 0;
  scratch_reset(s);
  if (sipspec_msg_is_request(resp)) {
    auth_reason(why, why_len, "challenges are read from responses, not requests");
    return SIPSPEC_E_INVAL;
  }
  size_t lines[2] = {0, 0};
  size_t count = sipspec_msg_header_count(resp);
  for (size_t i = 0; i < count; i++) {
    sipspec_header hd;
    if (sipspec_msg_header(resp, i, &hd) != SIPSPEC_OK) continue;
    sipspec_auth_kind kind;
    if (hd.id == SIPSPEC_H_WWW_AUTHENTICATE) kind = SIPSPEC_AUTH_WWW;
    else if (hd.id == SIPSPEC_H_PROXY_AUTHENTICATE) kind = SIPSPEC_AUTH_PROXY;
    else continue;
    hdr_ctx h = {sipspec_auth_challenge_header(kind), ++lines[kind], hd.value.p, why, why_len};
    int rc = split_value(s, kind, hd.value, &h, false);
    if (rc != SIPSPEC_OK) {
      scratch_reset(s);
      return rc;
    }
  }
  int status = sipspec_msg_status(resp);
  if (s->n_offers == 0 && (status == 401 || status == 407)) {
    auth_reason(why, why_len, "%d response without a %s header", status,
                sipspec_auth_challenge_header(status == 401 ? SIPSPEC_AUTH_WWW : SIPSPEC_AUTH_PROXY));
    return SIPSPEC_E_AUTH_MALFORMED;
  }
  *n = s->n_offers;
  return SIPSPEC_OK;
}

int sipspec_digest_client_on_response(sipspec_digest_client_t *c, const sipspec_msg *resp,
                                      const sipspec_digest_request *req,
                                      sipspec_digest_msg_scratch *s,
                                      sipspec_digest_verdict *verdict) {
  const sipspec_digest_offer *offers;
  size_t n;
  if (!verdict) return SIPSPEC_E_INVAL;
  memset(verdict, 0, sizeof *verdict);
  int rc = c && req ? sipspec_digest_offers_from_msg(resp, s, &offers, &n, verdict->reason,
                                                     sizeof verdict->reason)
                    : SIPSPEC_E_INVAL;
  if (rc != SIPSPEC_OK) {
    if (!c || !req) auth_reason(verdict->reason, sizeof verdict->reason, "a NULL argument");
    verdict->action = SIPSPEC_DIGEST_FAIL;
    verdict->error = rc;
    return rc;
  }
  return sipspec_digest_client_on_challenge(c, offers, n, req, verdict);
}

static sipspec_hdr_id credentials_id(sipspec_auth_kind kind) {
  return kind == SIPSPEC_AUTH_PROXY ? SIPSPEC_H_PROXY_AUTHORIZATION : SIPSPEC_H_AUTHORIZATION;
}

size_t sipspec_digest_credentials_count(const sipspec_msg *req, sipspec_auth_kind kind) {
  if (!req || !sipspec_msg_is_request(req)) return 0;
  return sipspec_msg_value_count(req, credentials_id(kind));
}

/* Reads credentials i of kind, appending to s (no reset). */
static int read_credentials(const sipspec_msg *req, sipspec_auth_kind kind, size_t i,
                            sipspec_digest_msg_scratch *s, const sipspec_digest_offer **out,
                            char *why, size_t why_len) {
  sipspec_span v;
  if (sipspec_msg_value(req, credentials_id(kind), i, &v) != SIPSPEC_OK) {
    auth_reason(why, why_len, "no %s header number %zu", sipspec_auth_credentials_header(kind),
                i + 1);
    return SIPSPEC_E_NOTFOUND;
  }
  hdr_ctx h = {sipspec_auth_credentials_header(kind), i + 1, v.p, why, why_len};
  size_t before = s->n_offers;
  int rc = split_value(s, kind, v, &h, true);
  if (rc != SIPSPEC_OK) return rc;
  *out = &s->offers[before];
  return SIPSPEC_OK;
}

int sipspec_digest_credentials_from_msg(const sipspec_msg *req, sipspec_auth_kind kind,
                                        size_t i, sipspec_digest_msg_scratch *s,
                                        sipspec_span *scheme,
                                        const sipspec_digest_param **params, size_t *n,
                                        char *why, size_t why_len) {
  auth_reason(why, why_len, "%s", "");
  if (!req || !s || !scheme || !params || !n || !sipspec_msg_is_request(req)) {
    auth_reason(why, why_len, "credentials are read from a request (non-NULL arguments)");
    return SIPSPEC_E_INVAL;
  }
  scratch_reset(s);
  *n = 0;
  *params = s->params;
  *scheme = (sipspec_span){NULL, 0};
  const sipspec_digest_offer *o;
  int rc = read_credentials(req, kind, i, s, &o, why, why_len);
  if (rc != SIPSPEC_OK) {
    scratch_reset(s);
    return rc;
  }
  *scheme = o->scheme;
  *params = o->params;
  *n = o->n_params;
  return SIPSPEC_OK;
}

/* Copies a span into s->text with a NUL; NULL when it does not fit. */
static const char *text_dup(sipspec_digest_msg_scratch *s, sipspec_span v) {
  if (v.len >= sizeof s->text - s->text_len) return NULL;
  char *d = s->text + s->text_len;
  if (v.len) memcpy(d, v.p, v.len);
  d[v.len] = '\0';
  s->text_len += v.len + 1;
  return d;
}

static int request_into(const sipspec_msg *req, sipspec_digest_msg_scratch *s,
                        sipspec_digest_request *out) {
  const char *method = text_dup(s, sipspec_msg_method_text(req));
  const char *uri = method ? text_dup(s, sipspec_msg_request_uri(req)) : NULL;
  if (!uri) return SIPSPEC_E_RANGE;
  sipspec_span body = sipspec_msg_body(req);
  *out = (sipspec_digest_request){method, uri, body.p, body.len};
  return SIPSPEC_OK;
}

int sipspec_digest_request_from_msg(const sipspec_msg *req, sipspec_digest_msg_scratch *s,
                                    sipspec_digest_request *out) {
  if (!req || !s || !out || !sipspec_msg_is_request(req)) return SIPSPEC_E_INVAL;
  scratch_reset(s);
  return request_into(req, s, out);
}

int sipspec_digest_verify_msg(sipspec_digest_server_t *srv, sipspec_auth_kind kind,
                              const char *realm, const sipspec_msg *req,
                              sipspec_digest_msg_scratch *s, char *why, size_t why_len) {
  auth_reason(why, why_len, "%s", "");
  if (!srv || !req || !s || !sipspec_msg_is_request(req)) {
    auth_reason(why, why_len, "credentials are read from a request (non-NULL arguments)");
    return SIPSPEC_E_INVAL;
  }
  scratch_reset(s);
  sipspec_digest_request r;
  if (request_into(req, s, &r) != SIPSPEC_OK) {
    auth_reason(why, why_len, "method and Request-URI exceed %d bytes",
                SIPSPEC_DIGEST_MSG_TEXT_MAX);
    return SIPSPEC_E_RANGE;
  }
  size_t count = sipspec_digest_credentials_count(req, kind);
  for (size_t i = 0; i < count; i++) {
    size_t mark_o = s->n_offers, mark_p = s->n_params, mark_t = s->text_len;
    const sipspec_digest_offer *o;
    int rc = read_credentials(req, kind, i, s, &o, why, why_len);
    if (rc != SIPSPEC_OK) return rc;
    bool dup = false;
    long ri = auth_param_find(o->params, o->n_params, "realm", &dup);
    bool wanted = sipspec_span_ieq(o->scheme, "Digest") &&
                  (realm == NULL || (ri >= 0 && sipspec_span_eq(o->params[ri].value, realm)));
    if (wanted) return sipspec_digest_server_verify(srv, o->params, o->n_params, &r, why, why_len);
    s->n_offers = mark_o;
    s->n_params = mark_p;
    s->text_len = mark_t;
  }
  if (realm)
    auth_reason(why, why_len, "no %s header with Digest credentials for realm \"%s\"",
                sipspec_auth_credentials_header(kind), realm);
  else
    auth_reason(why, why_len, "no %s header with Digest credentials",
                sipspec_auth_credentials_header(kind));
  return SIPSPEC_E_NOTFOUND;
}

static const char *role_name(sipspec_digest_role role, sipspec_auth_kind kind) {
  return role == SIPSPEC_DIGEST_CHALLENGES ? sipspec_auth_challenge_header(kind)
                                           : sipspec_auth_credentials_header(kind);
}

/* Every value is NUL-terminated within its buffer and free of control characters. */
static bool headers_ok(const sipspec_digest_headers *h) {
  if (h->count > SIPSPEC_DIGEST_MAX_HEADERS) return false;
  for (size_t i = 0; i < h->count; i++) {
    const char *v = h->items[i].value;
    const char *nul = memchr(v, '\0', sizeof h->items[i].value);
    if (!nul || auth_has_ctl(v, (size_t)(nul - v))) return false;
  }
  return true;
}

int sipspec_digest_headers_build(sipspec_build *b, const sipspec_digest_headers *h,
                                 sipspec_digest_role role) {
  if (!b || !h || !headers_ok(h)) return SIPSPEC_E_INVAL;
  for (size_t i = 0; i < h->count; i++) {
    const char *name = role_name(role, h->items[i].kind);
    sipspec_span n = {name, strlen(name)};
    sipspec_span v = {h->items[i].value, strlen(h->items[i].value)};
    int rc = sipspec_build_header(b, n, v);
    if (rc != SIPSPEC_OK) return rc;
  }
  return b->err;
}

int sipspec_digest_headers_format(const sipspec_digest_headers *h, sipspec_digest_role role,
                                  char *out, size_t cap) {
  if (!h || !out || cap == 0 || !headers_ok(h)) return SIPSPEC_E_INVAL;
  const char *nul = memchr(out, '\0', cap);
  if (!nul) return SIPSPEC_E_INVAL;
  size_t len = (size_t)(nul - out), need = 0;
  for (size_t i = 0; i < h->count; i++)
    need += strlen(role_name(role, h->items[i].kind)) + 2 + strlen(h->items[i].value) + 2;
  if (need >= cap - len) return SIPSPEC_E_RANGE;
  for (size_t i = 0; i < h->count; i++) {
    const char *name = role_name(role, h->items[i].kind);
    size_t nl = strlen(name), vl = strlen(h->items[i].value);
    memcpy(out + len, name, nl);
    memcpy(out + len + nl, ": ", 2);
    memcpy(out + len + nl + 2, h->items[i].value, vl);
    memcpy(out + len + nl + 2 + vl, "\r\n", 2);
    len += nl + vl + 4;
  }
  out[len] = '\0';
  return SIPSPEC_OK;
}
