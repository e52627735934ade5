/* sdp_parse.c: SDP text to the zero-copy model of sipspec/sdp.h.
 *
 * Two passes over the buffer. The first splits lines (CRLF, or a bare LF as RFC 8866
 * section 5 asks parsers to accept), enforces the limits and counts lines per type so the
 * whole model is one allocation. The second checks each line against its rule in
 * grammar/sdp.re and its place in the order of RFC 8866 section 5, and fills the model.
 * Every failure says which line, which column and which rule.
 */
#include "sipspec/sdp.h"
#include "sipspec/error.h"
#include "sdp/sdp_grammar.h"
#include "sdp/sdp_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sipspec_sdp_limits_init(sipspec_sdp_limits *lim) {
  lim->max_bytes = 65536;
  lim->max_line_len = 4096;
  lim->max_lines = 1024;
  lim->max_media = 64;
}

int sdp_fail(sipspec_sdp_error *err, int code, unsigned line, unsigned col, const char *rule,
             const char *fmt, ...) {
  if (err) {
    err->code = code;
    err->line = line;
    err->column = col;
    err->rule = rule;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->reason, sizeof err->reason, fmt, ap);
    va_end(ap);
  }
  return code;
}

/* One line of input: its type letter and value, as offsets into the buffer. */
typedef struct sdp_line {
  const char *val;  /* after "x=" */
  size_t len;       /* value length, line end excluded */
  char type;
  unsigned no;      /* 1-based line number */
} sdp_line;

typedef struct sdp_counts {
  size_t lines, attrs, media, conns, bws, times, repeats, emails, phones, fmts;
} sdp_counts;

/* Pass 1: split lines, apply limits, count. */
static int sdp_scan(const char *buf, size_t len, const sipspec_sdp_limits *lim, sdp_counts *c,
                    sipspec_sdp_error *err) {
  memset(c, 0, sizeof *c);
  if (len > lim->max_bytes)
    return sdp_fail(err, SIPSPEC_E_SDP_LIMIT, 0, 0, "limits", "description is %zu bytes, limit is %zu",
                    len, lim->max_bytes);
  size_t pos = 0;
  while (pos < len) {
    const char *nl = memchr(buf + pos, '\n', len - pos);
    size_t end = nl ? (size_t)(nl - buf) : len;
    size_t l = end - pos;
    if (l > 0 && buf[end - 1] == '\r') l--;
    c->lines++;
    if (c->lines > lim->max_lines)
      return sdp_fail(err, SIPSPEC_E_SDP_LIMIT, (unsigned)c->lines, 1, "limits",
                      "more than %u lines", lim->max_lines);
    if (l > lim->max_line_len + 2)
      return sdp_fail(err, SIPSPEC_E_SDP_LIMIT, (unsigned)c->lines, 1, "limits",
                      "line is %zu bytes long, limit is %zu", l, lim->max_line_len);
    char t = l > 0 ? buf[pos] : 0;
    switch (t) {
    case 'a': c->attrs++; break;
    case 'm':
      c->media++;
      for (size_t i = pos; i < pos + l; i++)
        if (buf[i] == ' ') c->fmts++;
      break;
    case 'c': c->conns++; break;
    case 'b': c->bws++; break;
    case 't': c->times++; break;
    case 'r': c->repeats++; break;
    case 'e': c->emails++; break;
    case 'p': c->phones++; break;
    default: break;
    }
    if (c->media > lim->max_media)
      return sdp_fail(err, SIPSPEC_E_SDP_LIMIT, (unsigned)c->lines, 1, "limits",
                      "more than %u media descriptions", lim->max_media);
    pos = nl ? end + 1 : len;
  }
  return SIPSPEC_OK;
}

/* The model and the arrays behind it, in one allocation. */
typedef struct sdp_block {
  sipspec_sdp sdp;
  sipspec_sdp_media *media;
  sipspec_sdp_attr *attrs;
  sipspec_sdp_conn *conns;
  sipspec_sdp_bw *bws;
  sipspec_sdp_time *times;
  sipspec_span *repeats, *emails, *phones, *fmts;
  size_t nattrs, nconns, nbws, ntimes, nrepeats, nfmts;
} sdp_block;

static void *sdp_carve(char **p, size_t n, size_t size) {
  void *r = *p;
  size_t bytes = n * size;
  bytes = (bytes + 15) & ~(size_t)15;
  *p += bytes;
  return r;
}

static sdp_block *sdp_block_new(const sdp_counts *c, void *scratch, size_t scratch_cap) {
  size_t total = sizeof(sdp_block) + 16;
  total += ((c->media * sizeof(sipspec_sdp_media)) + 15) & ~(size_t)15;
  total += ((c->attrs * sizeof(sipspec_sdp_attr)) + 15) & ~(size_t)15;
  total += ((c->conns * sizeof(sipspec_sdp_conn)) + 15) & ~(size_t)15;
  total += ((c->bws * sizeof(sipspec_sdp_bw)) + 15) & ~(size_t)15;
  total += ((c->times * sizeof(sipspec_sdp_time)) + 15) & ~(size_t)15;
  size_t nstr = c->repeats + c->emails + c->phones + c->fmts;
  total += ((nstr * sizeof(sipspec_span)) + 15) * 4;
  char *mem;
  if (scratch && total <= scratch_cap) { /* the caller's memory: no allocation */
    mem = scratch;
    memset(mem, 0, total);
  } else if (!(mem = calloc(1, total))) {
    return NULL;
  }
  sdp_block *b = (sdp_block *)mem;
  char *p = mem + ((sizeof(sdp_block) + 15) & ~(size_t)15);
  b->media = sdp_carve(&p, c->media, sizeof(sipspec_sdp_media));
  b->attrs = sdp_carve(&p, c->attrs, sizeof(sipspec_sdp_attr));
  b->conns = sdp_carve(&p, c->conns, sizeof(sipspec_sdp_conn));
  b->bws = sdp_carve(&p, c->bws, sizeof(sipspec_sdp_bw));
  b->times = sdp_carve(&p, c->times, sizeof(sipspec_sdp_time));
  b->repeats = sdp_carve(&p, c->repeats, sizeof(sipspec_span));
  b->emails = sdp_carve(&p, c->emails, sizeof(sipspec_span));
  b->phones = sdp_carve(&p, c->phones, sizeof(sipspec_span));
  b->fmts = sdp_carve(&p, c->fmts, sizeof(sipspec_span));
  return b;
}

void sipspec_sdp_free(sipspec_sdp *sdp) {
  free(sdp); /* the model is the first member of its block */
}

static sipspec_span sl(const sdp_line *ln, const sdp_gr_match *m, int i) {
  sipspec_span r = {NULL, 0};
  if (m->f[i].b != SDP_GR_NOPOS && m->f[i].e > m->f[i].b) {
    r.p = ln->val + m->f[i].b;
    r.len = m->f[i].e - m->f[i].b;
  }
  return r;
}

/* Decimal digits already checked by the grammar; values beyond max are range errors. */
static int sdp_num(sipspec_span s, uint64_t max, uint64_t *out) {
  uint64_t v = 0;
  for (size_t i = 0; i < s.len; i++) {
    unsigned d = (unsigned)(s.p[i] - '0');
    if (v > (max - d) / 10) return -1;
    v = v * 10 + d;
  }
  *out = v;
  return 0;
}

/* Parsing context for pass 2. */
typedef struct sdp_ctx {
  sdp_block *b;
  sipspec_sdp_error *err;
  sipspec_sdp_media *cur_media;  /* NULL while at session level */
  int rank;                      /* order rank of the previous line in the current level */
} sdp_ctx;

static int sdp_syntax(sdp_ctx *x, const sdp_line *ln, const sdp_gr_match *m, const char *rule,
                      int code, size_t base) {
  size_t col = 3 + base + m->far;
  return sdp_fail(x->err, code, ln->no, (unsigned)col, rule,
                  "line %u (%c=): does not match %s at column %zu", ln->no, ln->type, rule, col);
}

#define GR(fn, rule)                                                          \
  do {                                                                        \
    if (fn(ln->val, ln->len, &m) != SDP_GR_OK)                                \
      return sdp_syntax(x, ln, &m, rule, SIPSPEC_E_SDP_SYNTAX, 0);            \
  } while (0)

static int sdp_address(sdp_ctx *x, const sdp_line *ln, size_t off, sipspec_span addrtype,
                       sipspec_span addr, sipspec_sdp_addr_kind *kind, unsigned *ttl,
                       unsigned *num, const char *rule) {
  sdp_gr_match m;
  if (sdp_gr_address(addr.p, addr.len, &m) != SDP_GR_OK)
    return sdp_syntax(x, ln, &m, rule, SIPSPEC_E_SDP_SYNTAX, off);
  *kind = (sipspec_sdp_addr_kind)m.value;
  int ip4 = sipspec_sdp_str_eq(addrtype, "IP4"), ip6 = sipspec_sdp_str_eq(addrtype, "IP6");
  int ok = 1;
  if (ip4 && *kind != SIPSPEC_SDP_ADDR_IP4 && *kind != SIPSPEC_SDP_ADDR_FQDN) ok = 0;
  if (ip6 && *kind != SIPSPEC_SDP_ADDR_IP6 && *kind != SIPSPEC_SDP_ADDR_FQDN) ok = 0;
  if (*kind == SIPSPEC_SDP_ADDR_FQDN && (ip4 || ip6)) {
    /* all digits and dots: a broken IPv4 literal, not a host name */
    int digits = 1;
    for (size_t i = 0; i < addr.len; i++)
      if (!(addr.p[i] == '.' || (addr.p[i] >= '0' && addr.p[i] <= '9'))) digits = 0;
    if (digits) ok = 0;
  }
  if (!ip4 && !ip6 && *kind != SIPSPEC_SDP_ADDR_FQDN) *kind = SIPSPEC_SDP_ADDR_OTHER;
  if (!ok)
    return sdp_fail(x->err, SIPSPEC_E_SDP_SYNTAX, ln->no, (unsigned)(3 + off), rule,
                    "line %u (%c=): \"%.*s\" is not an %.*s address", ln->no, ln->type,
                    (int)(addr.len > 64 ? 64 : addr.len), addr.p, (int)addrtype.len, addrtype.p);
  uint64_t v = 0;
  sipspec_span t = {NULL, 0}, c = {NULL, 0};
  if (m.f[1].b != SDP_GR_NOPOS) { t.p = addr.p + m.f[1].b; t.len = m.f[1].e - m.f[1].b; }
  if (m.f[2].b != SDP_GR_NOPOS) { c.p = addr.p + m.f[2].b; c.len = m.f[2].e - m.f[2].b; }
  if (ttl) {
    *ttl = 0;
    if (t.p) {
      if (sdp_num(t, 255, &v) != 0)
        return sdp_fail(x->err, SIPSPEC_E_SDP_SYNTAX, ln->no, 3, rule, "line %u: TTL above 255", ln->no);
      *ttl = (unsigned)v;
    }
  }
  if (num) {
    *num = 0;
    if (c.p) {
      if (sdp_num(c, 65535, &v) != 0 || v == 0)
        return sdp_fail(x->err, SIPSPEC_E_SDP_SYNTAX, ln->no, 3, rule,
                        "line %u: number of addresses must be 1..65535", ln->no);
      *num = (unsigned)v;
    }
  } else if (t.p || c.p) {
    return sdp_fail(x->err, SIPSPEC_E_SDP_SYNTAX, ln->no, 3, rule,
                    "line %u (%c=): a unicast address takes no TTL or count", ln->no, ln->type);
  }
  return SIPSPEC_OK;
}

static int sdp_conn_line(sdp_ctx *x, const sdp_line *ln, sipspec_sdp_conn *c) {
  sdp_gr_match m;
  GR(sdp_gr_connection, "connection-field");
  c->nettype = sl(ln, &m, 0);
  c->addrtype = sl(ln, &m, 1);
  c->address = sl(ln, &m, 2);
  int rc = sdp_address(x, ln, m.f[2].b, c->addrtype, c->address, &c->addr_kind, &c->ttl,
                       &c->num_addrs, "connection-address");
  if (rc) return rc;
  /* keep the bare address in the model; TTL and count are fields of their own */
  sdp_gr_match am;
  sdp_gr_address(c->address.p, c->address.len, &am);
  c->address.len = am.f[0].e - am.f[0].b;
  return SIPSPEC_OK;
}

static int sdp_bw_line(sdp_ctx *x, const sdp_line *ln, sipspec_sdp_bw *bw) {
  sdp_gr_match m;
  GR(sdp_gr_bandwidth, "bandwidth-field");
  bw->type = sl(ln, &m, 0);
  if (sdp_num(sl(ln, &m, 1), UINT64_MAX / 2, &bw->value) != 0)
    return sdp_fail(x->err, SIPSPEC_E_SDP_SYNTAX, ln->no, (unsigned)(3 + m.f[1].b), "bandwidth",
                    "line %u (b=): bandwidth value too large", ln->no);
  return SIPSPEC_OK;
}

/* Typed reading of a known attribute (a malformed value is an error: the peer meant it). */
static int sdp_attr_typed(sdp_ctx *x, const sdp_line *ln, sipspec_sdp_attr *a, size_t voff) {
  static const struct { const char *name; sipspec_sdp_attr_kind kind; } known[] = {
    {"rtpmap", SIPSPEC_SDP_ATTR_RTPMAP},     {"fmtp", SIPSPEC_SDP_ATTR_FMTP},
    {"ptime", SIPSPEC_SDP_ATTR_PTIME},       {"maxptime", SIPSPEC_SDP_ATTR_MAXPTIME},
    {"sendrecv", SIPSPEC_SDP_ATTR_SENDRECV}, {"sendonly", SIPSPEC_SDP_ATTR_SENDONLY},
    {"recvonly", SIPSPEC_SDP_ATTR_RECVONLY}, {"inactive", SIPSPEC_SDP_ATTR_INACTIVE},
    {"setup", SIPSPEC_SDP_ATTR_SETUP},       {"connection", SIPSPEC_SDP_ATTR_CONNECTION},
    {"resource", SIPSPEC_SDP_ATTR_RESOURCE}, {"channel", SIPSPEC_SDP_ATTR_CHANNEL},
    {"cmid", SIPSPEC_SDP_ATTR_CMID},         {"mid", SIPSPEC_SDP_ATTR_MID},
    {"fingerprint", SIPSPEC_SDP_ATTR_FINGERPRINT},
  };
  /* names are distinct: the first match is the only one; the length and first byte are
   * compared before the bytes (an offer carries a dozen attributes) */
  a->kind = SIPSPEC_SDP_ATTR_OTHER;
  for (size_t i = 0; a->name.p && i < sizeof known / sizeof known[0]; i++)
    if (known[i].name[0] == a->name.p[0] && strlen(known[i].name) == a->name.len &&
        memcmp(known[i].name, a->name.p, a->name.len) == 0) {
      a->kind = known[i].kind;
      break;
    }
  if (a->kind == SIPSPEC_SDP_ATTR_OTHER) return SIPSPEC_OK;

  const char *v = a->value.p ? a->value.p : "";
  size_t n = a->value.len;
  sdp_gr_match m;
  int rc;
  const char *rule;
  switch (a->kind) {
  case SIPSPEC_SDP_ATTR_RTPMAP: rule = "rtpmap-value"; rc = sdp_gr_rtpmap(v, n, &m); break;
  case SIPSPEC_SDP_ATTR_FMTP: rule = "fmtp-value"; rc = sdp_gr_fmtp(v, n, &m); break;
  case SIPSPEC_SDP_ATTR_PTIME:
  case SIPSPEC_SDP_ATTR_MAXPTIME: rule = "ptime-value"; rc = sdp_gr_ptime(v, n, &m); break;
  case SIPSPEC_SDP_ATTR_SETUP: rule = "setup-value (RFC 4145)"; rc = sdp_gr_setup(v, n, &m); break;
  case SIPSPEC_SDP_ATTR_CONNECTION: rule = "conn-value (RFC 4145)"; rc = sdp_gr_connmode(v, n, &m); break;
  case SIPSPEC_SDP_ATTR_RESOURCE: rule = "resource (RFC 6787)"; rc = sdp_gr_token(v, n, &m); break;
  case SIPSPEC_SDP_ATTR_CHANNEL: rule = "channel-id (RFC 6787)"; rc = sdp_gr_channel(v, n, &m); break;
  case SIPSPEC_SDP_ATTR_CMID: rule = "cmid (RFC 6787)"; rc = sdp_gr_digits(v, n, &m); break;
  case SIPSPEC_SDP_ATTR_MID: rule = "identification-tag (RFC 5888)"; rc = sdp_gr_token(v, n, &m); break;
  case SIPSPEC_SDP_ATTR_FINGERPRINT: rule = "fingerprint-attribute (RFC 4572)"; rc = sdp_gr_fingerprint(v, n, &m); break;
  default: rule = "property attribute"; rc = sdp_gr_flag(v, n, &m); break;
  }
  if (rc != SDP_GR_OK) {
    size_t col = 3 + voff + m.far;
    if (!a->value.p) col = 3 + a->name.len;
    return sdp_fail(x->err, SIPSPEC_E_SDP_ATTR, ln->no, (unsigned)col, rule,
                    "line %u: a=%.*s value does not match %s at column %zu", ln->no,
                    (int)a->name.len, a->name.p, rule, col);
  }
  sdp_line vl = {v, n, 'a', ln->no};
  uint64_t num = 0;
  switch (a->kind) {
  case SIPSPEC_SDP_ATTR_RTPMAP:
    if (sdp_num(sl(&vl, &m, 0), 127, &num) != 0)
      return sdp_fail(x->err, SIPSPEC_E_SDP_ATTR, ln->no, (unsigned)(3 + voff), rule,
                      "line %u: RTP payload type above 127", ln->no);
    a->u.rtpmap.pt = (unsigned)num;
    a->u.rtpmap.encoding = sl(&vl, &m, 1);
    if (sdp_num(sl(&vl, &m, 2), 0xffffffffu, &num) != 0)
      return sdp_fail(x->err, SIPSPEC_E_SDP_ATTR, ln->no, (unsigned)(3 + voff), rule,
                      "line %u: clock rate too large", ln->no);
    a->u.rtpmap.rate = (unsigned)num;
    a->u.rtpmap.params = sl(&vl, &m, 3);
    break;
  case SIPSPEC_SDP_ATTR_FMTP:
    a->u.fmtp.fmt = sl(&vl, &m, 0);
    a->u.fmtp.params = sl(&vl, &m, 1);
    break;
  case SIPSPEC_SDP_ATTR_PTIME:
  case SIPSPEC_SDP_ATTR_MAXPTIME:
    sdp_num(sl(&vl, &m, 0), 999999999u, &num);
    a->u.ptime_ms = (unsigned)num;
    break;
  case SIPSPEC_SDP_ATTR_SETUP: a->u.setup = (sipspec_sdp_setup)m.value; break;
  case SIPSPEC_SDP_ATTR_CONNECTION: a->u.connection = (sipspec_sdp_connmode)m.value; break;
  case SIPSPEC_SDP_ATTR_RESOURCE: a->u.resource = sl(&vl, &m, 0); break;
  case SIPSPEC_SDP_ATTR_CHANNEL:
    a->u.channel.id = sl(&vl, &m, 0);
    a->u.channel.resource = sl(&vl, &m, 1);
    break;
  case SIPSPEC_SDP_ATTR_CMID:
    sdp_num(sl(&vl, &m, 0), 999999999u, &num);
    a->u.cmid = (unsigned)num;
    break;
  case SIPSPEC_SDP_ATTR_MID: a->u.mid = sl(&vl, &m, 0); break;
  case SIPSPEC_SDP_ATTR_FINGERPRINT:
    a->u.fingerprint.hash = sl(&vl, &m, 0);
    a->u.fingerprint.fingerprint = sl(&vl, &m, 1);
    break;
  default: break;
  }
  return SIPSPEC_OK;
}

/* Order of RFC 8866 section 5. Session level: v o s i u e p c b (t r*)+ z k a, then media:
 * m i c* b* k a*. Each type has a rank; ranks may not go down, and only e p b t r a (session)
 * and c b a (media) may repeat; t may follow r (a new time description). */
static int sdp_rank(char t, int media) {
  if (media) {
    switch (t) { /* "micbka" */
    case 'm': return 0;
    case 'i': return 1;
    case 'c': return 2;
    case 'b': return 3;
    case 'k': return 4;
    case 'a': return 5;
    default: return -1;
    }
  }
  switch (t) { /* "vosiuepcbtrzka" */
  case 'v': return 0;
  case 'o': return 1;
  case 's': return 2;
  case 'i': return 3;
  case 'u': return 4;
  case 'e': return 5;
  case 'p': return 6;
  case 'c': return 7;
  case 'b': return 8;
  case 't': return 9;
  case 'r': return 10;
  case 'z': return 11;
  case 'k': return 12;
  case 'a': return 13;
  default: return -1;
  }
}

static int sdp_repeatable(char t, int media) {
  if (media) return t == 'c' || t == 'b' || t == 'a';
  return t == 'e' || t == 'p' || t == 'b' || t == 't' || t == 'r' || t == 'a';
}

static const char *sdp_line_rule(char t) {
  switch (t) {
  case 'v': return "proto-version";
  case 'o': return "origin-field";
  case 's': return "session-name-field";
  case 'i': return "information-field";
  case 'u': return "uri-field";
  case 'e': return "email-fields";
  case 'p': return "phone-fields";
  case 'c': return "connection-field";
  case 'b': return "bandwidth-fields";
  case 't': return "time-fields";
  case 'r': return "repeat-fields";
  case 'z': return "zone-adjustments";
  case 'k': return "key-field";
  case 'a': return "attribute-fields";
  case 'm': return "media-field";
  default: return "session-description";
  }
}

static int sdp_order(sdp_ctx *x, const sdp_line *ln, int *seen_time) {
  if (ln->type == 'm') {
    if (!*seen_time)
      return sdp_fail(x->err, SIPSPEC_E_SDP_MISSING, ln->no, 1, "time-fields",
                      "line %u: m= before any t= line (RFC 8866 section 5.9 requires one)", ln->no);
    x->rank = 0;
    return SIPSPEC_OK;
  }
  int media = x->cur_media != NULL;
  int r = sdp_rank(ln->type, media);
  if (r < 0) {
    if (strchr("vosiupecbtrzkam", ln->type))
      return sdp_fail(x->err, SIPSPEC_E_SDP_ORDER, ln->no, 1, sdp_line_rule(ln->type),
                      "line %u: %c= is not allowed in a media description", ln->no, ln->type);
    return sdp_fail(x->err, SIPSPEC_E_SDP_SYNTAX, ln->no, 1, "session-description",
                    "line %u: unknown line type '%c='", ln->no, ln->type);
  }
  int prev = x->rank;
  int ok = r > prev || (r == prev && sdp_repeatable(ln->type, media));
  if (!media && ln->type == 't' && prev == sdp_rank('r', 0)) ok = 1;
  if (!media && ln->type == 'r' && prev != sdp_rank('t', 0) && prev != sdp_rank('r', 0)) ok = 0;
  if (!ok) {
    const char *order = media ? "m i c b k a" : "v o s i u e p c b t r z k a";
    return sdp_fail(x->err, SIPSPEC_E_SDP_ORDER, ln->no, 1, sdp_line_rule(ln->type),
                    "line %u: %c= out of order (expected %s%s)", ln->no, ln->type, order,
                    ln->type == 'r' ? "; r= must follow t=" : "");
  }
  if (!media) {
    /* v, o, s open the description, in this order (RFC 8866 section 5) */
    static const char head[] = "vos";
    if (prev < 2 && r != prev + 1)
      return sdp_fail(x->err, r == 0 ? SIPSPEC_E_SDP_ORDER : SIPSPEC_E_SDP_MISSING, ln->no, 1,
                      sdp_line_rule(head[prev + 1]), "line %u: expected %c= before %c=", ln->no,
                      head[prev + 1], ln->type);
  }
  x->rank = r;
  return SIPSPEC_OK;
}

static int sdp_line_parse(sdp_ctx *x, const sdp_line *ln, int *seen_time) {
  sdp_block *b = x->b;
  sipspec_sdp *s = &b->sdp;
  sipspec_sdp_media *md = x->cur_media;
  sdp_gr_match m;
  uint64_t num = 0;
  int rc;

  if (ln->type != 'm' && (rc = sdp_order(x, ln, seen_time)) != SIPSPEC_OK) return rc;
  switch (ln->type) {
  case 'v':
    GR(sdp_gr_proto_version, "proto-version");
    if (sdp_num(sl(ln, &m, 0), 1000, &num) != 0 || num != 0)
      return sdp_fail(x->err, SIPSPEC_E_SDP_VERSION, ln->no, 3, "proto-version",
                      "line %u: v=%.*s, only version 0 exists", ln->no, (int)(ln->len > 16 ? 16 : ln->len), ln->val);
    s->version = 0;
    break;
  case 'o':
    GR(sdp_gr_origin, "origin-field");
    s->origin.username = sl(ln, &m, 0);
    s->origin.sess_id = sl(ln, &m, 1);
    s->origin.sess_version = sl(ln, &m, 2);
    s->origin.nettype = sl(ln, &m, 3);
    s->origin.addrtype = sl(ln, &m, 4);
    s->origin.address = sl(ln, &m, 5);
    rc = sdp_address(x, ln, m.f[5].b, s->origin.addrtype, s->origin.address, &s->origin.addr_kind,
                     NULL, NULL, "unicast-address");
    if (rc) return rc;
    break;
  case 's':
    /* RFC 8866 wants text (one byte at least, "s= " when there is no name); the examples
     * of RFC 4317 and many peers send "s=" bare, which is read as an empty name. */
    if (ln->len == 0) { s->session_name.p = ln->val; s->session_name.len = 0; break; }
    GR(sdp_gr_text, "session-name-field");
    s->session_name = sl(ln, &m, 0);
    break;
  case 'i':
    GR(sdp_gr_text, "information-field");
    if (md) md->info = sl(ln, &m, 0); else s->info = sl(ln, &m, 0);
    break;
  case 'u': GR(sdp_gr_uri, "uri-field"); s->uri = sl(ln, &m, 0); break;
  case 'e': GR(sdp_gr_text, "email-fields"); b->emails[s->nemails++] = sl(ln, &m, 0); break;
  case 'p': GR(sdp_gr_text, "phone-fields"); b->phones[s->nphones++] = sl(ln, &m, 0); break;
  case 'c': {
    sipspec_sdp_conn *c = &b->conns[b->nconns];
    if ((rc = sdp_conn_line(x, ln, c)) != SIPSPEC_OK) return rc;
    b->nconns++;
    if (md) { if (!md->nconns) md->conns = c; md->nconns++; }
    else s->conn = c;
    break;
  }
  case 'b': {
    sipspec_sdp_bw *bw = &b->bws[b->nbws];
    if ((rc = sdp_bw_line(x, ln, bw)) != SIPSPEC_OK) return rc;
    b->nbws++;
    if (md) { if (!md->nbws) md->bws = bw; md->nbws++; }
    else { if (!s->nbws) s->bws = bw; s->nbws++; }
    break;
  }
  case 't': {
    GR(sdp_gr_time, "time-fields");
    sipspec_sdp_time *t = &b->times[b->ntimes++];
    if (sdp_num(sl(ln, &m, 0), UINT64_MAX / 2, &t->start) || sdp_num(sl(ln, &m, 1), UINT64_MAX / 2, &t->stop))
      return sdp_fail(x->err, SIPSPEC_E_SDP_SYNTAX, ln->no, 3, "time-fields",
                      "line %u (t=): time value too large", ln->no);
    if (!s->ntimes) s->times = t;
    s->ntimes++;
    *seen_time = 1;
    break;
  }
  case 'r': {
    GR(sdp_gr_repeat, "repeat-fields");
    sipspec_sdp_time *t = &b->times[b->ntimes - 1];
    sipspec_span *r = &b->repeats[b->nrepeats++];
    *r = sl(ln, &m, 0);
    if (!t->nrepeats) t->repeats = r;
    t->nrepeats++;
    break;
  }
  case 'z': GR(sdp_gr_zone, "zone-adjustments"); s->zone = sl(ln, &m, 0); break;
  case 'k':
    GR(sdp_gr_key, "key-field");
    if (md) md->key = sl(ln, &m, 0); else s->key = sl(ln, &m, 0);
    break;
  case 'a': {
    GR(sdp_gr_attribute, "attribute");
    sipspec_sdp_attr *a = &b->attrs[b->nattrs];
    a->name = sl(ln, &m, 0);
    a->value = sl(ln, &m, 1);
    a->line = ln->no;
    if ((rc = sdp_attr_typed(x, ln, a, m.f[1].b == SDP_GR_NOPOS ? 0 : m.f[1].b)) != SIPSPEC_OK) return rc;
    b->nattrs++;
    if (md) { if (!md->nattrs) md->attrs = a; md->nattrs++; }
    else { if (!s->nattrs) s->attrs = a; s->nattrs++; }
    break;
  }
  case 'm': {
    if ((rc = sdp_order(x, ln, seen_time)) != SIPSPEC_OK) return rc;
    GR(sdp_gr_media, "media-field");
    md = &b->media[s->nmedia++];
    x->cur_media = md;
    md->line = ln->no;
    md->media = sl(ln, &m, 0);
    if (sdp_num(sl(ln, &m, 1), 65535, &num) != 0)
      return sdp_fail(x->err, SIPSPEC_E_SDP_SYNTAX, ln->no, (unsigned)(3 + m.f[1].b), "port",
                      "line %u (m=): port above 65535", ln->no);
    md->port = (unsigned)num;
    if (m.f[2].b != SDP_GR_NOPOS) {
      if (sdp_num(sl(ln, &m, 2), 65535, &num) != 0)
        return sdp_fail(x->err, SIPSPEC_E_SDP_SYNTAX, ln->no, (unsigned)(3 + m.f[2].b), "integer",
                        "line %u (m=): number of ports above 65535", ln->no);
      md->nports = (unsigned)num;
    }
    md->proto = sl(ln, &m, 3);
    md->fmts = &b->fmts[b->nfmts];
    size_t p = m.f[4].b, e = m.f[4].e;
    while (p < e) {
      size_t q = p;
      while (q < e && ln->val[q] != ' ') q++;
      b->fmts[b->nfmts].p = ln->val + p;
      b->fmts[b->nfmts].len = q - p;
      b->nfmts++;
      md->nfmts++;
      p = q + 1;
    }
    break;
  }
  default:
    return sdp_fail(x->err, SIPSPEC_E_SDP_SYNTAX, ln->no, 1, "session-description",
                    "line %u: unknown line type '%c='", ln->no, ln->type);
  }
  return SIPSPEC_OK;
}

void sdp_scratch_free(sipspec_sdp *sdp, const void *scratch) {
  if ((const void *)sdp != scratch) free(sdp);
}

int sipspec_sdp_parse(const char *buf, size_t len, const sipspec_sdp_limits *lim,
                      sipspec_sdp **out, sipspec_sdp_error *err) {
  return sdp_parse_scratch(buf, len, lim, NULL, 0, out, err);
}

int sdp_parse_scratch(const char *buf, size_t len, const sipspec_sdp_limits *lim, void *scratch,
                      size_t scratch_cap, sipspec_sdp **out, sipspec_sdp_error *err) {
  sipspec_sdp_limits dflt;
  if (err) memset(err, 0, sizeof *err);
  if (!out || (!buf && len)) return sdp_fail(err, SIPSPEC_E_INVAL, 0, 0, "arguments", "NULL buffer or output");
  *out = NULL;
  if (!lim) { sipspec_sdp_limits_init(&dflt); lim = &dflt; }
  if (len == 0) return sdp_fail(err, SIPSPEC_E_SDP_MISSING, 0, 0, "proto-version", "empty description");

  sdp_counts c;
  int rc = sdp_scan(buf, len, lim, &c, err);
  if (rc) return rc;
  sdp_block *b = sdp_block_new(&c, scratch, scratch_cap);
  if (!b) return sdp_fail(err, SIPSPEC_E_NOMEM, 0, 0, "memory", "out of memory");
  sdp_ctx x = {b, err, NULL, -1};
  int seen_time = 0;
  unsigned no = 0;
  size_t pos = 0;
  while (pos < len) {
    const char *nl = memchr(buf + pos, '\n', len - pos);
    size_t end = nl ? (size_t)(nl - buf) : len;
    size_t l = end - pos;
    if (l > 0 && buf[end - 1] == '\r') l--;
    no++;
    if (l < 2 || buf[pos + 1] != '=' || buf[pos] < 'a' || buf[pos] > 'z') {
      rc = sdp_fail(err, SIPSPEC_E_SDP_SYNTAX, no, l == 0 ? 1 : (l < 2 || buf[pos + 1] != '=') ? 2 : 1,
                    "type \"=\" value", l == 0 ? "line %u is empty" : "line %u does not start with <letter>=",
                    no);
      goto fail;
    }
    sdp_line ln = {buf + pos + 2, l - 2, buf[pos], no};
    if (ln.len > lim->max_line_len) {
      rc = sdp_fail(err, SIPSPEC_E_SDP_LIMIT, no, 1, "limits", "line %u is longer than %zu bytes",
                    no, lim->max_line_len);
      goto fail;
    }
    if ((rc = sdp_line_parse(&x, &ln, &seen_time)) != SIPSPEC_OK) goto fail;
    pos = nl ? end + 1 : len;
  }
  if (x.rank < 2 && !x.cur_media) {
    static const char head[] = "vos";
    rc = sdp_fail(err, SIPSPEC_E_SDP_MISSING, no, 0, sdp_line_rule(head[x.rank + 1]),
                  "description ends without a %c= line", head[x.rank + 1]);
    goto fail;
  }
  if (!seen_time) {
    rc = sdp_fail(err, SIPSPEC_E_SDP_MISSING, no, 0, "time-fields", "description has no t= line");
    goto fail;
  }
  if (!b->sdp.conn) {
    for (size_t i = 0; i < b->sdp.nmedia; i++)
      if (!b->media[i].nconns) {
        rc = sdp_fail(err, SIPSPEC_E_SDP_MISSING, b->media[i].line, 1, "connection-field",
                      "m= at line %u has no c= and there is no session-level c= (RFC 8866 section 5.7)",
                      b->media[i].line);
        goto fail;
      }
  }
  b->sdp.media = b->media;
  b->sdp.emails = b->emails;
  b->sdp.phones = b->phones;
  *out = &b->sdp;
  return SIPSPEC_OK;
fail:
  sdp_scratch_free(&b->sdp, scratch);
  return rc;
}
