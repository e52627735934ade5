/* rtp_stats.c: RFC 3550 Appendix A as the RFC writes it: sequence number validation and
 * extended sequence numbers (A.1), loss (A.3), the RTCP interval (A.7) and interarrival
 * jitter (A.8); and an E-model estimate for the MOS (sipspec/rtp.h). */
#include "sipspec/error.h"
#include "sipspec/rtp.h"

#include <string.h>

#define RTP_SEQ_MOD (1u << 16)

/* A.1 init_seq() */
static void init_seq(sipspec_rtp_source *s, uint16_t seq) {
  s->base_seq = seq;
  s->max_seq = seq;
  s->bad_seq = RTP_SEQ_MOD + 1; /* so seq == bad_seq is false */
  s->cycles = 0;
  s->received = 0;
  s->received_prior = 0;
  s->expected_prior = 0;
  /* other initialization: the jitter estimate starts again with the next packet */
}

/* A.1: a new source starts on probation: MIN_SEQUENTIAL packets in sequence before it is
 * valid. */
void sipspec_rtp_source_init(sipspec_rtp_source *s, uint16_t seq) {
  init_seq(s, seq);
  s->max_seq = (uint16_t)(seq - 1);
  s->probation = SIPSPEC_RTP_MIN_SEQUENTIAL;
  s->transit = 0;
  s->jitter = 0;
  s->have_transit = 0;
}

/* A.1 update_seq(). The RFC's `seq == s->max_seq + 1` is taken modulo 2^16 here, so a
 * source whose probation crosses 65535 -> 0 is not reset. */
int sipspec_rtp_source_update(sipspec_rtp_source *s, uint16_t seq) {
  uint16_t udelta = (uint16_t)(seq - s->max_seq);
  if (s->probation) {
    /* packet is in sequence */
    if (seq == (uint16_t)(s->max_seq + 1)) {
      s->probation--;
      s->max_seq = seq;
      if (s->probation == 0) {
        init_seq(s, seq);
        s->received++;
        return 1;
      }
    } else {
      s->probation = SIPSPEC_RTP_MIN_SEQUENTIAL - 1;
      s->max_seq = seq;
    }
    return 0;
  } else if (udelta < SIPSPEC_RTP_MAX_DROPOUT) {
    /* in order, with permissible gap */
    if (seq < s->max_seq) s->cycles += RTP_SEQ_MOD; /* sequence number wrapped: count another 64K cycle */
    s->max_seq = seq;
  } else if (udelta <= RTP_SEQ_MOD - SIPSPEC_RTP_MAX_MISORDER) {
    /* the sequence number made a very large jump */
    if (seq == s->bad_seq) {
      /* two sequential packets: assume the other side restarted without telling us, so just
       * re-sync (i.e., pretend this was the first packet) */
      init_seq(s, seq);
    } else {
      s->bad_seq = (seq + 1u) & (RTP_SEQ_MOD - 1);
      return 0;
    }
  } else {
    /* duplicate or reordered packet */
  }
  s->received++;
  return 1;
}

/* A.8: J(i) = J(i-1) + (|D(i-1,i)| - J(i-1))/16, with D the difference of the relative
 * transit times, all in timestamp units; kept in floating point as the A.8 formula. */
void sipspec_rtp_source_jitter(sipspec_rtp_source *s, uint32_t arrival_ts, uint32_t rtp_ts) {
  uint32_t transit = arrival_ts - rtp_ts;
  if (!s->have_transit) {
    s->transit = transit;
    s->have_transit = 1;
    return;
  }
  int32_t d = (int32_t)(transit - s->transit);
  s->transit = transit;
  if (d < 0) d = -d;
  s->jitter += (1.0 / 16.0) * ((double)d - s->jitter);
}

uint32_t sipspec_rtp_source_ext_max(const sipspec_rtp_source *s) { return s->cycles + s->max_seq; }

/* A.3 */
uint32_t sipspec_rtp_source_expected(const sipspec_rtp_source *s) {
  return sipspec_rtp_source_ext_max(s) - s->base_seq + 1;
}

int32_t sipspec_rtp_source_lost(const sipspec_rtp_source *s) {
  int64_t lost = (int64_t)sipspec_rtp_source_expected(s) - (int64_t)s->received;
  /* A.3: clamp at 0x7fffff for positive loss or 0x800000 for negative loss */
  if (lost > 0x7fffff) lost = 0x7fffff;
  if (lost < -0x800000) lost = -0x800000;
  return (int32_t)lost;
}

void sipspec_rtp_source_interval(sipspec_rtp_source *s, int32_t *lost_interval, uint8_t *fraction) {
  uint32_t expected = sipspec_rtp_source_expected(s);
  uint32_t expected_interval = expected - s->expected_prior;
  s->expected_prior = expected;
  uint32_t received_interval = s->received - s->received_prior;
  s->received_prior = s->received;
  int32_t li = (int32_t)(expected_interval - received_interval);
  uint8_t f;
  if (expected_interval == 0 || li <= 0) f = 0;
  else f = (uint8_t)(((uint64_t)li << 8) / expected_interval);
  if (lost_interval) *lost_interval = li;
  if (fraction) *fraction = f;
}

/* A.7 rtcp_interval(), with RTCP_MIN_TIME given (MRCP_SIP_RTCP_INTERVAL_MS) and the random
 * draw u in [0, 1) given, so a test can check the bounds. */
double sipspec_rtcp_interval(int members, int senders, double rtcp_bw, int we_sent, double avg_rtcp_size,
                             int initial, double tmin_s, double u) {
  const double RTCP_SENDER_BW_FRACTION = 0.25;
  const double RTCP_RCVR_BW_FRACTION = 1 - RTCP_SENDER_BW_FRACTION;
  const double COMPENSATION = 2.71828 - 1.5; /* §6.3.1: e - 3/2 */
  double rtcp_min_time = tmin_s;
  if (initial) rtcp_min_time /= 2; /* §6.2: half the minimum before the first packet */
  int n = members;
  if (senders <= members * RTCP_SENDER_BW_FRACTION) {
    if (we_sent) {
      rtcp_bw *= RTCP_SENDER_BW_FRACTION;
      n = senders;
    } else {
      rtcp_bw *= RTCP_RCVR_BW_FRACTION;
      n -= senders;
    }
  }
  if (n < 1) n = 1;
  double t = rtcp_bw > 0 ? avg_rtcp_size * n / rtcp_bw : rtcp_min_time;
  if (t < rtcp_min_time) t = rtcp_min_time;
  t = t * (u + 0.5); /* spread over [0.5, 1.5] of the deterministic interval */
  t = t / COMPENSATION;
  return t;
}

/* The ITU-T G.107 E-model, simplified (Cole and Rosenbluth) for G.711 as RFC 3611 §4.7.5
 * asks of an R factor: R = 93.2 - Id - Ie,eff with the one-way delay d = RTT/2 plus the
 * jitter (a buffer of one jitter estimate), Id = 0.024 d + 0.11 (d - 177.3) H(d - 177.3),
 * Ie,eff = Ie + (95 - Ie) Ppl / (Ppl + Bpl) with Ie = 0 and Bpl = 4.3 (G.113 Appendix I,
 * G.711 without concealment), and MOS = 1 + 0.035 R + 7e-6 R (R - 60) (100 - R). */
int sipspec_rtp_mos(const sipspec_rtp_stats *st, double *r_factor, double *mos) {
  if (!st || !st->rtt_known) return SIPSPEC_E_STATE;
  double d = st->rtt_ms / 2 + st->jitter_ms;
  double id = 0.024 * d + (d > 177.3 ? 0.11 * (d - 177.3) : 0);
  double ppl = 0;
  if (st->expected > 0 && st->lost > 0) ppl = 100.0 * (double)st->lost / (double)st->expected;
  double ie = 0 + (95 - 0) * ppl / (ppl + 4.3);
  double r = 93.2 - id - ie;
  if (r < 0) r = 0;
  if (r > 100) r = 100;
  double m = 1 + 0.035 * r + 7e-6 * r * (r - 60) * (100 - r);
  if (r <= 0) m = 1;
  if (m > 4.5) m = 4.5;
  if (r_factor) *r_factor = r;
  if (mos) *mos = m;
  return SIPSPEC_OK;
}

/* RFC 3611 §4.7.5 fields: R 0..100, MOS-CQ as MOS x 10 in 10..50; 127 while unknown. */
void sipspec_rtp_xr_quality(const sipspec_rtp_stats *st, uint8_t *r_factor, uint8_t *mos_cq) {
  double r = 0, m = 0;
  if (sipspec_rtp_mos(st, &r, &m) != SIPSPEC_OK) {
    if (r_factor) *r_factor = 127;
    if (mos_cq) *mos_cq = 127;
    return;
  }
  long ri = (long)(r + 0.5), mi = (long)(m * 10 + 0.5);
  if (ri < 0) ri = 0;
  if (ri > 100) ri = 100;
  if (mi < 10) mi = 10;
  if (mi > 50) mi = 50;
  if (r_factor) *r_factor = (uint8_t)ri;
  if (mos_cq) *mos_cq = (uint8_t)mi;
}

/* RFC 3611 Appendix A.2, as written there (states 1 received in a gap, 2 received in a
 * burst, 3 lost in a burst, 4 lost alone in a gap; cXY counts transitions). No jitter
 * buffer here, so nothing is discarded: every event is a packet received or lost. */
void sipspec_rtp_burst_init(sipspec_rtp_burst *b, uint32_t gmin) {
  memset(b, 0, sizeof *b);
  b->gmin = gmin ? gmin : 16;
}

void sipspec_rtp_burst_event(sipspec_rtp_burst *b, int packet_lost) {
  if (packet_lost) b->loss_count++;
  if (!packet_lost) {
    b->pkt++;
    return;
  }
  if (b->pkt >= b->gmin) {
    if (b->lost == 1) b->c14++;
    else b->c13++;
    b->lost = 1;
    b->c11 += b->pkt;
  } else {
    b->lost++;
    if (b->pkt == 0) {
      b->c33++;
    } else {
      b->c23++;
      b->c22 += b->pkt - 1;
    }
  }
  b->pkt = 0;
}

/* A.2 "at each reporting interval". The counts of the packets received since the last loss
 * (pkt) are not in c11 until the next loss; they are added here once they are Gmin or more
 * (or no loss came at all), so that a stream without loss is one long gap; fewer are left
 * undecided, as A.2 leaves them. With no burst (c13 = 0) the burst figures are 0 and the gap lasts
 * the whole stream; A.2's "lgap" is the gap_length of the line above it. */
void sipspec_rtp_burst_metrics(const sipspec_rtp_burst *b, unsigned frame_ms, uint8_t *burst_density,
                               uint8_t *gap_density, uint16_t *burst_ms, uint16_t *gap_ms) {
  double c11 = (double)b->c11 + (b->pkt >= b->gmin || b->loss_count == 0 ? b->pkt : 0);
  double c13 = b->c13, c14 = b->c14, c22 = b->c22, c23 = b->c23, c33 = b->c33;
  double c31 = c13, c32 = c23;
  double ctotal = c11 + c14 + c13 + c22 + c23 + c31 + c32 + c33;
  double p32 = (c31 + c32 + c33) > 0 ? c32 / (c31 + c32 + c33) : 0;
  double p23 = (c22 + c23) < 1 ? 1 : 1 - c22 / (c22 + c23);
  double bd = 0, gd = 0, bl = 0, gl = 0;
  if (c13 > 0) {
    bd = 256 * p23 / (p23 + p32);
    gl = (c11 + c14 + c13) * frame_ms / c13;
    bl = ctotal * frame_ms / c13 - gl;
  } else {
    gl = (c11 + c14) * frame_ms;
  }
  if (c11 + c14 > 0) gd = 256 * c14 / (c11 + c14);
  if (bd > 255) bd = 255;
  if (gd > 255) gd = 255;
  if (bl > 65535) bl = 65535;
  if (gl > 65535) gl = 65535;
  if (bl < 0) bl = 0;
  if (burst_density) *burst_density = (uint8_t)bd;
  if (gap_density) *gap_density = (uint8_t)gd;
  if (burst_ms) *burst_ms = (uint16_t)(bl + 0.5);
  if (gap_ms) *gap_ms = (uint16_t)(gl + 0.5);
}
