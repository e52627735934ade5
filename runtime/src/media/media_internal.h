/* media_internal.h: RTCP packet building and bounds-checked parsing (RFC 3550 §6.4-§6.6,
 * RFC 3611 §4.7 for the XR VoIP metrics block), shared by rtp.c, the tests and the fuzz target. */
#ifndef SIPSPEC_MEDIA_INTERNAL_H
#define SIPSPEC_MEDIA_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#define RTCP_SR 200
#define RTCP_RR 201
#define RTCP_SDES 202
#define RTCP_BYE 203
#define RTCP_APP 204
#define RTCP_XR 207
#define RTCP_MAX_BLOCKS 31
#define RTCP_CNAME_MAX 256

typedef struct rtcp_report_block {
  uint32_t ssrc;
  uint8_t fraction;
  int32_t lost;          /* 24-bit signed, sign-extended */
  uint32_t ext_max, jitter, lsr, dlsr;
} rtcp_report_block;

/* RFC 3611 §4.7: the VoIP metrics report block (BT 7), every field as on the wire. */
typedef struct rtcp_voip {
  uint32_t ssrc;                                   /* SSRC of source: the stream reported on */
  uint8_t loss_rate, discard_rate, burst_density, gap_density; /* 1/256 (§4.7.1, §4.7.2) */
  uint16_t burst_ms, gap_ms;                       /* §4.7.2 */
  uint16_t rtt_ms, end_system_delay_ms;            /* §4.7.3 */
  uint8_t signal_level, noise_level, rerl, gmin;   /* §4.7.4 (127: unavailable), §4.7.6 */
  uint8_t r_factor, ext_r_factor, mos_lq, mos_cq;  /* §4.7.5 (127: unavailable) */
  uint8_t rx_config;                               /* §4.7.6: PLC, JBA, JB rate */
  uint16_t jb_nominal_ms, jb_max_ms, jb_abs_max_ms; /* §4.7.7 */
} rtcp_voip;

typedef struct rtcp_parsed {
  unsigned npackets;       /* packets in the compound */
  uint32_t ssrc;           /* sender of the first (SR or RR) packet */
  int has_sr;
  uint32_t ntp_sec, ntp_frac, rtp_ts, sender_packets, sender_octets;
  rtcp_report_block blocks[RTCP_MAX_BLOCKS];
  unsigned nblocks;
  int has_cname;
  char cname[RTCP_CNAME_MAX];
  int bye;                 /* a BYE naming ssrc */
  int has_voip;            /* an XR VoIP metrics block (RFC 3611 §4.7): the first one */
  rtcp_voip voip;
  uint32_t xr_ssrc;        /* the XR packet's sender */
} rtcp_parsed;

/* Parses one compound RTCP packet (RFC 3550 §6.1 and the A.2 validity checks: version 2,
 * the first packet SR or RR, padding only in the last, lengths that add up to the datagram;
 * every length field checked against what remains). Returns 0, or -1 for a malformed one
 * (why, if not NULL, gets a static sentence). */
int sipspec_rtcp_parse(const uint8_t *buf, size_t len, rtcp_parsed *out, const char **why);

/* A growing RTCP compound in a fixed buffer. Every append checks the room; once one failed,
 * ok is 0 and nothing more is written. */
typedef struct rtcp_writer {
  uint8_t *buf;
  size_t cap, len;
  int ok;
} rtcp_writer;

void rtcp_writer_init(rtcp_writer *w, uint8_t *buf, size_t cap);
/* SR (has_sender) or RR with the report blocks given (at most 31). */
void rtcp_write_report(rtcp_writer *w, uint32_t ssrc, int has_sender, uint32_t ntp_sec, uint32_t ntp_frac,
                       uint32_t rtp_ts, uint32_t packets, uint32_t octets, const rtcp_report_block *b,
                       unsigned nb);
void rtcp_write_sdes_cname(rtcp_writer *w, uint32_t ssrc, const char *cname);
/* An XR packet (RFC 3611 §2) from ssrc with one VoIP metrics block (§4.7). */
void rtcp_write_xr_voip(rtcp_writer *w, uint32_t ssrc, const rtcp_voip *v);
void rtcp_write_bye(rtcp_writer *w, uint32_t ssrc, const char *reason);

#endif
