/* mrcp_internal.h: what the MRCPv2 offer, answer and session files share. */
#ifndef SIPSPEC_MRCP_INTERNAL_H
#define SIPSPEC_MRCP_INTERNAL_H

#include "sipspec/mrcp_sdp.h"
#include "sdp/sdp_internal.h"

#include <stdarg.h>

/* One m-line of a client offer: an MRCP control channel or the audio stream. */
typedef struct mrcp_slot {
  unsigned char audio : 1;        /* 1 for the m=audio line */
  unsigned char active : 1;       /* 0: offered with port 0 (removed) */
  unsigned char resource : 6;     /* for control channels: a sipspec_mrcp_resource */
} mrcp_slot;

/* Frees the negotiated state sipspec_mrcp_session_state() read for a caller that no longer
 * needs it (the next call reads it again). */
void mrcp_session_drop_state(sipspec_mrcp_session_t *s);

/* What says which offer a session wrote (mrcp_offer_write() writes it again from this and
 * the description, byte for byte): its m-line layout, version and connection mode. */
typedef struct mrcp_written {
  mrcp_slot slots[SIPSPEC_MRCP_MAX_CHANNELS + 1];
  unsigned char nslots, existing, valid;
  uint64_t version;
} mrcp_written;

/* The session's negotiated offer (the one the last applied answer answered, or the one
 * mrcp_session_pending_is_local() made so) written again into buf: SIPSPEC_E_STATE before
 * there is one, SIPSPEC_E_SDP_NOSPACE. */
int mrcp_session_local_sdp(const sipspec_mrcp_session_t *s, char *buf, size_t cap, size_t *len);
/* 1 once the session has a negotiated offer. */
int mrcp_session_has_local(const sipspec_mrcp_session_t *s);
/* The offer written last (sipspec_mrcp_session_offer()) is the negotiated one from now on:
 * the session's SDP answering a refresh (no answer to it will come). */
void mrcp_session_pending_is_local(sipspec_mrcp_session_t *s);

/* The answer in the bytes its values take (malloc'd, *len set), NULL without memory. */
unsigned char *mrcp_answer_pack(const sipspec_mrcp_answer *a, size_t *len);
/* Reads packed bytes back: SIPSPEC_E_INVAL when they are not what mrcp_answer_pack() wrote. */
int mrcp_answer_unpack(const unsigned char *p, size_t len, sipspec_mrcp_answer *a);

/* Writes an offer with the given m-line layout. existing: a=connection:existing. */
int mrcp_offer_write(const sipspec_mrcp_offer_desc *d, const mrcp_slot *slots, size_t nslots,
                     uint64_t version, int existing, char *buf, size_t cap, size_t *len,
                     sipspec_sdp_error *err);
int mrcp_offer_desc_check(const sipspec_mrcp_offer_desc *d, sipspec_sdp_error *err);


/* A small string arena for values the writer needs (numbers, "sess@resource"). */
typedef struct mrcp_pool {
  char buf[4096];
  size_t used;
  int over; /* the value being built did not fit */
} mrcp_pool;

void mrcp_pool_init(mrcp_pool *p);
/* A value is built piece by piece, without printf: mark, then strings and numbers, then
 * done, which NUL-terminates it and gives its slice (absent when it did not fit). */
size_t mrcp_pool_mark(const mrcp_pool *p);
void mrcp_pool_str(mrcp_pool *p, const char *s);
void mrcp_pool_u64(mrcp_pool *p, unsigned long long v);
sipspec_span mrcp_pool_done(mrcp_pool *p, size_t mark);
/* One number as a value. */
sipspec_span mrcp_pool_num(mrcp_pool *p, unsigned long long v);

/* Where an offer's model lives: the arrays are sized for the largest offer (about 18 KB). */
typedef struct mrcp_offer_room {
  mrcp_pool pool;
  sipspec_sdp sdp;
  sipspec_sdp_media media[SIPSPEC_MRCP_MAX_CHANNELS * 2 + 1];
  sipspec_sdp_attr attrs[(SIPSPEC_MRCP_MAX_CHANNELS * 2 + 1) * 4 + 3 * SIPSPEC_MRCP_MAX_CODECS];
  sipspec_span fmts[SIPSPEC_MRCP_MAX_CODECS + 1];
  sipspec_sdp_time t;
  sipspec_sdp_conn conn;
} mrcp_offer_room;

/* The model of the offer mrcp_offer_write() writes (r->sdp, pointing into r, d's strings
 * and constants): its attributes carry the kind and typed value the parser gives them, so
 * the model reads as the parsed text would (the answer is read against it without writing
 * and parsing our own offer). */
int mrcp_offer_model(const sipspec_mrcp_offer_desc *d, const mrcp_slot *slots, size_t nslots, uint64_t version,
                     int existing, mrcp_offer_room *r, sipspec_sdp_error *err);
/* sipspec_mrcp_answer_parse() against an offer's model (its attributes typed). */
int mrcp_answer_parse_model(const sipspec_sdp *offer, const char *answer, size_t answer_len,
                            sipspec_mrcp_answer *out, sipspec_sdp_error *err);

/* The codec that encoding/rate names, or SIPSPEC_MRCP_CODEC_NONE. */
sipspec_mrcp_codec mrcp_codec_from(sipspec_span enc, unsigned rate);
/* The encoding and rate of payload type pt in media m: its rtpmap, else the static RFC 3551
 * assignment. Returns 0 when pt has no known mapping. */
int mrcp_pt_mapping(const sipspec_sdp_media *m, unsigned pt, sipspec_span *enc, unsigned *rate);
/* The payload type a format string names, or -1 when it is not 0..127. */
int mrcp_fmt_pt(sipspec_span f);
/* The address type for an address: "IP6" when it holds ':', else "IP4". */
const char *mrcp_addrtype(const char *addr);

#endif
