/* sip/msg_values.c: the typed values of a parsed message (RFC 3261 sections 19, 20 and
 * 25): header parameters, Via and name-addr values with their parameters, the From, To,
 * Route, Record-Route and Contact of a message, Content-Type, Retry-After, the session timer
 * fields of RFC 4028, credentials and challenges, SIP URIs, quoted strings and escapes, and
 * the names of the semantic check flags. The parse itself is sip/msg.c's.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sip/msg_internal.h"
#include "sipspec/error.h"

int sipspec_param(sipspec_span params, const char *name, sipspec_span *value) {
  const char *p = params.p, *lim = params.p + params.len;
  sipspec_span n, v;
  if (!p) return SIPSPEC_E_NOTFOUND;
  while (p < lim && (p = sipspec_gf_param_next(p, lim, &n, &v)) != NULL)
    if (sipspec_span_ieq(n, name)) {
      if (value) *value = v;
      return SIPSPEC_OK;
    }
  return SIPSPEC_E_NOTFOUND;
}

static long span_long(sipspec_span s, long dflt) {
  long v = 0;
  if (!s.len) return dflt;
  for (size_t i = 0; i < s.len; i++) {
    if (s.p[i] < '0' || s.p[i] > '9') return dflt;
    if (v < LONG_MAX / 20) v = v * 10 + (s.p[i] - '0');
  }
  return v;
}

/* n is lit (a lower-case literal of length len), ignoring case: the length is compared
 * first, so the parameter loops below do not call strlen for each name they try. */
static int name_is(sipspec_span n, const char *lit, size_t len) {
  if (n.len != len) return 0;
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)n.p[i];
    if (c >= 'A' && c <= 'Z') c = (unsigned char)(c + 32);
    if (c != (unsigned char)lit[i]) return 0;
  }
  return 1;
}
#define NAME_IS(n, lit) name_is((n), lit, sizeof lit - 1)

static void via_fill_params(sipspec_via *o) {
  sipspec_span v;
  const char *p = o->params.p, *lim = o->params.p + o->params.len;
  sipspec_span n;
  o->branch = o->received = o->maddr = (sipspec_span){NULL, 0};
  o->rport = -1;
  o->ttl = -1;
  while (p && p < lim && (p = sipspec_gf_param_next(p, lim, &n, &v)) != NULL) {
    if (NAME_IS(n, "branch")) o->branch = v;
    else if (NAME_IS(n, "received")) o->received = v;
    else if (NAME_IS(n, "maddr")) o->maddr = v;
    else if (NAME_IS(n, "rport")) o->rport = v.len ? span_long(v, -1) : 0;
    else if (NAME_IS(n, "ttl")) o->ttl = (int)span_long(v, -1);
  }
}

static void addr_fill_params(sipspec_addr *o) {
  sipspec_span v, n;
  const char *p = o->params.p, *lim = o->params.p + o->params.len;
  o->tag = (sipspec_span){NULL, 0};
  o->expires = -1;
  o->q = -1;
  while (p && p < lim && (p = sipspec_gf_param_next(p, lim, &n, &v)) != NULL) {
    if (NAME_IS(n, "tag")) o->tag = v;
    else if (NAME_IS(n, "expires")) o->expires = span_long(v, -1);
    else if (NAME_IS(n, "q") && v.len) {
      /* qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ) */
      int q = (v.p[0] - '0') * 1000, scale = 100;
      for (size_t i = 2; i < v.len && i < 5; i++, scale /= 10) q += (v.p[i] - '0') * scale;
      o->q = q;
    }
  }
}

int sipspec_via_parse(sipspec_span value, sipspec_via *out) {
  const char *far;
  const char *lim = value.p + value.len;
  const char *e = sipspec_gf_via(value.p, lim, out, &far);
  if (!e || skip_sws(e, lim) != lim) return SIPSPEC_E_MSG_SYNTAX;
  via_fill_params(out);
  return SIPSPEC_OK;
}

int sipspec_addr_parse(sipspec_span value, sipspec_addr *out) {
  const char *far;
  const char *lim = value.p + value.len;
  out->star = 0;
  if (value.len == 1 && value.p[0] == '*') {
    *out = (sipspec_addr){1, {NULL, 0}, {NULL, 0}, {NULL, 0}, -1, -1, {NULL, 0}};
    return SIPSPEC_OK;
  }
  const char *e = sipspec_gf_addr(value.p, lim, out, &far);
  if (!e || skip_sws(e, lim) != lim) return SIPSPEC_E_MSG_SYNTAX;
  addr_fill_params(out);
  return SIPSPEC_OK;
}

size_t sipspec_msg_via_count(const sipspec_msg *m) { return m->nval_of[SIPSPEC_H_VIA]; }

int sipspec_msg_via(const sipspec_msg *m, size_t i, sipspec_via *out) {
  if (i == 0 && (m->cached & MSG_CACHED_VIA0)) {
    *out = m->via0;
    return SIPSPEC_OK;
  }
  const sipspec_hval *v = value_at(m, SIPSPEC_H_VIA, i);
  if (!v) return SIPSPEC_E_NOTFOUND;
  int rc = sipspec_via_parse(v->v, out);
  if (rc == SIPSPEC_OK && i == 0) { /* see msg_internal.h: a cache filled through const */
    sipspec_msg *w = (sipspec_msg *)m;
    w->via0 = *out;
    w->cached |= MSG_CACHED_VIA0;
  }
  return rc;
}

static int addr_of(const sipspec_msg *m, sipspec_hdr_id id, size_t i, sipspec_addr *out) {
  const sipspec_hval *v = value_at(m, id, i);
  return v ? sipspec_addr_parse(v->v, out) : SIPSPEC_E_NOTFOUND;
}

/* From or To (the first value), kept in slot for the next call (see msg_internal.h). */
static int addr_cached(const sipspec_msg *m, sipspec_hdr_id id, unsigned bit, sipspec_addr *slot,
                       sipspec_addr *out) {
  if (m->cached & bit) {
    *out = *slot;
    return SIPSPEC_OK;
  }
  int rc = addr_of(m, id, 0, out);
  if (rc == SIPSPEC_OK) {
    *slot = *out;
    ((sipspec_msg *)m)->cached |= bit;
  }
  return rc;
}

int sipspec_msg_from(const sipspec_msg *m, sipspec_addr *out) {
  return addr_cached(m, SIPSPEC_H_FROM, MSG_CACHED_FROM, &((sipspec_msg *)m)->from, out);
}
int sipspec_msg_to(const sipspec_msg *m, sipspec_addr *out) {
  return addr_cached(m, SIPSPEC_H_TO, MSG_CACHED_TO, &((sipspec_msg *)m)->to, out);
}
int sipspec_msg_route(const sipspec_msg *m, size_t i, sipspec_addr *out) {
  return addr_of(m, SIPSPEC_H_ROUTE, i, out);
}
int sipspec_msg_record_route(const sipspec_msg *m, size_t i, sipspec_addr *out) {
  return addr_of(m, SIPSPEC_H_RECORD_ROUTE, i, out);
}
int sipspec_msg_contact(const sipspec_msg *m, size_t i, sipspec_addr *out) {
  return addr_of(m, SIPSPEC_H_CONTACT, i, out);
}

int sipspec_msg_content_type(const sipspec_msg *m, sipspec_media_type *out) {
  const sipspec_hval *v = value_at(m, SIPSPEC_H_CONTENT_TYPE, 0);
  const char *far;
  if (!v) return SIPSPEC_E_NOTFOUND;
  return sipspec_gf_media_type(v->v.p, v->v.p + v->v.len, out, &far) < 0 ? SIPSPEC_E_MSG_SYNTAX
                                                                          : SIPSPEC_OK;
}

long sipspec_msg_retry_after(const sipspec_msg *m) {
  const sipspec_hval *v = value_at(m, SIPSPEC_H_RETRY_AFTER, 0);
  if (!v) return -1;
  size_t n = 0;
  while (n < v->v.len && v->v.p[n] >= '0' && v->v.p[n] <= '9') n++;
  return n ? span_long((sipspec_span){v->v.p, n}, -1) : -1;
}

/* The delta-seconds (RFC 3261 25.1) at the start of the first header name's value, 1..86400,
 * else 0; *value gets that value. */
static unsigned header_delta_seconds(const sipspec_msg *m, const char *name, sipspec_span *value) {
  long i = sipspec_msg_find(m, name, 0);
  sipspec_header h;
  value->p = NULL;
  value->len = 0;
  if (i < 0 || sipspec_msg_header(m, (size_t)i, &h) != SIPSPEC_OK) return 0;
  *value = h.value;
  unsigned long n = 0;
  size_t k = 0;
  while (k < h.value.len && h.value.p[k] == ' ') k++;
  size_t start = k;
  while (k < h.value.len && h.value.p[k] >= '0' && h.value.p[k] <= '9' && n <= 86400) n = n * 10 + (unsigned)(h.value.p[k++] - '0');
  return k == start || n > 86400 ? 0 : (unsigned)n;
}

unsigned sipspec_msg_session_expires(const sipspec_msg *m, int *refresher) {
  sipspec_span v, r;
  unsigned se = header_delta_seconds(m, "Session-Expires", &v);
  if (refresher) {
    const char *semi = v.len ? memchr(v.p, ';', v.len) : NULL;
    *refresher = 0;
    if (semi && sipspec_param((sipspec_span){semi, v.len - (size_t)(semi - v.p)}, "refresher", &r) == SIPSPEC_OK)
      *refresher = sipspec_span_ieq(r, "uac") ? 'c' : sipspec_span_ieq(r, "uas") ? 's' : 0;
  }
  return se;
}

unsigned sipspec_msg_min_se(const sipspec_msg *m) {
  sipspec_span v;
  return header_delta_seconds(m, "Min-SE", &v);
}

int sipspec_msg_auth(const sipspec_msg *m, sipspec_hdr_id id, size_t i, sipspec_auth *out) {
  const char *far;
  if (id != SIPSPEC_H_WWW_AUTHENTICATE && id != SIPSPEC_H_PROXY_AUTHENTICATE &&
      id != SIPSPEC_H_AUTHORIZATION && id != SIPSPEC_H_PROXY_AUTHORIZATION)
    return SIPSPEC_E_INVAL;
  const sipspec_hval *v = value_at(m, id, i);
  if (!v) return SIPSPEC_E_NOTFOUND;
  return sipspec_gf_auth(v->v.p, v->v.p + v->v.len, out, &far) < 0 ? SIPSPEC_E_MSG_SYNTAX
                                                                    : SIPSPEC_OK;
}

int sipspec_auth_param_next(sipspec_span *cursor, sipspec_span *name, sipspec_span *value) {
  const char *lim = cursor->p + cursor->len;
  if (!cursor->p || !cursor->len) return SIPSPEC_E_NOTFOUND;
  const char *e = sipspec_gf_auth_param_next(cursor->p, lim, name, value);
  if (!e) return SIPSPEC_E_MSG_SYNTAX;
  *cursor = (sipspec_span){e, (size_t)(lim - e)};
  return SIPSPEC_OK;
}

int sipspec_auth_param(const sipspec_auth *a, const char *name, sipspec_span *value) {
  sipspec_span cur = a->params, n, v;
  int rc;
  while ((rc = sipspec_auth_param_next(&cur, &n, &v)) == SIPSPEC_OK)
    if (sipspec_span_ieq(n, name)) {
      *value = v;
      return SIPSPEC_OK;
    }
  return rc == SIPSPEC_E_MSG_SYNTAX ? rc : SIPSPEC_E_NOTFOUND;
}

int sipspec_uri_parse(const char *p, size_t len, sipspec_uri *out, sipspec_parse_error *err) {
  const char *far = p;
  memset(out, 0, sizeof *out);
  out->port = -1;
  out->ttl = -1;
  if (sipspec_gf_uri(p, p + len, out, &far) < 0) {
    if (err) sipspec_msg_set_error(err, p, far, SIPSPEC_E_MSG_SYNTAX, "SIP-URI");
    return SIPSPEC_E_MSG_SYNTAX;
  }
  if (out->kind == SIPSPEC_URI_SIP || out->kind == SIPSPEC_URI_SIPS) {
    const char *h = out->host.p;
    size_t i = 0;
    if (h[0] == '[') out->host_kind = SIPSPEC_HOST_IPV6;
    else {
      while (i < out->host.len && ((h[i] >= '0' && h[i] <= '9') || h[i] == '.')) i++;
      out->host_kind = i == out->host.len ? SIPSPEC_HOST_IPV4 : SIPSPEC_HOST_NAME;
    }
    /* one walk over the parameters; the first of a name counts, as sipspec_param() finds it */
    sipspec_span n, v;
    unsigned seen = 0;
    const char *q = out->params.p, *qlim = out->params.p + out->params.len;
    while (q && q < qlim && (q = sipspec_gf_param_next(q, qlim, &n, &v)) != NULL) {
      if (NAME_IS(n, "transport")) { if (!(seen & 1u)) out->transport = v; seen |= 1u; }
      else if (NAME_IS(n, "user")) { if (!(seen & 2u)) out->user_param = v; seen |= 2u; }
      else if (NAME_IS(n, "method")) { if (!(seen & 4u)) out->method = v; seen |= 4u; }
      else if (NAME_IS(n, "maddr")) { if (!(seen & 8u)) out->maddr = v; seen |= 8u; }
      else if (NAME_IS(n, "ttl")) { if (!(seen & 16u)) out->ttl = (int)span_long(v, -1); seen |= 16u; }
      else if (NAME_IS(n, "lr")) out->lr = 1;
    }
  }
  if (err) err->code = SIPSPEC_OK;
  return SIPSPEC_OK;
}

long sipspec_unquote(sipspec_span s, char *out, size_t cap) {
  size_t n = 0, i = 0, e = s.len;
  if (s.len >= 2 && s.p[0] == '"' && s.p[s.len - 1] == '"') {
    i = 1;
    e = s.len - 1;
  }
  for (; i < e; i++) {
    char c = s.p[i];
    if (c == '\\' && i + 1 < e) c = s.p[++i];
    if (n >= cap) return -1;
    out[n++] = c;
  }
  return (long)n;
}

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

long sipspec_unescape(sipspec_span s, char *out, size_t cap) {
  size_t n = 0;
  for (size_t i = 0; i < s.len; i++) {
    char c = s.p[i];
    if (c == '%') {
      if (i + 2 >= s.len) return -1;
      int hi = hexval(s.p[i + 1]), lo = hexval(s.p[i + 2]);
      if (hi < 0 || lo < 0) return -1;
      c = (char)(hi * 16 + lo);
      i += 2;
    }
    if (n >= cap) return -1;
    out[n++] = c;
  }
  return (long)n;
}

/* ---- semantic flags ------------------------------------------------------------------- */

const char *sipspec_check_name(uint32_t flag) {
  switch (flag) {
#define SIPSPEC_CHECK_NAME_(name, bit, text) case bit: return #name;
    SIPSPEC_CHECKS(SIPSPEC_CHECK_NAME_)
#undef SIPSPEC_CHECK_NAME_
  default: return "";
  }
}

const char *sipspec_check_text(uint32_t flag) {
  switch (flag) {
#define SIPSPEC_CHECK_TEXT_(name, bit, text) case bit: return text;
    SIPSPEC_CHECKS(SIPSPEC_CHECK_TEXT_)
#undef SIPSPEC_CHECK_TEXT_
  default: return "";
  }
}
