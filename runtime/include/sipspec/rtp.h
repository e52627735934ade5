/* sipspec/rtp.h: the RTP endpoint of a session's negotiated audio stream, with RTCP and the
 * line quality statistics of RFC 3550.
 *
 * One endpoint runs one audio stream (one SSRC of ours, one remote source) on the caller's
 * libev loop, with every timer on the stack's clock (sipspec/clock.h), so a test with a
 * virtual clock gets exact times:
 *
 *  - RTP on the local port, RTCP on port + 1 (or the a=rtcp port of RFC 3605), or both on
 *    one port when rtcp_mux is set (RFC 5761, only when both sides offered a=rtcp-mux);
 *  - symmetric RTP (RFC 4961): only packets from the negotiated remote address are taken,
 *    others are counted (foreign) and ignored;
 *  - audio is sent in packets of ptime ms (20) pulled from the source callback;
 *  - RTCP compound packets (SR when we sent RTP in the last two intervals, else RR, then
 *    SDES CNAME; RFC 3550 §6.1) at the randomised interval of §6.3 / Appendix A.7, BYE on
 *    sipspec_rtp_stop();
 *  - receiver statistics as Appendix A does them: extended sequence numbers with wrap and
 *    probation (A.1), cumulative and per-interval loss (A.3), interarrival jitter (A.8);
 *    round-trip time from LSR/DLSR (§6.4.1), absent until the peer reports on us;
 *  - an RTCP XR VoIP metrics block (RFC 3611 §4.7) in each compound, with the burst and gap
 *    figures of its Appendix A.2 and an R factor / MOS-CQ only once the RTT is known;
 *  - DTMF digits as RFC 4733 telephone-events, sent (sipspec_rtp_send_dtmf) and received
 *    (on_dtmf) when a telephone-event payload type was negotiated.
 *
 * The endpoint has no protocol phases of its own: it runs from sipspec_rtp_create() until
 * sipspec_rtp_stop() (which sends the BYE and closes the sockets at once), so it keeps no
 * state chart; the RTCP timer is the only timer.
 */
#ifndef SIPSPEC_RTP_H
#define SIPSPEC_RTP_H

#include <stddef.h>
#include <stdint.h>

#include "sipspec/clock.h"
#include "sipspec/transport.h"

#ifdef __cplusplus
extern "C" {
#endif
#pragma GCC visibility push(default) /* what this header declares is the library's API */

typedef struct sipspec_rtp sipspec_rtp;

/* RFC 3550 §6.2: the recommended minimum interval; MRCP_SIP_RTCP_INTERVAL_MS overrides it. */
#define SIPSPEC_RTCP_MIN_INTERVAL_MS 5000u

/* Fills up to cap bytes of encoded audio for the next packet (cap = samples of one ptime).
 * Returns the bytes written; 0 sends nothing this time (silence suppressed / paused), and a
 * negative value ends the source (no more packets). */
typedef int (*sipspec_rtp_source_fn)(void *user, uint8_t *buf, size_t cap);
/* One RTP packet accepted from the remote source (after symmetric RTP and validity checks). */
typedef void (*sipspec_rtp_audio_fn)(sipspec_rtp *r, unsigned pt, uint32_t timestamp, const uint8_t *payload,
                                     size_t len, void *user);
/* An RTCP compound packet from the peer was taken into the statistics. */
typedef void (*sipspec_rtp_rtcp_fn)(sipspec_rtp *r, void *user);
/* A telephone-event (RFC 4733) of the remote source ended: digit is '0'..'9', '*', '#',
 * 'A'..'D' (events 0..15), duration in timestamp units; once per event however many of its
 * end packets arrive. */
typedef void (*sipspec_rtp_dtmf_fn)(sipspec_rtp *r, char digit, unsigned duration, void *user);

typedef struct sipspec_rtp_opts {
  sipspec_clock *clock;          /* required: the loop and the timers */
  const char *bind_host;         /* IP literal, default "0.0.0.0" ("::" for an IPv6 peer) */
  unsigned local_port;           /* RTP port (0: an ephemeral even port with port + 1 free) */
  unsigned local_rtcp_port;      /* 0: local_port + 1 (ignored with rtcp_mux) */
  const char *remote_host;       /* the peer's c= address (IP literal), required */
  unsigned remote_port;          /* the peer's m= port, required */
  unsigned remote_rtcp_port;     /* its a=rtcp port (RFC 3605), 0: remote_port + 1 */
  int rtcp_mux;                  /* 1: RTP and RTCP on one port each side (RFC 5761) */
  unsigned payload_type;         /* 0 PCMU, 8 PCMA (default 0) */
  unsigned clock_rate;           /* 8000 */
  unsigned ptime_ms;             /* 20 */
  unsigned rtcp_min_interval_ms; /* Tmin of §6.3.1; 0: SIPSPEC_RTCP_MIN_INTERVAL_MS */
  unsigned session_bw_bps;       /* session bandwidth, bits/s (default 64000 + headers = 80000) */
  const char *cname;             /* SDES CNAME (default "sipspec@<bind host>") */
  uint32_t ssrc;                 /* 0: random */
  uint64_t seed;                 /* PRNG seed for SSRC, sequence, timestamp and the interval
                                  * randomisation; 0: from the time and the address */
  sipspec_rtp_source_fn source;  /* NULL: receive only until sipspec_rtp_send() is used */
  sipspec_rtp_audio_fn on_audio;
  sipspec_rtp_rtcp_fn on_rtcp;
  int dtmf_pt;                   /* the telephone-event payload type negotiated (RFC 4733),
                                  * -1 (default): none; its packets are not audio */
  sipspec_rtp_dtmf_fn on_dtmf;
  int no_xr;                     /* 1: leave the RFC 3611 VoIP metrics block out */
  void *user;
} sipspec_rtp_opts;

void sipspec_rtp_opts_init(sipspec_rtp_opts *o);

/* Reads MRCP_SIP_RTCP_INTERVAL_MS (100..3600000) into o->rtcp_min_interval_ms when set.
 * SIPSPEC_E_CONFIG with a sentence in err for a bad value. */
int sipspec_rtp_opts_from_env(sipspec_rtp_opts *o, char *err, size_t errlen);

/* Fills the remote side of o from an SDP (answer or offer) text: the first m=audio's c=
 * address and port, a=rtcp (RFC 3605) and whether it carries a=rtcp-mux (RFC 5761). The
 * strings point into storage of at least SIPSPEC_SOCKADDR_STRLEN bytes the caller gives
 * (host_buf). *peer_mux is 1 when that m=audio has a=rtcp-mux; the caller sets o->rtcp_mux
 * only when its own description offered it too. SIPSPEC_E_INVAL when there is no usable
 * m=audio. */
int sipspec_rtp_remote_from_sdp(sipspec_rtp_opts *o, const char *sdp, size_t len, char *host_buf,
                                size_t host_cap, int *peer_mux);

/* What the endpoint needs of the first m=audio with a port of an SDP text (an answer read
 * by the answerer itself, e.g. a server setting up its side). */
typedef struct sipspec_rtp_sdp_audio {
  unsigned port;                 /* m= port */
  int pt;                        /* the first format that is PCMU (0) or PCMA (8), -1 none */
  int dtmf_pt;                   /* the format mapped to telephone-event/8000, -1 none */
  unsigned ptime_ms;             /* a=ptime, 0 when absent */
  int rtcp_mux;                  /* a=rtcp-mux present (RFC 5761) */
} sipspec_rtp_sdp_audio;

/* SIPSPEC_E_INVAL when the text does not parse or has no m=audio with a port. */
int sipspec_rtp_sdp_audio_read(const char *sdp, size_t len, sipspec_rtp_sdp_audio *out);

/* Binds the sockets, starts the source (if any) and schedules the first RTCP packet.
 * SIPSPEC_E_INVAL for bad options, SIPSPEC_E_BIND / SIPSPEC_E_IO / SIPSPEC_E_NOMEM, with a
 * sentence in err. */
int sipspec_rtp_create(const sipspec_rtp_opts *o, sipspec_rtp **out, char *err, size_t errlen);

/* Sends one RTP packet with this payload now; the timestamp advances by samples (the payload
 * length for G.711 when 0). For echo and for callers that pace themselves. */
int sipspec_rtp_send(sipspec_rtp *r, const uint8_t *payload, size_t len, uint32_t samples);

/* Sends one RTP packet of the negotiated payload type whose timestamp is media_ts samples
 * after the stream's first one (sipspec_rtp_media_ts() gives the clock's position); the
 * packets that follow go on from its end. For an echo that keeps the gaps of what it echoes. */
int sipspec_rtp_send_at(sipspec_rtp *r, uint32_t media_ts, const uint8_t *payload, size_t len);
/* Samples since sipspec_rtp_create() on the stack's clock (the SR's RTP timestamp minus the
 * first one). */
uint32_t sipspec_rtp_media_ts(const sipspec_rtp *r);

/* Queues DTMF digits ("0-9*#A-D", at most 32 waiting) to go as RFC 4733 telephone-events in
 * place of audio: per digit tone_ms of event packets one ptime apart (the first with the
 * marker bit, all with the event's start timestamp and a growing duration), three end
 * packets, then gap_ms of audio. 0 for tone_ms / gap_ms: 100 / 60. SIPSPEC_E_STATE without a
 * negotiated telephone-event type or once stopped, SIPSPEC_E_INVAL for another character,
 * SIPSPEC_E_RANGE when the queue would overflow. */
int sipspec_rtp_send_dtmf(sipspec_rtp *r, const char *digits, unsigned tone_ms, unsigned gap_ms);
/* 1 while digits are queued or being sent. */
int sipspec_rtp_dtmf_busy(const sipspec_rtp *r);

/* Sends the last compound RTCP packet with a BYE (§6.3.7), stops the timers and closes the
 * sockets. The statistics stay readable until sipspec_rtp_free(). Idempotent. */
void sipspec_rtp_stop(sipspec_rtp *r, const char *reason);
void sipspec_rtp_free(sipspec_rtp *r);    /* stops first when needed */

unsigned sipspec_rtp_local_port(const sipspec_rtp *r);
unsigned sipspec_rtp_local_rtcp_port(const sipspec_rtp *r);
uint32_t sipspec_rtp_ssrc(const sipspec_rtp *r);

/* ---- statistics -------------------------------------------------------------------------- */

typedef struct sipspec_rtp_stats {
  int rtcp_mux;                              /* RTP and RTCP share one port each side (RFC 5761) */
  /* what we sent */
  uint64_t packets_sent, octets_sent;        /* RTP packets and payload octets (SR fields) */
  uint64_t rtcp_sent, rtcp_bye_sent;
  /* what we received from the remote source (Appendix A.1, A.3, A.8) */
  uint64_t packets_received, octets_received; /* accepted RTP packets, payload octets */
  uint32_t remote_ssrc;
  int remote_known;                          /* 1 once a source passed probation */
  uint32_t ssrc_changes;                     /* the remote SSRC changed (a new source) */
  uint32_t ext_max_seq;                      /* extended highest sequence number (A.1) */
  uint32_t expected;                         /* A.3: extended_max - base_seq + 1 */
  int64_t lost;                              /* A.3: expected - received (may be negative) */
  int64_t lost_interval;                     /* lost in the last RTCP interval */
  uint8_t fraction_lost;                     /* A.3: last interval, 8-bit fixed point */
  uint32_t jitter_ts;                        /* A.8 estimate, timestamp units */
  double jitter_ms, jitter_min_ms, jitter_mean_ms, jitter_max_ms; /* at each report we sent */
  double jitter_peak_ms;                     /* the largest A.8 estimate after any packet */
  uint32_t jitter_samples;
  /* what the peer reports about our stream (its report block on our SSRC) */
  int peer_report;                           /* 1 once one arrived */
  uint8_t peer_fraction_lost;
  int32_t peer_lost;
  uint32_t peer_jitter_ts;
  /* §6.4.1: round-trip time; rtt_known 0 until a report block with LSR != 0 arrived */
  int rtt_known;
  double rtt_ms, rtt_min_ms, rtt_max_ms;
  /* validity counters */
  uint64_t rtp_foreign;                      /* from an unexpected source address (ignored) */
  uint64_t rtp_invalid;                      /* not RTP version 2 / too short (dropped) */
  uint64_t rtp_probation;                    /* held back while the source was on probation */
  uint64_t rtp_bad_seq;                      /* A.1 bad sequence jumps dropped */
  uint64_t rtp_duplicates;                   /* a sequence number already received */
  uint64_t rtcp_received, rtcp_malformed, rtcp_foreign, rtcp_bye_received;
  /* DTMF (RFC 4733): events sent and received, the received digits in order (the first 64) */
  uint64_t dtmf_sent, dtmf_received;
  char dtmf_digits[65];
  /* RFC 3611 §4.7: the burst/gap figures of our receiving side (its Appendix A.2, Gmin 16),
   * as in the last block we sent */
  uint8_t xr_burst_density, xr_gap_density;
  uint16_t xr_burst_ms, xr_gap_ms;
  uint64_t xr_sent;
  /* the peer's last VoIP metrics block on our SSRC (RFC 3611 §4.7; 127 = unavailable) */
  int peer_xr;
  uint8_t peer_xr_loss_rate, peer_xr_r_factor, peer_xr_mos_lq, peer_xr_mos_cq;
  uint16_t peer_xr_rtt_ms;
} sipspec_rtp_stats;

const sipspec_rtp_stats *sipspec_rtp_get_stats(const sipspec_rtp *r);

/* An ITU-T G.107 E-model estimate for G.711 (simplified as in RFC 3611 §4.7.5's R factor):
 * returns 0 and sets *r_factor and *mos when the RTT is known, SIPSPEC_E_STATE otherwise. */
int sipspec_rtp_mos(const sipspec_rtp_stats *st, double *r_factor, double *mos);

/* The RFC 3611 §4.7.5 fields from the same estimate: *r_factor 0..100 and *mos_cq 10..50
 * (MOS x 10) when the RTT is known, 127 (unavailable) each otherwise. */
void sipspec_rtp_xr_quality(const sipspec_rtp_stats *st, uint8_t *r_factor, uint8_t *mos_cq);

/* ---- RFC 3550 Appendix A algorithms, for tests and tools -------------------------------- */

/* A.1: the per-source sequence state. */
typedef struct sipspec_rtp_source {
  uint16_t max_seq;        /* highest seq. number seen */
  uint32_t cycles;         /* shifted count of seq. number cycles */
  uint32_t base_seq;       /* base seq number */
  uint32_t bad_seq;        /* last 'bad' seq number + 1 */
  uint32_t probation;      /* sequ. packets till source is valid */
  uint32_t received;       /* packets received */
  uint32_t expected_prior; /* packet expected at last interval */
  uint32_t received_prior; /* packet received at last interval */
  uint32_t transit;        /* relative trans time for prev pkt */
  double jitter;           /* A.8 estimate J, timestamp units */
  int have_transit;
} sipspec_rtp_source;

#define SIPSPEC_RTP_MIN_SEQUENTIAL 2
#define SIPSPEC_RTP_MAX_DROPOUT 3000
#define SIPSPEC_RTP_MAX_MISORDER 100

void sipspec_rtp_source_init(sipspec_rtp_source *s, uint16_t seq); /* A.1 init_seq + probation */
/* A.1 update_seq: 1 when the packet is valid and counted, 0 when it is not (probation, bad
 * sequence jump). */
int sipspec_rtp_source_update(sipspec_rtp_source *s, uint16_t seq);
/* A.8: arrival in timestamp units of the receiver's clock. */
void sipspec_rtp_source_jitter(sipspec_rtp_source *s, uint32_t arrival_ts, uint32_t rtp_ts);
uint32_t sipspec_rtp_source_ext_max(const sipspec_rtp_source *s);
uint32_t sipspec_rtp_source_expected(const sipspec_rtp_source *s);
int32_t sipspec_rtp_source_lost(const sipspec_rtp_source *s); /* A.3, clamped to 24 bits */
/* A.3 per interval: lost and fraction since the last call; moves the interval on. */
void sipspec_rtp_source_interval(sipspec_rtp_source *s, int32_t *lost_interval, uint8_t *fraction);

/* RFC 3611 Appendix A.2 (from ETSI TS 101 329-5): burst and gap state of a received stream,
 * fed one event per packet (received, or lost). */
typedef struct sipspec_rtp_burst {
  uint32_t gmin;               /* §4.7.6: 16 */
  uint32_t pkt, lost;          /* received since the last loss; lost in the current burst */
  uint32_t c11, c13, c14, c22, c23, c33;
  uint32_t loss_count;
} sipspec_rtp_burst;

void sipspec_rtp_burst_init(sipspec_rtp_burst *b, uint32_t gmin);
void sipspec_rtp_burst_event(sipspec_rtp_burst *b, int packet_lost);
/* §4.7.2 fields from the counts so far: densities in 1/256, durations in ms given the
 * packet duration frame_ms. */
void sipspec_rtp_burst_metrics(const sipspec_rtp_burst *b, unsigned frame_ms, uint8_t *burst_density,
                               uint8_t *gap_density, uint16_t *burst_ms, uint16_t *gap_ms);

/* A.7: the RTCP interval in seconds (randomised by the uniform value u in [0, 1)). */
double sipspec_rtcp_interval(int members, int senders, double rtcp_bw, int we_sent, double avg_rtcp_size,
                             int initial, double tmin_s, double u);

#pragma GCC visibility pop
#ifdef __cplusplus
}
#endif
#endif
