/* rtp_internal.h: the RTP endpoint's structure (sipspec/rtp.h), shared by rtp.c (sockets,
 * RTP, RTCP, statistics) and rtp_dtmf.c (RFC 4733 events). */
#ifndef SIPSPEC_RTP_INTERNAL_H
#define SIPSPEC_RTP_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "media_internal.h"
#include "sipspec/rtp.h"

#define RTP_HDR 12
#define RTP_MAX_PAYLOAD 1400
#define UDP_IP_OVERHEAD 28 /* §6.2: the average RTCP size includes UDP and IP headers */
#define NTP_UNIX_OFFSET 2208988800u
#define DTMF_QUEUE_MAX 32
#define DTMF_VOLUME 10 /* RFC 4733 §2.3.4: power level -10 dBm0 */
#define XR_GMIN 16     /* RFC 3611 §4.7.6: the recommended Gmin */
#define XR_UNAVAILABLE 127

enum { DTMF_IDLE, DTMF_TONE, DTMF_END, DTMF_GAP };

struct sipspec_rtp {
  sipspec_rtp_opts o;
  char cname[RTCP_CNAME_MAX];
  sipspec_clock *clock;
  struct ev_loop *loop;
  int fd_rtp, fd_rtcp;            /* fd_rtcp == fd_rtp with rtcp-mux; -1 once closed */
  ev_io w_rtp, w_rtcp;
  sipspec_sockaddr remote_rtp, remote_rtcp;
  unsigned lport, lrtcp;
  sipspec_clock_timer media_timer, rtcp_timer;
  uint64_t rng;
  uint32_t ssrc;
  uint16_t seq;
  uint32_t ts_base, ts;           /* RTP timestamp of the first packet, of the next packet */
  uint64_t start_ms, next_media_ms;
  int marker, source_open, open;  /* open: sockets bound, until sipspec_rtp_stop() */
  /* §6.3 state */
  uint64_t tp, tn;                /* last RTCP sent, next scheduled (ms) */
  int initial;                    /* no RTCP sent yet */
  double avg_rtcp_size;
  uint64_t sent_at_report[2];     /* packets_sent at the last two reports (we_sent) */
  uint64_t recv_at_report[2];
  /* the remote source */
  sipspec_rtp_source src;
  int src_seen;                   /* a packet of remote_ssrc arrived (probation or not) */
  uint32_t last_sr_mid;           /* middle 32 bits of the peer's last SR NTP time (LSR) */
  uint64_t last_sr_us;            /* when it arrived (µs, see rtp.c's now_us) */
  double jitter_sum;
  double rtt_sum;
  uint32_t rtt_samples;
  sipspec_rtp_burst burst;        /* RFC 3611 A.2 over the remote source */
  uint32_t burst_ext;             /* the extended highest sequence number it has seen */
  int burst_started;
  int media_running;              /* the media timer is scheduled */
  /* DTMF sent (RFC 4733 §2.5): queued digits, the event being sent */
  char dq[DTMF_QUEUE_MAX];
  unsigned dq_head, dq_len;
  unsigned dtmf_tone_ms, dtmf_gap_ms;
  int ev_state;                   /* DTMF_IDLE, DTMF_TONE, DTMF_END, DTMF_GAP */
  uint8_t ev_code;
  uint32_t ev_ts;                 /* the event's start timestamp, in all its packets */
  unsigned ev_ticks, ev_ends, gap_left;
  /* DTMF received: the timestamp of the last event reported (its end packets repeat) */
  uint32_t dtmf_last_ts;
  int dtmf_have_last;
  sipspec_rtp_stats st;
};

/* One RTP packet (§5.1: V=2, no padding, extension or CSRC) with this payload type, marker
 * and timestamp; the sequence number moves on even when the kernel drops it (a loss). */
int rtp_send_raw(sipspec_rtp *r, unsigned pt, int marker, uint32_t ts, const uint8_t *payload, size_t len);
/* One ptime slot of DTMF; 1 when it went to an event packet (no audio in it). */
int rtp_dtmf_tick(sipspec_rtp *r, uint32_t samples);
/* A telephone-event packet of the remote source: reported once per event, at its end. */
void rtp_dtmf_take(sipspec_rtp *r, uint32_t ts, const uint8_t *p, size_t len);

#endif
