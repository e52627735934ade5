/* digest_msg.c: Digest authentication on parsed SIP messages (see sipspec/digest_msg.h).
 *
 * Splits WWW-Authenticate / Proxy-Authenticate / Authorization / Proxy-Authorization
 * values into auth-schemes and auth-params (RFC 3261 section 25.1, RFC 7235 section 4.1
 * for several challenges on one line), unquotes the values into a caller scratch, and
 * writes the Digest module's header values back. The auth-param grammar itself is the
 * SIP parser's (sipspec_auth_param_next); this file only finds where one challenge ends
 * and the next begins, which that grammar cannot see: after an auth-param, a comma
 * followed by "token LWS" starts a new challenge, a comma followed by "token =" continues
 * the current one.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "auth/digest_internal.h"
#include "sipspec/digest_msg.h"
#include "sipspec/error.h"

/* token (RFC 3261 section 25.1): alphanum and -.!%*_+`'~ */
static bool is_token_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         strchr("-.!%*_+`'~", c) != NULL;
}

/* token68 (RFC 7235 section 2.1): 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=" */
static bool is_token68_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         strchr("-._~+/", c) != NULL;
}

static bool is_wsp(char c) { return c == ' ' || c == '\t'; }

/* SWS = [LWS], LWS = [*WSP CRLF] 1*WSP: a fold counts only when whitespace follows it. */
static const char *skip_sws(const char *p, const char *lim) {
  for (;;) {
    while (p < lim && is_wsp(*p)) p++;
    if (lim - p >= 3 && p[0] == '\r' && p[1] == '\n' && is_wsp(p[2])) {
      p += 3;
      continue;
    }
    return p;
  }
}

static const char *skip_token(const char *p, const char *lim) {
  while (p < lim && is_token_char(*p)) p++;
  return p;
}

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

/* Why the auth-param at p (after `first` or after a previous param) does not parse. */
static int diagnose(const hdr_ctx *h, const char *p, const char *lim, bool first) {
  char peer[48], msg[160];
  const char *q = skip_sws(p, lim);
  if (!first) {
    if (q >= lim || *q != ',')
      return fail_at(h, q, SIPSPEC_E_AUTH_MALFORMED, "expected ',' between auth-params");
    q = skip_sws(q + 1, lim);
  }
  const char *t = skip_token(q, lim);
  if (t == q)
    return fail_at(h, q, SIPSPEC_E_AUTH_MALFORMED, "expected an auth-param name (a token)");
  const char *e = skip_sws(t, lim);
  if (e >= lim || *e != '=') {
    snprintf(msg, sizeof msg, "expected '=' after the auth-param name \"%s\"",
             auth_peer_text(peer, sizeof peer, q, (size_t)(t - q)));
    return fail_at(h, e, SIPSPEC_E_AUTH_MALFORMED, msg);
  }
  const char *v = skip_sws(e + 1, lim);
  if (v < lim && *v == '"')
    return fail_at(h, v, SIPSPEC_E_AUTH_MALFORMED,
                   "quoted-string not terminated (or holding a bare CR or LF)");
  return fail_at(h, v, SIPSPEC_E_AUTH_MALFORMED,
                 "expected a token or a quoted-string as the auth-param value");
}

/* Stores one value: a token as is, a quoted-string without its quotes; quoted-pairs and
 * folds (CRLF before whitespace, RFC 3261 section 7.3.1) need a copy into s->text. */
static int store_value(sipspec_digest_msg_scratch *s, const hdr_ctx *h, sipspec_span v,
                       sipspec_digest_param *out) {
  if (v.len < 2 || v.p[0] != '"') {
    out->value = v.p;
    out->value_len = v.len;
    return SIPSPEC_OK;
  }
  const char *p = v.p + 1, *e = v.p + v.len - 1;
  if (!memchr(p, '\\', (size_t)(e - p)) && !memchr(p, '\r', (size_t)(e - p))) {
    out->value = p;
    out->value_len = (size_t)(e - p);
    return SIPSPEC_OK;
  }
  char *dst = s->text + s->text_len;
  size_t room = sizeof s->text - s->text_len, n = 0;
  for (; p < e; p++) {
    char c = *p;
    if (c == '\\' && p + 1 < e) c = *++p;
    else if (c == '\r' && e - p >= 2 && p[1] == '\n') {
      p++;                             /* the fold's whitespace that follows is kept */
      continue;
    }
    if (n == room) {
      auth_reason(h->why, h->why_len,
                  "%s header %zu: unquoted values exceed %d bytes in all", h->name, h->line,
                  SIPSPEC_DIGEST_MSG_TEXT_MAX);
      return SIPSPEC_E_RANGE;
    }
    dst[n++] = c;
  }
  s->text_len += n;
  out->value = dst;
  out->value_len = n;
  return SIPSPEC_OK;
}

/* After a comma: does p start a new challenge rather than the next auth-param? A
 * challenge is a token, whitespace, then something other than '=' or ',' ("Digest
 * realm=...", "Negotiate YIIB..."); RFC 3261 section 25.1 has no bare auth-scheme. */
static bool starts_scheme(const char *p, const char *lim) {
  const char *t = skip_token(p, lim);
  if (t == p) return false;
  const char *r = skip_sws(t, lim);
  return r > t && r < lim && *r != '=' && *r != ',';
}

/* If [p, lim) starts with token68 followed by SWS and the end or a comma, returns the end of
 * the token68; NULL otherwise. */
static const char *token68_end(const char *p, const char *lim) {
  const char *q = p;
  while (q < lim && is_token68_char(*q)) q++;
  if (q == p) return NULL;
  while (q < lim && *q == '=') q++;
  const char *r = skip_sws(q, lim);
  return (r >= lim || *r == ',') ? q : NULL;
}

/* Splits one header value into offers appended to s. max_schemes 1 for credentials. */
static int split_value(sipspec_digest_msg_scratch *s, sipspec_auth_kind kind, sipspec_span v,
                       const hdr_ctx *h, size_t max_schemes) {
  const char *p = v.p, *lim = v.p + v.len;
  size_t schemes = 0;
  p = skip_sws(p, lim);
  for (;;) {                           /* p: at an auth-scheme */
    const char *s1 = skip_token(p, lim);
    if (s1 == p) return fail_at(h, p, SIPSPEC_E_AUTH_MALFORMED, "expected an auth-scheme");
    if (++schemes > max_schemes)
      return fail_at(h, p, SIPSPEC_E_AUTH_MALFORMED,
                     "a second auth-scheme: one credentials per header line");
    if (s->n_offers == SIPSPEC_DIGEST_MSG_MAX_OFFERS) {
      auth_reason(h->why, h->why_len, "%s header %zu: more than %d challenges in all",
                  h->name, h->line, SIPSPEC_DIGEST_MSG_MAX_OFFERS);
      return SIPSPEC_E_RANGE;
    }
    sipspec_digest_offer *o = &s->offers[s->n_offers++];
    *o = (sipspec_digest_offer){kind, p, (size_t)(s1 - p), s->params + s->n_params, 0};
    const char *q = skip_sws(s1, lim);
    if (q >= lim)
      return fail_at(h, q, SIPSPEC_E_AUTH_MALFORMED, "expected auth-params after the auth-scheme");
    if (q == s1)
      return fail_at(h, s1, SIPSPEC_E_AUTH_MALFORMED, "expected whitespace after the auth-scheme");
    p = q;
    bool first = true, next_scheme = false;
    while (p < lim && !next_scheme) {
      sipspec_span cur = {p, (size_t)(lim - p)}, name, value;
      int rc = first && *p == ',' ? SIPSPEC_E_MSG_SYNTAX : sipspec_auth_param_next(&cur, &name, &value);
      if (rc == SIPSPEC_OK) {
        if (s->n_params == SIPSPEC_DIGEST_MSG_MAX_PARAMS) {
          auth_reason(h->why, h->why_len, "%s header %zu: more than %d auth-params in all",
                      h->name, h->line, SIPSPEC_DIGEST_MSG_MAX_PARAMS);
          return SIPSPEC_E_RANGE;
        }
        sipspec_digest_param *pp = &s->params[s->n_params];
        pp->name = name.p;
        pp->name_len = name.len;
        rc = store_value(s, h, value, pp);
        if (rc != SIPSPEC_OK) return rc;
        s->n_params++;
        o->n_params++;
        p = cur.p;
        first = false;
        continue;
      }
      if (rc == SIPSPEC_E_NOTFOUND) break;
      const char *c;
      if (first && (c = token68_end(p, lim)) != NULL) {
        /* token68 (RFC 7235 section 2.1) instead of auth-params: only a comma and the next
         * challenge may follow. */
        c = skip_sws(c, lim);
        if (c >= lim) return SIPSPEC_OK;
        if (!starts_scheme(skip_sws(c + 1, lim), lim))
          return fail_at(h, c, SIPSPEC_E_AUTH_MALFORMED,
                         "after a token68 value, expected ',' and the next auth-scheme");
        p = skip_sws(c + 1, lim);
        next_scheme = true;
        continue;
      }
      c = skip_sws(p, lim);
      if (c >= lim) return SIPSPEC_OK;
      if (!first && *c == ',' && starts_scheme(skip_sws(c + 1, lim), lim)) {
        p = skip_sws(c + 1, lim);
        next_scheme = true;
        continue;
      }
      return diagnose(h, p, lim, first);
    }
    if (!next_scheme) return SIPSPEC_OK;
  }
}

static void scratch_reset(sipspec_digest_msg_scratch *s) {
  s->n_offers = 0;
  s->n_params = 0;
  s->text_len = 0;
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
    int rc = split_value(s, kind, hd.value, &h, SIZE_MAX);
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
  int rc = split_value(s, kind, v, &h, 1);
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
  *scheme = (sipspec_span){o->scheme, o->scheme_len};
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
    bool wanted = auth_slice_ieq(o->scheme, o->scheme_len, "Digest") &&
                  (realm == NULL || (ri >= 0 && o->params[ri].value_len == strlen(realm) &&
                                     memcmp(o->params[ri].value, realm, strlen(realm)) == 0));
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
