/* sip/msg.c: the one-pass SIP message parser (RFC 3261 sections 7 and 25, framing 18.3).
 *
 * The pass: the start line (one re2c rule), then per header line: find its end with memchr
 * (folded lines continue), dispatch the name with one re2c DFA, and run the value's DFA for
 * the headers the stack needs at once (Via, From, To, Call-ID, CSeq, Max-Forwards, Contact,
 * Route, Record-Route, Content-Type, Content-Length, Expires, credentials and challenges,
 * token lists). Other headers are kept as name and raw value. Nothing is allocated and
 * nothing is copied: the message holds spans of the caller's buffer.
 */
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sip/msg_internal.h"
#include "sipspec/error.h"

/* The fast scanners (sipspec_g_*), generated from grammar/sip_message.re, compiled into
 * this file as static inline functions so that the compiler can inline them into the pass
 * (the bounds-checked twins are in grammar_far.c). */
#include "sip/sip_message.c"

void sipspec_msg_limits_init(sipspec_msg_limits *l) {
  l->max_message_size = 65535;
  l->max_headers = 128;
  l->max_values = 256;
  l->max_line_length = 8192;
}

int sipspec_msg_create(sipspec_msg **out, const sipspec_msg_limits *limits) {
  sipspec_msg_limits l;
  if (!out) return SIPSPEC_E_INVAL;
  *out = NULL;
  if (limits) l = *limits;
  else sipspec_msg_limits_init(&l);
  if (!l.max_message_size || !l.max_headers || !l.max_values || !l.max_line_length ||
      l.max_headers > 65535 || l.max_values > INT32_MAX / 2)
    return SIPSPEC_E_INVAL;
  sipspec_msg *m = calloc(1, sizeof *m);
  if (!m) return SIPSPEC_E_NOMEM;
  m->limits = l;
  m->lines = calloc(l.max_headers, sizeof *m->lines);
  m->vals = calloc(l.max_values, sizeof *m->vals);
  if (!m->lines || !m->vals) {
    sipspec_msg_destroy(m);
    return SIPSPEC_E_NOMEM;
  }
  *out = m;
  return SIPSPEC_OK;
}

void sipspec_msg_destroy(sipspec_msg *m) {
  if (!m) return;
  free(m->lines);
  free(m->vals);
  free(m);
}

/* ---- names ---------------------------------------------------------------------------- */

static const char *const hdr_names[SIPSPEC_H_COUNT_] = {
  [SIPSPEC_H_OTHER] = "", [SIPSPEC_H_VIA] = "Via", [SIPSPEC_H_FROM] = "From",
  [SIPSPEC_H_TO] = "To", [SIPSPEC_H_CALL_ID] = "Call-ID", [SIPSPEC_H_CSEQ] = "CSeq",
  [SIPSPEC_H_MAX_FORWARDS] = "Max-Forwards", [SIPSPEC_H_CONTACT] = "Contact",
  [SIPSPEC_H_ROUTE] = "Route", [SIPSPEC_H_RECORD_ROUTE] = "Record-Route",
  [SIPSPEC_H_CONTENT_TYPE] = "Content-Type", [SIPSPEC_H_CONTENT_LENGTH] = "Content-Length",
  [SIPSPEC_H_EXPIRES] = "Expires", [SIPSPEC_H_RETRY_AFTER] = "Retry-After",
  [SIPSPEC_H_WWW_AUTHENTICATE] = "WWW-Authenticate",
  [SIPSPEC_H_PROXY_AUTHENTICATE] = "Proxy-Authenticate",
  [SIPSPEC_H_AUTHORIZATION] = "Authorization",
  [SIPSPEC_H_PROXY_AUTHORIZATION] = "Proxy-Authorization", [SIPSPEC_H_ALLOW] = "Allow",
  [SIPSPEC_H_SUPPORTED] = "Supported", [SIPSPEC_H_REQUIRE] = "Require",
  [SIPSPEC_H_PROXY_REQUIRE] = "Proxy-Require", [SIPSPEC_H_UNSUPPORTED] = "Unsupported",
  [SIPSPEC_H_REASON] = "Reason", [SIPSPEC_H_USER_AGENT] = "User-Agent",
  [SIPSPEC_H_SERVER] = "Server", [SIPSPEC_H_CONTENT_ENCODING] = "Content-Encoding",
  [SIPSPEC_H_SUBJECT] = "Subject", [SIPSPEC_H_EVENT] = "Event",
  [SIPSPEC_H_ALLOW_EVENTS] = "Allow-Events", [SIPSPEC_H_REFER_TO] = "Refer-To",
  [SIPSPEC_H_REFERRED_BY] = "Referred-By", [SIPSPEC_H_ACCEPT_CONTACT] = "Accept-Contact",
  [SIPSPEC_H_REJECT_CONTACT] = "Reject-Contact",
  [SIPSPEC_H_REQUEST_DISPOSITION] = "Request-Disposition",
  [SIPSPEC_H_SESSION_EXPIRES] = "Session-Expires", [SIPSPEC_H_IDENTITY] = "Identity",
  [SIPSPEC_H_IDENTITY_INFO] = "Identity-Info", [SIPSPEC_H_ACCEPT] = "Accept",
  [SIPSPEC_H_MIN_EXPIRES] = "Min-Expires", [SIPSPEC_H_DATE] = "Date",
};

const char *sipspec_hdr_name(sipspec_hdr_id id) {
  return (unsigned)id < SIPSPEC_H_COUNT_ ? hdr_names[id] : "";
}

static const char *const method_names[] = {
  "", "INVITE", "ACK", "BYE", "CANCEL", "OPTIONS", "REGISTER", "PRACK", "SUBSCRIBE",
  "NOTIFY", "PUBLISH", "INFO", "REFER", "MESSAGE", "UPDATE",
};

const char *sipspec_method_name(sipspec_method m) {
  return (unsigned)m < sizeof method_names / sizeof method_names[0] ? method_names[m] : "";
}

/* Methods are case-sensitive (RFC 3261 7.1). */
static sipspec_method method_of(sipspec_span s) {
  for (size_t i = 1; i < sizeof method_names / sizeof method_names[0]; i++)
    if (strlen(method_names[i]) == s.len && !memcmp(method_names[i], s.p, s.len))
      return (sipspec_method)i;
  return SIPSPEC_METHOD_OTHER;
}

/* ---- errors --------------------------------------------------------------------------- */

void sipspec_msg_set_error(sipspec_parse_error *err, const char *base, const char *at, int code,
                           const char *rule) {
  unsigned line = 1;
  const char *bol = base;
  /* memchr from line to line: the stream parser ends every head of a message with a body
   * here (SIPSPEC_E_MSG_INCOMPLETE at the body), so this runs for most messages over TCP */
  for (const char *c = base; c < at && (c = memchr(c, '\n', (size_t)(at - c))) != NULL; c++) {
    line++;
    bol = c + 1;
  }
  err->code = code;
  err->offset = (size_t)(at - base);
  err->line = line;
  err->column = (unsigned)(at - bol) + 1;
  err->rule = rule;
}

#define FAIL(at, code, rule)                                                                \
  do {                                                                                      \
    sipspec_msg_set_error(&m->err, buf, (at), (code), (rule));                               \
    return (code);                                                                          \
  } while (0)

/* ---- small helpers -------------------------------------------------------------------- */


/* Character classes of RFC 3261 25.1: token and word. */
enum { CC_TOKEN = 1, CC_WORD = 2 };
static const unsigned char char_class[256] = {
#define T_ (CC_TOKEN | CC_WORD)
  ['A'] = T_, ['B'] = T_, ['C'] = T_, ['D'] = T_, ['E'] = T_, ['F'] = T_, ['G'] = T_,
  ['H'] = T_, ['I'] = T_, ['J'] = T_, ['K'] = T_, ['L'] = T_, ['M'] = T_, ['N'] = T_,
  ['O'] = T_, ['P'] = T_, ['Q'] = T_, ['R'] = T_, ['S'] = T_, ['T'] = T_, ['U'] = T_,
  ['V'] = T_, ['W'] = T_, ['X'] = T_, ['Y'] = T_, ['Z'] = T_,
  ['a'] = T_, ['b'] = T_, ['c'] = T_, ['d'] = T_, ['e'] = T_, ['f'] = T_, ['g'] = T_,
  ['h'] = T_, ['i'] = T_, ['j'] = T_, ['k'] = T_, ['l'] = T_, ['m'] = T_, ['n'] = T_,
  ['o'] = T_, ['p'] = T_, ['q'] = T_, ['r'] = T_, ['s'] = T_, ['t'] = T_, ['u'] = T_,
  ['v'] = T_, ['w'] = T_, ['x'] = T_, ['y'] = T_, ['z'] = T_,
  ['0'] = T_, ['1'] = T_, ['2'] = T_, ['3'] = T_, ['4'] = T_, ['5'] = T_, ['6'] = T_,
  ['7'] = T_, ['8'] = T_, ['9'] = T_,
  ['-'] = T_, ['.'] = T_, ['!'] = T_, ['%'] = T_, ['*'] = T_, ['_'] = T_, ['+'] = T_,
  ['`'] = T_, ['\''] = T_, ['~'] = T_,
#undef T_
  ['('] = CC_WORD, [')'] = CC_WORD, ['<'] = CC_WORD, ['>'] = CC_WORD, [':'] = CC_WORD,
  ['\\'] = CC_WORD, ['"'] = CC_WORD, ['/'] = CC_WORD, ['['] = CC_WORD, [']'] = CC_WORD,
  ['?'] = CC_WORD, ['{'] = CC_WORD, ['}'] = CC_WORD,
};

/* Skips word characters; the caller guarantees a byte that is none ends them (four at a
 * time: the loop test costs as much as the class test). */
static inline const char *skip_word(const char *e) {
  for (;; e += 4) {
    if (!(char_class[(unsigned char)e[0]] & CC_WORD)) return e;
    if (!(char_class[(unsigned char)e[1]] & CC_WORD)) return e + 1;
    if (!(char_class[(unsigned char)e[2]] & CC_WORD)) return e + 2;
    if (!(char_class[(unsigned char)e[3]] & CC_WORD)) return e + 3;
  }
}


/* Moves e back over trailing LWS (spaces, tabs, and the CRLF of a fold) down to v. */
static inline const char *trim_lws_end(const char *v, const char *e) {
  if (e > v && (unsigned char)e[-1] > ' ') return e; /* the usual case */
  for (;;) {
    if (e > v && is_wsp(e[-1])) e--;
    else if (e - v >= 2 && e[-1] == '\n' && e[-2] == '\r') e -= 2;
    else return e;
  }
}

/* 1*DIGIT with SWS after it; *out saturates at LONG_MAX / 2. Returns 0 or -1. */
static int parse_digits(const char *p, const char *lim, long *out) {
  long v = 0;
  const char *d = p;
  while (d < lim && *d >= '0' && *d <= '9') {
    if (v < LONG_MAX / 20) v = v * 10 + (*d - '0');
    d++;
  }
  if (d == p || skip_sws(d, lim) != lim) return -1;
  *out = v;
  return 0;
}

static inline int push_value(sipspec_msg *m, sipspec_hdr_id id, const char *p, const char *e) {
  if (m->nvals >= m->limits.max_values) return -1;
  int32_t i = (int32_t)m->nvals++;
  m->vals[i] = (sipspec_hval){{p, (size_t)(e - p)}, -1};
  if (m->last[id] >= 0) m->vals[m->last[id]].next = i;
  else m->first[id] = i;
  m->last[id] = i;
  m->nval_of[id]++;
  return 0;
}

/* Splits a generic list on commas outside quoted strings and <...>. */
static const char *generic_elem(const char *p, const char *lim) {
  const char *start = p;
  int quoted = 0, angle = 0;
  for (; p < lim; p++) {
    char c = *p;
    if (quoted) {
      if (c == '\\' && p + 1 < lim) p++;
      else if (c == '"') quoted = 0;
    } else if (c == '"') quoted = 1;
    else if (c == '<') angle = 1;
    else if (c == '>') angle = 0;
    else if (c == ',' && !angle) break;
  }
  return trim_lws_end(start, p);
}

enum list_kind { LIST_VIA, LIST_ADDR, LIST_TOKEN, LIST_GENERIC };
/* The rule an error in each kind of list names. */
static const char *const list_rule[] = {"via-parm", "name-addr", "token", "list element"};

/* ---- the pass ------------------------------------------------------------------------- */

static inline int parse_list(sipspec_msg *m, const char *buf, sipspec_hdr_id id, enum list_kind kind,
                      const char *v, const char *lim, const char **fail, const char **rule) {
  const char *p = v;
  if (skip_sws(p, lim) == lim) {
    if (kind == LIST_TOKEN || kind == LIST_GENERIC) return 0; /* e.g. "Supported:" */
    *fail = p;
    *rule = list_rule[kind];
    return SIPSPEC_E_MSG_SYNTAX;
  }
  (void)buf;
  for (;;) {
    const char *e = NULL, *far = p;
    switch (kind) {
    case LIST_VIA: {
      sipspec_via via;
      e = sipspec_g_via(p, lim, &via, &far);
      if (!e) sipspec_gf_via(p, lim, &via, &far);
      break;
    }
    case LIST_ADDR: {
      sipspec_addr a;
      e = sipspec_g_addr(p, lim, &a, &far);
      if (!e) sipspec_gf_addr(p, lim, &a, &far);
      break;
    }
    case LIST_TOKEN:
      e = sipspec_g_token_elem(p, lim, &far);
      if (!e) sipspec_gf_token_elem(p, lim, &far);
      break;
    case LIST_GENERIC:
      e = generic_elem(p, lim);
      if (e == p) e = NULL;
      break;
    }
    if (!e) {
      *fail = far;
      *rule = list_rule[kind];
      return SIPSPEC_E_MSG_SYNTAX;
    }
    if (push_value(m, id, p, e) < 0) {
      *fail = p;
      *rule = "max_values";
      return SIPSPEC_E_MSG_TOO_MANY_HEADERS;
    }
    p = skip_sws(e, lim);
    if (p == lim) return 0;
    if (*p != ',') {
      *fail = p;
      *rule = list_rule[kind];
      return SIPSPEC_E_MSG_SYNTAX;
    }
    p = skip_sws(p + 1, lim);
  }
}

/* For the values no DFA reads (kept raw, or split by plain C): a CR must start a fold
 * (CRLF and a space or tab). Returns 0 or the error with *fail and *rule set. */
static int check_raw_cr(const char *v, const char *ve, const char **fail, const char **rule) {
  for (const char *c = v; (c = memchr(c, '\r', (size_t)(ve - c))) != NULL; c += 3)
    if (ve - c < 3 || c[1] != '\n' || !is_wsp(c[2])) {
      *fail = c;
      *rule = "CRLF";
      return SIPSPEC_E_MSG_SYNTAX;
    }
  return 0;
}

/* Parses one header value [v, ve); lim is the CR ending its line (the fast scanners need
 * it). Returns 0 or an error code with *fail and *rule set. */
static int parse_value(sipspec_msg *m, const char *buf, sipspec_hdr_id id, const char *v,
                       const char *ve, const char *lim, const char **fail, const char **rule) {
  const char *far = v;
  long n;
  /* One switch for every id: the values no DFA reads (the auth headers, the generic lists
   * and everything under default) check their CRs first. */
  switch (id) {
  case SIPSPEC_H_VIA:
    return parse_list(m, buf, id, LIST_VIA, v, lim, fail, rule);
  case SIPSPEC_H_CONTACT:
    if (ve - v == 1 && *v == '*') {
      m->contact_star = 1; /* kept as a value: sipspec_addr_parse() reads it as star */
      break;
    }
    return parse_list(m, buf, id, LIST_ADDR, v, lim, fail, rule);
  case SIPSPEC_H_ROUTE:
  case SIPSPEC_H_RECORD_ROUTE:
    return parse_list(m, buf, id, LIST_ADDR, v, lim, fail, rule);
  case SIPSPEC_H_FROM:
  case SIPSPEC_H_TO:
  case SIPSPEC_H_REFER_TO:
  case SIPSPEC_H_REFERRED_BY: {
    sipspec_addr a;
    const char *e = sipspec_g_addr(v, lim, &a, &far);
    if (!e || skip_sws(e, lim) != lim) {
      *rule = id == SIPSPEC_H_FROM ? "From" : id == SIPSPEC_H_TO ? "To" : "name-addr";
      if (!e) sipspec_gf_addr(v, lim, &a, &far);
      *fail = e ? e : far;
      return SIPSPEC_E_MSG_SYNTAX;
    }
    break;
  }
  case SIPSPEC_H_CALL_ID:
  {
    /* callid = word [ "@" word ] (a character class loop: faster than the DFA here). lim
     * is the CR ending the line and no word character, so it stops both loops. */
    const char *e = skip_word(v);
    if (e > v && *e == '@') {
      const char *w = ++e;
      e = skip_word(e);
      if (e == w) e = w - 1;
    }
    if (e == v || skip_sws(e, lim) != lim) {
      *fail = e;
      *rule = "callid";
      return SIPSPEC_E_MSG_SYNTAX;
    }
    if (!m->call_id.p) m->call_id = (sipspec_span){v, (size_t)(e - v)};
  }
    break;
  case SIPSPEC_H_DATE:
    if (sipspec_g_date(v, lim, &far) < 0) {
      sipspec_gf_date(v, lim, &far);
      *fail = far;
      *rule = "SIP-date";
      return SIPSPEC_E_MSG_SYNTAX;
    }
    break;
  case SIPSPEC_H_CSEQ: {
    sipspec_span num, meth;
    if (sipspec_g_cseq(v, lim, &num, &meth, &far) < 0) {
      sipspec_gf_cseq(v, lim, &num, &meth, &far);
      *fail = far;
      *rule = "CSeq";
      return SIPSPEC_E_MSG_SYNTAX;
    }
    uint64_t x = 0;
    if (num.len <= 9) /* cannot pass UINT32_MAX */
      for (size_t i = 0; i < num.len; i++) x = x * 10 + (uint64_t)(num.p[i] - '0');
    else
      for (size_t i = 0; i < num.len && x <= UINT32_MAX; i++) x = x * 10 + (uint64_t)(num.p[i] - '0');
    if (x > UINT32_MAX) {
      *fail = num.p;
      *rule = "CSeq";
      return SIPSPEC_E_MSG_SYNTAX;
    }
    if (!m->cseq_method.p) {
      m->cseq = (uint32_t)x;
      m->cseq_method = meth;
    }
    break;
  }
  case SIPSPEC_H_MAX_FORWARDS:
  case SIPSPEC_H_CONTENT_LENGTH:
  case SIPSPEC_H_EXPIRES:
  case SIPSPEC_H_MIN_EXPIRES:
    if (parse_digits(v, lim, &n) < 0) {
      *fail = v;
      *rule = sipspec_hdr_name(id);
      return SIPSPEC_E_MSG_SYNTAX;
    }
    if (id == SIPSPEC_H_MAX_FORWARDS && m->max_forwards < 0) m->max_forwards = n > INT_MAX ? INT_MAX : (int)n;
    if (id == SIPSPEC_H_CONTENT_LENGTH && m->content_length < 0) m->content_length = n;
    if (id == SIPSPEC_H_EXPIRES && m->expires < 0) m->expires = n > UINT32_MAX ? (long)UINT32_MAX : n;
    break;
  case SIPSPEC_H_CONTENT_TYPE: {
    sipspec_media_type t;
    if (sipspec_g_media_type(v, lim, &t, &far) < 0) {
      sipspec_gf_media_type(v, lim, &t, &far);
      *fail = far;
      *rule = "media-type";
      return SIPSPEC_E_MSG_SYNTAX;
    }
    break;
  }
  case SIPSPEC_H_WWW_AUTHENTICATE:
  case SIPSPEC_H_PROXY_AUTHENTICATE:
  case SIPSPEC_H_AUTHORIZATION:
  case SIPSPEC_H_PROXY_AUTHORIZATION: {
    if (check_raw_cr(v, ve, fail, rule)) return SIPSPEC_E_MSG_SYNTAX;
    /* Lazy: the auth-scheme is checked here, the auth-params on access
     * (sipspec_msg_auth), since only the authentication module reads them. */
    const char *e = v;
    while (e < lim && (char_class[(unsigned char)*e] & CC_TOKEN)) e++;
    if (e == v || e >= ve || !is_wsp(*e)) {
      *fail = e;
      *rule = id <= SIPSPEC_H_PROXY_AUTHENTICATE ? "challenge" : "credentials";
      return SIPSPEC_E_MSG_SYNTAX;
    }
    break;
  }
  case SIPSPEC_H_ALLOW:
  case SIPSPEC_H_SUPPORTED:
  case SIPSPEC_H_REQUIRE:
  case SIPSPEC_H_PROXY_REQUIRE:
  case SIPSPEC_H_UNSUPPORTED:
  case SIPSPEC_H_REASON:
  case SIPSPEC_H_ALLOW_EVENTS:
  case SIPSPEC_H_CONTENT_ENCODING:
  case SIPSPEC_H_REQUEST_DISPOSITION:
    return parse_list(m, buf, id, LIST_TOKEN, v, lim, fail, rule);
  case SIPSPEC_H_ACCEPT:
  case SIPSPEC_H_ACCEPT_CONTACT:
  case SIPSPEC_H_REJECT_CONTACT:
    if (check_raw_cr(v, ve, fail, rule)) return SIPSPEC_E_MSG_SYNTAX;
    return parse_list(m, buf, id, LIST_GENERIC, v, lim, fail, rule);
  default: /* SIPSPEC_H_OTHER and the headers kept raw */
    if (check_raw_cr(v, ve, fail, rule)) return SIPSPEC_E_MSG_SYNTAX;
    break;
  }
  if (push_value(m, id, v, ve) < 0) {
    *fail = v;
    *rule = "max_values";
    return SIPSPEC_E_MSG_TOO_MANY_HEADERS;
  }
  return 0;
}

/* The parser's rule for one header value, for the builder (sip/build_fields.c): one rule. */
int sipspec_msg_value_rule(sipspec_msg *m, sipspec_hdr_id id, const char *v, const char *lim, const char **fail,
                           const char **rule) {
  return parse_value(m, m->buf, id, v, trim_lws_end(v, lim), lim, fail, rule);
}

static int ieq(const char *a, const char *b, size_t n) {
  for (size_t i = 0; i < n; i++) {
    unsigned char x = (unsigned char)a[i], y = (unsigned char)b[i];
    if (x >= 'A' && x <= 'Z') x += 32;
    if (y >= 'A' && y <= 'Z') y += 32;
    if (x != y) return 0;
  }
  return 1;
}

/* p[0..6] is "SIP/2.0" exactly: two overlapping 4-byte compares (the usual case). */
static int is_sip20(const char *p) {
  static const char v[7] = {'S', 'I', 'P', '/', '2', '.', '0'};
  uint32_t a, b, x, y;
  memcpy(&a, p, 4);
  memcpy(&b, p + 3, 4);
  memcpy(&x, v, 4);
  memcpy(&y, v + 3, 4);
  return a == x && b == y;
}

static uint32_t compute_checks(const sipspec_msg *m) {
  uint32_t c = 0;
  int req = m->start.is_request;
  if (!m->nval_of[SIPSPEC_H_VIA]) c |= SIPSPEC_CHECK_MISSING_VIA;
  if (!m->nline_of[SIPSPEC_H_FROM]) c |= SIPSPEC_CHECK_MISSING_FROM;
  if (!m->nline_of[SIPSPEC_H_TO]) c |= SIPSPEC_CHECK_MISSING_TO;
  if (!m->nline_of[SIPSPEC_H_CALL_ID]) c |= SIPSPEC_CHECK_MISSING_CALL_ID;
  if (!m->nline_of[SIPSPEC_H_CSEQ]) c |= SIPSPEC_CHECK_MISSING_CSEQ;
  if (req && !m->nline_of[SIPSPEC_H_MAX_FORWARDS]) c |= SIPSPEC_CHECK_MISSING_MAX_FORWARDS;
  if (req && m->cseq_method.p &&
      (m->cseq_method.len != m->start.method.len ||
       memcmp(m->cseq_method.p, m->start.method.p, m->cseq_method.len)))
    c |= SIPSPEC_CHECK_CSEQ_METHOD_MISMATCH;
  if (req && m->max_forwards == 0) c |= SIPSPEC_CHECK_MAX_FORWARDS_ZERO;
  if (req && m->uri_kind == SIPSPEC_URI_OTHER) c |= SIPSPEC_CHECK_UNKNOWN_URI_SCHEME;
  if (req && m->uri_has_headers) c |= SIPSPEC_CHECK_REQUEST_URI_HEADERS;
  static const sipspec_hdr_id single[] = {
    SIPSPEC_H_FROM, SIPSPEC_H_TO, SIPSPEC_H_CALL_ID, SIPSPEC_H_CSEQ, SIPSPEC_H_MAX_FORWARDS,
    SIPSPEC_H_CONTENT_LENGTH, SIPSPEC_H_CONTENT_TYPE, SIPSPEC_H_EXPIRES,
  };
  for (size_t i = 0; i < sizeof single / sizeof single[0]; i++)
    if (m->nline_of[single[i]] > 1) c |= SIPSPEC_CHECK_DUPLICATE_HEADER;
  if (m->start.version.len != 7 ||
      (!is_sip20(m->start.version.p) && !ieq(m->start.version.p, "SIP/2.0", 7)))
    c |= SIPSPEC_CHECK_BAD_VERSION;
  if (m->contact_star &&
      (m->nval_of[SIPSPEC_H_CONTACT] > 1 || m->expires != 0))
    c |= SIPSPEC_CHECK_BAD_CONTACT;
  return c;
}

int sipspec_msg_parse_mode(sipspec_msg *m, const char *buf, size_t len, int mode) {
  if (!m || (!buf && len)) return SIPSPEC_E_INVAL;
  const char *end = buf + len;
  const char *far = buf, *fail = NULL, *rule = NULL;

  m->buf = buf;
  m->len = 0;
  m->cached = 0;
  m->err = (sipspec_parse_error){0, 0, 0, 0, NULL};
  m->nlines = m->nvals = 0;
  memset(m->first, 0xff, sizeof m->first); /* -1 */
  memset(m->last, 0xff, sizeof m->last);
  memset(m->nval_of, 0, sizeof m->nval_of);
  memset(m->nline_of, 0, sizeof m->nline_of);
  m->call_id = (sipspec_span){NULL, 0};
  m->cseq = 0;
  m->cseq_method = (sipspec_span){NULL, 0};
  m->max_forwards = -1;
  m->content_length = -1;
  m->expires = -1;
  m->contact_star = 0;
  m->checks = 0;
  m->status = 0;
  m->method = SIPSPEC_METHOD_OTHER;
  m->uri_kind = 0;
  m->uri_has_headers = 0;
  m->start = (sipspec_g_start){0};

  if (len > m->limits.max_message_size) FAIL(buf, SIPSPEC_E_MSG_OVERSIZE, "max_message_size");

  /* Start line. */
  const char *lf0 = memchr(buf, '\n', len);
  if (!lf0) {
    if (len > m->limits.max_line_length) FAIL(buf, SIPSPEC_E_MSG_LINE_TOO_LONG, "max_line_length");
    FAIL(end, SIPSPEC_E_MSG_INCOMPLETE, "start-line");
  }
  /* The fast scanner cannot pass the first LF: no start-line rule accepts an LF before
   * the CRLF that ends it. It checks the Request-URI too; when it fails, the start line
   * alone and then the Request-URI alone tell which one is wrong, and where. */
  const char *p = sipspec_g_start_line_strict(buf, lf0 + 1, &m->start, &far);
  if (!p) {
    m->start = (sipspec_g_start){0};
    if (!(p = sipspec_gf_start_line(buf, lf0 + 1, &m->start, &far)))
      FAIL(far, SIPSPEC_E_MSG_SYNTAX, "start-line");
    if ((size_t)(p - buf) > m->limits.max_line_length)
      FAIL(buf, SIPSPEC_E_MSG_LINE_TOO_LONG, "max_line_length");
    if (m->start.is_request) {
      sipspec_uri u;
      m->method = method_of(m->start.method);
      if (sipspec_gf_uri(m->start.uri.p, m->start.uri.p + m->start.uri.len, &u, &far) < 0)
        FAIL(far, SIPSPEC_E_MSG_SYNTAX, "Request-URI");
    }
    FAIL(buf, SIPSPEC_E_MSG_SYNTAX, "start-line"); /* not reached: the scanners agree */
  }
  if ((size_t)(p - buf) > m->limits.max_line_length)
    FAIL(buf, SIPSPEC_E_MSG_LINE_TOO_LONG, "max_line_length");
  if (m->start.is_request) {
    m->method = method_of(m->start.method);
    m->uri_kind = m->start.uri_kind;
    m->uri_has_headers = m->start.uri_headers;
  } else {
    const char *s = m->start.status.p;
    m->status = (s[0] - '0') * 100 + (s[1] - '0') * 10 + (s[2] - '0');
    if (m->status < 100 || m->status > 699) FAIL(s, SIPSPEC_E_MSG_SYNTAX, "Status-Code");
  }

  /* Header lines, up to the empty line. */
  for (;;) {
    if (p >= end) FAIL(end, SIPSPEC_E_MSG_INCOMPLETE, "CRLF");
    if (*p == '\r') {
      if (end - p == 1) FAIL(end, SIPSPEC_E_MSG_INCOMPLETE, "CRLF");
      if (p[1] == '\n') {
        p += 2;
        break;
      }
    }
    /* The line: up to a CRLF not followed by a space or tab (folding, RFC 3261 7.3.1). */
    const char *e = p, *lf;
    for (;;) {
      lf = memchr(e, '\n', (size_t)(end - e));
      if (!lf) {
        if ((size_t)(end - p) > m->limits.max_line_length)
          FAIL(p, SIPSPEC_E_MSG_LINE_TOO_LONG, "max_line_length");
        FAIL(end, SIPSPEC_E_MSG_INCOMPLETE, "CRLF");
      }
      if (lf == p || lf[-1] != '\r') FAIL(lf, SIPSPEC_E_MSG_SYNTAX, "CRLF");
      if (lf + 1 >= end) FAIL(end, SIPSPEC_E_MSG_INCOMPLETE, "CRLF");
      if (!is_wsp(lf[1])) break;
      e = lf + 1;
    }
    const char *cr = lf - 1;
    if ((size_t)(cr - p) > m->limits.max_line_length)
      FAIL(p, SIPSPEC_E_MSG_LINE_TOO_LONG, "max_line_length");
    if (m->nlines >= m->limits.max_headers) FAIL(p, SIPSPEC_E_MSG_TOO_MANY_HEADERS, "max_headers");

    const char *name_end, *v;
    int id = sipspec_g_header_name(p, cr, &name_end, &v);
    if (id < 0) FAIL(p, SIPSPEC_E_MSG_SYNTAX, "message-header");
    v = skip_sws(v, cr);
    const char *ve = trim_lws_end(v, cr);

    sipspec_hline *h = &m->lines[m->nlines++];
    h->id = (sipspec_hdr_id)id;
    h->name = (sipspec_span){p, (size_t)(name_end - p)};
    h->value = (sipspec_span){v, (size_t)(ve - v)};
    m->nline_of[id]++;

    int rc = parse_value(m, buf, (sipspec_hdr_id)id, v, ve, cr, &fail, &rule);
    if (rc) FAIL(fail, rc, rule);
    p = lf + 1;
  }

  /* Body (RFC 3261 18.3). */
  size_t avail = (size_t)(end - p);
  if (m->content_length >= 0) {
    if ((unsigned long)m->content_length > avail) {
      if (mode == SIPSPEC_MODE_STREAM) FAIL(end, SIPSPEC_E_MSG_INCOMPLETE, "message-body");
      FAIL(end, SIPSPEC_E_MSG_BODY_SHORT, "Content-Length");
    }
    m->body = (sipspec_span){p, (size_t)m->content_length};
  } else {
    if (mode == SIPSPEC_MODE_STREAM) FAIL(p, SIPSPEC_E_MSG_NO_CONTENT_LENGTH, "Content-Length");
    m->body = (sipspec_span){p, avail};
  }
  m->len = (size_t)(m->body.p + m->body.len - buf);
  m->checks = compute_checks(m);
  return SIPSPEC_OK;
}

static void shift(sipspec_span *s, ptrdiff_t d) {
  if (s->p) s->p += d;
}

int sipspec_msg_stream_complete(sipspec_msg *m, const char *base, size_t head) {
  if (m->content_length < 0) return SIPSPEC_E_INVAL;
  ptrdiff_t d = base - m->buf;
  if (d) { /* the framer moved the bytes: every span follows them */
    for (size_t i = 0; i < m->nlines; i++) {
      shift(&m->lines[i].name, d);
      shift(&m->lines[i].value, d);
    }
    for (size_t i = 0; i < m->nvals; i++) shift(&m->vals[i].v, d);
    shift(&m->start.method, d);
    shift(&m->start.uri, d);
    shift(&m->start.version, d);
    shift(&m->start.status, d);
    shift(&m->start.reason, d);
    shift(&m->call_id, d);
    shift(&m->cseq_method, d);
    m->cached = 0;
    m->buf = base;
  }
  m->err = (sipspec_parse_error){0, 0, 0, 0, NULL};
  m->body = (sipspec_span){base + head, (size_t)m->content_length};
  m->len = head + (size_t)m->content_length;
  m->checks = compute_checks(m);
  return SIPSPEC_OK;
}

int sipspec_msg_parse(sipspec_msg *m, const char *buf, size_t len) {
  return sipspec_msg_parse_mode(m, buf, len, SIPSPEC_MODE_DATAGRAM);
}

const sipspec_parse_error *sipspec_msg_error(const sipspec_msg *m) { return &m->err; }

sipspec_span sipspec_msg_raw(const sipspec_msg *m) { return (sipspec_span){m->buf, m->len}; }

/* ---- accessors ------------------------------------------------------------------------ */

int sipspec_msg_is_request(const sipspec_msg *m) { return m->start.is_request; }
sipspec_method sipspec_msg_method(const sipspec_msg *m) { return m->method; }
sipspec_span sipspec_msg_method_text(const sipspec_msg *m) { return m->start.method; }
sipspec_span sipspec_msg_request_uri(const sipspec_msg *m) { return m->start.uri; }
int sipspec_msg_status(const sipspec_msg *m) { return m->status; }
sipspec_span sipspec_msg_reason(const sipspec_msg *m) { return m->start.reason; }
sipspec_span sipspec_msg_version(const sipspec_msg *m) { return m->start.version; }
sipspec_span sipspec_msg_call_id(const sipspec_msg *m) { return m->call_id; }
uint32_t sipspec_msg_cseq(const sipspec_msg *m) { return m->cseq; }
sipspec_method sipspec_msg_cseq_method(const sipspec_msg *m) { return method_of(m->cseq_method); }
sipspec_span sipspec_msg_cseq_method_text(const sipspec_msg *m) { return m->cseq_method; }
int sipspec_msg_max_forwards(const sipspec_msg *m) { return m->max_forwards; }
long sipspec_msg_content_length(const sipspec_msg *m) { return m->content_length; }
sipspec_span sipspec_msg_body(const sipspec_msg *m) { return m->body; }
long sipspec_msg_expires(const sipspec_msg *m) { return m->expires; }
uint32_t sipspec_msg_check(const sipspec_msg *m) { return m->checks; }

size_t sipspec_msg_header_count(const sipspec_msg *m) { return m->nlines; }

int sipspec_msg_header(const sipspec_msg *m, size_t i, sipspec_header *out) {
  if (i >= m->nlines) return SIPSPEC_E_NOTFOUND;
  out->id = m->lines[i].id;
  out->name = m->lines[i].name;
  out->value = m->lines[i].value;
  return SIPSPEC_OK;
}

long sipspec_msg_find(const sipspec_msg *m, const char *name, size_t from) {
  char tmp[128];
  size_t n = strlen(name);
  if (n + 1 >= sizeof tmp) return -1;
  memcpy(tmp, name, n);
  tmp[n] = ':';
  const char *ne, *v;
  int id = sipspec_gf_header_name(tmp, tmp + n + 1, &ne, &v);
  if (id < 0 || (size_t)(ne - tmp) != n) return -1;
  for (size_t i = from; i < m->nlines; i++) {
    const sipspec_hline *h = &m->lines[i];
    if (id != SIPSPEC_H_OTHER ? h->id == (sipspec_hdr_id)id
                              : h->id == SIPSPEC_H_OTHER && h->name.len == n && ieq(h->name.p, name, n))
      return (long)i;
  }
  return -1;
}

int sipspec_msg_has_token(const sipspec_msg *m, sipspec_hdr_id id, const char *token) {
  const char *name = sipspec_hdr_name(id);
  if (!name || sipspec_msg_find(m, name, 0) < 0) return -1;
  size_t tl = strlen(token), n = sipspec_msg_value_count(m, id);
  for (size_t i = 0; i < n; i++) { /* the grammar's list elements, over every line */
    sipspec_span v;
    if (sipspec_msg_value(m, id, i, &v) != SIPSPEC_OK) continue;
    size_t e = 0;
    while (e < v.len && v.p[e] != ';' && v.p[e] != ' ' && v.p[e] != '\t') e++; /* ;params end it */
    if (e == tl && !strncasecmp(v.p, token, tl)) return 1;
  }
  return 0;
}


size_t sipspec_msg_value_count(const sipspec_msg *m, sipspec_hdr_id id) {
  return (unsigned)id < SIPSPEC_H_COUNT_ && id != SIPSPEC_H_OTHER ? m->nval_of[id] : 0;
}

int sipspec_msg_value(const sipspec_msg *m, sipspec_hdr_id id, size_t i, sipspec_span *out) {
  const sipspec_hval *v = value_at(m, id, i);
  if (!v) return SIPSPEC_E_NOTFOUND;
  *out = v->v;
  return SIPSPEC_OK;
}

/* ---- typed values --------------------------------------------------------------------- */

int sipspec_span_eq(sipspec_span s, const char *lit) {
  size_t n = strlen(lit);
  return s.len == n && (n == 0 || memcmp(s.p, lit, n) == 0);
}

int sipspec_span_ieq(sipspec_span s, const char *lit) {
  size_t n = strlen(lit);
  return s.len == n && (n == 0 || ieq(s.p, lit, n));
}

int sipspec_span_copy(char *dst, size_t cap, sipspec_span s) {
  if (s.len >= cap) {
    if (cap) dst[0] = '\0';
    return SIPSPEC_E_RANGE;
  }
  if (s.len) memcpy(dst, s.p, s.len);
  dst[s.len] = '\0';
  return SIPSPEC_OK;
}

char *sipspec_span_dup(sipspec_span s) {
  char *p = malloc(s.len + 1);
  if (!p) return NULL;
  if (s.len) memcpy(p, s.p, s.len);
  p[s.len] = '\0';
  return p;
}

