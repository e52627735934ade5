/* mrcp_pack.c: an MRCP answer as read (sipspec_mrcp_answer, about 5 KB of fixed-size fields)
 * kept in the few bytes its values take (issue 16: an established session's memory), and
 * read back into the struct.
 *
 * The bytes, in order: nchannels, nrejected; per channel: resource, rejected, tls, setup,
 * connection, mline, port (4 bytes), cmid (4), channel_id and host (each a length byte and
 * its bytes); then audio.present and, when present: rejected, port (4), offered, answered,
 * ncodecs, per codec pt, codec, rate (4), encoding; telephone_event_pt + 1, ptime (4), mline,
 * mid, host. Numbers little-endian. Every string of the struct is shorter than 256 bytes
 * (SIPSPEC_MRCP_HOST_MAX holds its NUL), so one byte holds its length.
 */
#include "sdp/mrcp_internal.h"
#include "sipspec/error.h"

#include <stdlib.h>
#include <string.h>

typedef struct packer {
  unsigned char *p; /* NULL: only counting */
  size_t n;
} packer;

static void put8(packer *k, unsigned v) {
  if (k->p) k->p[k->n] = (unsigned char)v;
  k->n++;
}

static void put32(packer *k, unsigned v) {
  for (int i = 0; i < 4; i++) put8(k, (v >> (8 * i)) & 0xffu);
}

static void put_str(packer *k, const char *s, size_t cap) {
  size_t len = strnlen(s, cap - 1);
  put8(k, (unsigned)len);
  if (k->p) memcpy(k->p + k->n, s, len);
  k->n += len;
}

static void pack(packer *k, const sipspec_mrcp_answer *a) {
  put8(k, (unsigned)a->nchannels);
  put8(k, (unsigned)a->nrejected);
  for (size_t i = 0; i < a->nchannels; i++) {
    const sipspec_mrcp_channel *c = &a->channels[i];
    put8(k, c->resource);
    put8(k, c->rejected ? 1u : 0u);
    put8(k, c->tls ? 1u : 0u);
    put8(k, c->setup);
    put8(k, c->connection);
    put8(k, c->mline);
    put32(k, c->port);
    put32(k, c->cmid);
    put_str(k, c->channel_id, sizeof c->channel_id);
    put_str(k, c->host, sizeof c->host);
  }
  const sipspec_mrcp_audio *au = &a->audio;
  put8(k, au->present ? 1u : 0u);
  if (!au->present) return;
  put8(k, au->rejected ? 1u : 0u);
  put32(k, au->port);
  put8(k, au->offered);
  put8(k, au->answered);
  put8(k, (unsigned)au->ncodecs);
  for (size_t i = 0; i < au->ncodecs; i++) {
    put8(k, au->codecs[i].pt);
    put8(k, au->codecs[i].codec);
    put32(k, au->codecs[i].rate);
    put_str(k, au->codecs[i].encoding, sizeof au->codecs[i].encoding);
  }
  put8(k, (unsigned)(au->telephone_event_pt + 1));
  put32(k, au->ptime);
  put8(k, au->mline);
  put_str(k, au->mid, sizeof au->mid);
  put_str(k, au->host, sizeof au->host);
}

unsigned char *mrcp_answer_pack(const sipspec_mrcp_answer *a, size_t *len) {
  /* what cannot be held in a byte does not occur: at most 12 channels and 8 codecs, the
   * m-line indexes below 13, payload types below 128 (the reader refuses others) */
  if (a->nchannels > SIPSPEC_MRCP_MAX_CHANNELS || a->audio.ncodecs > SIPSPEC_MRCP_MAX_CODECS) return NULL;
  packer k = {NULL, 0};
  pack(&k, a);
  if (!(k.p = malloc(k.n))) return NULL;
  *len = k.n;
  k.n = 0;
  pack(&k, a);
  return k.p;
}

typedef struct unpacker {
  const unsigned char *p;
  size_t n, at;
  int bad;
} unpacker;

static unsigned get8(unpacker *u) {
  if (u->at >= u->n) {
    u->bad = 1;
    return 0;
  }
  return u->p[u->at++];
}

static unsigned get32(unpacker *u) {
  unsigned v = 0;
  for (int i = 0; i < 4; i++) v |= get8(u) << (8 * i);
  return v;
}

static void get_str(unpacker *u, char *dst, size_t cap) {
  size_t len = get8(u);
  if (len >= cap || u->at + len > u->n) {
    u->bad = 1;
    len = 0;
  }
  if (len) memcpy(dst, u->p + u->at, len);
  dst[len] = '\0';
  u->at += len;
}

int mrcp_answer_unpack(const unsigned char *p, size_t len, sipspec_mrcp_answer *a) {
  unpacker u = {p, len, 0, 0};
  memset(a, 0, sizeof *a);
  a->audio.telephone_event_pt = -1;
  a->nchannels = get8(&u);
  a->nrejected = get8(&u);
  if (a->nchannels > SIPSPEC_MRCP_MAX_CHANNELS) return SIPSPEC_E_INVAL;
  for (size_t i = 0; i < a->nchannels && !u.bad; i++) {
    sipspec_mrcp_channel *c = &a->channels[i];
    c->resource = (sipspec_mrcp_resource)get8(&u);
    c->rejected = (int)get8(&u);
    c->tls = (int)get8(&u);
    c->setup = (sipspec_sdp_setup)get8(&u);
    c->connection = (sipspec_sdp_connmode)get8(&u);
    c->mline = get8(&u);
    c->port = get32(&u);
    c->cmid = get32(&u);
    get_str(&u, c->channel_id, sizeof c->channel_id);
    get_str(&u, c->host, sizeof c->host);
  }
  sipspec_mrcp_audio *au = &a->audio;
  au->present = (int)get8(&u);
  if (au->present && !u.bad) {
    au->rejected = (int)get8(&u);
    au->port = get32(&u);
    au->offered = (sipspec_sdp_dir)get8(&u);
    au->answered = (sipspec_sdp_dir)get8(&u);
    au->ncodecs = get8(&u);
    if (au->ncodecs > SIPSPEC_MRCP_MAX_CODECS) return SIPSPEC_E_INVAL;
    for (size_t i = 0; i < au->ncodecs && !u.bad; i++) {
      au->codecs[i].pt = get8(&u);
      au->codecs[i].codec = (sipspec_mrcp_codec)get8(&u);
      au->codecs[i].rate = get32(&u);
      get_str(&u, au->codecs[i].encoding, sizeof au->codecs[i].encoding);
    }
    au->telephone_event_pt = (int)get8(&u) - 1;
    au->ptime = get32(&u);
    au->mline = get8(&u);
    get_str(&u, au->mid, sizeof au->mid);
    get_str(&u, au->host, sizeof au->host);
  }
  return u.bad || u.at != u.n ? SIPSPEC_E_INVAL : SIPSPEC_OK;
}
