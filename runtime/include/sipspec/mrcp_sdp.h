/* sipspec/mrcp_sdp.h: MRCPv2 session establishment over SDP offer/answer
 * (RFC 6787 sections 4 and 5, RFC 3264, RFC 4145).
 *
 * Client side: sipspec_mrcp_offer_build() writes an offer from a description struct: one
 * m=application (TCP/MRCPv2 or TCP/TLS/MRCPv2) per resource and one m=audio RTP/AVP whose
 * direction fits the resources. sipspec_mrcp_answer_parse() reads the server's answer
 * against that offer into a sipspec_mrcp_answer the application reads.
 * Server side: sipspec_mrcp_server_answer() answers an offer the way an MRCPv2 server does,
 * or refuses it with a reason fit for a 488 Warning.
 * Session changes: sipspec_mrcp_session_t keeps the m-line layout across re-offers, so a
 * resource can be added (a=connection:existing) or removed (port 0) and the answer applied.
 *
 * Nothing here keeps pointers into the caller's buffers: results are copied into the
 * fixed-size fields below.
 */
#ifndef SIPSPEC_MRCP_SDP_H
#define SIPSPEC_MRCP_SDP_H

#include "sipspec/sdp.h"

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif
#pragma GCC visibility push(default) /* what this header declares is the library's API */

#define SIPSPEC_MRCP_MAX_CHANNELS 12
#define SIPSPEC_MRCP_MAX_CODECS 8
#define SIPSPEC_MRCP_HOST_MAX 256
#define SIPSPEC_MRCP_ID_MAX 64

/* MRCPv2 resource types (RFC 6787 section 3.1). */
typedef enum sipspec_mrcp_resource {
  SIPSPEC_MRCP_RES_NONE = 0,
  SIPSPEC_MRCP_SPEECHRECOG = 1,
  SIPSPEC_MRCP_DTMFRECOG = 2,
  SIPSPEC_MRCP_SPEECHSYNTH = 3,
  SIPSPEC_MRCP_BASICSYNTH = 4,
  SIPSPEC_MRCP_SPEAKVERIFY = 5,
  SIPSPEC_MRCP_RECORDER = 6
} sipspec_mrcp_resource;

/* "speechrecog", ...; NULL for an unknown value. */
const char *sipspec_mrcp_resource_name(sipspec_mrcp_resource r);
/* SIPSPEC_MRCP_RES_NONE when the name is not one of RFC 6787 section 3.1. */
sipspec_mrcp_resource sipspec_mrcp_resource_from_name(const char *name, size_t len);
/* 1 for resources that receive the client's audio (recognizers, verifier, recorder),
 * 0 for those that send audio (synthesizers). */
int sipspec_mrcp_resource_receives_audio(sipspec_mrcp_resource r);

/* The codecs a client offers. Static types use their RFC 3551 numbers; the dynamic ones
 * get the payload type in the offer description (defaults 96, 97, 101). */
typedef enum sipspec_mrcp_codec {
  SIPSPEC_MRCP_CODEC_NONE = 0,
  SIPSPEC_MRCP_PCMU = 1,            /* 0 PCMU/8000 */
  SIPSPEC_MRCP_PCMA = 2,            /* 8 PCMA/8000 */
  SIPSPEC_MRCP_L16_8000 = 3,        /* dynamic L16/8000 */
  SIPSPEC_MRCP_L16_16000 = 4,       /* dynamic L16/16000 */
  SIPSPEC_MRCP_TELEPHONE_EVENT = 5  /* dynamic telephone-event/8000, a=fmtp:<pt> 0-15 */
} sipspec_mrcp_codec;

/* "PCMU", "PCMA", "L16", "L16", "telephone-event". */
const char *sipspec_mrcp_codec_encoding(sipspec_mrcp_codec c);
unsigned sipspec_mrcp_codec_rate(sipspec_mrcp_codec c);

/* What a client offers. Fill with sipspec_mrcp_offer_desc_init() and then set fields. */
typedef struct sipspec_mrcp_offer_desc {
  const char *username;        /* o= username, default "-" */
  uint64_t sess_id;            /* o= sess-id, default 1 */
  uint64_t sess_version;       /* o= sess-version, default 1 */
  const char *addr;            /* the client's address: IPv4, IPv6 or host name (required) */
  int tls;                     /* 1: TCP/TLS/MRCPv2 */
  sipspec_mrcp_resource resources[SIPSPEC_MRCP_MAX_CHANNELS];
  size_t nresources;
  unsigned rtp_port;           /* the client's RTP port (required, nonzero) */
  sipspec_mrcp_codec codecs[SIPSPEC_MRCP_MAX_CODECS]; /* in order of preference */
  size_t ncodecs;              /* default: PCMU, PCMA, telephone-event */
  unsigned pt_l16_8000, pt_l16_16000, pt_telephone_event; /* 96, 97, 101 */
  unsigned ptime;              /* a=ptime, 0 to leave out; default 20 */
  int rtcp_mux;                /* 1: offer a=rtcp-mux on m=audio (RFC 5761 §5.1.1); default 0 */
} sipspec_mrcp_offer_desc;

void sipspec_mrcp_offer_desc_init(sipspec_mrcp_offer_desc *d);

/* The audio direction a client needs for these resources (RFC 6787 section 4.2): only
 * receivers: sendonly; only synthesizers: recvonly; both: sendrecv; none: inactive. */
sipspec_sdp_dir sipspec_mrcp_client_direction(const sipspec_mrcp_resource *res, size_t n);

/* Writes the offer into buf (cap bytes). Returns SIPSPEC_OK, SIPSPEC_E_INVAL for a bad
 * description (err says which field), or SIPSPEC_E_SDP_NOSPACE. err may be NULL. */
int sipspec_mrcp_offer_build(const sipspec_mrcp_offer_desc *d, char *buf, size_t cap, size_t *len,
                             sipspec_sdp_error *err);

/* One MRCP control channel as answered. */
typedef struct sipspec_mrcp_channel {
  sipspec_mrcp_resource resource;
  int rejected;                        /* port 0 in the answer */
  char channel_id[SIPSPEC_MRCP_ID_MAX]; /* "32AECB234338@speechsynth" */
  char host[SIPSPEC_MRCP_HOST_MAX];    /* where to connect (c= of the answer) */
  unsigned port;
  int tls;
  sipspec_sdp_setup setup;             /* the server's role (passive expected) */
  sipspec_sdp_connmode connection;     /* new or existing */
  unsigned cmid;
  unsigned mline;                      /* 0-based m-line index */
} sipspec_mrcp_channel;

typedef struct sipspec_mrcp_codec_choice {
  unsigned pt;                         /* payload type the answer uses */
  sipspec_mrcp_codec codec;            /* NONE for a codec this library does not name */
  char encoding[32];
  unsigned rate;
} sipspec_mrcp_codec_choice;

/* The audio stream as answered. */
typedef struct sipspec_mrcp_audio {
  int present;
  int rejected;                        /* port 0 */
  char host[SIPSPEC_MRCP_HOST_MAX];
  unsigned port;
  sipspec_sdp_dir offered, answered;   /* each from its writer's point of view */
  sipspec_mrcp_codec_choice codecs[SIPSPEC_MRCP_MAX_CODECS]; /* in answer order */
  size_t ncodecs;
  int telephone_event_pt;              /* -1 when not negotiated */
  unsigned ptime;                      /* 0 when the answer has none */
  char mid[SIPSPEC_MRCP_ID_MAX];
  unsigned mline;
} sipspec_mrcp_audio;

typedef struct sipspec_mrcp_answer {
  sipspec_mrcp_channel channels[SIPSPEC_MRCP_MAX_CHANNELS];
  size_t nchannels;
  sipspec_mrcp_audio audio;
  size_t nrejected;                    /* rejected streams of any kind */
} sipspec_mrcp_answer;

/* Checks answer against offer (both SDP text) and fills out. An answer that does not fit
 * (m-line count or kind, unknown payload type, missing a=channel for an accepted resource,
 * a direction that cannot answer the offered one) fails with an SDP error whose line is
 * the answer line at fault. */
int sipspec_mrcp_answer_parse(const char *offer, size_t offer_len, const char *answer,
                              size_t answer_len, sipspec_mrcp_answer *out, sipspec_sdp_error *err);

/* Server side. */
typedef struct sipspec_mrcp_server_config {
  const char *addr;            /* the server's address for c= and o= (required) */
  unsigned mrcp_port;          /* the server's MRCP listening port (required) */
  unsigned rtp_port;           /* the server's RTP port (required) */
  const char *session_id;      /* channel ids are "<session_id>@<resource>" (1*alphanum) */
  uint64_t sess_id, sess_version;
  unsigned supported;          /* bit (1 << resource) per resource served; default all */
  sipspec_mrcp_codec prefs[SIPSPEC_MRCP_MAX_CODECS]; /* preference; telephone-event is added when offered and listed */
  size_t nprefs;               /* default PCMU, PCMA, L16/8000, L16/16000, telephone-event */
  int allow_tls;               /* accept TCP/TLS/MRCPv2, default 1 */
  int rtcp_mux;                /* 1: answer a=rtcp-mux when the offer's m=audio has it
                                * (RFC 5761 §5.1.1), for a server that runs the RTP; default 0 */
} sipspec_mrcp_server_config;

void sipspec_mrcp_server_config_init(sipspec_mrcp_server_config *c);

/* Answers offer like an MRCPv2 server: a channel per supported resource, its own MRCP port
 * and setup:passive, the first codec of its preference list that the offer has (plus
 * telephone-event when both have it), the complementary direction, port 0 for streams it
 * does not serve. When it cannot serve the offer at all it returns SIPSPEC_E_SDP_REFUSED
 * (or the parse error) and err->reason is a sentence fit for a 488 Warning. */
int sipspec_mrcp_server_answer(const sipspec_mrcp_server_config *cfg, const char *offer, size_t offer_len,
                               char *buf, size_t cap, size_t *len, sipspec_sdp_error *err);

/* An established (or being established) session seen from the client. */
typedef struct sipspec_mrcp_session sipspec_mrcp_session_t;

/* Creates a session from an offer description (copied). Returns NULL when out of memory or
 * when d is not valid. Free with sipspec_mrcp_session_destroy(). */
sipspec_mrcp_session_t *sipspec_mrcp_session_create(const sipspec_mrcp_offer_desc *d);
void sipspec_mrcp_session_destroy(sipspec_mrcp_session_t *s);

/* Adds a resource for the next offer: a new m=application at the end (or an unused one
 * reused), a=connection:existing once the session is established. SIPSPEC_E_STATE when the
 * resource is already active, SIPSPEC_E_RANGE when there is no room. */
int sipspec_mrcp_session_add(sipspec_mrcp_session_t *s, sipspec_mrcp_resource r);
/* Removes a resource: its m-line stays, with port 0 (RFC 3264 section 8.2). */
int sipspec_mrcp_session_remove(sipspec_mrcp_session_t *s, sipspec_mrcp_resource r);
/* Writes the next offer (the first, or a re-offer with sess-version + 1) and remembers it. */
int sipspec_mrcp_session_offer(sipspec_mrcp_session_t *s, char *buf, size_t cap, size_t *len,
                               sipspec_sdp_error *err);
/* Applies the answer to the last offer. On success the session's state is the answer's. */
int sipspec_mrcp_session_apply_answer(sipspec_mrcp_session_t *s, const char *answer, size_t len,
                                      sipspec_sdp_error *err);
/* The re-offer was refused (a non-2xx final response to its re-INVITE, no response, or an
 * answer that does not fit): the additions and removals made since the last applied answer
 * are forgotten, so the next offer is built from the negotiated layout again (RFC 3261
 * 14.1, RFC 3264 section 8). The sess-version keeps counting (the next offer is still a new
 * version). SIPSPEC_E_STATE before any answer was applied. */
int sipspec_mrcp_session_offer_refused(sipspec_mrcp_session_t *s);
/* The current negotiated state (valid after a successful apply; NULL before, or without
 * memory). Unpacked from the applied answer (kept in the bytes its values take) on the
 * first call and kept: the pointer stays the same, its content follows later applied
 * answers, until destroy. */
const sipspec_mrcp_answer *sipspec_mrcp_session_state(const sipspec_mrcp_session_t *s);
/* The channel of resource r in the current state, or NULL when it is not established. */
const sipspec_mrcp_channel *sipspec_mrcp_session_channel(const sipspec_mrcp_session_t *s,
                                                         sipspec_mrcp_resource r);

#pragma GCC visibility pop
#ifdef __cplusplus
}
#endif
#endif
