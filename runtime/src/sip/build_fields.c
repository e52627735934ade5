/* sip/build_fields.c: typed header fields for the builder, checked as they are written.
 *
 * One rule for writing and reading: every value written here goes through the rule the
 * parser applies to that header (sipspec_msg_value_rule(), the grammar of
 * grammar/sip_message.re), tokens through the grammar's token rule, URIs through its URI
 * rule; header names through its header-name rule. Nothing here has a character list of its
 * own except the one the parser does not need: no CR, LF or NUL in any value (the builder
 * writes no folded lines, RFC 3261 7.3.1), so a value cannot end its line early.
 *
 * A value is composed in a scratch string first (stack, or heap past 512 bytes), checked,
 * then appended. A builder that only measures (sipspec_build_init_measure(): no buffer)
 * counts the bytes and checks nothing: the size of a message does not depend on the checks,
 * and the message is checked when it is written.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sip/msg_internal.h"
#include "sip/sip_grammar.h"
#include "sipspec/error.h"

/* ---- scratch values ------------------------------------------------------------------- */

typedef struct vstr {
  char *p;
  size_t len, cap;
  int oom;
  char st[512];
} vstr;

static void v_init(vstr *v) {
  v->p = v->st;
  v->len = 0;
  v->cap = sizeof v->st;
  v->oom = 0;
}

static void v_free(vstr *v) {
  if (v->p != v->st) free(v->p);
}

/* Keeps 3 bytes spare: the "\r\n!" the parser's scanners need after a value. */
static void v_put(vstr *v, const char *p, size_t n) {
  if (v->oom) return;
  if (n + 3 > v->cap - v->len) {
    size_t cap = (v->len + n + 3) * 2;
    char *q = v->p == v->st ? malloc(cap) : realloc(v->p, cap);
    if (!q) {
      v->oom = 1;
      return;
    }
    if (v->p == v->st) memcpy(q, v->st, v->len);
    v->p = q;
    v->cap = cap;
  }
  if (n) memcpy(v->p + v->len, p, n);
  v->len += n;
}

static void v_span(vstr *v, sipspec_span s) { v_put(v, s.p, s.len); }
static void v_str(vstr *v, const char *s) { v_put(v, s, strlen(s)); }

static void v_uint(vstr *v, unsigned long n) {
  char d[24];
  size_t k = sizeof d;
  do {
    d[--k] = (char)('0' + n % 10);
    n /= 10;
  } while (n);
  v_put(v, d + k, sizeof d - k);
}

static sipspec_span lit(const char *s) { return (sipspec_span){s, strlen(s)}; }

/* ---- the checks ---------------------------------------------------------------------- */

static int bad_byte(sipspec_span s) {
  return s.len && (memchr(s.p, '\r', s.len) || memchr(s.p, '\n', s.len) || memchr(s.p, '\0', s.len));
}

static int measuring(const sipspec_build *b) { return !b->buf; }

/* Runs one of the grammar's whole-value scanners on s (they stop at a CR past the end). */
int sipspec_build_check_token(sipspec_build *b, sipspec_span s, const char *what) {
  const char *far;
  if (b->err || measuring(b)) return b->err;
  if (!s.len || !s.p) return sipspec_build_fail(b, SIPSPEC_E_BUILD_FIELD, what, "missing");
  if (bad_byte(s)) return sipspec_build_fail(b, SIPSPEC_E_BUILD_CRLF, what, NULL);
  if (sipspec_gf_token(s.p, s.p + s.len, &far) < 0) return sipspec_build_fail(b, SIPSPEC_E_BUILD_TOKEN, what, "not a token");
  return SIPSPEC_OK;
}

int sipspec_build_check_uri(sipspec_build *b, sipspec_span s, const char *what) {
  const char *far;
  sipspec_uri u;
  if (b->err || measuring(b)) return b->err;
  if (!s.len || !s.p) return sipspec_build_fail(b, SIPSPEC_E_BUILD_FIELD, what, "missing");
  if (bad_byte(s)) return sipspec_build_fail(b, SIPSPEC_E_BUILD_CRLF, what, NULL);
  if (sipspec_gf_uri(s.p, s.p + s.len, &u, &far) < 0) return sipspec_build_fail(b, SIPSPEC_E_BUILD_URI, what, "not a URI");
  return SIPSPEC_OK;
}

/* The header-name rule: the id of name (a token), or -1. */
static int name_id(sipspec_span name) {
  char tmp[256];
  const char *ne, *val;
  if (!name.len || name.len + 1 > sizeof tmp || bad_byte(name)) return -1;
  memcpy(tmp, name.p, name.len);
  tmp[name.len] = ':';
  int id = sipspec_gf_header_name(tmp, tmp + name.len + 1, &ne, &val);
  return id >= 0 && ne == tmp + name.len ? id : -1;
}

/* Checks v (in its scratch, 3 spare bytes) under the rule of header id. */
static int value_ok(vstr *v, sipspec_hdr_id id, const char **rule) {
  enum { NV = 64 };
  sipspec_hval vals[NV];
  sipspec_msg m; /* what parse_value() reads and writes of a message, for one id */
  m.buf = v->p;
  m.limits.max_values = NV;
  m.vals = vals;
  m.nvals = 0;
  m.first[id] = m.last[id] = -1;
  m.nval_of[id] = 0;
  m.call_id = m.cseq_method = (sipspec_span){NULL, 0};
  m.max_forwards = -1;
  m.content_length = -1;
  m.expires = -1;
  m.contact_star = 0;
  char *lim = v->p + v->len;
  lim[0] = '\r', lim[1] = '\n', lim[2] = '!';
  const char *fail = NULL;
  *rule = NULL;
  return !sipspec_msg_value_rule(&m, id, v->p, lim, &fail, rule);
}

/* Appends "name: value\r\n" once value passed the rule of header id. */
/* What a value refused by its header's rule says when one of its parts is the culprit: a
 * URI (checked alone only then) is named as the URI. */
typedef struct part_hint {
  sipspec_span uri;
  const char *what;
} part_hint;

static int emit_hint(sipspec_build *b, sipspec_hdr_id id, sipspec_span name, vstr *v, const part_hint *hint);

static int emit(sipspec_build *b, sipspec_hdr_id id, sipspec_span name, vstr *v) { return emit_hint(b, id, name, v, NULL); }

/* A value made only of parts already checked against their own rules, whose concatenation is
 * the header's rule (CSeq: 1*DIGIT LWS Method; Max-Forwards: 1*DIGIT): written as it is. */
static int emit_checked(sipspec_build *b, sipspec_span name, vstr *v) {
  int rc = b->err;
  if (!rc && v->oom) rc = sipspec_build_fail(b, SIPSPEC_E_NOMEM, "header value", NULL);
  if (!rc) rc = sipspec_build_line_trusted(b, name, (sipspec_span){v->p, v->len});
  v_free(v);
  return rc;
}

/* Values found good under their header's rule, per thread: a server writes the same Contact,
 * Session-Expires, Allow... in every 2xx, and the verdict of a rule is a function of the
 * header id and the bytes alone, so the same value is written again without a second pass.
 * Only what passed is kept; a value is compared whole. */
enum { VALUE_SLOTS = 8, VALUE_MAX = 200 };
static _Thread_local struct {
  int id;
  size_t len;
  char text[VALUE_MAX];
} value_ok_memo[VALUE_SLOTS];
static _Thread_local unsigned value_next;

static int value_known(sipspec_hdr_id id, const vstr *v) {
  if (v->len > VALUE_MAX || !v->len) return 0;
  for (int i = 0; i < VALUE_SLOTS; i++)
    if (value_ok_memo[i].len == v->len && value_ok_memo[i].id == (int)id && !memcmp(value_ok_memo[i].text, v->p, v->len))
      return 1;
  return 0;
}

static void value_keep(sipspec_hdr_id id, const vstr *v) {
  if (v->len > VALUE_MAX || !v->len) return;
  unsigned k = value_next++ % VALUE_SLOTS;
  value_ok_memo[k].id = (int)id;
  value_ok_memo[k].len = v->len;
  memcpy(value_ok_memo[k].text, v->p, v->len);
}

static int emit_hint(sipspec_build *b, sipspec_hdr_id id, sipspec_span name, vstr *v, const part_hint *hint) {
  const char *rule;
  char what[48];
  int rc = b->err;
  if (!rc && v->oom) rc = sipspec_build_fail(b, SIPSPEC_E_NOMEM, "header value", NULL);
  if (!rc && (measuring(b) || value_known(id, v))) { /* the size alone, or a value known good */
    rc = sipspec_build_line_trusted(b, name, (sipspec_span){v->p, v->len});
    v_free(v);
    return rc;
  }
  if (!rc && bad_byte((sipspec_span){v->p, v->len})) {
    snprintf(what, sizeof what, "%.*s value", (int)(name.len < 32 ? name.len : 32), name.p);
    rc = sipspec_build_fail(b, SIPSPEC_E_BUILD_CRLF, what, NULL);
  }
  if (!rc && !value_ok(v, id, &rule)) {
    const char *far;
    sipspec_uri u;
    if (hint && sipspec_gf_uri(hint->uri.p, hint->uri.p + hint->uri.len, &u, &far) < 0) {
      rc = sipspec_build_fail(b, SIPSPEC_E_BUILD_URI, hint->what, "not a URI");
    } else {
      snprintf(what, sizeof what, "%.*s value", (int)(name.len < 32 ? name.len : 32), name.p);
      rc = sipspec_build_fail(b, SIPSPEC_E_BUILD_VALUE, what, rule);
    }
  }
  if (!rc) {
    value_keep(id, v);
    rc = sipspec_build_line_trusted(b, name, (sipspec_span){v->p, v->len});
  }
  v_free(v);
  return rc;
}

/* ---- headers by name ------------------------------------------------------------------ */

int sipspec_build_header(sipspec_build *b, sipspec_span name, sipspec_span value) {
  if (b->err) return b->err;
  int id = measuring(b) ? SIPSPEC_H_OTHER : name_id(name);
  if (id < 0) {
    char what[48];
    snprintf(what, sizeof what, "header name \"%.*s\"", (int)(name.len < 24 ? name.len : 24), name.p ? name.p : "");
    return sipspec_build_fail(b, bad_byte(name) ? SIPSPEC_E_BUILD_CRLF : SIPSPEC_E_BUILD_TOKEN, what, NULL);
  }
  if (id == SIPSPEC_H_CONTENT_LENGTH) return sipspec_build_fail(b, SIPSPEC_E_BUILD_FIELD, "Content-Length", "written from the body");
  vstr v;
  v_init(&v);
  /* The parser trims the value; so does the builder, so that parse(build()) is the value. */
  while (value.len && (value.p[0] == ' ' || value.p[0] == '\t')) value.p++, value.len--;
  while (value.len && (value.p[value.len - 1] == ' ' || value.p[value.len - 1] == '\t')) value.len--;
  v_span(&v, value);
  return emit(b, (sipspec_hdr_id)id, name, &v);
}

/* Blocks of header lines found good and written exactly as given, per thread: a TU sends
 * the same block again and again (a server's Contact, Allow, Supported... in every 200), and
 * the verdict of the rules is a function of the bytes alone, so the same bytes are copied
 * without a second pass. Only what passed is kept; a block is compared whole. */
enum { LINES_SLOTS = 4, LINES_MAX = 768 };
static _Thread_local struct {
  size_t len;
  char text[LINES_MAX];
} lines_ok[LINES_SLOTS];
static _Thread_local unsigned lines_next;

static int lines_known(sipspec_span lines) {
  for (int i = 0; i < LINES_SLOTS; i++)
    if (lines_ok[i].len == lines.len && !memcmp(lines_ok[i].text, lines.p, lines.len)) return 1;
  return 0;
}

static int lines_check(sipspec_build *b, sipspec_span lines);

int sipspec_build_header_lines(sipspec_build *b, sipspec_span lines) {
  if (b->err || !lines.len) return b->err;
  if (lines.len <= LINES_MAX && lines_known(lines)) return sipspec_build_raw(b, lines);
  size_t at = b->len;
  int rc = lines_check(b, lines);
  /* Remember it when it was written byte for byte as given (nothing trimmed or respaced). */
  if (!rc && b->buf && lines.len <= LINES_MAX && b->len - at == lines.len && !memcmp(b->buf + at, lines.p, lines.len)) {
    unsigned k = lines_next++ % LINES_SLOTS;
    memcpy(lines_ok[k].text, lines.p, lines.len);
    lines_ok[k].len = lines.len;
  }
  return rc;
}

static int lines_check(sipspec_build *b, sipspec_span lines) {
  const char *p = lines.p, *end = lines.p + lines.len;
  while (!b->err && p && p < end) {
    const char *eol = memchr(p, '\n', (size_t)(end - p));
    if (!eol) eol = end;
    else if (eol > p && eol[-1] == '\r') eol--;
    const char *cr = memchr(p, '\r', (size_t)(eol - p));
    if (cr) eol = cr; /* a bare CR: refused below */
    const char *next = eol;
    if (next < end && *next == '\r' && next + 1 < end && next[1] == '\n') next += 2;
    else if (next < end) return sipspec_build_fail(b, SIPSPEC_E_BUILD_CRLF, "header line", "a bare CR or LF");
    else return sipspec_build_fail(b, SIPSPEC_E_BUILD_FIELD, "header line", "no CRLF at its end");
    if (eol == p) return sipspec_build_fail(b, SIPSPEC_E_BUILD_CRLF, "header line", "an empty line");
    const char *colon = memchr(p, ':', (size_t)(eol - p));
    if (!colon) {
      char what[48];
      snprintf(what, sizeof what, "header line \"%.*s\"", (int)(eol - p < 24 ? eol - p : 24), p);
      return sipspec_build_fail(b, SIPSPEC_E_BUILD_TOKEN, what, "no colon");
    }
    const char *ne = colon;
    while (ne > p && (ne[-1] == ' ' || ne[-1] == '\t')) ne--;
    sipspec_build_header(b, (sipspec_span){p, (size_t)(ne - p)}, (sipspec_span){colon + 1, (size_t)(eol - colon - 1)});
    p = next;
  }
  return b->err;
}

int sipspec_build_body(sipspec_build *b, sipspec_span content_type, sipspec_span body) {
  if (body.len) {
    if (!content_type.len) return sipspec_build_fail(b, SIPSPEC_E_BUILD_FIELD, "Content-Type", "missing with a body");
    sipspec_build_header(b, lit("Content-Type"), content_type);
  }
  return sipspec_build_finish(b, body);
}

/* ---- typed headers -------------------------------------------------------------------- */

int sipspec_build_via(sipspec_build *b, const sipspec_via_fields *f) {
  /* 20.42 via-parm: sent-protocol LWS sent-by *( SEMI via-params ); 8.1.1.7: the branch. */
  if (!f) return sipspec_build_fail(b, SIPSPEC_E_INVAL, "Via", NULL);
  sipspec_build_check_token(b, f->transport, "Via transport");
  sipspec_build_check_token(b, f->branch, "Via branch");
  if (!f->host.len) sipspec_build_fail(b, SIPSPEC_E_BUILD_FIELD, "Via host", "missing");
  if (f->port < 0 || f->port > 65535) sipspec_build_fail(b, SIPSPEC_E_BUILD_FIELD, "Via port", "out of range");
  if (b->err) return b->err;
  vstr v;
  v_init(&v);
  v_str(&v, "SIP/2.0/");
  v_span(&v, f->transport);
  v_str(&v, " ");
  v_span(&v, f->host);
  if (f->port) {
    v_str(&v, ":");
    v_uint(&v, (unsigned long)f->port);
  }
  if (f->rport) v_str(&v, ";rport"); /* as RFC 3581's examples write it, before the branch */
  v_str(&v, ";branch=");
  v_span(&v, f->branch);
  if (f->received.len) {
    v_str(&v, ";received=");
    v_span(&v, f->received);
  }
  return emit(b, SIPSPEC_H_VIA, lit("Via"), &v);
}

/* 25.1 quoted-string: '"' and '\' become quoted-pairs; CR, LF and NUL cannot be written. */
static void v_quoted(vstr *v, sipspec_span s) {
  v_str(v, "\"");
  const char *p = s.p, *end = s.p + s.len;
  while (p < end) {
    const char *q = p;
    while (q < end && *q != '"' && *q != '\\') q++;
    v_put(v, p, (size_t)(q - p));
    if (q < end) {
      char pair[2] = {'\\', *q};
      v_put(v, pair, 2);
      q++;
    }
    p = q;
  }
  v_str(v, "\"");
}

int sipspec_build_addr(sipspec_build *b, sipspec_hdr_id id, const sipspec_addr_fields *f) {
  if (!f || (id != SIPSPEC_H_FROM && id != SIPSPEC_H_TO && id != SIPSPEC_H_CONTACT && id != SIPSPEC_H_ROUTE &&
             id != SIPSPEC_H_RECORD_ROUTE))
    return sipspec_build_fail(b, SIPSPEC_E_INVAL, "address header", NULL);
  const char *name = sipspec_hdr_name(id);
  static const char *const uri_what[] = {[SIPSPEC_H_FROM] = "From URI", [SIPSPEC_H_TO] = "To URI",
                                         [SIPSPEC_H_CONTACT] = "Contact URI", [SIPSPEC_H_ROUTE] = "Route URI",
                                         [SIPSPEC_H_RECORD_ROUTE] = "Record-Route URI"};
  static const char *const tag_what[] = {[SIPSPEC_H_FROM] = "From tag", [SIPSPEC_H_TO] = "To tag",
                                         [SIPSPEC_H_CONTACT] = "Contact tag", [SIPSPEC_H_ROUTE] = "Route tag",
                                         [SIPSPEC_H_RECORD_ROUTE] = "Record-Route tag"};
  /* The URI is checked by the name-addr rule itself (LAQUOT URI RAQUOT: SIP-URI, SIPS-URI or
   * absoluteURI), the value being "<" uri ">" as long as the URI cannot close the brackets
   * early: it may hold no '<' or '>' (no URI does). */
  if (!b->err && !f->uri.len) sipspec_build_fail(b, SIPSPEC_E_BUILD_FIELD, uri_what[id], "missing");
  if (!b->err && !measuring(b)) {
    if (bad_byte(f->uri)) sipspec_build_fail(b, SIPSPEC_E_BUILD_CRLF, uri_what[id], NULL);
    else if (memchr(f->uri.p, '>', f->uri.len) || memchr(f->uri.p, '<', f->uri.len))
      sipspec_build_fail(b, SIPSPEC_E_BUILD_URI, uri_what[id], "not a URI");
  }
  if (f->tag.len) sipspec_build_check_token(b, f->tag, tag_what[id]);
  if (!b->err && !measuring(b) && bad_byte(f->display)) {
    char what[32];
    snprintf(what, sizeof what, "%s display name", name);
    sipspec_build_fail(b, SIPSPEC_E_BUILD_CRLF, what, NULL);
  }
  if (b->err) return b->err;
  vstr v;
  v_init(&v);
  /* 20.10: always the name-addr form, so a URI's ';' and '?' stay the URI's. */
  if (f->display.len) {
    v_quoted(&v, f->display);
    v_str(&v, " ");
  }
  v_str(&v, "<");
  v_span(&v, f->uri);
  v_str(&v, ">");
  if (f->tag.len) {
    v_str(&v, ";tag=");
    v_span(&v, f->tag);
  }
  v_span(&v, f->params);
  part_hint hint = {f->uri, uri_what[id]};
  return emit_hint(b, id, lit(name), &v, &hint);
}

int sipspec_build_route_set(sipspec_build *b, sipspec_hdr_id id, const sipspec_span *uris, size_t n) {
  if (id != SIPSPEC_H_ROUTE && id != SIPSPEC_H_RECORD_ROUTE) return sipspec_build_fail(b, SIPSPEC_E_INVAL, "route set", NULL);
  for (size_t i = 0; i < n && !b->err; i++) {
    sipspec_addr_fields a = {{NULL, 0}, uris[i], {NULL, 0}, {NULL, 0}};
    sipspec_build_addr(b, id, &a);
  }
  return b->err;
}

int sipspec_build_cseq(sipspec_build *b, uint32_t number, sipspec_span method) {
  sipspec_build_check_token(b, method, "CSeq method");
  if (b->err) return b->err;
  vstr v;
  v_init(&v);
  v_uint(&v, number);
  v_str(&v, " ");
  v_span(&v, method);
  return emit_checked(b, lit("CSeq"), &v); /* 20.16: 1*DIGIT LWS Method (a checked token) */
}

int sipspec_build_call_id(sipspec_build *b, sipspec_span call_id) {
  if (!call_id.len) return sipspec_build_fail(b, SIPSPEC_E_BUILD_FIELD, "Call-ID", "missing");
  vstr v;
  v_init(&v);
  v_span(&v, call_id);
  return emit(b, SIPSPEC_H_CALL_ID, lit("Call-ID"), &v);
}

int sipspec_build_max_forwards(sipspec_build *b, int hops) {
  if (hops < 0 || hops > 255) return sipspec_build_fail(b, SIPSPEC_E_BUILD_FIELD, "Max-Forwards", "out of range");
  vstr v;
  v_init(&v);
  v_uint(&v, (unsigned long)hops);
  return emit_checked(b, lit("Max-Forwards"), &v); /* 20.22: 1*DIGIT */
}

/* ---- numbers, Session-Expires, Reason, Warning ----------------------------------------- */

/* The id of header name (a header-name token), or -1 after failing b naming it. */
static int named(sipspec_build *b, sipspec_span name) {
  int id = measuring(b) ? SIPSPEC_H_OTHER : name_id(name);
  if (id < 0) {
    char what[48];
    snprintf(what, sizeof what, "header name \"%.*s\"", (int)(name.len < 24 ? name.len : 24), name.p ? name.p : "");
    sipspec_build_fail(b, bad_byte(name) ? SIPSPEC_E_BUILD_CRLF : SIPSPEC_E_BUILD_TOKEN, what, NULL);
  } else if (id == SIPSPEC_H_CONTENT_LENGTH) {
    sipspec_build_fail(b, SIPSPEC_E_BUILD_FIELD, "Content-Length", "written from the body");
    id = -1;
  }
  return id;
}

int sipspec_build_uint(sipspec_build *b, sipspec_span name, uint32_t value) {
  if (b->err) return b->err;
  int id = named(b, name);
  if (id < 0) return b->err;
  vstr v;
  v_init(&v);
  v_uint(&v, value);
  return emit(b, (sipspec_hdr_id)id, name, &v); /* the header's rule: 1*DIGIT must suit it */
}

int sipspec_build_session_expires(sipspec_build *b, uint32_t delta, int refresher) {
  /* RFC 4028 4: Session-Expires = ("Session-Expires" / "x") HCOLON delta-seconds
   * *(SEMI se-params); se-params = refresher-param / generic-param;
   * refresher-param = "refresher" EQUAL ("uas" / "uac"). */
  if (b->err) return b->err;
  if (!delta) return sipspec_build_fail(b, SIPSPEC_E_BUILD_FIELD, "Session-Expires", "0 seconds");
  if (refresher && refresher != 'c' && refresher != 's')
    return sipspec_build_fail(b, SIPSPEC_E_BUILD_FIELD, "Session-Expires refresher", "not uac or uas");
  vstr v;
  v_init(&v);
  v_uint(&v, delta);
  if (refresher) v_str(&v, refresher == 's' ? ";refresher=uas" : ";refresher=uac");
  return emit(b, SIPSPEC_H_SESSION_EXPIRES, lit("Session-Expires"), &v);
}

int sipspec_build_reason(sipspec_build *b, sipspec_span protocol, unsigned cause, sipspec_span text) {
  /* RFC 3326 2: Reason = "Reason" HCOLON reason-value; reason-value = protocol
   * *(SEMI reason-params); reason-params = protocol-cause / reason-text / reason-extension;
   * protocol-cause = "cause" EQUAL cause; cause = 1*DIGIT; reason-text = "text" EQUAL
   * quoted-string. protocol is "SIP", "Q.850" or a token. */
  sipspec_build_check_token(b, protocol, "Reason protocol");
  if (!b->err && !measuring(b) && bad_byte(text)) sipspec_build_fail(b, SIPSPEC_E_BUILD_CRLF, "Reason text", NULL);
  if (b->err) return b->err;
  vstr v;
  v_init(&v);
  v_span(&v, protocol);
  v_str(&v, ";cause=");
  v_uint(&v, cause);
  if (text.len) {
    v_str(&v, ";text=");
    v_quoted(&v, text);
  }
  return emit(b, SIPSPEC_H_REASON, lit("Reason"), &v);
}

int sipspec_build_warning(sipspec_build *b, int code, sipspec_span agent, sipspec_span text) {
  /* RFC 3261 20.43: Warning = "Warning" HCOLON warning-value *(COMMA warning-value);
   * warning-value = warn-code SP warn-agent SP warn-text; warn-code = 3DIGIT;
   * warn-agent = hostport / pseudonym (a token); warn-text = quoted-string. */
  if (b->err) return b->err;
  if (code < 300 || code > 399) return sipspec_build_fail(b, SIPSPEC_E_BUILD_FIELD, "Warning code", "not 3xx");
  if (!measuring(b)) {
    if (!agent.len) return sipspec_build_fail(b, SIPSPEC_E_BUILD_FIELD, "Warning agent", "missing");
    if (bad_byte(agent)) return sipspec_build_fail(b, SIPSPEC_E_BUILD_CRLF, "Warning agent", NULL);
    if (bad_byte(text)) return sipspec_build_fail(b, SIPSPEC_E_BUILD_CRLF, "Warning text", NULL);
    const char *far;
    if (sipspec_gf_token(agent.p, agent.p + agent.len, &far) < 0) { /* not a pseudonym: a hostport */
      char hp[300];
      sipspec_uri u;
      if (agent.len + 5 > sizeof hp) return sipspec_build_fail(b, SIPSPEC_E_BUILD_TOKEN, "Warning agent", "too long");
      memcpy(hp, "sip:", 4);
      memcpy(hp + 4, agent.p, agent.len);
      hp[4 + agent.len] = '\r'; /* the scanners stop at a CR past the end */
      if (sipspec_gf_uri(hp, hp + 4 + agent.len, &u, &far) < 0 || u.user.len || u.params.len || u.headers.len)
        return sipspec_build_fail(b, SIPSPEC_E_BUILD_TOKEN, "Warning agent", "not a hostport or token");
    }
  }
  vstr v;
  v_init(&v);
  v_uint(&v, (unsigned long)code);
  v_str(&v, " ");
  v_span(&v, agent);
  v_str(&v, " ");
  v_quoted(&v, text);
  return emit(b, SIPSPEC_H_OTHER, lit("Warning"), &v);
}

/* ---- requests ------------------------------------------------------------------------- */

int sipspec_build_request_layout(sipspec_build *b, const sipspec_request_fields *f, sipspec_request_layout *lay) {
  if (!f) return sipspec_build_fail(b, SIPSPEC_E_INVAL, "request fields", NULL);
  sipspec_request_layout l;
  memset(&l, 0, sizeof l);
  size_t mark = b->len + f->method.len + 1;
  sipspec_build_request_line(b, f->method, f->request_uri);
  l.uri = mark, l.uri_len = f->request_uri.len;
  l.via = b->len;
  sipspec_build_via(b, &f->via);
  l.via_len = b->len - l.via;
  sipspec_build_max_forwards(b, f->max_forwards < 0 ? 70 : f->max_forwards);
  l.route = b->len;
  if (f->n_routes && !f->routes) sipspec_build_fail(b, SIPSPEC_E_INVAL, "route set", NULL);
  else sipspec_build_route_set(b, SIPSPEC_H_ROUTE, f->routes, f->n_routes);
  l.route_len = b->len - l.route;
  /* The value of each single header starts after "Name: " and ends before its CRLF. */
#define VALUE_AT(off, n, name_len, call) \
  do {                                   \
    size_t at_ = b->len;                 \
    call;                                \
    off = at_ + (name_len) + 2;          \
    n = b->len - at_ - (name_len) - 4;   \
  } while (0)
  VALUE_AT(l.from, l.from_len, 4, sipspec_build_addr(b, SIPSPEC_H_FROM, &f->from));
  VALUE_AT(l.to, l.to_len, 2, sipspec_build_addr(b, SIPSPEC_H_TO, &f->to));
  VALUE_AT(l.call_id, l.call_id_len, 7, sipspec_build_call_id(b, f->call_id));
  VALUE_AT(l.cseq, l.cseq_len, 4, sipspec_build_cseq(b, f->cseq, f->method));
#undef VALUE_AT
  if (!f->cseq) sipspec_build_fail(b, SIPSPEC_E_BUILD_FIELD, "CSeq", "0");
  if (f->contact) sipspec_build_addr(b, SIPSPEC_H_CONTACT, f->contact);
  if (f->n_headers && !f->headers) sipspec_build_fail(b, SIPSPEC_E_INVAL, "headers", NULL);
  for (size_t i = 0; i < f->n_headers && !b->err; i++) sipspec_build_header(b, f->headers[i].name, f->headers[i].value);
  sipspec_build_header_lines(b, f->extra_lines);
  int rc = sipspec_build_body(b, f->content_type, f->body);
  if (!rc && lay) *lay = l;
  return rc;
}

int sipspec_build_request(sipspec_build *b, const sipspec_request_fields *f) {
  return sipspec_build_request_layout(b, f, NULL);
}

size_t sipspec_request_fields_cap(const sipspec_request_fields *f) {
  /* The fixed text of the request line and the typed headers is under 170 bytes; quoted-pairs
   * double a display name at most; a header line of the extra lines gains at most one space
   * (the shortest, "a:\r\n", is 4 bytes). */
  size_t n = 256 + f->method.len * 2 + f->request_uri.len + f->via.transport.len + f->via.host.len +
             f->via.branch.len + f->via.received.len + f->call_id.len + f->extra_lines.len + f->extra_lines.len / 4 +
             f->content_type.len + f->body.len;
  const sipspec_addr_fields *a[] = {&f->from, &f->to, f->contact};
  for (int i = 0; i < 3; i++)
    if (a[i]) n += 2 * a[i]->display.len + a[i]->uri.len + a[i]->tag.len + a[i]->params.len + 48;
  for (size_t i = 0; f->routes && i < f->n_routes; i++) n += f->routes[i].len + 16;
  for (size_t i = 0; f->headers && i < f->n_headers; i++) n += f->headers[i].name.len + f->headers[i].value.len + 8;
  return n;
}

size_t sipspec_request_fields_size(const sipspec_request_fields *f) {
  sipspec_build b;
  sipspec_build_init_measure(&b);
  return sipspec_build_request(&b, f) == SIPSPEC_OK ? b.len : 0;
}
