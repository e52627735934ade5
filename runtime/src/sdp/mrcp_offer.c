/* mrcp_offer.c: the client's MRCPv2 offer (RFC 6787 section 4.2, RFC 3264 section 5).
 *
 * One m=application <9|0> TCP/MRCPv2 1 per resource, with a=setup:active (the client
 * connects, RFC 4145), a=connection:new|existing, a=resource and a=cmid pointing at the
 * audio stream's a=mid; then one m=audio RTP/AVP with the codec list and the direction the
 * resources need: a recognizer hears the client (sendonly), a synthesizer speaks to it
 * (recvonly), both make sendrecv.
 */
#include "sipspec/mrcp_sdp.h"
#include "sipspec/error.h"
#include "sdp/mrcp_internal.h"

#include <stdio.h>
#include <string.h>

static const char *const res_names[] = {NULL, "speechrecog", "dtmfrecog", "speechsynth",
                                        "basicsynth", "speakverify", "recorder"};

const char *sipspec_mrcp_resource_name(sipspec_mrcp_resource r) {
  if ((unsigned)r >= sizeof res_names / sizeof res_names[0]) return NULL;
  return res_names[r];
}

sipspec_mrcp_resource sipspec_mrcp_resource_from_name(const char *name, size_t len) {
  sipspec_span s = {name, len};
  for (unsigned i = 1; i < sizeof res_names / sizeof res_names[0]; i++)
    if (name && sdp_str_ieq(s, res_names[i])) return (sipspec_mrcp_resource)i;
  return SIPSPEC_MRCP_RES_NONE;
}

int sipspec_mrcp_resource_receives_audio(sipspec_mrcp_resource r) {
  return r == SIPSPEC_MRCP_SPEECHRECOG || r == SIPSPEC_MRCP_DTMFRECOG ||
         r == SIPSPEC_MRCP_SPEAKVERIFY || r == SIPSPEC_MRCP_RECORDER;
}

const char *sipspec_mrcp_codec_encoding(sipspec_mrcp_codec c) {
  switch (c) {
  case SIPSPEC_MRCP_PCMU: return "PCMU";
  case SIPSPEC_MRCP_PCMA: return "PCMA";
  case SIPSPEC_MRCP_L16_8000:
  case SIPSPEC_MRCP_L16_16000: return "L16";
  case SIPSPEC_MRCP_TELEPHONE_EVENT: return "telephone-event";
  default: return NULL;
  }
}

unsigned sipspec_mrcp_codec_rate(sipspec_mrcp_codec c) {
  switch (c) {
  case SIPSPEC_MRCP_L16_16000: return 16000;
  case SIPSPEC_MRCP_CODEC_NONE: return 0;
  default: return 8000;
  }
}

sipspec_mrcp_codec mrcp_codec_from(sipspec_span enc, unsigned rate) {
  for (int c = SIPSPEC_MRCP_PCMU; c <= SIPSPEC_MRCP_TELEPHONE_EVENT; c++)
    if (sdp_str_ieq(enc, sipspec_mrcp_codec_encoding((sipspec_mrcp_codec)c)) &&
        rate == sipspec_mrcp_codec_rate((sipspec_mrcp_codec)c))
      return (sipspec_mrcp_codec)c;
  return SIPSPEC_MRCP_CODEC_NONE;
}

int mrcp_fmt_pt(sipspec_span f) {
  if (!f.p || f.len == 0 || f.len > 3) return -1;
  int v = 0;
  for (size_t i = 0; i < f.len; i++) {
    if (f.p[i] < '0' || f.p[i] > '9') return -1;
    v = v * 10 + (f.p[i] - '0');
  }
  return v <= 127 ? v : -1;
}

int mrcp_pt_mapping(const sipspec_sdp_media *m, unsigned pt, sipspec_span *enc, unsigned *rate) {
  const sipspec_sdp_attr *a = sipspec_sdp_media_rtpmap(m, pt);
  if (a) {
    *enc = a->u.rtpmap.encoding;
    *rate = a->u.rtpmap.rate;
    return 1;
  }
  /* RFC 3551 section 6, the static audio types this stack can name */
  if (pt == 0) { *enc = sdp_cstr("PCMU"); *rate = 8000; return 1; }
  if (pt == 8) { *enc = sdp_cstr("PCMA"); *rate = 8000; return 1; }
  if (pt == 10 || pt == 11) { *enc = sdp_cstr("L16"); *rate = 44100; return 1; }
  return 0;
}

const char *mrcp_addrtype(const char *addr) {
  return strchr(addr, ':') ? "IP6" : "IP4";
}

void mrcp_pool_init(mrcp_pool *p) {
  p->used = 0;
  p->over = 0;
}

size_t mrcp_pool_mark(const mrcp_pool *p) { return p->used; }

static void pool_put(mrcp_pool *p, const char *s, size_t n) {
  if (p->over || n >= sizeof p->buf - p->used) { /* room for the NUL stays */
    p->over = 1;
    return;
  }
  memcpy(p->buf + p->used, s, n);
  p->used += n;
}

void mrcp_pool_str(mrcp_pool *p, const char *s) { pool_put(p, s, strlen(s)); }

void mrcp_pool_u64(mrcp_pool *p, unsigned long long v) {
  char d[20];
  pool_put(p, d, sdp_u64_digits(d, v));
}

sipspec_span mrcp_pool_done(mrcp_pool *p, size_t mark) {
  sipspec_span r = {NULL, 0};
  if (p->over || p->used == mark) {
    p->used = mark;
    p->over = 0;
    return r;
  }
  p->buf[p->used] = '\0';
  r.p = p->buf + mark;
  r.len = p->used - mark;
  p->used++;
  return r;
}

sipspec_span mrcp_pool_num(mrcp_pool *p, unsigned long long v) {
  size_t k = mrcp_pool_mark(p);
  mrcp_pool_u64(p, v);
  return mrcp_pool_done(p, k);
}

void sipspec_mrcp_offer_desc_init(sipspec_mrcp_offer_desc *d) {
  memset(d, 0, sizeof *d);
  d->username = "-";
  d->sess_id = 1;
  d->sess_version = 1;
  d->codecs[0] = SIPSPEC_MRCP_PCMU;
  d->codecs[1] = SIPSPEC_MRCP_PCMA;
  d->codecs[2] = SIPSPEC_MRCP_TELEPHONE_EVENT;
  d->ncodecs = 3;
  d->pt_l16_8000 = 96;
  d->pt_l16_16000 = 97;
  d->pt_telephone_event = 101;
  d->ptime = 20;
}

sipspec_sdp_dir sipspec_mrcp_client_direction(const sipspec_mrcp_resource *res, size_t n) {
  int send = 0, recv = 0;
  for (size_t i = 0; i < n; i++) {
    if (sipspec_mrcp_resource_receives_audio(res[i])) send = 1;
    else if (res[i] == SIPSPEC_MRCP_SPEECHSYNTH || res[i] == SIPSPEC_MRCP_BASICSYNTH) recv = 1;
  }
  return (sipspec_sdp_dir)((send ? SIPSPEC_SDP_SENDONLY : 0) | (recv ? SIPSPEC_SDP_RECVONLY : 0));
}

static unsigned codec_pt(const sipspec_mrcp_offer_desc *d, sipspec_mrcp_codec c) {
  switch (c) {
  case SIPSPEC_MRCP_PCMU: return 0;
  case SIPSPEC_MRCP_PCMA: return 8;
  case SIPSPEC_MRCP_L16_8000: return d->pt_l16_8000;
  case SIPSPEC_MRCP_L16_16000: return d->pt_l16_16000;
  default: return d->pt_telephone_event;
  }
}

int mrcp_offer_desc_check(const sipspec_mrcp_offer_desc *d, sipspec_sdp_error *err) {
  if (!d) return sdp_fail(err, SIPSPEC_E_INVAL, 0, 0, "offer", "no offer description");
  if (!d->addr || !*d->addr || strpbrk(d->addr, " \t\r\n") || strlen(d->addr) >= SIPSPEC_MRCP_HOST_MAX)
    return sdp_fail(err, SIPSPEC_E_INVAL, 0, 0, "offer.addr", "offer needs the client address (no spaces)");
  if (!d->username || !*d->username || strpbrk(d->username, " \t\r\n"))
    return sdp_fail(err, SIPSPEC_E_INVAL, 0, 0, "offer.username", "o= username must be one word");
  if (d->nresources == 0 || d->nresources > SIPSPEC_MRCP_MAX_CHANNELS)
    return sdp_fail(err, SIPSPEC_E_INVAL, 0, 0, "offer.resources", "offer needs 1..%d resources",
                    SIPSPEC_MRCP_MAX_CHANNELS);
  for (size_t i = 0; i < d->nresources; i++)
    if (!sipspec_mrcp_resource_name(d->resources[i]) || d->resources[i] == SIPSPEC_MRCP_RES_NONE)
      return sdp_fail(err, SIPSPEC_E_INVAL, 0, 0, "offer.resources", "resource %zu is not an MRCPv2 resource", i);
  if (d->rtp_port == 0 || d->rtp_port > 65535)
    return sdp_fail(err, SIPSPEC_E_INVAL, 0, 0, "offer.rtp_port", "RTP port must be 1..65535");
  if (d->ncodecs == 0 || d->ncodecs > SIPSPEC_MRCP_MAX_CODECS)
    return sdp_fail(err, SIPSPEC_E_INVAL, 0, 0, "offer.codecs", "offer needs 1..%d codecs", SIPSPEC_MRCP_MAX_CODECS);
  unsigned seen = 0;
  int audio_codec = 0;
  for (size_t i = 0; i < d->ncodecs; i++) {
    sipspec_mrcp_codec c = d->codecs[i];
    if (c < SIPSPEC_MRCP_PCMU || c > SIPSPEC_MRCP_TELEPHONE_EVENT || (seen & (1u << c)))
      return sdp_fail(err, SIPSPEC_E_INVAL, 0, 0, "offer.codecs", "codec %zu is unknown or listed twice", i);
    seen |= 1u << c;
    if (c != SIPSPEC_MRCP_TELEPHONE_EVENT) audio_codec = 1;
  }
  if (!audio_codec)
    return sdp_fail(err, SIPSPEC_E_INVAL, 0, 0, "offer.codecs", "offer needs an audio codec besides telephone-event");
  unsigned p1 = d->pt_l16_8000, p2 = d->pt_l16_16000, p3 = d->pt_telephone_event;
  if (p1 < 96 || p1 > 127 || p2 < 96 || p2 > 127 || p3 < 96 || p3 > 127 || p1 == p2 || p1 == p3 || p2 == p3)
    return sdp_fail(err, SIPSPEC_E_INVAL, 0, 0, "offer.pt", "dynamic payload types must be distinct, 96..127");
  return SIPSPEC_OK;
}

int mrcp_offer_model(const sipspec_mrcp_offer_desc *d, const mrcp_slot *slots, size_t nslots, uint64_t version,
                     int existing, mrcp_offer_room *r, sipspec_sdp_error *err) {
  int rc = mrcp_offer_desc_check(d, err);
  if (rc) return rc;
  mrcp_pool *pool = &r->pool;
  mrcp_pool_init(pool);
  sipspec_sdp_media *media = r->media;
  sipspec_sdp_attr *attrs = r->attrs;
  sipspec_span *fmts = r->fmts;
  r->t = (sipspec_sdp_time){0, 0, NULL, 0};
  const char *at = mrcp_addrtype(d->addr);
  r->conn = (sipspec_sdp_conn){sdp_cstr("IN"), sdp_cstr(at), sdp_cstr(d->addr), SIPSPEC_SDP_ADDR_NONE, 0, 0};
  sipspec_sdp *sdp = &r->sdp;
  memset(sdp, 0, sizeof *sdp);
  if (nslots > sizeof r->media / sizeof r->media[0])
    return sdp_fail(err, SIPSPEC_E_RANGE, 0, 0, "offer", "too many m-lines");
  /* only what is used is cleared: the arrays are sized for the largest offer (14 KB) */
  memset(media, 0, nslots * sizeof media[0]);
  sdp->origin.username = sdp_cstr(d->username);
  sdp->origin.sess_id = mrcp_pool_num(pool, (unsigned long long)d->sess_id);
  sdp->origin.sess_version = mrcp_pool_num(pool, (unsigned long long)version);
  sdp->origin.nettype = sdp_cstr("IN");
  sdp->origin.addrtype = sdp_cstr(at);
  sdp->origin.address = sdp_cstr(d->addr);
  sdp->session_name = sdp_cstr("-");
  sdp->conn = &r->conn;
  sdp->times = &r->t;
  sdp->ntimes = 1;
  sdp->media = media;
  sdp->nmedia = nslots;

  sipspec_mrcp_resource active[SIPSPEC_MRCP_MAX_CHANNELS * 2];
  size_t nactive = 0;
  for (size_t i = 0; i < nslots; i++)
    if (!slots[i].audio && slots[i].active && nactive < sizeof active / sizeof active[0])
      active[nactive++] = slots[i].resource;
  sipspec_sdp_dir dir = sipspec_mrcp_client_direction(active, nactive);

  static const sipspec_span one = {"1", 1};
  sipspec_sdp_attr_kind dir_kind = dir == SIPSPEC_SDP_SENDRECV   ? SIPSPEC_SDP_ATTR_SENDRECV
                                   : dir == SIPSPEC_SDP_SENDONLY ? SIPSPEC_SDP_ATTR_SENDONLY
                                   : dir == SIPSPEC_SDP_RECVONLY ? SIPSPEC_SDP_ATTR_RECVONLY
                                                                 : SIPSPEC_SDP_ATTR_INACTIVE;
  size_t na = 0;
  /* each attribute with the kind and typed value the parser gives it (the writer ignores
   * them; the answer is read against them) */
#define ATTR(n_, v_, k_) \
  (attrs[na] = (sipspec_sdp_attr){.name = sdp_cstr(n_), .value = (v_), .kind = (k_)}, &attrs[na++])
  for (size_t i = 0; i < nslots; i++) {
    sipspec_sdp_media *m = &media[i];
    m->attrs = &attrs[na];
    size_t first = na;
    if (!slots[i].audio) {
      m->media = sdp_cstr("application");
      m->port = slots[i].active ? 9 : 0; /* RFC 4145: the active side uses the discard port */
      m->proto = sdp_cstr(d->tls ? "TCP/TLS/MRCPv2" : "TCP/MRCPv2");
      m->fmts = &one;
      m->nfmts = 1;
      if (slots[i].active) {
        ATTR("setup", sdp_cstr("active"), SIPSPEC_SDP_ATTR_SETUP)->u.setup = SIPSPEC_SDP_SETUP_ACTIVE;
        ATTR("connection", sdp_cstr(existing ? "existing" : "new"), SIPSPEC_SDP_ATTR_CONNECTION)->u.connection =
          existing ? SIPSPEC_SDP_CONN_EXISTING : SIPSPEC_SDP_CONN_NEW;
      }
      sipspec_span res = sdp_cstr(sipspec_mrcp_resource_name(slots[i].resource));
      ATTR("resource", res, SIPSPEC_SDP_ATTR_RESOURCE)->u.resource = res;
      ATTR("cmid", one, SIPSPEC_SDP_ATTR_CMID)->u.cmid = 1;
    } else {
      m->media = sdp_cstr("audio");
      m->port = d->rtp_port;
      m->proto = sdp_cstr("RTP/AVP");
      m->fmts = fmts;
      for (size_t k = 0; k < d->ncodecs; k++)
        fmts[k] = mrcp_pool_num(pool, codec_pt(d, d->codecs[k]));
      m->nfmts = d->ncodecs;
      for (size_t k = 0; k < d->ncodecs; k++) {
        sipspec_mrcp_codec c = d->codecs[k];
        unsigned pt = codec_pt(d, c);
        size_t k0 = mrcp_pool_mark(pool); /* "<pt> <encoding>/<rate>" */
        mrcp_pool_u64(pool, pt);
        mrcp_pool_str(pool, " ");
        mrcp_pool_str(pool, sipspec_mrcp_codec_encoding(c));
        mrcp_pool_str(pool, "/");
        mrcp_pool_u64(pool, sipspec_mrcp_codec_rate(c));
        sipspec_sdp_attr *a = ATTR("rtpmap", mrcp_pool_done(pool, k0), SIPSPEC_SDP_ATTR_RTPMAP);
        a->u.rtpmap.pt = pt;
        a->u.rtpmap.encoding = sdp_cstr(sipspec_mrcp_codec_encoding(c));
        a->u.rtpmap.rate = sipspec_mrcp_codec_rate(c);
        if (c == SIPSPEC_MRCP_TELEPHONE_EVENT) {
          k0 = mrcp_pool_mark(pool); /* "<pt> 0-15" */
          mrcp_pool_u64(pool, pt);
          mrcp_pool_str(pool, " 0-15");
          a = ATTR("fmtp", mrcp_pool_done(pool, k0), SIPSPEC_SDP_ATTR_FMTP);
          a->u.fmtp.fmt = fmts[k];
          a->u.fmtp.params = sdp_cstr("0-15");
        }
      }
      if (d->ptime) ATTR("ptime", mrcp_pool_num(pool, d->ptime), SIPSPEC_SDP_ATTR_PTIME)->u.ptime_ms = d->ptime;
      if (d->rtcp_mux) ATTR("rtcp-mux", ((sipspec_span){NULL, 0}), SIPSPEC_SDP_ATTR_OTHER); /* RFC 5761 §5.1.1 */
      ATTR(sipspec_sdp_dir_name(dir), ((sipspec_span){NULL, 0}), dir_kind);
      ATTR("mid", one, SIPSPEC_SDP_ATTR_MID)->u.mid = one;
    }
    m->nattrs = na - first;
  }
#undef ATTR
  return SIPSPEC_OK;
}

int mrcp_offer_write(const sipspec_mrcp_offer_desc *d, const mrcp_slot *slots, size_t nslots,
                     uint64_t version, int existing, char *buf, size_t cap, size_t *len,
                     sipspec_sdp_error *err) {
  mrcp_offer_room r;
  int rc = mrcp_offer_model(d, slots, nslots, version, existing, &r, err);
  if (rc) return rc;
  rc = sipspec_sdp_write(&r.sdp, buf, cap, len);
  if (rc == SIPSPEC_E_SDP_NOSPACE)
    return sdp_fail(err, rc, 0, 0, "offer", "offer needs %zu bytes, buffer has %zu", *len + 1, cap);
  if (rc) return sdp_fail(err, rc, 0, 0, "offer", "offer could not be written");
  return SIPSPEC_OK;
}

int sipspec_mrcp_offer_build(const sipspec_mrcp_offer_desc *d, char *buf, size_t cap, size_t *len,
                             sipspec_sdp_error *err) {
  int rc = mrcp_offer_desc_check(d, err);
  if (rc) return rc;
  mrcp_slot slots[SIPSPEC_MRCP_MAX_CHANNELS + 1];
  for (size_t i = 0; i < d->nresources; i++) {
    slots[i].audio = 0;
    slots[i].resource = d->resources[i];
    slots[i].active = 1;
  }
  slots[d->nresources].audio = 1;
  slots[d->nresources].resource = SIPSPEC_MRCP_RES_NONE;
  slots[d->nresources].active = 1;
  return mrcp_offer_write(d, slots, d->nresources + 1, d->sess_version, 0, buf, cap, len, err);
}
