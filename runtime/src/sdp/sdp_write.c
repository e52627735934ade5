/* sdp_write.c: the canonical SDP writer and the look-ups on a model.
 *
 * Canonical means: the line order of RFC 8866 section 5, CRLF line ends, single spaces,
 * nothing but what the model holds. The parser reads this output back to the same model,
 * which the round-trip tests check.
 */
#include "sipspec/sdp.h"
#include "sipspec/error.h"
#include "sdp/sdp_internal.h"

#include <string.h>
#include <strings.h>

void sdp_out_put(sdp_out *o, const char *s, size_t n) {
  if (o->len < o->cap) {
    size_t room = o->cap - o->len;
    memcpy(o->buf + o->len, s, n < room ? n : room);
  }
  o->len += n;
}

void sdp_out_str(sdp_out *o, sipspec_span s) {
  if (s.p) sdp_out_put(o, s.p, s.len);
}

size_t sdp_u64_digits(char *d, unsigned long long v) {
  char t[20];
  size_t n = 0;
  do {
    t[n++] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  for (size_t i = 0; i < n; i++) d[i] = t[n - 1 - i];
  return n;
}

void sdp_out_u64(sdp_out *o, unsigned long long v) {
  char d[20];
  sdp_out_put(o, d, sdp_u64_digits(d, v));
}

sipspec_span sdp_cstr(const char *s) {
  sipspec_span r = {NULL, 0};
  if (s && *s) { r.p = s; r.len = strlen(s); }
  return r;
}

int sipspec_sdp_str_eq(sipspec_span a, const char *s) {
  size_t n = s ? strlen(s) : 0;
  if (!a.p) return n == 0;
  return a.len == n && memcmp(a.p, s, n) == 0;
}

int sdp_str_ieq(sipspec_span a, const char *s) {
  size_t n = s ? strlen(s) : 0;
  if (!a.p) return n == 0;
  return a.len == n && strncasecmp(a.p, s, n) == 0;
}

int sdp_slice_eq(sipspec_span a, sipspec_span b) {
  if (!a.p || !b.p) return !a.p && !b.p;
  return a.len == b.len && memcmp(a.p, b.p, a.len) == 0;
}

int sdp_slice_ieq(sipspec_span a, sipspec_span b) {
  if (!a.p || !b.p) return !a.p && !b.p;
  return a.len == b.len && strncasecmp(a.p, b.p, a.len) == 0;
}

void sdp_str_copy(char *dst, size_t cap, sipspec_span s) {
  if (!cap) return;
  size_t n = s.p ? (s.len < cap - 1 ? s.len : cap - 1) : 0;
  if (n) memcpy(dst, s.p, n);
  dst[n] = '\0';
}

const char *sipspec_sdp_dir_name(sipspec_sdp_dir dir) {
  switch (dir) {
  case SIPSPEC_SDP_SENDONLY: return "sendonly";
  case SIPSPEC_SDP_RECVONLY: return "recvonly";
  case SIPSPEC_SDP_SENDRECV: return "sendrecv";
  default: return "inactive";
  }
}

static void w_line(sdp_out *o, char type, sipspec_span v) {
  if (!v.p) return;
  char h[2] = {type, '='};
  sdp_out_put(o, h, 2);
  sdp_out_str(o, v);
  sdp_out_put(o, "\r\n", 2);
}

static void w_conn(sdp_out *o, const sipspec_sdp_conn *c) {
  sdp_out_put(o, "c=", 2);
  sdp_out_str(o, c->nettype);
  sdp_out_put(o, " ", 1);
  sdp_out_str(o, c->addrtype);
  sdp_out_put(o, " ", 1);
  sdp_out_str(o, c->address);
  if (c->addr_kind == SIPSPEC_SDP_ADDR_IP6) {
    if (c->num_addrs) { sdp_out_put(o, "/", 1); sdp_out_u64(o, c->num_addrs); }
  } else if (c->ttl || c->num_addrs) {
    sdp_out_put(o, "/", 1);
    sdp_out_u64(o, c->ttl);
    if (c->num_addrs) { sdp_out_put(o, "/", 1); sdp_out_u64(o, c->num_addrs); }
  }
  sdp_out_put(o, "\r\n", 2);
}

static void w_bws(sdp_out *o, const sipspec_sdp_bw *b, size_t n) {
  for (size_t i = 0; i < n; i++) {
    sdp_out_put(o, "b=", 2);
    sdp_out_str(o, b[i].type);
    sdp_out_put(o, ":", 1);
    sdp_out_u64(o, (unsigned long long)b[i].value);
    sdp_out_put(o, "\r\n", 2);
  }
}

static void w_attrs(sdp_out *o, const sipspec_sdp_attr *a, size_t n) {
  for (size_t i = 0; i < n; i++) {
    sdp_out_put(o, "a=", 2);
    sdp_out_str(o, a[i].name);
    if (a[i].value.p) {
      sdp_out_put(o, ":", 1);
      sdp_out_str(o, a[i].value);
    }
    sdp_out_put(o, "\r\n", 2);
  }
}

int sipspec_sdp_write(const sipspec_sdp *s, char *buf, size_t cap, size_t *len) {
  if (!s || !len || (!buf && cap)) return SIPSPEC_E_INVAL;
  const sipspec_sdp_origin *og = &s->origin;
  if (!og->username.p || !og->sess_id.p || !og->sess_version.p || !og->nettype.p ||
      !og->addrtype.p || !og->address.p || !s->session_name.p || !s->ntimes)
    return SIPSPEC_E_INVAL;
  sdp_out o = {buf, cap, 0};
  sdp_out_put(&o, "v=", 2);
  sdp_out_u64(&o, s->version);
  sdp_out_put(&o, "\r\n", 2);
  sdp_out_put(&o, "o=", 2);
  sipspec_span of[6] = {og->username, og->sess_id, og->sess_version, og->nettype, og->addrtype, og->address};
  for (int i = 0; i < 6; i++) {
    sdp_out_str(&o, of[i]);
    sdp_out_put(&o, i < 5 ? " " : "\r\n", i < 5 ? 1 : 2);
  }
  w_line(&o, 's', s->session_name);
  w_line(&o, 'i', s->info);
  w_line(&o, 'u', s->uri);
  for (size_t i = 0; i < s->nemails; i++) w_line(&o, 'e', s->emails[i]);
  for (size_t i = 0; i < s->nphones; i++) w_line(&o, 'p', s->phones[i]);
  if (s->conn) w_conn(&o, s->conn);
  w_bws(&o, s->bws, s->nbws);
  for (size_t i = 0; i < s->ntimes; i++) {
    sdp_out_put(&o, "t=", 2);
    sdp_out_u64(&o, (unsigned long long)s->times[i].start);
    sdp_out_put(&o, " ", 1);
    sdp_out_u64(&o, (unsigned long long)s->times[i].stop);
    sdp_out_put(&o, "\r\n", 2);
    for (size_t j = 0; j < s->times[i].nrepeats; j++) w_line(&o, 'r', s->times[i].repeats[j]);
  }
  w_line(&o, 'z', s->zone);
  w_line(&o, 'k', s->key);
  w_attrs(&o, s->attrs, s->nattrs);
  for (size_t k = 0; k < s->nmedia; k++) {
    const sipspec_sdp_media *m = &s->media[k];
    sdp_out_put(&o, "m=", 2);
    sdp_out_str(&o, m->media);
    sdp_out_put(&o, " ", 1);
    sdp_out_u64(&o, m->port);
    if (m->nports) { sdp_out_put(&o, "/", 1); sdp_out_u64(&o, m->nports); }
    sdp_out_put(&o, " ", 1);
    sdp_out_str(&o, m->proto);
    for (size_t i = 0; i < m->nfmts; i++) {
      sdp_out_put(&o, " ", 1);
      sdp_out_str(&o, m->fmts[i]);
    }
    sdp_out_put(&o, "\r\n", 2);
    w_line(&o, 'i', m->info);
    for (size_t i = 0; i < m->nconns; i++) w_conn(&o, &m->conns[i]);
    w_bws(&o, m->bws, m->nbws);
    w_line(&o, 'k', m->key);
    w_attrs(&o, m->attrs, m->nattrs);
  }
  *len = o.len;
  if (o.len >= cap) return SIPSPEC_E_SDP_NOSPACE;
  buf[o.len] = '\0';
  return SIPSPEC_OK;
}

const sipspec_sdp_attr *sipspec_sdp_media_attr(const sipspec_sdp_media *m, sipspec_sdp_attr_kind kind) {
  for (size_t i = 0; m && i < m->nattrs; i++)
    if (m->attrs[i].kind == kind) return &m->attrs[i];
  return NULL;
}

const sipspec_sdp_attr *sipspec_sdp_media_attr_named(const sipspec_sdp_media *m, const char *name) {
  for (size_t i = 0; m && i < m->nattrs; i++)
    if (sipspec_sdp_str_eq(m->attrs[i].name, name)) return &m->attrs[i];
  return NULL;
}

const sipspec_sdp_conn *sipspec_sdp_media_conn(const sipspec_sdp *sdp, const sipspec_sdp_media *m) {
  if (m && m->nconns) return &m->conns[0];
  return sdp ? sdp->conn : NULL;
}

static int dir_of(const sipspec_sdp_attr *a, size_t n, sipspec_sdp_dir *d) {
  for (size_t i = 0; i < n; i++) {
    switch (a[i].kind) {
    case SIPSPEC_SDP_ATTR_SENDRECV: *d = SIPSPEC_SDP_SENDRECV; return 1;
    case SIPSPEC_SDP_ATTR_SENDONLY: *d = SIPSPEC_SDP_SENDONLY; return 1;
    case SIPSPEC_SDP_ATTR_RECVONLY: *d = SIPSPEC_SDP_RECVONLY; return 1;
    case SIPSPEC_SDP_ATTR_INACTIVE: *d = SIPSPEC_SDP_INACTIVE; return 1;
    default: break;
    }
  }
  return 0;
}

sipspec_sdp_dir sipspec_sdp_media_dir(const sipspec_sdp *sdp, const sipspec_sdp_media *m) {
  sipspec_sdp_dir d = SIPSPEC_SDP_SENDRECV;
  if (m && dir_of(m->attrs, m->nattrs, &d)) return d;
  if (sdp && dir_of(sdp->attrs, sdp->nattrs, &d)) return d;
  return SIPSPEC_SDP_SENDRECV;
}

const sipspec_sdp_attr *sipspec_sdp_media_rtpmap(const sipspec_sdp_media *m, unsigned pt) {
  for (size_t i = 0; m && i < m->nattrs; i++)
    if (m->attrs[i].kind == SIPSPEC_SDP_ATTR_RTPMAP && m->attrs[i].u.rtpmap.pt == pt) return &m->attrs[i];
  return NULL;
}
