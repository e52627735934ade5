/* rtcp.c: RTCP compound packets (RFC 3550 §6.4 SR/RR, §6.5 SDES, §6.6 BYE, RFC 3611 §4.7
 * VoIP metrics), written into a bounded buffer and parsed with every length field checked
 * against the bytes that remain (media_internal.h). */
#include "media_internal.h"

#include <string.h>

static uint32_t get32(const uint8_t *p) {
  return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | (uint32_t)p[3];
}
static uint16_t get16(const uint8_t *p) { return (uint16_t)(((unsigned)p[0] << 8) | p[1]); }

static int bad(const char **why, const char *s) {
  if (why) *why = s;
  return -1;
}

/* RFC 3550 §6.4.1: one 24-byte report block. */
static void parse_block(const uint8_t *p, rtcp_report_block *b) {
  b->ssrc = get32(p);
  b->fraction = p[4];
  uint32_t l = ((uint32_t)p[5] << 16) | ((uint32_t)p[6] << 8) | p[7];
  b->lost = (l & 0x800000u) ? (int32_t)(l | 0xff000000u) : (int32_t)l; /* 24-bit signed */
  b->ext_max = get32(p + 8);
  b->jitter = get32(p + 12);
  b->lsr = get32(p + 16);
  b->dlsr = get32(p + 20);
}

static void add_blocks(rtcp_parsed *out, const uint8_t *p, unsigned rc) {
  for (unsigned i = 0; i < rc && out->nblocks < RTCP_MAX_BLOCKS; i++) parse_block(p + 24u * i, &out->blocks[out->nblocks++]);
}

/* RFC 3550 §6.5: chunks of SSRC and items, each chunk ended by a null item and padded to 32
 * bits. body/blen is the packet after its 4-byte header. */
static int parse_sdes(rtcp_parsed *out, const uint8_t *body, size_t blen, unsigned sc, const char **why) {
  size_t off = 0;
  for (unsigned c = 0; c < sc; c++) {
    if (blen - off < 4) return bad(why, "SDES chunk shorter than its SSRC");
    uint32_t ssrc = get32(body + off);
    off += 4;
    for (;;) {
      if (off >= blen) return bad(why, "SDES chunk without its null item");
      uint8_t type = body[off];
      if (type == 0) { /* null item: skip to the next 32-bit boundary (§6.5) */
        off = (off + 4) & ~(size_t)3;
        if (off > blen) return bad(why, "SDES chunk padding runs past the packet");
        break;
      }
      if (blen - off < 2) return bad(why, "SDES item without its length");
      size_t ilen = body[off + 1];
      if (blen - off - 2 < ilen) return bad(why, "SDES item longer than the packet");
      if (type == 1 && ssrc == out->ssrc && !out->has_cname) { /* CNAME of the sender */
        memcpy(out->cname, body + off + 2, ilen < RTCP_CNAME_MAX - 1 ? ilen : RTCP_CNAME_MAX - 1);
        out->cname[ilen < RTCP_CNAME_MAX - 1 ? ilen : RTCP_CNAME_MAX - 1] = 0;
        out->has_cname = 1;
      }
      off += 2 + ilen;
    }
  }
  return 0;
}

/* RFC 3611 §2 / §3: the XR header's SSRC, then report blocks of BT, type-specific,
 * block length (32-bit words after the first); §4.7 VoIP metrics (BT 7, block length 8 = 36
 * bytes), laid out as the figure of §4.7 draws it. */
static void parse_voip(const uint8_t *v, rtcp_voip *o) {
  o->ssrc = get32(v);
  o->loss_rate = v[4];
  o->discard_rate = v[5];
  o->burst_density = v[6];
  o->gap_density = v[7];
  o->burst_ms = get16(v + 8);
  o->gap_ms = get16(v + 10);
  o->rtt_ms = get16(v + 12);
  o->end_system_delay_ms = get16(v + 14);
  o->signal_level = v[16];
  o->noise_level = v[17];
  o->rerl = v[18];
  o->gmin = v[19];
  o->r_factor = v[20];
  o->ext_r_factor = v[21];
  o->mos_lq = v[22];
  o->mos_cq = v[23];
  o->rx_config = v[24];
  o->jb_nominal_ms = get16(v + 26);
  o->jb_max_ms = get16(v + 28);
  o->jb_abs_max_ms = get16(v + 30);
}

static int parse_xr(rtcp_parsed *out, const uint8_t *body, size_t blen, const char **why) {
  if (blen < 4) return bad(why, "XR packet without its SSRC");
  out->xr_ssrc = get32(body);
  size_t off = 4;
  while (off < blen) {
    if (blen - off < 4) return bad(why, "XR block header cut short");
    uint8_t bt = body[off];
    size_t bl = 4u + 4u * get16(body + off + 2);
    if (blen - off < bl) return bad(why, "XR block longer than the packet");
    if (bt == 7) {
      if (bl != 36) return bad(why, "XR VoIP metrics block of the wrong length");
      if (!out->has_voip) parse_voip(body + off + 4, &out->voip); /* after BT, reserved, length */
      out->has_voip = 1;
    }
    off += bl;
  }
  return 0;
}

int sipspec_rtcp_parse(const uint8_t *buf, size_t len, rtcp_parsed *out, const char **why) {
  memset(out, 0, sizeof *out);
  if (why) *why = NULL;
  if (!buf || len < 4) return bad(why, "shorter than an RTCP header");
  if (len % 4) return bad(why, "not a multiple of 32 bits");
  size_t off = 0;
  while (off < len) {
    if (len - off < 4) return bad(why, "RTCP header cut short");
    const uint8_t *p = buf + off;
    unsigned v = p[0] >> 6, padding = (p[0] >> 5) & 1, count = p[0] & 31, pt = p[1];
    size_t plen = 4u * ((size_t)get16(p + 2) + 1u); /* §6.4.1: length in 32-bit words minus one */
    if (v != 2) return bad(why, "RTCP version is not 2");
    if (plen > len - off) return bad(why, "RTCP length field runs past the datagram");
    if (out->npackets == 0 && pt != RTCP_SR && pt != RTCP_RR)
      return bad(why, "compound packet does not start with SR or RR"); /* A.2 */
    if (padding) { /* §6.4.1: only the last packet may be padded; the last octet counts it */
      if (off + plen != len) return bad(why, "padding on a packet that is not the last");
      size_t pad = p[plen - 1];
      if (pad == 0 || pad > plen - 4) return bad(why, "padding count out of range");
      plen -= pad; /* what follows is the payload proper */
    }
    const uint8_t *body = p + 4;
    size_t blen = plen - 4;
    switch (pt) {
    case RTCP_SR:
      if (blen < 24u + 24u * count) return bad(why, "SR shorter than its report count");
      if (out->npackets == 0) {
        out->ssrc = get32(body);
        out->has_sr = 1;
        out->ntp_sec = get32(body + 4);
        out->ntp_frac = get32(body + 8);
        out->rtp_ts = get32(body + 12);
        out->sender_packets = get32(body + 16);
        out->sender_octets = get32(body + 20);
        add_blocks(out, body + 24, count);
      }
      break;
    case RTCP_RR:
      if (blen < 4u + 24u * count) return bad(why, "RR shorter than its report count");
      if (out->npackets == 0) {
        out->ssrc = get32(body);
        add_blocks(out, body + 4, count);
      }
      break;
    case RTCP_SDES:
      if (parse_sdes(out, body, blen, count, why)) return -1;
      break;
    case RTCP_BYE: {
      if (blen < 4u * count) return bad(why, "BYE shorter than its source count");
      for (unsigned i = 0; i < count; i++)
        if (get32(body + 4u * i) == out->ssrc) out->bye = 1;
      size_t rest = blen - 4u * count;
      if (rest > 0 && (size_t)body[4u * count] + 1 > rest) return bad(why, "BYE reason longer than the packet");
      break;
    }
    case RTCP_XR:
      if (parse_xr(out, body, blen, why)) return -1;
      break;
    default:
      break; /* APP and unknown types are skipped by their length (§6.1) */
    }
    out->npackets++;
    off += 4u * ((size_t)get16(p + 2) + 1u);
  }
  return 0;
}

/* ---- writing ----------------------------------------------------------------------------- */

void rtcp_writer_init(rtcp_writer *w, uint8_t *buf, size_t cap) {
  w->buf = buf;
  w->cap = cap;
  w->len = 0;
  w->ok = 1;
}

static int room(rtcp_writer *w, size_t n) {
  if (!w->ok || w->cap - w->len < n) {
    w->ok = 0;
    return 0;
  }
  return 1;
}
static void put32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v >> 24);
  p[1] = (uint8_t)(v >> 16);
  p[2] = (uint8_t)(v >> 8);
  p[3] = (uint8_t)v;
}
static void header(uint8_t *p, unsigned count, unsigned pt, size_t bytes) {
  p[0] = (uint8_t)(0x80u | (count & 31u));
  p[1] = (uint8_t)pt;
  size_t words = bytes / 4 - 1;
  p[2] = (uint8_t)(words >> 8);
  p[3] = (uint8_t)words;
}

void rtcp_write_report(rtcp_writer *w, uint32_t ssrc, int has_sender, uint32_t ntp_sec, uint32_t ntp_frac,
                       uint32_t rtp_ts, uint32_t packets, uint32_t octets, const rtcp_report_block *b,
                       unsigned nb) {
  if (nb > RTCP_MAX_BLOCKS) nb = RTCP_MAX_BLOCKS;
  size_t n = 8u + (has_sender ? 20u : 0u) + 24u * nb;
  if (!room(w, n)) return;
  uint8_t *p = w->buf + w->len;
  header(p, nb, has_sender ? RTCP_SR : RTCP_RR, n);
  put32(p + 4, ssrc);
  uint8_t *q = p + 8;
  if (has_sender) { /* §6.4.1 sender info */
    put32(q, ntp_sec);
    put32(q + 4, ntp_frac);
    put32(q + 8, rtp_ts);
    put32(q + 12, packets);
    put32(q + 16, octets);
    q += 20;
  }
  for (unsigned i = 0; i < nb; i++, q += 24) {
    put32(q, b[i].ssrc);
    q[4] = b[i].fraction;
    int32_t l = b[i].lost;
    if (l > 0x7fffff) l = 0x7fffff;
    if (l < -0x800000) l = -0x800000;
    uint32_t u = (uint32_t)l & 0xffffffu;
    q[5] = (uint8_t)(u >> 16);
    q[6] = (uint8_t)(u >> 8);
    q[7] = (uint8_t)u;
    put32(q + 8, b[i].ext_max);
    put32(q + 12, b[i].jitter);
    put32(q + 16, b[i].lsr);
    put32(q + 20, b[i].dlsr);
  }
  w->len += n;
}

void rtcp_write_sdes_cname(rtcp_writer *w, uint32_t ssrc, const char *cname) {
  size_t cl = strlen(cname);
  if (cl > 255) cl = 255;
  size_t chunk = 4u + 2u + cl + 1u;    /* SSRC, CNAME item, at least one null octet */
  chunk = (chunk + 3u) & ~(size_t)3u; /* §6.5: chunks end on a 32-bit boundary */
  size_t n = 4u + chunk;
  if (!room(w, n)) return;
  uint8_t *p = w->buf + w->len;
  memset(p, 0, n);
  header(p, 1, RTCP_SDES, n);
  put32(p + 4, ssrc);
  p[8] = 1; /* CNAME */
  p[9] = (uint8_t)cl;
  memcpy(p + 10, cname, cl);
  w->len += n;
}

static void put16(uint8_t *p, uint16_t v) {
  p[0] = (uint8_t)(v >> 8);
  p[1] = (uint8_t)v;
}

void rtcp_write_xr_voip(rtcp_writer *w, uint32_t ssrc, const rtcp_voip *v) {
  size_t n = 8u + 36u; /* XR header and SSRC, one 36-byte block */
  if (!room(w, n)) return;
  uint8_t *p = w->buf + w->len;
  memset(p, 0, n);
  header(p, 0, RTCP_XR, n); /* §2: the five bits after P are reserved (0) */
  put32(p + 4, ssrc);
  uint8_t *b = p + 8;
  b[0] = 7; /* BT */
  put16(b + 2, 8);
  uint8_t *q = b + 4;
  put32(q, v->ssrc);
  q[4] = v->loss_rate;
  q[5] = v->discard_rate;
  q[6] = v->burst_density;
  q[7] = v->gap_density;
  put16(q + 8, v->burst_ms);
  put16(q + 10, v->gap_ms);
  put16(q + 12, v->rtt_ms);
  put16(q + 14, v->end_system_delay_ms);
  q[16] = v->signal_level;
  q[17] = v->noise_level;
  q[18] = v->rerl;
  q[19] = v->gmin;
  q[20] = v->r_factor;
  q[21] = v->ext_r_factor;
  q[22] = v->mos_lq;
  q[23] = v->mos_cq;
  q[24] = v->rx_config;
  put16(q + 26, v->jb_nominal_ms);
  put16(q + 28, v->jb_max_ms);
  put16(q + 30, v->jb_abs_max_ms);
  w->len += n;
}

void rtcp_write_bye(rtcp_writer *w, uint32_t ssrc, const char *reason) {
  size_t rl = reason ? strlen(reason) : 0;
  if (rl > 255) rl = 255;
  size_t n = 8u + (rl ? ((1u + rl + 3u) & ~(size_t)3u) : 0u);
  if (!room(w, n)) return;
  uint8_t *p = w->buf + w->len;
  memset(p, 0, n);
  header(p, 1, RTCP_BYE, n);
  put32(p + 4, ssrc);
  if (rl) {
    p[8] = (uint8_t)rl;
    memcpy(p + 9, reason, rl);
  }
  w->len += n;
}
